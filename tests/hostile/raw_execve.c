/* Runs /bin/sh. Expect: forbidden (execve). */
int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	static char *argv[] = { "/bin/sh", "-c", "touch @CANARY@", 0 };
	IGNORE_ARGS;
	raw_syscall(59 /* execve */, (long)argv[0], (long)argv, 0);
	return SNAKE_RIGHT;
}
