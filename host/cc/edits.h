/*
 * edits.h - the chores every LLM-driven agent repeats: pulling a code block
 * out of a reply and applying SEARCH/REPLACE edit blocks to a source.
 *
 * They are plain functions, offered to agents as host_extract_code and
 * host_apply_edits (agent.h) and used by the host itself. Errors name the
 * block and say why it did not apply, so a model can be told exactly what
 * to fix.
 */
#ifndef HOST_EDITS_H
#define HOST_EDITS_H

#include "error.h"

/* The first fenced block of `text` (```lang ... ```), as a new string, or
 * NULL (ERR_NOTFOUND) when there is none. */
char *edits_extract_code(const char *text);

/*
 * Applies every "<<<<<<< SEARCH / ======= / >>>>>>> REPLACE" block of
 * `edits` to `source`, in order. A SEARCH text that occurs exactly once
 * is replaced as it is. One that does not occur is matched line by line
 * ignoring whitespace (indentation, tabs against spaces, trailing blanks,
 * the length of blank runs), and if that finds exactly one place the
 * REPLACE lines go there with the file's own indentation. Returns 0 with
 * *out a new string, or ERR_INVALID with err_last() like "block 2: its
 * first line \"int x;\" does not occur in the source, even ignoring
 * whitespace. The nearest lines of the source are lines 4-7; ...", the
 * nearest lines following. A line between blocks that starts like a mark
 * ("<<<<<<<", ">>>>>>>", "=======") but is none fails too, naming it, so
 * that no block is skipped unseen.
 */
HOST_MUST_CHECK int edits_apply(char **out, const char *source, const char *edits);

#endif
