/*
 * timing.c - the noise of tasks/sort's measured CPU time, for doc/HACKING.md's
 * account of it: how far apart evaluations of one solution land with one
 * run each and with the task's best of 5, and the fixed cost the clock
 * sees in every run (a run that sorts a single element).
 */
#include "timing.h"

#include "error.h"
#include "eval.h"
#include "os.h"
#include "task.h"

#include <stdio.h>
#include <stdlib.h>

#define TIMING_EVALS 31
#define QUICKSORT "tests/solutions/sort_quick.c"

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_quantile(double *values, int n, double q)
{
	qsort(values, (size_t)n, sizeof(double), compare_doubles);
	return values[(int)(q * (n - 1) + 0.5)];
}

/* Evaluates `source` TIMING_EVALS times with `repeats` runs each: the
 * median measured CPU time in ms, and its spread. */
static double measure(task *t, const char *source, int repeats, double *spread)
{
	double ms[TIMING_EVALS], median;
	int i;

	t->timing_repeats = repeats;
	for (i = 0; i < TIMING_EVALS; i++) {
		eval_result r;

		if (eval_solution(&r, t, "quicksort.c", source, EVAL_TRAIN) < 0 ||
		    r.status != SANDBOX_OK) {
			fprintf(stderr, "bench: sort: the quicksort failed\n");
			exit(1);
		}
		ms[i] = r.cpu_ns / 1e6;
		eval_result_free(&r);
	}
	median = bench_quantile(ms, TIMING_EVALS, 0.5);
	*spread = (ms[(3 * TIMING_EVALS) / 4] - ms[TIMING_EVALS / 4]) / median;
	return median;
}

void bench_timing(bench_timing_result *out)
{
	task_case one = { "1 1 sorted", NULL }, *train;
	char *source = NULL;
	size_t n_train;
	double unused;
	task *t;

	if (task_load(&t, "tasks", "sort") < 0 || os_read_file(&source, NULL, QUICKSORT) < 0) {
		fprintf(stderr, "bench: %s\n", err_last());
		exit(1);
	}
	out->single_ms = measure(t, source, 1, &out->single_spread);
	out->best_ms = measure(t, source, 5, &out->best_spread);
	train = t->train;
	n_train = t->n_train;
	t->train = &one;
	t->n_train = 1;
	out->floor_ms = measure(t, source, 1, &unused);
	t->train = train;
	t->n_train = n_train;
	free(source);
	task_free(t);
}

/* Runs a command, returning its wall time in seconds (or -1). */
double bench_timed(const char *command)
{
	double start = os_now_ms();

	return system(command) == 0 ? (os_now_ms() - start) / 1000.0 : -1;
}
