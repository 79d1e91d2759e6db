/*
 * edits.c - code blocks and SEARCH/REPLACE edits; see edits.h.
 *
 * Matching is exact, as the format promises, but a failed match is
 * diagnosed line by line: the error says where the block starts to match
 * and the first line that differs, and whether only whitespace differs.
 */
#include "edits.h"

#include "buf.h"
#include "error.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MARK_SEARCH "<<<<<<< SEARCH"
#define MARK_DIVIDE "======="
#define MARK_REPLACE ">>>>>>> REPLACE"

char *edits_extract_code(const char *text)
{
	const char *open = strstr(text, "```"), *start, *close;

	if (!open) {
		err_set(ERR_NOTFOUND, "no fenced code block (```) in the text");
		return NULL;
	}
	start = strchr(open + 3, '\n');
	close = start ? strstr(start + 1, "```") : NULL;
	if (!close) {
		err_set(ERR_NOTFOUND, "the code block is not closed with ```");
		return NULL;
	}
	return strndup(start + 1, (size_t)(close - start - 1));
}

/* The line starting at `p` without its newline; *next is the line after. */
static size_t line_at(const char *p, const char **next)
{
	const char *nl = strchr(p, '\n');
	size_t len = nl ? (size_t)(nl - p) : strlen(p);

	*next = nl ? nl + 1 : p + len;
	return len;
}

/* Whether the line at `p` is `mark`, ignoring trailing blanks. */
static int is_mark(const char *p, const char *mark)
{
	size_t n = strlen(mark);

	if (strncmp(p, mark, n) != 0)
		return 0;
	for (p += n; *p == ' ' || *p == '\t' || *p == '\r'; p++)
		;
	return *p == '\n' || *p == '\0';
}

/* Finds the next line that is `mark`, from `p`; NULL if none. */
static const char *find_mark(const char *p, const char *mark)
{
	const char *next;

	while (*p) {
		if (is_mark(p, mark))
			return p;
		line_at(p, &next);
		p = next;
	}
	return NULL;
}

static int same_ignoring_space(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < na && isspace((unsigned char)a[i]))
			i++;
		while (j < nb && isspace((unsigned char)b[j]))
			j++;
		if (i == na || j == nb)
			return i == na && j == nb;
		if (a[i++] != b[j++])
			return 0;
	}
}

/* Explains why `search` does not occur in `source`. */
static int explain_mismatch(int block, const char *source, const char *search)
{
	const char *next, *src_line, *p;
	size_t first_len = line_at(search, &next), n = 0, m = 0;
	int line_no = 1, matched;

	for (p = source; *p; p = next, line_no++) {
		const char *s = search, *s_next;
		matched = 0;
		for (src_line = p;; matched++) {
			n = line_at(s, &s_next);
			if (!*s)
				break;
			m = line_at(src_line, &next);
			if (n != m || strncmp(s, src_line, n) != 0)
				break;
			s = s_next;
			src_line = next;
		}
		if (matched > 0)
			return err_set(ERR_INVALID,
				       "block %d: lines 1-%d match the source at line %d, but "
				       "line %d differs%s: expected \"%.*s\", the source has \"%.*s\"",
				       block, matched, line_no, matched + 1,
				       same_ignoring_space(s, n, src_line, m) ? " (only in whitespace)" : "",
				       (int)(n > 80 ? 80 : n), s, (int)(m > 80 ? 80 : m), src_line);
		line_at(p, &next);
	}
	return err_set(ERR_INVALID, "block %d: its first line \"%.*s\" does not occur in the source",
		       block, (int)(first_len > 80 ? 80 : first_len), search);
}

static size_t count_occurrences(const char *text, const char *needle)
{
	size_t count = 0;
	const char *p = text;

	while ((p = strstr(p, needle)) != NULL) {
		count++;
		p++;
	}
	return count;
}

/* Applies one block whose SEARCH and REPLACE texts are given. */
static int apply_block(buf *result, int block, const char *search, const char *replace)
{
	const char *at = strstr(buf_cstr(result), search);
	size_t count = count_occurrences(buf_cstr(result), search);
	buf next = BUF_INIT;

	if (!*search)
		return err_set(ERR_INVALID, "block %d: the SEARCH text is empty", block);
	if (count == 0)
		return explain_mismatch(block, buf_cstr(result), search);
	if (count > 1)
		return err_set(ERR_INVALID, "block %d: the SEARCH text occurs %zu times; "
			       "include more lines to make it unique", block, count);
	buf_append(&next, result->data, (size_t)(at - result->data));
	buf_puts(&next, replace);
	buf_puts(&next, at + strlen(search));
	buf_free(result);
	*result = next;
	return 0;
}

/* Splits the block starting at `p` (a SEARCH mark) into its two texts. */
static int parse_block(int block, const char *p, char **search, char **replace,
		       const char **after)
{
	const char *body, *divide, *end, *rest;

	line_at(p, &body);
	divide = find_mark(body, MARK_DIVIDE);
	if (!divide)
		return err_set(ERR_INVALID, "block %d: no '%s' line after '%s'", block,
			       MARK_DIVIDE, MARK_SEARCH);
	line_at(divide, &rest);
	end = find_mark(rest, MARK_REPLACE);
	if (!end || (find_mark(body, MARK_SEARCH) && find_mark(body, MARK_SEARCH) < end))
		return err_set(ERR_INVALID, "block %d: no '%s' line to end it", block,
			       MARK_REPLACE);
	*search = strndup(body, (size_t)(divide - body));
	*replace = strndup(rest, (size_t)(end - rest));
	line_at(end, after);
	return *search && *replace ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

int edits_apply(char **out, const char *source, const char *edits)
{
	buf result = BUF_INIT;
	const char *p = find_mark(edits, MARK_SEARCH);
	int block = 0, rc = 0;

	*out = NULL;
	if (!p)
		return err_set(ERR_INVALID, "no '%s' block in the edits", MARK_SEARCH);
	buf_puts(&result, source);
	while (p && rc == 0) {
		char *search = NULL, *replace = NULL;
		rc = parse_block(++block, p, &search, &replace, &p);
		if (rc == 0)
			rc = apply_block(&result, block, search, replace);
		free(search);
		free(replace);
		p = find_mark(p, MARK_SEARCH);
	}
	if (rc < 0) {
		buf_free(&result);
		return rc;
	}
	*out = buf_detach(&result);
	return 0;
}
