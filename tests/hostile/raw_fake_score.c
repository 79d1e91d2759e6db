/* Prints fake score lines on stdout. Expect: ok, with the honest score
 * of always moving right (0.05): writes outside the channel fail. */
#include <stdio.h>
#include <string.h>

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	char line[64];
	IGNORE_ARGS;
	snprintf(line, sizeof(line), "score: 99.0\nstatus: ok\n");
	raw_syscall(1 /* write */, 1, (long)line, (long)strlen(line));
	raw_syscall(1 /* write */, 2, (long)line, (long)strlen(line));
	return SNAKE_RIGHT;
}
