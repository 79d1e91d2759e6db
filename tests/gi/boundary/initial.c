/*
 * initial.c - how many elements are smaller than the next, off by one:
 * the loop stops before the last pair.
 */
#include "ints.h"

int ascents(const int *a, int n)
{
	int count = 0, i;

	for (i = 0; i < n - 2; i++)
		if (a[i] < a[i + 1])
			count++;
	return count;
}
