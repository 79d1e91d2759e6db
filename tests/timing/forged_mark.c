/* Burns CPU time, then marks the clock as the runner does (one byte),
 * hoping to restart the host's measurement after its slow work. Expect:
 * protocol_error, for only the first mark counts. */
#include "sort.h"


void sort_ints(int *a, int n)
{
	static int forged;

	qsort(a, (size_t)n, sizeof(*a), compare_ints);
	if (!forged) {
		forged = 1;
		spin_ns(SPIN_NS);
		send_byte('M');
	}
}
