/*
 * timing.h - what the benchmarks share from timing.c: quantiles, a
 * command's wall time, and the noise of a timed task's measured CPU time.
 */
#ifndef BENCH_TIMING_H
#define BENCH_TIMING_H

/* The q-quantile (0 to 1) of `values`, which it sorts. */
double bench_quantile(double *values, int n, double q);

/* Runs a shell command, returning its wall time in seconds (or -1). */
double bench_timed(const char *command);

typedef struct {
	double single_ms, single_spread;  /* one run per evaluation */
	double best_ms, best_spread;      /* the task's best of 5 */
	double floor_ms;                  /* a run that sorts one element */
} bench_timing_result;

/* Evaluates tasks/sort's quicksort many times each way; exits on error.
 * A spread is the interquartile range over the median. */
void bench_timing(bench_timing_result *out);

#endif
