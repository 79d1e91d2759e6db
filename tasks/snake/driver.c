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
	snake_game game;

	game_init(&game, (unsigned int)strtoul(seed, NULL, 10));
	transcript_printf("%s ", seed);
	while (game.state == GAME_RUNNING) {
		int move;
		char c;

		memcpy(copy, game.body, (size_t)game.len * sizeof(copy[0]));
		move = next_move(copy, game.len, game.food, RULES_SIZE, RULES_SIZE);
		c = move >= 0 && move <= 3 ? (char)('0' + move) : 'x';
		transcript_write(&c, 1);
		game_step(&game, move);
	}
	transcript_write("\n", 1);
}

int driver_run(const char *const *inputs, int n_inputs)
{
	int i;

	for (i = 0; i < n_inputs; i++)
		play(inputs[i]);
	return 0;
}
