/* Runs /bin/sh. Expect: compile_error naming 'execve'. */
int execve(const char *path, char *const argv[], char *const envp[]);

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	char *argv[] = { "/bin/sh", 0 };
	(void)body; (void)len; (void)food; (void)width; (void)height;
	execve("/bin/sh", argv, 0);
	return SNAKE_RIGHT;
}
