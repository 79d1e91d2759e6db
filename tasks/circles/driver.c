/*
 * driver.c - for each case N, has the solution place N circles and
 * records them for score.c: a line "circles N", then one line "X Y R" per
 * circle in C's hexadecimal form (%a), which is exact, so the scorer
 * checks the very doubles the solution wrote.
 *
 * Each array reaches CIRCLES_GUARD doubles past N, every one of them NaN
 * on entry: a value the solution did not write stays NaN and fails the
 * packing, and one it wrote past N is recorded as "past NAME[I]" in place
 * of the circles, so that the run fails. A write further out than the
 * guard may crash the run, which fails it too.
 */
#include "circles.h"

#include <stdlib.h>
#include <string.h>

#define CIRCLES_GUARD 16

/* The NaN the arrays are filled with, by its bits: a solution's own NaN
 * need not be it. */
static double unset_value(void)
{
	unsigned long long bits = 0x7ff8c1c1e5000000ULL;
	double v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

/* The first entry of a[n..n + CIRCLES_GUARD) the solution changed, or -1. */
static int first_written(const double *a, int n)
{
	double unset = unset_value();
	int i;

	for (i = n; i < n + CIRCLES_GUARD; i++)
		if (memcmp(&a[i], &unset, sizeof(unset)) != 0)
			return i;
	return -1;
}

static void record(int n, double *const arrays[3])
{
	static const char *const names[3] = { "x", "y", "r" };
	int k, i;

	transcript_printf("circles %d\n", n);
	for (k = 0; k < 3; k++)
		if ((i = first_written(arrays[k], n)) >= 0) {
			transcript_printf("past %s[%d]\n", names[k], i);
			return;
		}
	for (i = 0; i < n; i++)
		transcript_printf("%a %a %a\n", arrays[0][i], arrays[1][i], arrays[2][i]);
}

static void run_case(const char *input)
{
	char *end;
	long n = strtol(input, &end, 10);
	double *arrays[3];
	double unset = unset_value();
	int k, i;

	if (end == input || *end || n < 1 || n > CIRCLES_MAX) {
		transcript_printf("error\n");
		return;
	}
	for (k = 0; k < 3; k++)
		arrays[k] = malloc((size_t)(n + CIRCLES_GUARD) * sizeof(double));
	if (arrays[0] && arrays[1] && arrays[2]) {
		for (k = 0; k < 3; k++)
			for (i = 0; i < n + CIRCLES_GUARD; i++)
				arrays[k][i] = unset;
		pack_circles((int)n, arrays[0], arrays[1], arrays[2]);
		record((int)n, arrays);
	} else {
		transcript_printf("error\n");
	}
	for (k = 0; k < 3; k++)
		free(arrays[k]);
}

int driver_run(const char *const *inputs, int n_inputs)
{
	int i;

	for (i = 0; i < n_inputs; i++)
		run_case(inputs[i]);
	return 0;
}
