/*
 * initial.c - a first, naive email validator: one '@' with something
 * before it, and a domain with a dot that is not its first character.
 * It accepts many addresses the rules reject.
 */
#include "email.h"

#include <string.h>

#define MIN_TLD_LENGTH TUNE(1, 1, 6)  /* characters after the last dot */

int validate_email(const char *s)
{
	const char *at = strchr(s, '@');
	const char *dot;

	if (!at || at == s)
		return 0;               /* no local part */
	if (strchr(at + 1, '@'))
		return 0;               /* more than one '@' */
	dot = strrchr(at + 1, '.');
	if (!dot || dot == at + 1)
		return 0;               /* the domain needs a dot, not first */
	return (int)strlen(dot + 1) >= MIN_TLD_LENGTH;
}
