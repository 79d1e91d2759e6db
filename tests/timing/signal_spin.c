/* Does its slow work in a SIGUSR1 handler it installs and raises itself,
 * hoping that time spent in a signal handler is not counted; then sorts
 * correctly. Expect: ok, and at least SPIN_NS measured. */
#include "sort.h"


struct kernel_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

/* What returns from a handler: the rt_sigreturn system call. */
__asm__(".global spin_restorer\nspin_restorer:\n\tmov $15, %rax\n\tsyscall\n");
void spin_restorer(void);

static void on_usr1(int sig)
{
	(void)sig;
	spin_ns(SPIN_NS);
}

void sort_ints(int *a, int n)
{
	static int raised;

	if (!raised) {
		struct kernel_sigaction sa = { on_usr1, 0x04000000 /* SA_RESTORER */,
					       spin_restorer, 0 };

		raised = 1;
		if (raw_syscall(13 /* rt_sigaction */, 10 /* SIGUSR1 */, (long)&sa, 0, 8) != 0)
			abort();
		raw_syscall(62 /* kill */, raw_syscall(39 /* getpid */, 0, 0, 0, 0), 10, 0, 0);
	}
	qsort(a, (size_t)n, sizeof(*a), compare_ints);
}
