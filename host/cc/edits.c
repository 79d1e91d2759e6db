/*
 * edits.c - code blocks and SEARCH/REPLACE edits; see edits.h.
 *
 * A SEARCH text is looked for exactly first, as the format promises. A
 * block that matches nothing exactly is matched again line by line
 * ignoring whitespace, and applied with the file's indentation
 * (edits_match.c); one that still matches nothing is explained: where it
 * starts to match, the first line that differs, and the nearest lines of
 * the source. A line between blocks that looks like a mark but is none
 * fails too: the block it belonged to would be skipped unseen.
 */
#include "edits.h"

#include "buf.h"
#include "edits_internal.h"
#include "error.h"
#include "utf8.h"

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

/* Applies a block that matches no text exactly to the one place its
 * lines match ignoring whitespace, with the file's own indentation. */
static int apply_loosely(buf *result, int block, const char *search, const char *replace)
{
	edits_lines src = { NULL, 0 }, find = { NULL, 0 }, with = { NULL, 0 };
	buf next = BUF_INIT;
	size_t at = 0, count;
	int rc;

	if ((rc = edits_split(&src, buf_cstr(result))) < 0 || (rc = edits_split(&find, search)) < 0 ||
	    (rc = edits_split(&with, replace)) < 0)
		goto done;
	count = edits_loose_find(&src, &find, &at);
	if (count == 0) {
		rc = edits_explain(block, &src, &find);
	} else if (count > 1) {
		rc = err_set(ERR_INVALID, "block %d: the SEARCH text occurs %zu times when "
			     "whitespace is ignored; include more lines to make it unique", block, count);
	} else {
		const edits_line *last = &src.items[at + find.n - 1];
		const char *end = last->p + last->n + (last->p[last->n] == '\n');
		buf_append(&next, result->data, (size_t)(src.items[at].p - result->data));
		edits_reindent(&next, &src, at, &find, &with);
		buf_puts(&next, end);
		if ((rc = buf_failed(&next)) == 0) {
			buf_free(result);
			*result = next;
			next = (buf)BUF_INIT;
		}
	}
done:
	buf_free(&next);
	edits_lines_free(&src);
	edits_lines_free(&find);
	edits_lines_free(&with);
	return rc;
}

/* Applies one block whose SEARCH and REPLACE texts are given: where its
 * text occurs exactly, else where its lines match ignoring whitespace. */
static int apply_block(buf *result, int block, const char *search, const char *replace)
{
	const char *at = strstr(buf_cstr(result), search);
	size_t count = count_occurrences(buf_cstr(result), search);
	buf next = BUF_INIT;

	if (!*search)
		return err_set(ERR_INVALID, "block %d: the SEARCH text is empty", block);
	if (count == 0)
		return apply_loosely(result, block, search, replace);
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

/* Fails on a line between blocks (from `p` to `end`, NULL: the end) that
 * starts like a mark: a mangled mark ("<<<<<<< SEARCH:", "<<<<<<<< SEARCH")
 * hides its block, which would otherwise be skipped without a word.
 * `after` is the number of the block before it, 0 for none. */
static int check_between(const char *p, const char *end, int after)
{
	const char *next;
	size_t len;

	for (; *p && (!end || p < end); p = next) {
		len = line_at(p, &next);
		if (strncmp(p, "<<<<<<<", 7) == 0 || strncmp(p, ">>>>>>>", 7) == 0 ||
		    is_mark(p, MARK_DIVIDE))
			return err_set(ERR_INVALID, "%s block %d: the line \"%.*s\" is no block's "
				       "mark, yet looks like one, so its block was not read; a block "
				       "is '%s', the lines to find, '%s', their replacement, '%s', "
				       "each mark alone on its line", after ? "after" : "before",
				       after ? after : 1, (int)utf8_valid_prefix(p, len < 40 ? len : 40),
				       p, MARK_SEARCH,
				       MARK_DIVIDE, MARK_REPLACE);
	}
	return 0;
}

int edits_apply(char **out, const char *source, const char *edits)
{
	buf result = BUF_INIT;
	const char *p = edits, *at;
	int block = 0, rc = 0;

	*out = NULL;
	buf_puts(&result, source);
	while (rc == 0) {
		char *search = NULL, *replace = NULL;
		at = find_mark(p, MARK_SEARCH);
		if ((rc = check_between(p, at, block)) < 0 || !at)
			break;
		rc = parse_block(++block, at, &search, &replace, &p);
		if (rc == 0)
			rc = apply_block(&result, block, search, replace);
		free(search);
		free(replace);
	}
	if (rc == 0 && block == 0)
		rc = err_set(ERR_INVALID, "no '%s' block in the edits", MARK_SEARCH);
	if (rc < 0) {
		buf_free(&result);
		return rc;
	}
	*out = buf_detach(&result);
	return 0;
}
