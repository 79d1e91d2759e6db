/* Exits half-way through. Expect: compile_error naming 'exit'. */
void exit(int status);

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	(void)body; (void)len; (void)food; (void)width; (void)height;
	if (len > 2)
		exit(0);
	return SNAKE_RIGHT;
}
