/*
 * stats.h - small-sample statistics for measurements that vary from run
 * to run: a median, and an exact rank test of whether one sample tends to
 * be smaller than another.
 *
 * A timed task's score is a CPU time, which the machine's state moves
 * from run to run; evolve accepts a faster solution only on evidence
 * beyond that noise (host/evolve/evolve_noise.c), and this is the evidence.
 * The samples are a few runs each, so the test is exact, not an
 * approximation that needs many.
 */
#ifndef HOST_STATS_H
#define HOST_STATS_H

#include "error.h"

#include <stddef.h>

/* The most values the rank test takes, both samples together. */
#define STATS_MAX 64

/* The median of the n values at x (n >= 1; the mean of the middle two
 * when n is even); x is left as it was. */
double stats_median(const double *x, size_t n);

/*
 * The one-sided Mann-Whitney U test (the Wilcoxon rank-sum test) of
 * whether the values at a tend to be smaller than those at b, exact: *p
 * is the chance that a split of the pooled n + m values, drawn at random,
 * gives a rank sum no greater than a's own. Tied values share the mean of
 * their ranks, and the chance is counted with the ties as they are, so
 * two samples of one repeated value give p = 1, never evidence. With
 * n = m = 5 the smallest p there is, every a below every b, is 1/252.
 * n and m at least 1, n + m at most STATS_MAX, else ERR_INVALID.
 */
HOST_MUST_CHECK int stats_less_p(double *p, const double *a, size_t n, const double *b,
				 size_t m);

#endif
