/* A test agent with two proposals: one the oracle of the test's task
 * crashes on, and one that breaks the naive solution. Expect: +1 case,
 * 1 rejected. */
#include <stdlib.h>
#include <string.h>

char *test_agent_propose(const char *request)
{
	static const char reply[] =
		"[{\"input\": \"crash@example.com\", \"reason\": \"the oracle cannot label it\"},"
		" {\"input\": \"user name@example.org\", \"reason\": \"a space\"}]";
	char *out = malloc(sizeof(reply));

	(void)request;
	memcpy(out, reply, sizeof(reply));
	return out;
}
