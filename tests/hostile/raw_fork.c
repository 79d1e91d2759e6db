/* Forks. Expect: forbidden (fork). */
int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	IGNORE_ARGS;
	raw_syscall(57 /* fork */, 0, 0, 0);
	return SNAKE_RIGHT;
}
