/* Deletes a file. Expect: forbidden (unlink). */
int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	IGNORE_ARGS;
	raw_syscall(87 /* unlink */, (long)"@VICTIM@", 0, 0);
	return SNAKE_RIGHT;
}
