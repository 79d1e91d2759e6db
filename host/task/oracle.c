/*
 * oracle.c - a task's oracle in its sandbox; see oracle.h.
 *
 * Each call sends a batch of inputs to the task's long-lived oracle child
 * (task_code.c), which labels them in a fresh fork, within the task's
 * budget.score_ms and the host's memory cap for task code.
 */
#include "oracle.h"

#include "error.h"
#include "task_code.h"

#include <stdlib.h>
#include <string.h>

#define ORACLE_MEMORY_MB 256

int oracle_present(const task *t)
{
	return t->oracle_text != NULL;
}

static json_t *label_request(const char *const *inputs, size_t n)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list && i < n; i++)
		if (json_array_append_new(list, json_string(inputs[i])) < 0) {
			json_decref(list);
			return NULL;
		}
	return list ? json_pack("{s:o}", "inputs", list) : NULL;
}

/* The reply's labels into `labels`; all or none. */
static int read_labels(const task *t, const sandbox_outcome *o, size_t n, char **labels)
{
	const json_t *list = json_object_get(o->result, "labels");
	size_t i;

	if (o->status != SANDBOX_OK)
		return task_code_fault(t, "oracle.c", "labelling", o, ORACLE_MEMORY_MB);
	if (json_array_size(list) != n)
		return err_set(ERR_GENERIC, "task %s: oracle.c answered %zu labels for %zu inputs",
			       t->name, json_array_size(list), n);
	for (i = 0; i < n; i++) {
		const char *label = json_string_value(json_array_get(list, i));

		labels[i] = label ? strdup(label) : NULL;
		if (label && !labels[i]) {
			while (i > 0)
				free(labels[--i]);
			return err_set(ERR_SYSTEM, "out of memory");
		}
	}
	return 0;
}

int oracle_label(task *t, const char *const *inputs, size_t n, char **labels)
{
	sandbox_limits limits = { t->score_ms, t->score_ms, ORACLE_MEMORY_MB };
	sandbox_outcome o;
	int rc;

	if (!oracle_present(t))
		return err_set(ERR_NOTFOUND, "task %s has no oracle (oracle.c in %s)", t->name,
			       t->dir);
	if (n > ORACLE_BATCH_MAX)
		return err_set(ERR_INVALID, "oracle: at most %d inputs a call", ORACLE_BATCH_MAX);
	rc = task_code_call(&o, t, "oracle", "oracle.c", t->oracle_text,
			    label_request(inputs, n), NULL, &limits);
	if (rc < 0)
		return rc;
	rc = read_labels(t, &o, n, labels);
	sandbox_outcome_free(&o);
	return rc;
}

/* Checks one split's labelled cases; the count of disagreements. */
static int check_split(size_t *checked, task *t, const task_case *cases, size_t n,
		       const char *split, buf *report)
{
	const char **inputs = calloc(n + 1, sizeof(*inputs));
	char **labels = calloc(n + 1, sizeof(*labels));
	size_t i;
	int rc = inputs && labels ? 0 : err_set(ERR_SYSTEM, "out of memory"), wrong = 0;

	for (i = 0; rc == 0 && i < n; i++)
		inputs[i] = cases[i].input;
	for (i = 0; rc == 0 && i < n; i += ORACLE_BATCH_MAX) {
		size_t batch = n - i < ORACLE_BATCH_MAX ? n - i : ORACLE_BATCH_MAX;
		rc = oracle_label(t, inputs + i, batch, labels + i);
	}
	for (i = 0; rc == 0 && i < n; i++) {
		if (!cases[i].label)
			continue;
		(*checked)++;
		if (labels[i] && strcmp(labels[i], cases[i].label) == 0)
			continue;
		wrong++;
		buf_printf(report, "%s case %zu \"%.60s\": labelled %s, the oracle says %s\n",
			   split, i + 1, cases[i].input, cases[i].label,
			   labels[i] ? labels[i] : "(refused)");
	}
	for (i = 0; labels && i < n; i++)
		free(labels[i]);
	free(labels);
	free(inputs);
	return rc < 0 ? rc : wrong;
}

int oracle_check(size_t *checked, task *t, buf *report)
{
	int train, holdout;

	*checked = 0;
	train = check_split(checked, t, t->train, t->n_train, "training", report);
	if (train < 0)
		return train;
	holdout = check_split(checked, t, t->holdout, t->n_holdout, "held-out", report);
	return holdout < 0 ? holdout : train + holdout;
}
