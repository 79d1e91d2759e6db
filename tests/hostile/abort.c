/* Aborts. Expect: crash (SIGABRT). */
#include <stdlib.h>

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	(void)body; (void)len; (void)food; (void)width; (void)height;
	abort();
	return SNAKE_RIGHT;
}
