/* Writes through a null pointer. Expect: crash (SIGSEGV). */
int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	volatile int *nowhere = 0;
	(void)body; (void)len; (void)food; (void)width; (void)height;
	*nowhere = 1;
	return SNAKE_RIGHT;
}
