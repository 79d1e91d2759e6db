/* Insertion sort: correct, and quadratic on the sort task's random cases. */
#include "sort.h"

void sort_ints(int *a, int n)
{
	int i;

	for (i = 1; i < n; i++) {
		int v = a[i], j = i;

		while (j > 0 && a[j - 1] > v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
}
