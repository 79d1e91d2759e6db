/*
 * task_inputs.c - which case inputs a driver takes as the same case; see
 * task_inputs in task.h.
 *
 * Cases reach driver_run as the text task.json gives (a range's as
 * decimal text), and drivers commonly read that text the way C reads
 * numbers and words: strtol and sscanf skip whitespace, take "+7" and
 * "007" for 7, and stop at trailing space. Inputs are therefore compared
 * by a key: their whitespace-separated words joined by single spaces,
 * each decimal integer as its canonical digits ("3500  +0101 random" is
 * "3500 101 random"). Two inputs with one key may
 * still be different cases to some driver (email's treats " a@b.cc" as
 * another address); for what must be kept apart, the held-out cases, a
 * refusal too many costs a proposal, a refusal too few trains on them.
 */
#include "task.h"

#include "buf.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

#define SPACE " \t\n\v\f\r"

/* [+-]?[0-9]+ */
static int is_integer(const char *s, size_t n)
{
	size_t sign = n && (s[0] == '+' || s[0] == '-');

	return n > sign && strspn(s + sign, "0123456789") >= n - sign;
}

/* A token of an input: an integer as "-N" or "N" with no leading zeros,
 * anything else as it is. */
static void append_token(buf *key, const char *t, size_t n)
{
	int negative;

	if (!is_integer(t, n)) {
		buf_append(key, t, n);
		return;
	}
	negative = t[0] == '-';
	if (t[0] == '+' || t[0] == '-') {
		t++;
		n--;
	}
	for (; n > 1 && t[0] == '0'; n--)
		t++;
	if (negative && !(n == 1 && t[0] == '0'))  /* -0 is 0 */
		buf_puts(key, "-");
	buf_append(key, t, n);
}

/* The key of `input`: its whitespace-separated tokens, each integer
 * canonical, joined by single spaces. NULL when out of memory. */
static char *input_key(const char *input)
{
	buf key = BUF_INIT;

	for (;;) {
		size_t n;

		input += strspn(input, SPACE);
		if (!(n = strcspn(input, SPACE)))
			break;
		if (key.len)
			buf_puts(&key, " ");
		append_token(&key, input, n);
		input += n;
	}
	buf_puts(&key, "");  /* an empty key is "", not nothing */
	return buf_detach(&key);
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int task_inputs_make(task_inputs *out, const task_case *cases, size_t n)
{
	size_t i;

	out->n = 0;
	if (!(out->keys = calloc(n + 1, sizeof(*out->keys))))
		return err_set(ERR_SYSTEM, "out of memory");
	for (i = 0; i < n; i++, out->n++)
		if (!(out->keys[i] = input_key(cases[i].input))) {
			task_inputs_free(out);
			return err_set(ERR_SYSTEM, "out of memory");
		}
	qsort(out->keys, out->n, sizeof(*out->keys), compare_keys);
	return 0;
}

int task_inputs_has(int *out, const task_inputs *set, const char *input)
{
	char *key = input_key(input);

	if (!key)
		return err_set(ERR_SYSTEM, "out of memory");
	*out = bsearch(&key, set->keys, set->n, sizeof(*set->keys), compare_keys) != NULL;
	free(key);
	return 0;
}

void task_inputs_free(task_inputs *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->keys[i]);
	free(set->keys);
	set->keys = NULL;
	set->n = 0;
}
