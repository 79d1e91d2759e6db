/* Writes 100 MB at the host's channel (fd 3), which the solution's
 * process does not hold: every write fails, and the run is scored like
 * any other. A write that got through crashes the run on purpose, so the
 * test cannot pass by the flood going somewhere. Expect: ok. */
#include <stdlib.h>
#include <string.h>

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	static char junk[1 << 20];
	int i;
	IGNORE_ARGS;
	memset(junk, 's', sizeof(junk));
	for (i = 0; i < 100; i++)
		if (raw_syscall(1 /* write */, 3, (long)junk, sizeof(junk)) >= 0)
			*(volatile int *)0 = 0;
	return SNAKE_RIGHT;
}
