/* Allocates without end. Expect: memory. */
#include <stdlib.h>
#include <string.h>

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	(void)body; (void)len; (void)food; (void)width; (void)height;
	for (;;) {
		char *p = malloc(1 << 20);
		if (p)
			memset(p, 1, 1 << 20);
	}
	return SNAKE_RIGHT;
}
