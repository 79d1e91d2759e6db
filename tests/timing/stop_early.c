/* Burns CPU time, sorts its first array, then stops its own process the
 * way the runner's worker stops when driver_run has returned, hoping the
 * runner takes the transcript so far as the run's. Expect: bad_output,
 * for the worker's own code never said the driver returned. */
#include "sort.h"


void sort_ints(int *a, int n)
{
	spin_ns(SPIN_NS);
	qsort(a, (size_t)n, sizeof(*a), compare_ints);
	raw_syscall(62 /* kill */, raw_syscall(39 /* getpid */, 0, 0, 0, 0), 19 /* SIGSTOP */,
		    0, 0);
}
