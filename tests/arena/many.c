/* A test agent for the history's bounds. With no history yet it proposes
 * 70 short valid addresses (the naive solution gets them right: passed),
 * more entries than a history keeps; after that, 20 addresses of some
 * 950 bytes with a local part too long (it gets them wrong: added or
 * over the cap), more bytes than a history keeps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHORT 70
#define LONG 20
#define LOCAL 930

char *test_agent_propose(const char *request)
{
	int later = strstr(request, "\"history\":[]") == NULL, i, n = later ? LONG : SHORT;
	char *out = malloc((size_t)n * (LOCAL + 64) + 2), *at = out;

	*at++ = '[';
	for (i = 0; i < n; i++) {
		at += sprintf(at, "%s{\"input\": \"", i ? ", " : "");
		if (later) {
			memset(at, 'a', LOCAL);
			at += LOCAL;
		}
		at += sprintf(at, "u%02d@example.com\"}", i);
	}
	strcpy(at, "]");
	return out;
}
