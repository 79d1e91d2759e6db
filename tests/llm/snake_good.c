/*
 * snake_good.c - the snake heuristic with tuned weights, as a model might
 * propose it (the test server replies with it).
 *
 * Every move that does not end the game at once gets a score: closer to
 * the food is better, more free space reachable from the new head is
 * better, cells next to a wall are worse. The best-scoring move wins.
 * The weights are TUNE(value, lo, hi) parameters (see snake.h); these
 * starting values are deliberately untuned.
 */
#include "snake.h"

#include <stdlib.h>

#define FOOD_WEIGHT   TUNE(0.1201, 0.0, 10.0)  /* pull towards the food, per cell */
#define SPACE_WEIGHT  TUNE(1.9145, 0.0, 10.0)  /* reward per free cell reachable */
#define SPACE_LIMIT   TUNE(22, 1, 100)       /* stop counting free cells here */
#define WALL_WEIGHT   TUNE(0.0212, 0.0, 5.0)   /* penalty per wall next to the head */

#define MAX_CELLS 4096

static const int d_row[4] = { -1, 1, 0, 0 };
static const int d_col[4] = { 0, 0, -1, 1 };

static int on_board(int row, int col, int width, int height)
{
	return row >= 0 && row < height && col >= 0 && col < width;
}

/* The tail counts as occupied: the rules end the game on it too. */
static int on_body(const snake_cell *body, int len, int row, int col)
{
	int i;

	for (i = 0; i < len; i++)
		if (body[i].row == row && body[i].col == col)
			return 1;
	return 0;
}

/* Free cells reachable from (row, col), counted up to `limit`: a flood
 * fill over a neighbour table built once, with cells marked by a fresh
 * stamp per call so that nothing needs clearing. */
static int free_space(const snake_cell *body, int len, int row, int col,
		      int width, int height, int limit)
{
	static int neighbours[MAX_CELLS][4], built_w, built_h;
	static int queue[MAX_CELLS], mark[MAX_CELLS], stamp;
	int head = 0, tail = 0, count = 0, i, m, cell;

	if (width * height > MAX_CELLS)
		return limit;
	if (built_w != width || built_h != height) {
		for (cell = 0; cell < width * height; cell++)
			for (m = 0; m < 4; m++) {
				int r = cell / width + d_row[m], c = cell % width + d_col[m];
				neighbours[cell][m] = on_board(r, c, width, height) ? r * width + c : -1;
			}
		built_w = width;
		built_h = height;
	}
	stamp++;
	for (i = 0; i < len; i++)
		mark[body[i].row * width + body[i].col] = stamp;
	cell = row * width + col;
	queue[tail++] = cell;
	mark[cell] = stamp;
	while (head < tail && count < limit) {
		const int *next = neighbours[queue[head++]];
		count++;
		for (m = 0; m < 4; m++)
			if (next[m] >= 0 && mark[next[m]] != stamp) {
				mark[next[m]] = stamp;
				queue[tail++] = next[m];
			}
	}
	return count;
}

static int walls_next_to(int row, int col, int width, int height)
{
	return (row == 0) + (row == height - 1) + (col == 0) + (col == width - 1);
}

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	double best = -1e18;
	int best_move = SNAKE_UP, m;

	for (m = 0; m < 4; m++) {
		int row = body[0].row + d_row[m], col = body[0].col + d_col[m];
		double score;

		if (!on_board(row, col, width, height) || on_body(body, len, row, col))
			continue;
		score = -FOOD_WEIGHT * (abs(row - food.row) + abs(col - food.col));
		if (SPACE_WEIGHT > 0)  /* the flood fill is the costly part */
			score += SPACE_WEIGHT * free_space(body, len, row, col, width, height,
							   SPACE_LIMIT);
		score -= WALL_WEIGHT * walls_next_to(row, col, width, height);
		if (score > best) {
			best = score;
			best_move = m;
		}
	}
	return best_move;
}
