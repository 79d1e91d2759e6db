/*
 * nearest.c - edit distance and the nearest known word; see nearest.h.
 *
 * The distance is Damerau's (optimal string alignment): a swap of two
 * letters, the commonest typo ("tiimng", "lable"), costs one edit, not
 * two. Words are short names, so three rows of the table on the stack do.
 */
#include "nearest.h"

#include <string.h>

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

size_t nearest_distance(const char *a, const char *b)
{
	size_t rows[3][NEAREST_MAX_LEN + 1];
	size_t na = strnlen(a, NEAREST_MAX_LEN), nb = strnlen(b, NEAREST_MAX_LEN), i, j;
	size_t *before = rows[0], *prev = rows[1], *cur = rows[2], *spare;

	for (j = 0; j <= nb; j++)
		prev[j] = j;
	for (i = 1; i <= na; i++) {
		cur[0] = i;
		for (j = 1; j <= nb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    before[j - 2] + 1 < cur[j])
				cur[j] = before[j - 2] + 1;
		}
		spare = before;
		before = prev;
		prev = cur;
		cur = spare;
	}
	return prev[nb];
}

const char *nearest_word(const char *word, const char *const *known)
{
	const char *best = NULL;
	size_t best_d = 0, d;

	for (; *known; known++) {
		d = nearest_distance(word, *known);
		if (!best || d < best_d) {
			best = *known;
			best_d = d;
		}
	}
	return best;
}

const char *nearest_slip(const char *word, const char *const *known)
{
	const char *best = nearest_word(word, known);
	size_t d = best ? nearest_distance(word, best) : 0, len = strlen(word);

	return best && (d <= 2 || d <= len / 3) && d < len ? best : NULL;
}
