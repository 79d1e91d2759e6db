/*
 * circles.h - the interface of the circle packing task.
 *
 * pack_circles places n circles in the unit square: circle i has its
 * centre at (x[i], y[i]) and radius r[i]. Each array holds n doubles, all
 * NaN on entry, and a solution writes those n and nothing else. The
 * packing is valid when every circle lies inside the square and no two
 * overlap; touching is allowed. The host checks it in exact arithmetic on
 * the doubles written, with no tolerance, so a packing whose circles
 * overlap by 1e-17 is invalid: leave rounding a margin. Every value must
 * be finite and in [0, 1], and either 0 or at least 2^-300 (so that the
 * check's products cannot underflow). The score is the sum of the radii.
 *
 * TUNE(value, lo, hi) marks a numeric parameter of a solution. It expands
 * to `value`; tuners (the offline proposer) may rewrite `value` within
 * [lo, hi] and change nothing else.
 */
#ifndef CIRCLES_H
#define CIRCLES_H

#define TUNE(value, lo, hi) (value)

#define CIRCLES_MAX 1000  /* the most circles a case may ask for */

void pack_circles(int n, double *x, double *y, double *r);

#endif
