/*
 * initial.c - the largest sum of two adjacent elements, with a slip: the
 * comparison subtracts where it should add.
 */
#include "ints.h"

int adjacent_sum(const int *a, int n)
{
	int best = a[0] + a[1], i;

	for (i = 1; i + 1 < n; i++)
		if (a[i] - a[i + 1] > best)
			best = a[i] + a[i + 1];
	return best;
}
