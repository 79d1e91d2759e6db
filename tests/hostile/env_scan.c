/* Searches the process's stack, where the kernel puts the environment,
 * for a secret the test suite set in its own environment. Expect: crash
 * (SIGSEGV) at the top of the stack without finding it; finding it would
 * return LEFT and end "ok". */
#include <string.h>

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	const char *p = (const char *)&body;
	(void)len; (void)food; (void)width; (void)height;
	for (;; p++)
		if (p[0] == 'H' && memcmp(p, "HOST_TEST_SECRET=", 17) == 0)
			return SNAKE_LEFT;
}
