/* Never returns. Expect: timeout. */
int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	volatile int spin = 1;
	(void)body; (void)len; (void)food; (void)width; (void)height;
	while (spin)
		;
	return SNAKE_RIGHT;
}
