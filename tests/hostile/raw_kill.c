/* Signals another process (signal 0 only probes, but is still refused).
 * Expect: forbidden (kill). */
int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	IGNORE_ARGS;
	raw_syscall(62 /* kill */, 1, 0, 0);
	return SNAKE_RIGHT;
}
