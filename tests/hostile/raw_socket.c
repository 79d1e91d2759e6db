/* Opens a TCP socket. Expect: forbidden (socket). */
int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	IGNORE_ARGS;
	raw_syscall(41 /* socket */, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0);
	return SNAKE_RIGHT;
}
