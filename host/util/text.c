/*
 * text.c - removing control characters from text, and shortening it
 * after a word; see text.h.
 *
 * The text is walked a character at a time, so that a byte inside a valid
 * UTF-8 character is never taken for a control of its own; a byte that
 * starts no valid character is judged alone.
 */
#include "text.h"

#include "utf8.h"

#include <stdlib.h>
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

/* Nonzero when `c` separates words. */
static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t text_cut_words(const char *s, size_t n, size_t max)
{
	size_t mark = sizeof(TEXT_ELLIPSIS) - 1, room, cut, end;

	if (n <= max)
		return n;
	room = max > mark ? max - mark : 0;
	cut = utf8_valid_prefix(s, room);
	/* a word ends at `end` when a blank follows it; s[cut] exists, as
	 * cut < n */
	for (end = cut; end > 0 && !blank(s[end]); end--)
		;
	while (end > 0 && (blank(s[end - 1]) || strchr(",;:", s[end - 1])))
		end--;
	return end > 0 && end >= cut / 2 ? end : cut;
}

char *text_shorten(const char *s, size_t n, size_t max, int *cut)
{
	size_t keep = text_cut_words(s, n, max);
	char *out = malloc(keep + sizeof(TEXT_ELLIPSIS));

	if (cut)
		*cut = keep < n;
	if (!out)
		return NULL;
	memcpy(out, s, keep);
	/* no room even for the mark: nothing at all */
	strcpy(out + keep, keep < n && max >= sizeof(TEXT_ELLIPSIS) - 1 ? TEXT_ELLIPSIS : "");
	return out;
}

char *text_unfence(const char *reply)
{
	const char *start = reply + strspn(reply, " \t\r\n"), *line;
	size_t n = strlen(start);

	while (n > 0 && strchr(" \t\r\n", start[n - 1]))
		n--;
	if (n >= 6 && strncmp(start, "```", 3) == 0 && strncmp(start + n - 3, "```", 3) == 0 &&
	    (line = memchr(start, '\n', n - 3)))
		return strndup(line + 1, (size_t)(start + n - 3 - (line + 1)));
	return strndup(start, n);
}
