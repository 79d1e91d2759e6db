/*
 * snake_strong.c - the tuned heuristic of tests/llm/snake_good.c, making
 * the same moves for far less work. `make bench` races it against
 * bench/snake_benchmark.py, which plays the heuristic as written.
 *
 * Each legal move scores its distance to the food, the free cells
 * reachable from it (counted up to SPACE_LIMIT) and the walls next to it.
 * The straight version marks the body and flood-fills once per legal
 * move, every step. Here:
 *  - the body's marks are kept from one call to the next, since a step
 *    only adds a head and drops a tail; a call that does not continue
 *    the last one (a new game) marks the body afresh;
 *  - the count only tells moves apart when they lead into different
 *    free regions, and two moves at right angles share a region when the
 *    cell between them, diagonal to the head, is free. A step with one
 *    legal move, or with legal moves joined that way, fills nothing;
 *  - otherwise each region is filled once: a fill that meets the cells
 *    of an earlier fill which stopped at the limit is in its region.
 * Every count that is used equals the straight version's, so each game is
 * move for move the same (tests/test_snake.c compares the scores).
 *
 * The board has a frame of blocked cells, so that a neighbour never needs
 * a bounds test, and fills mark cells with stamps that grow every call,
 * so that nothing needs clearing.
 */
#include "snake.h"

#include <stdlib.h>
#include <string.h>

#define FOOD_WEIGHT   TUNE(0.1201, 0.0, 10.0)  /* pull towards the food, per cell */
#define SPACE_WEIGHT  TUNE(1.9145, 0.0, 10.0)  /* reward per free cell reachable */
#define SPACE_LIMIT   TUNE(22, 1, 100)       /* stop counting free cells here */
#define WALL_WEIGHT   TUNE(0.0212, 0.0, 5.0)   /* penalty per wall next to the head */

#define MAX_SIDE 62
#define MAX_CELLS ((MAX_SIDE + 2) * (MAX_SIDE + 2))
#define BLOCKED 0x7fffffff   /* the frame */
#define BODY (BLOCKED - 1)   /* above every stamp too */

static const int d_row[4] = { -1, 1, 0, 0 };
static const int d_col[4] = { 0, 0, -1, 1 };

/* A cell is free in a call when its mark is below that call's `base`;
 * fill k of the call marks `base + k`. */
static int mark[MAX_CELLS], queue[MAX_CELLS];
static int stamp, stride, framed_w, framed_h;
static snake_cell last_body[MAX_CELLS];
static int last_len;

static int cell_of(snake_cell c)
{
	return (c.row + 1) * stride + c.col + 1;
}

static void frame_board(int width, int height)
{
	int cell, row, col;

	stride = width + 2;
	for (cell = 0; cell < stride * (height + 2); cell++) {
		row = cell / stride;
		col = cell % stride;
		mark[cell] = row == 0 || row == height + 1 || col == 0 || col == width + 1
			? BLOCKED : 0;
	}
	framed_w = width;
	framed_h = height;
	stamp = 0;
	last_len = 0;
}

/* Brings the body's marks from the last call's body to this one. */
static void mark_body(const snake_cell *body, int len)
{
	int grew = len == last_len + 1, i;

	if (len > 1 && (grew || len == last_len) &&
	    memcmp(body + 1, last_body, (size_t)(len - 1) * sizeof(*body)) == 0) {
		if (!grew)
			mark[cell_of(last_body[last_len - 1])] = 0;
		mark[cell_of(body[0])] = BODY;
	} else {
		for (i = 0; i < last_len; i++)
			mark[cell_of(last_body[i])] = 0;
		for (i = 0; i < len; i++)
			mark[cell_of(body[i])] = BODY;
	}
	memcpy(last_body, body, (size_t)len * sizeof(*body));
	last_len = len;
}

/* Free cells in the region of `start`, counted up to `limit`. */
static int region_size(int start, int base, int own, int limit)
{
	const int delta[4] = { -stride, stride, -1, 1 };
	int head = 0, tail = 0, count = 0, m;

	queue[tail++] = start;
	mark[start] = own;
	while (head < tail && count < limit) {
		int cell = queue[head++];

		count++;
		for (m = 0; m < 4; m++) {
			int next = cell + delta[m], v = mark[next];

			if (v < base) {
				mark[next] = own;
				queue[tail++] = next;
			} else if (v < own) {
				return limit;  /* an earlier fill stopped here at the limit */
			}
		}
	}
	return count;
}

/*
 * Whether the legal moves all lead into one free region, judged by the
 * cells diagonal to the head alone. Around the head the moves form a
 * ring, up - right - down - left - up, and two neighbours on it are
 * joined when the cell between them is free. n legal moves are one group
 * when n - 1 of the joins between them are free: a path of n - 1 for n
 * up to 3, a ring missing at most one join for 4. Two opposite moves
 * have no join.
 */
static int one_region(int head, const int *legal, int n, int base)
{
	static const int ring[4][2] = {
		{ SNAKE_UP, SNAKE_RIGHT }, { SNAKE_RIGHT, SNAKE_DOWN },
		{ SNAKE_DOWN, SNAKE_LEFT }, { SNAKE_LEFT, SNAKE_UP },
	};
	int k, joins = 0;

	for (k = 0; k < 4; k++) {
		int a = ring[k][0], b = ring[k][1];

		if (legal[a] && legal[b] &&
		    mark[head + (d_row[a] + d_row[b]) * stride + d_col[a] + d_col[b]] < base)
			joins++;
	}
	return joins >= n - 1;
}

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	int moves[4], legal[4], counts[5], n = 0, head, base, fills = 0, shared, i, m;
	int best_move = SNAKE_UP;
	double best = -1e18;

	if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE ||
	    len < 1 || len > width * height)
		return SNAKE_UP;
	if (framed_w != width || framed_h != height || stamp > BODY - 16)
		frame_board(width, height);
	base = stamp + 1;
	stamp += 6;
	mark_body(body, len);
	head = cell_of(body[0]);
	for (m = 0; m < 4; m++) {
		legal[m] = mark[head + d_row[m] * stride + d_col[m]] < base;
		if (legal[m])
			moves[n++] = m;
	}
	if (n <= 1)
		return n ? moves[0] : SNAKE_UP;
	shared = one_region(head, legal, n, base);
	for (i = 0; i < n; i++) {
		int row = body[0].row + d_row[moves[i]], col = body[0].col + d_col[moves[i]];
		int cell = head + d_row[moves[i]] * stride + d_col[moves[i]];
		int space = 0;  /* when shared: the same count for every move */
		double score;

		if (!shared && mark[cell] < base) {
			fills++;
			counts[fills] = region_size(cell, base, base + fills, SPACE_LIMIT);
		}
		if (!shared)  /* fill k marked the cell: its region, its count */
			space = counts[mark[cell] - base];
		score = -FOOD_WEIGHT * (abs(row - food.row) + abs(col - food.col));
		score += SPACE_WEIGHT * space;
		score -= WALL_WEIGHT * ((row == 0) + (row == height - 1) +
					(col == 0) + (col == width - 1));
		if (score > best) {
			best = score;
			best_move = moves[i];
		}
	}
	return best_move;
}
