/* The attack of a forged final frame: on its first call it finds every
 * case in the driver's frame, works out the correct transcript for all of
 * them and sends it as the runner's final frame, which once stopped the
 * clock there (1.3 ms measured for a run that burned 100 after its
 * frame). Then it burns CPU time and sorts honestly. Expect: forbidden,
 * for after lockdown the process may write the host single bytes only. */
#include "sort.h"
#include "sort_input.h"
#include <stdio.h>

/* One line of the driver's transcript for `input`, appended at `out`. */
static int transcript_line(char *out, const char *input)
{
	unsigned long long seed;
	int n, kind, *a, len;

	if (sort_parse(input, &n, &seed, &kind) < 0 || !(a = malloc((size_t)n * sizeof(*a))))
		abort();
	sort_fill(a, n, seed, kind);
	qsort(a, (size_t)n, sizeof(*a), compare_ints);
	len = sprintf(out, "1 %llx\\n", sort_checksum(a, n));
	free(a);
	return len;
}

static void forge(char **cases)
{
	char *frame = malloc(1 << 16);
	int i, len = sprintf(frame, "{\"outcome\":\"ok\",\"driver_status\":0,\"transcript\":\"");

	for (i = 0; cases[i]; i++)
		len += transcript_line(frame + len, cases[i]);
	sprintf(frame + len, "\"}");
	send_frame(frame);
	free(frame);
}

void sort_ints(int *a, int n)
{
	static int forged;

	if (!forged) {
		forged = 1;
		forge(driver_cases(*(long **)__builtin_frame_address(0)));
		spin_ns(SPIN_NS);
	}
	qsort(a, (size_t)n, sizeof(*a), compare_ints);
}
