/*
 * driver.c - plays one game per input seed with the solution's next_move
 * and records every move: "<seed> <moves>\n", one digit per move (0-3),
 * or 'x' for a value outside 0..3, which ends the game.
 */
#include "snake.h"
#include "rules.h"

#include <stdlib.h>
#include <string.h>

static void play(const char *seed)
{
	snake_cell copy[RULES_MAX_LEN];
	char moves[RULES_MAX_STEPS + 1];  /* a game's moves and its newline */
	snake_game game;
	int n = 0;

	game_init(&game, (unsigned int)strtoul(seed, NULL, 10));
	transcript_printf("%s ", seed);
	while (game.state == GAME_RUNNING) {
		int move;

		memcpy(copy, game.body, (size_t)game.len * sizeof(copy[0]));
		move = next_move(copy, game.len, game.food, RULES_SIZE, RULES_SIZE);
		moves[n++] = move >= 0 && move <= 3 ? (char)('0' + move) : 'x';
		game_step(&game, move);
	}
	moves[n++] = '\n';
	transcript_write(moves, n);
}

int driver_run(const char *const *inputs, int n_inputs)
{
	int i;

	for (i = 0; i < n_inputs; i++)
		play(inputs[i]);
	return 0;
}
