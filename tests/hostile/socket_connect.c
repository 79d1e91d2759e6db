/* Connects to 127.0.0.1:80. Expect: compile_error naming 'socket'. */
int socket(int domain, int type, int protocol);
int connect(int fd, const void *addr, unsigned len);

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	unsigned char addr[16] = { 2, 0, 0, 80, 127, 0, 0, 1 };
	(void)body; (void)len; (void)food; (void)width; (void)height;
	connect(socket(2, 1, 0), addr, sizeof(addr));
	return SNAKE_RIGHT;
}
