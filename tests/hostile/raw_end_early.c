/* Says the driver returned, as the runner does (one byte), then goes on
 * running instead of waiting to be ended. Expect: bad_output, for the
 * page the host reads says the driver never returned. */
int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	char end = 'E';
	volatile unsigned long spins = 0;

	IGNORE_ARGS;
	raw_syscall(1 /* write */, 3 /* the channel */, (long)&end, 1);
	for (;;)
		spins++;
	return SNAKE_RIGHT;
}
