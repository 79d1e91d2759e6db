/*
 * email_reference.c - the rules of tasks/email/task.json's description,
 * written out plainly. The tests check that it scores 1.0 on the training
 * and the held-out cases: the labels are consistent with the rules.
 */
#include <string.h>

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int local_ok(const char *s, int len)
{
	int i;

	if (len < 1 || len > 64 || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (!is_alnum(s[i]) && !strchr("._%+-", s[i]))
			return 0;
		if (s[i] == '.' && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

static int domain_ok(const char *s)
{
	int len = (int)strlen(s), labels = 0, start = 0, i;

	if (len < 1 || len > 253)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			if (!is_alnum(s[i]) && s[i] != '-')
				return 0;
			continue;
		}
		if (i - start < 1 || i - start > 63 || s[start] == '-' || s[i - 1] == '-')
			return 0;
		labels++;
		if (i == len && i - start < 2)
			return 0;  /* the last label */
		start = i + 1;
	}
	return labels >= 2;
}

int validate_email(const char *s)
{
	const char *at = strchr(s, '@');
	const char *p;

	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 127)
			return 0;
	if (!at || strchr(at + 1, '@'))
		return 0;
	return local_ok(s, (int)(at - s)) && domain_ok(at + 1);
}
