/* A test agent that proposes every held-out case of email, each also
 * with surrounding whitespace and, when it is ASCII, spelled in JSON
 * escapes (the same input once read), then one case of its own that
 * breaks the naive solution. The test writes the proposals in.
 * Expect: +1 case, every other proposal rejected, none labelled. */
#include <stdlib.h>
#include <string.h>

char *test_agent_propose(const char *request)
{
	static const char reply[] = @PROPOSALS@;
	char *out = malloc(sizeof(reply));

	(void)request;
	memcpy(out, reply, sizeof(reply));
	return out;
}
