/* A test agent that sends its request, as it is, to the model (whose
 * server keeps it for the test to read), then proposes one input of
 * each outcome: one that breaks the naive solution (added), one it gets
 * right (passed), a label the oracle contradicts, a training case
 * (duplicate), a held-out case and an input too long for the oracle
 * (both refused), and an item that is no proposal (malformed). */
#include <stdlib.h>
#include <string.h>

char *test_agent_propose(const char *request)
{
	static const char head[] =
		"[{\"input\": \"user name@example.org\", \"label\": false, \"reason\": \"a space\"},"
		" {\"input\": \"@example.com\", \"label\": false, \"reason\": \"no local part\"},"
		" {\"input\": \"a@b.c\", \"label\": true, \"reason\": \"mislabelled\"},"
		" {\"input\": \"alice.bob@company.org\", \"reason\": \"a training case\"},"
		" {\"input\": \"o'brien@example.com\", \"label\": false, \"reason\": \"an apostrophe\"},"
		" {\"input\": \"";
	static const char tail[] = "\", \"reason\": \"too long\"}, 5]";
	char *out = malloc(sizeof(head) + 1200 + sizeof(tail));

	free(host_llm("You write test cases (echo)", request));
	strcpy(out, head);
	memset(out + strlen(head), 'a', 1200);
	out[strlen(head) + 600] = '@';
	strcpy(out + strlen(head) + 1200, tail);
	return out;
}
