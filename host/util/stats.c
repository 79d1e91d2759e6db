/*
 * stats.c - a median and an exact rank-sum test; see stats.h.
 *
 * The test's null distribution is counted, not approximated: every way
 * of choosing which n of the pooled values are a's is equally likely, and
 * a count over the rank sums (doubled, so that midranks are whole) gives
 * how many of them reach each sum. Twice the ranks of 64 values sum to at
 * most 4160, so the table is small and the count exact in a double.
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int compare_doubles(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

double stats_median(const double *x, size_t n)
{
	double sorted[STATS_MAX];

	if (n == 0)
		return 0;
	n = n < STATS_MAX ? n : STATS_MAX;
	memcpy(sorted, x, n * sizeof(*x));
	qsort(sorted, n, sizeof(*sorted), compare_doubles);
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

typedef struct {
	double value;
	int in_a;
} pooled;

static int compare_pooled(const void *x, const void *y)
{
	return compare_doubles(&((const pooled *)x)->value, &((const pooled *)y)->value);
}

/* Twice each sorted value's rank, from 1; tied values share the mean of
 * their ranks. */
static void doubled_ranks(int *rank2, const pooled *v, size_t n)
{
	size_t i = 0, j, k;

	while (i < n) {
		for (j = i; j + 1 < n && v[j + 1].value == v[i].value; j++)
			;
		for (k = i; k <= j; k++)
			rank2[k] = (int)(i + 1 + j + 1);
		i = j + 1;
	}
}

/* How many ways n of the N values (their doubled ranks rank2) reach each
 * rank sum: the P(rank sum <= observed) that stats_less_p returns. */
static int rank_sum_tail(double *p, const int *rank2, size_t N, size_t n, int observed)
{
	int total = 0, s;
	size_t i, k, width;
	double *count, below = 0, all = 0;

	for (i = 0; i < N; i++)
		total += rank2[i];
	width = (size_t)total + 1;
	if (!(count = calloc((n + 1) * width, sizeof(*count))))
		return err_set(ERR_SYSTEM, "out of memory");
	count[0] = 1;
	for (i = 0; i < N; i++)  /* subsets of k among the first i + 1 values */
		for (k = i + 1 < n ? i + 1 : n; k >= 1; k--)
			for (s = total; s >= rank2[i]; s--)
				count[k * width + (size_t)s] += count[(k - 1) * width +
								      (size_t)(s - rank2[i])];
	for (s = 0; s <= total; s++) {
		all += count[n * width + (size_t)s];
		if (s <= observed)
			below += count[n * width + (size_t)s];
	}
	free(count);
	*p = below / all;
	return 0;
}

int stats_less_p(double *p, const double *a, size_t n, const double *b, size_t m)
{
	pooled v[STATS_MAX];
	int rank2[STATS_MAX], observed = 0;
	size_t i;

	*p = 1;
	if (n == 0 || m == 0 || n + m > STATS_MAX)
		return err_set(ERR_INVALID, "a rank test needs 1 to %d values in all, at least one "
			       "a side (got %zu and %zu)", STATS_MAX, n, m);
	for (i = 0; i < n + m; i++) {
		v[i].value = i < n ? a[i] : b[i - n];
		v[i].in_a = i < n;
		if (!isfinite(v[i].value))
			return err_set(ERR_INVALID, "a rank test needs finite values");
	}
	qsort(v, n + m, sizeof(*v), compare_pooled);
	doubled_ranks(rank2, v, n + m);
	for (i = 0; i < n + m; i++)
		observed += v[i].in_a ? rank2[i] : 0;
	return rank_sum_tail(p, rank2, n + m, n, observed);
}
