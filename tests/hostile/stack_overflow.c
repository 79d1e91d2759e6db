/* Recurses without end. Expect: crash (SIGSEGV). */
static int deeper(volatile int n)
{
	volatile char pad[256];
	pad[0] = (char)n;
	return deeper(n + 1) + pad[0];
}

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	(void)body; (void)len; (void)food; (void)width; (void)height;
	return deeper(0);
}
