/* Reads an API key from the environment. Expect: compile_error naming 'getenv'. */
char *getenv(const char *name);

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	(void)body; (void)len; (void)food; (void)width; (void)height;
	return getenv("OPENAI_API_KEY") ? SNAKE_LEFT : SNAKE_RIGHT;
}
