/* A test agent whose proposals are mostly not to be trusted: a label the
 * oracle contradicts, an input the oracle refuses, three items that are
 * no proposal, then one case that breaks the naive solution (a space) and
 * one it gets right. Expect: +1 case, 2 rejected, 3 malformed, 1 passed. */
#include <stdlib.h>
#include <string.h>

char *test_agent_propose(const char *request)
{
	static const char head[] =
		"[{\"input\": \"bob@example.org\", \"label\": false, \"reason\": \"mislabelled\"},"
		" {\"input\": \"";
	static const char tail[] =
		"\", \"reason\": \"too long to be an address\"},"
		" 5, {\"input\": 7}, {\"reason\": \"no input\"},"
		" {\"input\": \"user name@example.org\", \"label\": 0, \"reason\": \"a space\"},"
		" {\"input\": \"@example.com\", \"label\": false, \"reason\": \"no local part\"}]";
	char *out = malloc(sizeof(head) + 1200 + sizeof(tail));

	(void)request;
	strcpy(out, head);
	memset(out + strlen(head), 'a', 1200);
	out[strlen(head) + 600] = '@';
	strcpy(out + strlen(head) + 1200, tail);
	return out;
}
