/* A test agent whose 200 proposals are each an address followed by
 * 4070 control characters, 24 KB apiece as JSON: more than a grown set
 * may take in all. Run against an oracle that labels inputs of up to
 * 5000 bytes. Expect: the grown set stops short of ARENA_GROWN_MAX, the
 * rest over the cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROPOSALS 200
#define TAIL 4070

char *test_agent_propose(const char *request)
{
	char *out = malloc(PROPOSALS * (TAIL * 6 + 64) + 2), *at = out;
	int i, k;

	(void)request;
	*at++ = '[';
	for (i = 0; i < PROPOSALS; i++) {
		at += sprintf(at, "%s{\"input\": \"u%03d@example.com", i ? ", " : "", i);
		for (k = 0; k < TAIL; k++)
			at += sprintf(at, "\\u0001");
		at += sprintf(at, "\"}");
	}
	strcpy(at, "]");
	return out;
}
