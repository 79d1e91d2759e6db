/*
 * edits_internal.h - what edits.c and edits_match.c share: a text as
 * lines, and the line-by-line matching that ignores whitespace, the
 * re-indentation of a replacement and the explanation of a block that
 * matches nothing. Nothing else includes it; edits.h is the interface.
 */
#ifndef HOST_EDITS_INTERNAL_H
#define HOST_EDITS_INTERNAL_H

#include "buf.h"
#include "error.h"

#include <stddef.h>

/* One line of a text: where it starts and its length, newline excluded. */
typedef struct {
	const char *p;
	size_t n;
} edits_line;

typedef struct {
	edits_line *items;
	size_t n;
} edits_lines;

/* The lines of `text` (which must outlive them); a last line without a
 * newline counts, an empty text has none. */
HOST_MUST_CHECK int edits_split(edits_lines *out, const char *text);
void edits_lines_free(edits_lines *l);

/* How many times `search` matches consecutive lines of `src` when
 * whitespace is ignored (indentation, tabs against spaces, the length of
 * a blank run inside a line, trailing blanks); *first is the first
 * matching line's index. */
size_t edits_loose_find(const edits_lines *src, const edits_lines *search, size_t *first);

/* Appends `replace` to `out`, its indentation translated from the style
 * of `search` to that of the source lines it matched, from src->items[at]
 * on: the block is applied with the file's own indentation. */
void edits_reindent(buf *out, const edits_lines *src, size_t at, const edits_lines *search,
		    const edits_lines *replace);

/* Sets the error for block `block`, whose SEARCH text matches nothing in
 * `src` even ignoring whitespace: where it starts to match, if it does,
 * and the nearest lines of the source, to copy from. Returns ERR_INVALID. */
HOST_MUST_CHECK int edits_explain(int block, const edits_lines *src, const edits_lines *search);

#endif
