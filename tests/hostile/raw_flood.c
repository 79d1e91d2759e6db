/* Writes 100 MB into the result channel, which after lockdown takes
 * single bytes only. Expect: forbidden (write). */
#include <stdlib.h>
#include <string.h>

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	char *junk = malloc(1 << 20);
	int i;
	IGNORE_ARGS;
	memset(junk, 's', 1 << 20);
	for (i = 0; i < 100; i++)
		raw_syscall(1 /* write */, 3, (long)junk, 1 << 20);
	return SNAKE_RIGHT;
}
