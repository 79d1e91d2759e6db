/*
 * utf8.c - UTF-8 checks; see utf8.h.
 *
 * Valid means what jansson accepts: no overlong forms, no surrogates,
 * nothing above U+10FFFF.
 */
#include "utf8.h"

#include <string.h>

size_t utf8_char_length(const char *text, size_t left)
{
	const unsigned char *s = (const unsigned char *)text;
	unsigned int c = s[0], code;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, code = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, code = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, code = c & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		code = (code << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) ||
	    (n == 4 && (code < 0x10000 || code > 0x10ffff)))
		return 0;
	return n;
}

size_t utf8_valid_prefix(const char *s, size_t len)
{
	size_t at = 0, n;

	while (at < len && (n = utf8_char_length(s + at, len - at)) > 0)
		at += n;
	return at;
}

void utf8_repair(char *s)
{
	char *p = s;
	size_t left = strlen(s), n;

	while (left) {
		n = utf8_char_length(p, left);
		if (n == 0) {
			*p = '?';
			n = 1;
		}
		p += n;
		left -= n;
	}
}
