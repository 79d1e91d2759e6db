/* Burns CPU time, then sends a final frame of its own that claims a tiny
 * CPU time, and exits. Expect: forbidden: after lockdown the process may
 * write the host single bytes only, and a frame is no single byte. */
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
