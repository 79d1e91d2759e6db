/*
 * task_cases.c - a task's cases as task.json gives them: a list of
 * strings or {"input", "label"} objects, a range of numbers, or a file of
 * such a list; see task_internal.h. Every problem names the file and the
 * field or the case.
 */
#include "task_internal.h"

#include "error.h"
#include "nearest.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TASK_MAX_CASES 100000

char *task_label_text(const json_t *label)
{
	char number[32];

	if (json_is_string(label))
		return strdup(json_string_value(label));
	if (json_is_boolean(label))
		return strdup(json_is_true(label) ? "1" : "0");
	if (json_is_integer(label)) {
		snprintf(number, sizeof(number), "%lld",
			 (long long)json_integer_value(label));
		return strdup(number);
	}
	return NULL;
}

static int add_case(task_case **cases, size_t *n, char *input, char *label)
{
	task_case *grown;

	if (!input || *n >= TASK_MAX_CASES) {
		free(input);
		free(label);
		return -1;
	}
	/* the list doubles at 8, 16, 32...: a range of 100,000 cases grown
	 * one at a time copied it quadratically, which took minutes where
	 * realloc cannot grow in place (under a sanitizer) */
	if (*n == 0 || (*n >= 8 && (*n & (*n - 1)) == 0)) {
		grown = realloc(*cases, (*n ? *n * 2 : 8) * sizeof(**cases));
		if (!grown) {
			free(input);
			free(label);
			return -1;
		}
		*cases = grown;
	}
	grown = *cases;
	grown[*n].input = input;
	grown[*n].label = label;
	(*n)++;
	return 0;
}

int task_known_fields(const json_t *object, const char *where, const char *prefix,
		      const char *const *known)
{
	const char *key, *const *k;
	json_t *value;

	json_object_foreach((json_t *)object, key, value) {
		for (k = known; *k && strcmp(*k, key) != 0; k++)
			;
		if (!*k)
			return err_set(ERR_INVALID, "%s: unknown field '%s%.64s'; did you mean "
				       "'%s%s'?", where, prefix, key, prefix,
				       nearest_word(key, known));
	}
	return 0;
}

int task_cases_from_array(task_case **cases, size_t *n, const json_t *list,
			    const char *where)
{
	static const char *const fields[] = { "input", "label", NULL };
	char at[300];
	size_t i;
	const json_t *item;

	json_array_foreach(list, i, item) {
		const json_t *input = json_is_string(item) ? item : json_object_get(item, "input");
		const json_t *label = json_object_get(item, "label");
		char *label_copy;

		if (json_is_object(item)) {
			snprintf(at, sizeof(at), "%s: case %zu", where, i + 1);
			if (task_known_fields(item, at, "", fields) < 0)
				return ERR_INVALID;
		}
		label_copy = label ? task_label_text(label) : NULL;
		if (!json_is_string(input) || (label && !label_copy)) {
			free(label_copy);
			return err_set(ERR_INVALID, "%s: case %zu must be a string or "
				       "{\"input\": string, \"label\": string|integer|boolean}",
				       where, i + 1);
		}
		if (add_case(cases, n, strdup(json_string_value(input)), label_copy) < 0)
			return err_set(ERR_INVALID, "%s: too many cases", where);
	}
	return 0;
}

int task_cases_from_range(task_case **cases, size_t *n, const json_t *range,
			    const char *where)
{
	json_int_t lo = json_integer_value(json_array_get(range, 0));
	json_int_t hi = json_integer_value(json_array_get(range, 1));
	char text[32];

	if (json_array_size(range) != 2 || !json_is_integer(json_array_get(range, 0)) ||
	    !json_is_integer(json_array_get(range, 1)) || lo > hi || lo < 0 ||
	    hi - lo >= TASK_MAX_CASES)
		return err_set(ERR_INVALID, "%s: 'range' must be [first, last] with "
			       "0 <= first <= last", where);
	for (; lo <= hi; lo++) {
		snprintf(text, sizeof(text), "%lld", (long long)lo);
		if (add_case(cases, n, strdup(text), NULL) < 0)
			return err_set(ERR_SYSTEM, "out of memory");
	}
	return 0;
}

int task_cases_from_file(task_case **cases, size_t *n, const char *dir,
			   const char *name, const char *where)
{
	char *path = os_path_join(dir, name);
	json_error_t jerr;
	json_t *list;
	int rc;

	if (!path)
		return err_set(ERR_SYSTEM, "out of memory");
	if (strchr(name, '/') || !os_is_file(path)) {
		rc = err_set(ERR_NOTFOUND, "%s: cases file '%s' not found in %s",
			     where, name, dir);
		free(path);
		return rc;
	}
	list = json_load_file(path, 0, &jerr);
	if (!json_is_array(list))
		rc = err_set(ERR_INVALID, "%s:%d: %s", path, jerr.line,
			     list ? "expected a list of cases" : jerr.text);
	else
		rc = task_cases_from_array(cases, n, list, path);
	json_decref(list);
	free(path);
	return rc;
}

void task_cases_free(task_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free((char *)cases[i].input);
		free((char *)cases[i].label);
	}
	free(cases);
}
