/* Exits cleanly half-way, before the driver reports. Expect: bad_output. */
int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	IGNORE_ARGS;
	raw_syscall(231 /* exit_group */, 0, 0, 0);
	return SNAKE_RIGHT;
}
