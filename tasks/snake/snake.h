/*
 * snake.h - the interface of a snake solution.
 *
 * The board is `height` rows by `width` columns; row 0 is the top. Each
 * step the game calls next_move with a copy of the snake's body, head
 * first, and the food's cell, and moves the head one cell in the returned
 * direction. Running off the board, into any body cell (the tail included,
 * even though it is about to move) or returning anything but the four
 * moves ends the game. The score is the number of apples eaten.
 *
 * TUNE(value, lo, hi) marks a numeric parameter of a solution. It expands
 * to `value`; tuners (the offline proposer) may rewrite `value` within
 * [lo, hi] and change nothing else.
 */
#ifndef SNAKE_H
#define SNAKE_H

#define TUNE(value, lo, hi) (value)

typedef struct { int row, col; } snake_cell;

enum { SNAKE_UP = 0, SNAKE_DOWN = 1, SNAKE_LEFT = 2, SNAKE_RIGHT = 3 };

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height);

#endif
