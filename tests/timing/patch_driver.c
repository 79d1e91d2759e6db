/* Patches the driver's state: on its first call it finds the driver's
 * case list in driver_run's stack frame and shrinks every later case to
 * one element, so that the run does almost no work. Expect: bad_output,
 * for score.c checks each case against its own copy of the cases. If the
 * list is not found it aborts, so a test cannot pass by the attack not
 * happening. */
#include "sort.h"


static int is_case(const char *s)
{
	return s[0] >= '1' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && strchr(s, ' ');
}

/* Whether `p` can be read without a crash: futex(FUTEX_WAKE) on an
 * address that is not mapped fails with EFAULT instead. */
static int readable(const void *p)
{
	long word = (long)p;

	return word > 4096 && word % 8 == 0 &&
	       raw_syscall(202 /* futex */, word, 1 /* FUTEX_WAKE */, 0, 0) != -14;
}

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
		long *frame = *(long **)__builtin_frame_address(0);  /* driver_run's */
		int i, j, found = 0;

		patched = 1;
		for (i = 1; i <= 32 && !found; i++) {
			char **list = (char **)frame[-i];

			if (!readable(list) || !readable(list[0]) || !is_case(list[0]))
				continue;
			for (j = 1; list[j]; j++)
				shrink(list[j]);
			found = 1;
		}
		if (!found)
			abort();
	}
	qsort(a, (size_t)n, sizeof(*a), compare_ints);
}
