/*
 * rules.h - the snake game, exactly as the public Python benchmark plays
 * it. Shared by driver.c (which plays it in the sandbox) and score.c
 * (which replays the recorded moves in the host), so both agree by
 * construction.
 *
 * Game g is seeded like CPython's random.seed(g): MT19937 init_by_array
 * with the key [g]. random.randint(0, 9) is the next 32-bit output shifted
 * right by 28, drawn again while it is 10 or more. Food is a row, then a
 * column, both drawn again while the cell is on the snake.
 */
#ifndef SNAKE_RULES_H
#define SNAKE_RULES_H

#include <string.h>

#define RULES_SIZE 10
#define RULES_MAX_STEPS 300
#define RULES_MAX_LEN 100
#define RULES_MT_N 624
#define RULES_MT_M 397

typedef struct {
	unsigned int mt[RULES_MT_N];
	int index;
} rules_rng;

enum {
	GAME_RUNNING, GAME_BAD_MOVE, GAME_WALL, GAME_SELF, GAME_OUT_OF_STEPS,
	GAME_FULL
};

typedef struct {
	rules_rng rng;
	snake_cell body[RULES_MAX_LEN];  /* body[0] is the head */
	char on_body[RULES_SIZE][RULES_SIZE];  /* the body's cells, for O(1) tests */
	int len, apples, steps, state;
	snake_cell food;
} snake_game;

static void rules_seed_word(rules_rng *r, unsigned int s)
{
	int i;

	r->mt[0] = s;
	for (i = 1; i < RULES_MT_N; i++)
		r->mt[i] = 1812433253U * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (unsigned int)i;
	r->index = RULES_MT_N;
}

static void rules_seed(rules_rng *r, unsigned int key)
{
	static rules_rng base;  /* init_genrand(19650218): the same for every key */
	static int base_ready;
	unsigned int *mt = r->mt, *p, *end = mt + RULES_MT_N, prev, i;

	if (!base_ready) {
		rules_seed_word(&base, 19650218U);
		base_ready = 1;
	}
	*r = base;
	/* init_by_array's two passes with a one-word key, unrolled at the
	 * points where they wrap around: the first pass runs over words 1 to
	 * 623 and word 1 again, the second over words 2 to 623 and word 1.
	 * Each step reads the word written before it, kept in `prev`. */
	prev = mt[0];
	for (p = mt + 1; p < end; p++)
		prev = *p = (*p ^ ((prev ^ (prev >> 30)) * 1664525U)) + key;
	mt[0] = prev;
	prev = mt[1] = (mt[1] ^ ((prev ^ (prev >> 30)) * 1664525U)) + key;
	for (p = mt + 2, i = 2; p < end; p++, i++)
		prev = *p = (*p ^ ((prev ^ (prev >> 30)) * 1566083941U)) - i;
	mt[1] = (mt[1] ^ ((prev ^ (prev >> 30)) * 1566083941U)) - 1U;
	mt[0] = 0x80000000U;
}

static unsigned int rules_twist(unsigned int upper, unsigned int lower,
				unsigned int far)
{
	unsigned int y = (upper & 0x80000000U) | (lower & 0x7fffffffU);

	return far ^ (y >> 1) ^ ((y & 1U) ? 0x9908b0dfU : 0U);
}

/*
 * The next 32-bit output. MT19937 twists all 624 words when they are used
 * up; here each word is twisted as it is drawn, in the same order, so it
 * reads the words after it untwisted and those before it twisted, exactly
 * as the whole-array twist does: the same outputs, but a short game twists
 * only the words it draws.
 */
static unsigned int rules_next(rules_rng *r)
{
	unsigned int *mt = r->mt, y;
	int k;

	if (r->index >= RULES_MT_N)
		r->index = 0;
	k = r->index++;
	if (k < RULES_MT_N - RULES_MT_M)
		mt[k] = rules_twist(mt[k], mt[k + 1], mt[k + RULES_MT_M]);
	else if (k < RULES_MT_N - 1)
		mt[k] = rules_twist(mt[k], mt[k + 1], mt[k + RULES_MT_M - RULES_MT_N]);
	else
		mt[k] = rules_twist(mt[k], mt[0], mt[RULES_MT_M - 1]);
	y = mt[k];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680U;
	y ^= (y << 15) & 0xefc60000U;
	y ^= y >> 18;
	return y;
}

/* random.randint(0, 9) */
static int rules_digit(rules_rng *r)
{
	unsigned int v;

	do
		v = rules_next(r) >> 28;
	while (v >= 10);
	return (int)v;
}

static void game_place_food(snake_game *g)
{
	do {
		g->food.row = rules_digit(&g->rng);
		g->food.col = rules_digit(&g->rng);
	} while (g->on_body[g->food.row][g->food.col]);
}

/* Starts a game whose generator has already been seeded. */
static void game_start(snake_game *g, const rules_rng *seeded)
{
	int row, col;

	for (row = 0; row < RULES_SIZE; row++)
		for (col = 0; col < RULES_SIZE; col++)
			g->on_body[row][col] = 0;
	g->on_body[5][5] = 1;
	g->rng = *seeded;
	g->len = 1;
	g->body[0].row = 5;
	g->body[0].col = 5;
	g->apples = 0;
	g->steps = 0;
	g->state = GAME_RUNNING;
	game_place_food(g);
}

static void game_init(snake_game *g, unsigned int seed)
{
	rules_rng rng;

	rules_seed(&rng, seed);
	game_start(g, &rng);
}

/* Plays one move; returns the game's state afterwards. */
static int game_step(snake_game *g, int move)
{
	static const int d_row[4] = { -1, 1, 0, 0 };
	static const int d_col[4] = { 0, 0, -1, 1 };
	snake_cell head;

	if (g->state != GAME_RUNNING)
		return g->state;
	g->steps++;
	if (move < 0 || move > 3)
		return g->state = GAME_BAD_MOVE;
	head.row = g->body[0].row + d_row[move];
	head.col = g->body[0].col + d_col[move];
	if (head.row < 0 || head.row >= RULES_SIZE || head.col < 0 || head.col >= RULES_SIZE)
		return g->state = GAME_WALL;
	if (g->on_body[head.row][head.col])
		return g->state = GAME_SELF;
	memmove(&g->body[1], &g->body[0], (size_t)g->len * sizeof(g->body[0]));
	g->body[0] = head;
	g->on_body[head.row][head.col] = 1;
	g->len++;
	if (head.row == g->food.row && head.col == g->food.col) {
		g->apples++;
		if (g->len >= RULES_MAX_LEN)
			return g->state = GAME_FULL;
		game_place_food(g);
	} else {
		g->len--;
		g->on_body[g->body[g->len].row][g->body[g->len].col] = 0;
	}
	if (g->steps >= RULES_MAX_STEPS)
		g->state = GAME_OUT_OF_STEPS;
	return g->state;
}

#endif
