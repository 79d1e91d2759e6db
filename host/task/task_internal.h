/*
 * task_internal.h - what the task loader's files share: task.c reads and
 * checks task.json and the folder; task_cases.c reads the cases;
 * task_rubric.c a rubric's checks into them. The interface is task.h.
 */
#ifndef HOST_TASK_INTERNAL_H
#define HOST_TASK_INTERNAL_H

#include "task.h"

#include <jansson.h>

/* Appends the cases of `list` (strings or {"input", "label"} objects);
 * `where` names the list in errors. */
HOST_MUST_CHECK int task_cases_from_array(task_case **cases, size_t *n, const json_t *list,
					  const char *where);

/* Appends the inputs first..last of `range` ([first, last]), as decimal
 * strings without labels. */
HOST_MUST_CHECK int task_cases_from_range(task_case **cases, size_t *n, const json_t *range,
					  const char *where);

/* Appends the cases of the JSON list in the file `name` of `dir`. */
HOST_MUST_CHECK int task_cases_from_file(task_case **cases, size_t *n, const char *dir,
					 const char *name, const char *where);

void task_cases_free(task_case *cases, size_t n);

/* Reads rubric.json beside `task_json` (task.json's path), when the task
 * folder has one: each case's checks, validated, become its label, and
 * every case must have some. Errors name the file and the entry, or the
 * case left out. */
HOST_MUST_CHECK int task_rubric_apply(task *t, const char *task_json);

/* Refuses a member of `object` not in the NULL-terminated `known`, naming
 * it and the nearest known one: "WHERE: unknown field 'budget.wal_ms';
 * did you mean 'budget.wall_ms'?" (`prefix` is "budget." there, "" at
 * the top). A typo must not turn into a default: "timng" would make a
 * timed task untimed. */
HOST_MUST_CHECK int task_known_fields(const json_t *object, const char *where,
				      const char *prefix, const char *const *known);

#endif
