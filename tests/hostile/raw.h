/* raw.h - prepended by the tests to the raw_*.c cases: a system call made
 * with the syscall instruction, which no link-time allowlist can see. */
static long raw_syscall(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}
#define IGNORE_ARGS (void)body; (void)len; (void)food; (void)width; (void)height
