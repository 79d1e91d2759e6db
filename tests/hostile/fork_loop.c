/* A fork bomb. Expect: compile_error naming 'fork'. */
int fork(void);

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	(void)body; (void)len; (void)food; (void)width; (void)height;
	for (;;)
		fork();
	return SNAKE_RIGHT;
}
