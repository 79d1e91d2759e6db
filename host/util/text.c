/*
 * text.c - removing control characters from text; see text.h.
 *
 * The text is walked a character at a time, so that a byte inside a valid
 * UTF-8 character is never taken for a control of its own; a byte that
 * starts no valid character is judged alone.
 */
#include "text.h"

#include "utf8.h"

#include <string.h>

/* What becomes of one character. */
enum { KEEP, DROP, SPACE };

/* Judges the character of `n` bytes at `s` (n 0: a byte that is not
 * UTF-8). */
static int judge(const unsigned char *s, size_t n, int one_line)
{
	unsigned int c = s[0];

	if (n == 0)
		return c >= 0x80 && c <= 0x9f ? DROP : KEEP;
	if (n == 1) {
		if (c == '\n' || c == '\t')
			return one_line ? SPACE : KEEP;
		if (one_line && (c == '\r' || c == '\v' || c == '\f'))
			return SPACE;
		return c < 0x20 || c == 0x7f ? DROP : KEEP;
	}
	if (n == 2 && c == 0xc2 && s[1] <= 0x9f)  /* U+0085 is NEL, a line break */
		return one_line && s[1] == 0x85 ? SPACE : DROP;
	if (one_line && n == 3 && c == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))
		return SPACE;
	return KEEP;
}

/* Cleans s[0..len) in place and terminates it; returns its new length,
 * never more than `len`. */
static size_t clean(char *s, size_t len, int one_line)
{
	size_t from = 0, to = 0, n, step;

	while (from < len) {
		n = utf8_char_length(s + from, len - from);
		step = n ? n : 1;
		switch (judge((const unsigned char *)s + from, n, one_line)) {
		case KEEP:
			memmove(s + to, s + from, step);
			to += step;
			break;
		case SPACE:
			s[to++] = ' ';
			break;
		default:
			break;
		}
		from += step;
	}
	s[to] = '\0';
	return to;
}

void text_clean(char *s)
{
	if (s)
		clean(s, strlen(s), 0);
}

void text_one_line(char *s)
{
	if (s)
		clean(s, strlen(s), 1);
}

static void append(buf *b, const char *s, int one_line)
{
	size_t at = b->len;

	buf_puts(b, s ? s : "");
	if (b->len > at)  /* appended: it was not out of memory */
		b->len = at + clean(b->data + at, b->len - at, one_line);
}

void text_append(buf *b, const char *s)
{
	append(b, s, 0);
}

void text_append_line(buf *b, const char *s)
{
	append(b, s, 1);
}
