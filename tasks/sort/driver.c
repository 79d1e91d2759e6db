/*
 * driver.c - for each case, builds the array the case names, has the
 * solution sort it and records one line: "1" when the result is in order
 * ("0" when not) and the checksum of the result. The host measures the CPU
 * time of the whole run from outside; score.c rebuilds each array, sorts
 * it itself and compares checksums, so output that is out of order or not
 * the input's elements fails.
 */
#include "sort.h"
#include "sort_input.h"

static int in_order(const int *a, int n)
{
	int i;

	for (i = 0; i + 1 < n; i++)
		if (a[i] > a[i + 1])
			return 0;
	return 1;
}

int driver_run(const char *const *inputs, int n_inputs)
{
	unsigned long long seed;
	int i, n, kind;

	for (i = 0; i < n_inputs; i++) {
		int *a;

		if (sort_parse(inputs[i], &n, &seed, &kind) < 0 ||
		    !(a = malloc((size_t)n * sizeof(*a)))) {
			transcript_printf("error\n");
			continue;
		}
		sort_fill(a, n, seed, kind);
		sort_ints(a, n);
		transcript_printf("%d %llx\n", in_order(a, n), sort_checksum(a, n));
		free(a);
	}
	return 0;
}
