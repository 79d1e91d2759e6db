/*
 * initial.c - the largest element minus the smallest, with a wrong
 * variable: the second comparison tests against lo, not hi.
 */
#include "ints.h"

int spread(const int *a, int n)
{
	int lo = a[0], hi = a[0], i;

	for (i = 1; i < n; i++) {
		if (a[i] < lo)
			lo = a[i];
		if (a[i] > lo)
			hi = a[i];
	}
	return hi - lo;
}
