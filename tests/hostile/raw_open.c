/* Opens a file. Expect: forbidden (open). */
int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	IGNORE_ARGS;
	raw_syscall(2 /* open */, (long)"/etc/passwd", 0, 0);
	return SNAKE_RIGHT;
}
