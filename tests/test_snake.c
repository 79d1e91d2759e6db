/*
 * test_snake.c - the snake rules against CPython's random module, the
 * tail-cell rule, the scorer's replay, and the always-RIGHT anchor.
 *
 * The expected numbers were computed independently with python3:
 *   random.seed(0); [random.randint(0, 9) for _ in range(10)]
 *   random.seed(0); [random.getrandbits(32) for _ in range(3)]
 *   random.seed(7); w = [random.getrandbits(32) for _ in range(1250)]
 */
#include "harness.h"

#include "error.h"
#include "eval.h"
#include "scorer.h"

#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic ignored "-Wunused-function"
#include "../tasks/snake/snake.h"
#include "../tasks/snake/rules.h"

static void test_seed_zero_matches_cpython(void **state)
{
	static const int digits[10] = { 6, 6, 0, 4, 8, 7, 6, 4, 7, 5 };
	static const unsigned int words[3] = { 3626764237U, 1654615998U, 3255389356U };
	rules_rng rng;
	int i;

	(void)state;
	rules_seed(&rng, 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(rules_next(&rng), words[i]);
	rules_seed(&rng, 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(rules_digit(&rng), digits[i]);
}

/* Words are twisted one at a time as they are drawn (rules_next): the
 * outputs where the twist's three parts meet, and past a whole turn of
 * 624 words, are CPython's. */
static void test_words_past_a_twist_match_cpython(void **state)
{
	static const struct { int at; unsigned int word; } expect[] = {
		{ 226, 2652540660U }, { 227, 2813059522U }, { 623, 960836459U },
		{ 624, 693491440U }, { 1248, 266543596U },
	};
	rules_rng rng;
	size_t k = 0;
	int i;

	(void)state;
	rules_seed(&rng, 7);
	for (i = 0; k < sizeof(expect) / sizeof(expect[0]); i++) {
		unsigned int word = rules_next(&rng);
		if (i == expect[k].at)
			assert_int_equal(word, expect[k++].word);
	}
}

static void test_first_food_and_eating(void **state)
{
	snake_game g;

	(void)state;
	game_init(&g, 0);
	assert_int_equal(g.food.row, 6);
	assert_int_equal(g.food.col, 6);
	assert_int_equal(game_step(&g, SNAKE_DOWN), GAME_RUNNING);
	assert_int_equal(g.len, 1);
	assert_int_equal(game_step(&g, SNAKE_RIGHT), GAME_RUNNING);
	assert_int_equal(g.apples, 1);
	assert_int_equal(g.len, 2);
	/* the next food is the next two digits of the sequence: (0, 4) */
	assert_int_equal(g.food.row, 0);
	assert_int_equal(g.food.col, 4);
}

static void test_tail_cell_ends_the_game(void **state)
{
	static const snake_cell square[4] = { { 5, 5 }, { 5, 6 }, { 6, 6 }, { 6, 5 } };
	snake_game g;
	int i;

	(void)state;
	game_init(&g, 0);
	g.on_body[5][5] = 0;
	for (i = 0; i < 4; i++) {
		g.body[i] = square[i];
		g.on_body[square[i].row][square[i].col] = 1;
	}
	g.len = 4;
	g.food.row = 0;
	g.food.col = 0;
	/* (6, 5) is the tail, about to move away: still a collision */
	assert_int_equal(game_step(&g, SNAKE_DOWN), GAME_SELF);
	assert_int_equal(g.steps, 1);
}

static void test_wall_and_bad_move_and_step_limit(void **state)
{
	snake_game g;
	int i, move;

	(void)state;
	game_init(&g, 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(game_step(&g, SNAKE_RIGHT), GAME_RUNNING);
	assert_int_equal(game_step(&g, SNAKE_RIGHT), GAME_WALL);
	game_init(&g, 0);
	assert_int_equal(game_step(&g, 4), GAME_BAD_MOVE);
	game_init(&g, 7);
	/* circle in place for 300 steps, avoiding food is not needed to end */
	for (i = 0; g.state == GAME_RUNNING; i++) {
		move = (i % 4 == 0) ? SNAKE_UP : (i % 4 == 1) ? SNAKE_RIGHT :
		       (i % 4 == 2) ? SNAKE_DOWN : SNAKE_LEFT;
		game_step(&g, move);
	}
	assert_true(g.state == GAME_OUT_OF_STEPS || g.state == GAME_SELF);
	assert_true(g.steps <= RULES_MAX_STEPS);
}

static void test_scorer_replays_moves(void **state)
{
	task *t = harness_task("snake");
	task_case one = { "0", NULL };
	buf feedback = BUF_INIT;
	double score;

	(void)state;
	assert_int_equal(scorer_score(t, "0 13x\n", -1, &one, 1, &score, &feedback), 0);
	assert_true(score == 1.0);
	assert_contains(feedback.data, "seed 0: returned an invalid move at step 3 with 1 apples");
	buf_clear(&feedback);
	/* a transcript for other games than the cases is rejected */
	assert_int_equal(scorer_score(t, "5 13\n", -1, &one, 1, &score, &feedback), ERR_INVALID);
	assert_contains(feedback.data, "no game for seed 0");
	assert_true(score == 0);
	buf_clear(&feedback);
	assert_int_equal(scorer_score(t, "0 1z\n", -1, &one, 1, &score, &feedback), ERR_INVALID);
	assert_contains(feedback.data, "'z' is not a move");
	buf_free(&feedback);
	task_free(t);
}

static void test_always_right_scores_0_05(void **state)
{
	task *t = harness_task("snake");
	const char *right =
		"int next_move(const snake_cell *b, int l, snake_cell f, int w, int h)\n"
		"{ (void)b; (void)l; (void)f; (void)w; (void)h; return SNAKE_RIGHT; }\n";
	eval_result r;

	(void)state;
	assert_int_equal(eval_solution(&r, t, "right.c", right, EVAL_TRAIN), 0);
	assert_int_equal(r.status, SANDBOX_OK);
	assert_true(r.score == 0.05);
	assert_contains(r.feedback, "20 hit the wall");
	eval_result_free(&r);
	task_free(t);
}

/* initial.c's training games, move for move: what the driver records and
 * score.c replays must not change when their code is made faster. */
static const char initial_feedback[] =
	"mean 20.25 apples over 20 games; ends: 3 hit the wall, 16 ran into itself, "
	"1 used all 300 steps; worst: seed 13: hit the wall at step 34 with 7 apples; "
	"seed 16: ran into itself at step 43 with 9 apples; seed 4: ran into itself at "
	"step 82 with 11 apples; seed 17: ran into itself at step 101 with 14 apples; "
	"seed 3: hit the wall at step 106 with 15 apples";

static void test_initial_solution_is_sound_and_tunable(void **state)
{
	task *t = harness_task("snake");
	eval_result train, holdout;

	(void)state;
	assert_int_equal(eval_solution(&train, t, "initial.c", t->initial_text, EVAL_TRAIN), 0);
	assert_int_equal(eval_solution(&holdout, t, "initial.c", t->initial_text, EVAL_HOLDOUT), 0);
	assert_int_equal(train.status, SANDBOX_OK);
	assert_int_equal(holdout.status, SANDBOX_OK);
	assert_true(train.score == 20.25);
	assert_string_equal(train.feedback, initial_feedback);
	assert_true(holdout.score > 5);
	assert_null(holdout.feedback && *holdout.feedback ? holdout.feedback : NULL);
	assert_non_null(strstr(t->initial_text, "TUNE("));
	eval_result_free(&train);
	eval_result_free(&holdout);
	task_free(t);
}

/* bench/snake_strong.c is `make bench`'s version of the tuned heuristic in
 * tests/llm/snake_good.c with less work per move. It must make the same
 * moves: the same scores on training and held-out games, and the same
 * feedback, which says how and at which step the worst games ended. */
static void test_bench_policy_plays_like_the_straight_one(void **state)
{
	static const eval_split splits[] = { EVAL_TRAIN, EVAL_HOLDOUT };
	task *t = harness_task("snake");
	char *straight = harness_read("tests/llm/snake_good.c");
	char *fast = harness_read("bench/snake_strong.c");
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		eval_result a, b;

		assert_int_equal(eval_solution(&a, t, "snake_good.c", straight, splits[i]), 0);
		assert_int_equal(eval_solution(&b, t, "snake_strong.c", fast, splits[i]), 0);
		assert_int_equal(a.status, SANDBOX_OK);
		assert_int_equal(b.status, SANDBOX_OK);
		assert_true(a.score == b.score);
		assert_string_equal(a.feedback ? a.feedback : "", b.feedback ? b.feedback : "");
		if (splits[i] == EVAL_TRAIN) {
			assert_true(b.score == 32.75);
			assert_contains(b.feedback, "worst: seed");
		}
		eval_result_free(&a);
		eval_result_free(&b);
	}
	free(straight);
	free(fast);
	task_free(t);
}

void test_group_snake(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_zero_matches_cpython),
		cmocka_unit_test(test_words_past_a_twist_match_cpython),
		cmocka_unit_test(test_first_food_and_eating),
		cmocka_unit_test(test_tail_cell_ends_the_game),
		cmocka_unit_test(test_wall_and_bad_move_and_step_limit),
		cmocka_unit_test(test_scorer_replays_moves),
		cmocka_unit_test(test_always_right_scores_0_05),
		cmocka_unit_test(test_initial_solution_is_sound_and_tunable),
		cmocka_unit_test(test_bench_policy_plays_like_the_straight_one),
	};

	HARNESS_GROUP(t, "snake", tests);
}
