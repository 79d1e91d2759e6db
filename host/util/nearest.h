/*
 * nearest.h - the known word nearest a mistyped one.
 *
 * A name the user spelt wrong (a field of task.json, say) is refused; the
 * message is worth more when it names what was probably meant:
 * "unknown field 'timng'; did you mean 'timing'?".
 */
#ifndef HOST_NEAREST_H
#define HOST_NEAREST_H

#include <stddef.h>

/* The edit distance of `a` and `b`: the insertions, deletions,
 * substitutions and swaps of two neighbouring bytes that make one the
 * other. Words longer than NEAREST_MAX_LEN bytes count from their
 * first NEAREST_MAX_LEN only. */
#define NEAREST_MAX_LEN 64
size_t nearest_distance(const char *a, const char *b);

/* Of the NULL-terminated `known`, the one nearest `word` (the first of
 * those as near); NULL when `known` is empty. */
const char *nearest_word(const char *word, const char *const *known);

/* nearest_word, when it is near enough to be a slip of `word` (at most
 * two edits, or a third of its length); else NULL. A command line is
 * worth a guess only then: '--frob' is no '--dir'. */
const char *nearest_slip(const char *word, const char *const *known);

#endif
