/* Quicksort with a median-of-three pivot, recursing into the smaller side
 * and finishing short ranges with insertion sort. */
#include "sort.h"

static void insertion(int *a, int n)
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

static int median3(int x, int y, int z)
{
	if (x < y)
		return y < z ? y : x < z ? z : x;
	return x < z ? x : y < z ? z : y;
}

void sort_ints(int *a, int n)
{
	while (n > 16) {
		int pivot = median3(a[0], a[n / 2], a[n - 1]);
		int i = 0, j = n - 1;

		for (;;) {
			int t;

			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i >= j)
				break;
			t = a[i];
			a[i++] = a[j];
			a[j--] = t;
		}
		if (j + 1 < n - j - 1) {
			sort_ints(a, j + 1);
			a += j + 1;
			n -= j + 1;
		} else {
			sort_ints(a + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	insertion(a, n);
}
