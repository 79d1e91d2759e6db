/*
 * oracle.c - the label of any input: the five rules of task.json's
 * description, written out. The host runs it like score.c, in a sandbox
 * of its own that no agent reaches, to label the cases test agents
 * propose; a test checks it against every labelled case of the task.
 */
#include <stdio.h>
#include <string.h>

#define ORACLE_MAX_INPUT 1000  /* longer inputs are not email cases */

static int is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Rule 3: the local part. */
static int local_ok(const char *s, int len)
{
	int i;

	if (len < 1 || len > 64 || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (!is_alnum((unsigned char)s[i]) && !strchr("._%+-", s[i]))
			return 0;
		if (s[i] == '.' && i + 1 < len && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

/* Rules 4 and 5: the domain. */
static int domain_ok(const char *s, int len)
{
	int start = 0, labels = 0, i;

	if (len < 1 || len > 253)
		return 0;
	for (i = 0; i <= len; i++) {
		int label_len = i - start;

		if (i < len && s[i] != '.') {
			if (!is_alnum((unsigned char)s[i]) && s[i] != '-')
				return 0;
			continue;
		}
		if (label_len < 1 || label_len > 63 || s[start] == '-' || s[i - 1] == '-')
			return 0;
		labels++;
		if (i == len && label_len < 2)
			return 0;
		start = i + 1;
	}
	return labels >= 2;
}

static int valid(const char *s)
{
	const char *at = strchr(s, '@');
	int len = (int)strlen(s), i;

	for (i = 0; i < len; i++)  /* rule 2 */
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 127)
			return 0;
	if (!at || strchr(at + 1, '@'))  /* rule 1 */
		return 0;
	return local_ok(s, (int)(at - s)) && domain_ok(at + 1, len - (int)(at - s) - 1);
}

int oracle_label(const char *input, char *label, int label_size)
{
	if (strlen(input) > ORACLE_MAX_INPUT || label_size < 2)
		return -1;
	snprintf(label, (size_t)label_size, "%d", valid(input));
	return 0;
}
