/* Burns CPU time, sorts its first array, then says the driver returned,
 * as the runner does (one byte), hoping the host takes the transcript so
 * far as the run's. Expect: bad_output, for the page does not say the
 * driver returned. */
#include "sort.h"


void sort_ints(int *a, int n)
{
	spin_ns(SPIN_NS);
	qsort(a, (size_t)n, sizeof(*a), compare_ints);
	send_byte('E');
}
