/*
 * driver.c - reads each case's integers, calls the solution (SOLVE, from
 * ints.h) on them and records its answer, one line a case. A variant
 * that reads what it never wrote (around a case's integers, or a
 * variable an edit left unset) reads zeros, the same every run: the
 * integers lie amid zeros, and the stack the solution's frame takes is
 * zeroed first. The same in every task of tests/gi/.
 */
#include "ints.h"

#include <stdlib.h>

#define MAX_INTS 64
#define MARGIN 2048  /* zeros on either side of a case's integers */

static int zone[MARGIN + MAX_INTS + MARGIN];

/* Zeroes the stack below the caller's frame, where the solution's goes. */
static void clear_stack(void)
{
	volatile char below[4096];
	int i;

	for (i = 0; i < (int)sizeof(below); i++)
		below[i] = 0;
}

int driver_run(const char *const *inputs, int n_inputs)
{
	int *a = zone + MARGIN, i, n;

	for (i = 0; i < n_inputs; i++) {
		const char *at = inputs[i];
		char *end;

		for (n = 0; n < MAX_INTS; n++, at = end) {
			a[n] = (int)strtol(at, &end, 10);
			if (end == at)
				break;
		}
		a[n] = 0;
		clear_stack();
		transcript_printf("%d\n", SOLVE(a, n));
		while (n > 0)
			a[--n] = 0;
	}
	return 0;
}
