/* Patches the driver's state: on its first call it finds the driver's
 * case list in driver_run's stack frame and shrinks every later case to
 * one element, so that the run does almost no work. Expect: bad_output,
 * for score.c checks each case against its own copy of the cases. */
#include "sort.h"


static void shrink(char *s)
{
	int i;

	s[0] = '1';
	for (i = 1; s[i] >= '0' && s[i] <= '9'; i++)
		s[i] = ' ';
}

void sort_ints(int *a, int n)
{
	static int patched;

	if (!patched) {
		char **list = driver_cases(*(long **)__builtin_frame_address(0));
		int j;

		patched = 1;
		for (j = 1; list[j]; j++)
			shrink(list[j]);
	}
	qsort(a, (size_t)n, sizeof(*a), compare_ints);
}
