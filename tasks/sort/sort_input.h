/*
 * sort_input.h - how the sort task turns a case into an array, and the
 * checksum of a sorted one: shared by driver.c and score.c.
 *
 * A case is "N SEED KIND": N elements (1 to 100000) drawn by a splitmix64
 * generator from SEED, shaped by KIND:
 *   random    any int
 *   few       16 distinct values, many repeats
 *   sorted    ascending, with repeats
 *   reversed  descending
 *   nearly    ascending, then about one element in 50 swapped at random
 *   organ     ascending to the middle, then descending
 * A solution may include this header, but it cannot know the held-out
 * cases, so it cannot store their answers.
 */
#ifndef SORT_INPUT_H
#define SORT_INPUT_H

#include <stdlib.h>
#include <string.h>

#define SORT_MAX_N 100000

enum { SORT_RANDOM, SORT_FEW, SORT_SORTED, SORT_REVERSED, SORT_NEARLY, SORT_ORGAN };

static const char *const sort_kinds[] = {
	"random", "few", "sorted", "reversed", "nearly", "organ",
};

static unsigned long long sort_next(unsigned long long *state)
{
	unsigned long long z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Reads "N SEED KIND"; 0, or -1 when the case is not one. */
static int sort_parse(const char *input, int *n, unsigned long long *seed, int *kind)
{
	char *end;
	long count = strtol(input, &end, 10);
	int i;

	if (end == input || count < 1 || count > SORT_MAX_N)
		return -1;
	*n = (int)count;
	input = end;
	*seed = strtoull(input, &end, 10);
	if (end == input || *end != ' ')
		return -1;
	for (i = 0; i < (int)(sizeof(sort_kinds) / sizeof(sort_kinds[0])); i++)
		if (strcmp(end + 1, sort_kinds[i]) == 0) {
			*kind = i;
			return 0;
		}
	return -1;
}

static void sort_fill(int *a, int n, unsigned long long seed, int kind)
{
	unsigned long long s = seed;
	int i;

	for (i = 0; i < n; i++) {
		unsigned long long r = sort_next(&s);

		switch (kind) {
		case SORT_RANDOM: a[i] = (int)(unsigned)r; break;
		case SORT_FEW: a[i] = (int)(r % 16) * 1000 - 8000; break;
		case SORT_REVERSED: a[i] = (n - i) * 2; break;
		case SORT_ORGAN: a[i] = i < n / 2 ? i : n - i; break;
		default: a[i] = i - (int)(r % 2); break;  /* sorted, nearly */
		}
	}
	for (i = 0; kind == SORT_SORTED && i + 1 < n; i++)
		if (a[i] > a[i + 1])
			a[i + 1] = a[i];
	for (i = 0; kind == SORT_NEARLY && i < n / 50 + 1; i++) {
		int x = (int)(sort_next(&s) % (unsigned)n), y = (int)(sort_next(&s) % (unsigned)n);
		int keep = a[x];

		a[x] = a[y];
		a[y] = keep;
	}
}

/* FNV-1a over the elements in order: equal only for the same sequence
 * (barring a collision no solution can aim for without sorting). */
static unsigned long long sort_checksum(const int *a, int n)
{
	unsigned long long h = 0xcbf29ce484222325ULL;
	int i, b;

	for (i = 0; i < n; i++)
		for (b = 0; b < 32; b += 8) {
			h ^= ((unsigned)a[i] >> b) & 0xff;
			h *= 0x100000001b3ULL;
		}
	return h;
}

#endif
