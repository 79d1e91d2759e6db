/* Walks the environment directly. Expect: compile_error naming 'environ'. */
extern char **environ;

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	(void)body; (void)len; (void)food; (void)width; (void)height;
	return environ && environ[0] ? SNAKE_LEFT : SNAKE_RIGHT;
}
