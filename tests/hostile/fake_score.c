/* Prints fake score lines. Expect: compile_error naming 'printf'. */
int printf(const char *fmt, ...);

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	(void)body; (void)len; (void)food; (void)width; (void)height;
	printf("score: 99.0\n");
	return SNAKE_RIGHT;
}
