/*
 * initial.c - Shell sort: insertion sort over a shrinking series of gaps.
 *
 * The gaps start near n / GAP_RATIO and shrink by GAP_RATIO each pass,
 * down to 1, which is plain insertion sort on a nearly sorted array. The
 * ratio is a TUNE parameter (see sort.h); 2 is Shell's original choice
 * and far from the best. A different algorithm can do much better.
 */
#include "sort.h"

#define GAP_RATIO TUNE(2.0, 1.3, 4.0)

void sort_ints(int *a, int n)
{
	int gap = (int)(n / GAP_RATIO);

	for (;;) {
		int i;

		if (gap < 1)
			gap = 1;
		for (i = gap; i < n; i++) {
			int v = a[i], j = i;

			while (j >= gap && a[j - gap] > v) {
				a[j] = a[j - gap];
				j -= gap;
			}
			a[j] = v;
		}
		if (gap == 1)
			break;
		gap = (int)(gap / GAP_RATIO);
	}
}
