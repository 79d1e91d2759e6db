/*
 * sort.h - the interface of the sort task.
 *
 * A solution defines sort_ints, which sorts a[0..n) in ascending order in
 * place. Any algorithm will do, as long as the result is the input's own
 * elements in order: the score is the CPU time the host measures for the
 * whole run, per element sorted.
 *
 * TUNE(value, lo, hi) marks a numeric parameter of a solution. It expands
 * to `value`; offline, the seed task agent tunes such parameters within
 * [lo, hi].
 */
#ifndef SORT_H
#define SORT_H

#define TUNE(value, lo, hi) (value)

void sort_ints(int *a, int n);

#endif
