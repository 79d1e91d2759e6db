/* Searches the process's stack, where the kernel puts the environment,
 * for a secret the test suite set in its own environment. Expect: crash
 * (SIGSEGV) at the top of the stack without finding it; finding it would
 * return LEFT and end "ok". */
static const char wanted[] = "HOST_TEST_SECRET=";

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	const char *p = (const char *)&body;
	int i;
	(void)len; (void)food; (void)width; (void)height;
	for (;; p++) {
		for (i = 0; wanted[i] && p[i] == wanted[i]; i++)
			;
		if (!wanted[i])
			return SNAKE_LEFT;
	}
}
