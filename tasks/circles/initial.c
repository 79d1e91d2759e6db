/*
 * initial.c - a first packing: a 5x5 grid of centres and one more circle
 * in a gap, each circle as large as the walls and the others allow.
 *
 * The grid's outer rows and columns stand MARGIN_X and MARGIN_Y in from
 * the walls, odd rows moved right by STAGGER; the circles beyond the grid
 * (one, for n = 26) go at (EXTRA_X, EXTRA_Y) and on along the diagonal.
 * Radii come in two passes: each circle takes half the distance to its
 * nearest neighbour (or less, at a wall), which no two can overlap with;
 * then each in turn grows into the room its neighbours leave. The
 * constants are a first guess, and TUNE lets the offline proposer move
 * them. A better layout does more: the records for 26 circles are near
 * 2.636.
 */
#include "circles.h"

#include <math.h>

#define MARGIN_X TUNE(0.12, 0.05, 0.2)
#define MARGIN_Y TUNE(0.12, 0.05, 0.2)
#define STAGGER TUNE(0.0, -0.1, 0.1)
#define EXTRA_X TUNE(0.215, 0.0, 1.0)
#define EXTRA_Y TUNE(0.215, 0.0, 1.0)

/* What each radius gives up at the end: far more than the rounding of
 * the sums and square roots below (about 1e-15), so that rounding never
 * makes two circles overlap, and far less than anything the score shows. */
#define SLACK 1e-12

static double clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

static double wall_room(double x, double y)
{
	return fmin(fmin(x, 1 - x), fmin(y, 1 - y));
}

static void place(int n, double *x, double *y)
{
	int side = 1, i;

	while ((side + 1) * (side + 1) <= n)
		side++;
	for (i = 0; i < n; i++) {
		int row = i / side, col = i % side;
		double gap_x = side > 1 ? (1 - 2 * MARGIN_X) / (side - 1) : 0;
		double gap_y = side > 1 ? (1 - 2 * MARGIN_Y) / (side - 1) : 0;

		if (i < side * side) {
			x[i] = clamp01(MARGIN_X + col * gap_x + (row % 2) * STAGGER);
			y[i] = clamp01(MARGIN_Y + row * gap_y);
		} else {
			x[i] = clamp01(EXTRA_X + (i - side * side) * gap_x);
			y[i] = clamp01(EXTRA_Y + (i - side * side) * gap_y);
		}
	}
}

void pack_circles(int n, double *x, double *y, double *r)
{
	int i, j;

	place(n, x, y);
	for (i = 0; i < n; i++) {
		r[i] = wall_room(x[i], y[i]);
		for (j = 0; j < n; j++)
			if (j != i)
				r[i] = fmin(r[i], hypot(x[i] - x[j], y[i] - y[j]) / 2);
	}
	for (i = 0; i < n; i++) {
		r[i] = wall_room(x[i], y[i]);
		for (j = 0; j < n; j++)
			if (j != i)
				r[i] = fmin(r[i], hypot(x[i] - x[j], y[i] - y[j]) - r[j]);
	}
	for (i = 0; i < n; i++)
		r[i] = r[i] > SLACK ? r[i] - SLACK : 0;
}
