/* Burns CPU time, then sends a final frame of its own that claims a tiny
 * CPU time, and exits. Expect: the claim is ignored (at least SPIN_NS is
 * measured) and the transcript it made up fails as bad_output. */
#include "sort.h"


void sort_ints(int *a, int n)
{
	(void)a;
	(void)n;
	spin_ns(SPIN_NS);
	send_frame("{\"outcome\":\"ok\",\"transcript\":\"1 0\\n\",\"driver_status\":0,"
		   "\"cpu_ns\":1,\"cpu_ms\":0}");
	raw_syscall(231 /* exit_group */, 0, 0, 0, 0);
}
