/* Creates a file outside the sandbox. Expect: forbidden (creat). */
int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	IGNORE_ARGS;
	raw_syscall(85 /* creat */, (long)"@CANARY@", 0644, 0);
	return SNAKE_RIGHT;
}
