/*
 * score.c - checks every case's result and scores the run's CPU time per
 * element sorted, in nanoseconds (lower is better).
 *
 * Each case's array is rebuilt here and sorted with qsort: the result's
 * checksum must be that of the sorted input, so a result that is out of
 * order, or in order but not the input's elements, fails the run. The
 * time comes from transcript_cpu_ns(): the host reads it from outside the
 * solution's process, where the solution cannot reach it.
 */
#include "sort_input.h"

#include <stdio.h>
#include <stdlib.h>

static int compare_ints(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;

	return (a > b) - (a < b);
}

static int expected_checksum(unsigned long long *out, const char *input, int *n)
{
	unsigned long long seed;
	int kind, *a;

	if (sort_parse(input, n, &seed, &kind) < 0 || !(a = malloc((size_t)*n * sizeof(*a))))
		return -1;
	sort_fill(a, *n, seed, kind);
	qsort(a, (size_t)*n, sizeof(*a), compare_ints);
	*out = sort_checksum(a, *n);
	free(a);
	return 0;
}

/* Checks case `i`'s line at *line and moves past it; -1 with feedback
 * when the result is wrong. */
static int check_case(const char **line, const task_case *c, int i, long long *elements,
		      char *feedback, int size)
{
	unsigned long long want, got;
	int ordered, n, used = 0;

	if (sscanf(*line, "%d %llx%n", &ordered, &got, &used) != 2 || !used) {
		if (size > 0)
			snprintf(feedback, (size_t)size, "case %d: expected a line \"ORDERED "
				 "CHECKSUM\" from the driver", i + 1);
		return -1;
	}
	*line += used + (*(*line + used) == '\n');
	if (expected_checksum(&want, c->input, &n) < 0) {
		if (size > 0)
			snprintf(feedback, (size_t)size, "case %d: not a sort case", i + 1);
		return -1;
	}
	if (want != got && size > 0)
		snprintf(feedback, (size_t)size, "case %d (%s): %s", i + 1, c->input,
			 ordered ? "the result is in order but is not the input's elements"
				 : "the result is not in ascending order");
	*elements += n;
	return want == got ? 0 : -1;
}

int score_transcript(const char *transcript, const task_case *cases,
		     int n_cases, double *score, char *feedback,
		     int feedback_size)
{
	double cpu_ns = transcript_cpu_ns();
	long long elements = 0;
	int i;

	if (cpu_ns < 0) {
		if (feedback_size > 0)
			snprintf(feedback, (size_t)feedback_size, "the run was not timed "
				 "(task.json needs \"timing\")");
		return -1;
	}
	for (i = 0; i < n_cases; i++)
		if (check_case(&transcript, &cases[i], i, &elements, feedback, feedback_size) < 0)
			return -1;
	*score = elements ? cpu_ns / (double)elements : 0;
	if (feedback_size > 0)
		snprintf(feedback, (size_t)feedback_size, "all %d cases sorted; %.0f ns of CPU "
			 "time per element (%.3f ms for %lld elements)", n_cases, *score,
			 cpu_ns / 1e6, elements);
	return 0;
}
