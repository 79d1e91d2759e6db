/*
 * record_task.c - how the task agent did on a task, in a record, and its
 * JSON; and the scores of each task's initial.c that a generation
 * beginning a measure keeps; see record.h.
 *
 * initial.c's scores have a task result's shape, so that whatever prints
 * a task's scores prints them alike, but only its scores: no agent ran
 * and no solution is kept (initial.c is the task's own).
 */
#include "record_internal.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

/* A copy of `t`; of an initial.c's scores, which have no agent, too. */
static int copy_task(record_task *out, const record_task *t)
{
	*out = *t;
	out->name = record_text(t->name, RECORD_LINE);
	out->agent = record_text(t->agent, RECORD_LINE);
	out->problem = record_text(t->problem, RECORD_LINE);
	out->train_failed = record_text(t->train_failed, RECORD_LINE);
	out->holdout_status = record_text(t->holdout_status, RECORD_LINE);
	out->solution = t->solution ? strdup(t->solution) : NULL;  /* code, kept as the host scored it */
	json_incref(t->trace);
	if (record_judge_copy(&out->judge, &t->judge) < 0)
		memset(&out->judge, 0, sizeof(out->judge));  /* out of memory, said below */
	if ((t->judge.problem && !out->judge.problem) || !out->name || (t->agent && !out->agent) || (t->problem && !out->problem) ||
	    (t->train_failed && !out->train_failed) ||
	    (t->holdout_status && !out->holdout_status) || (t->solution && !out->solution)) {
		record_task_free(out);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	return 0;
}

int record_add_task(record *r, const record_task *t)
{
	record_task *grown = realloc(r->tasks, (r->n_tasks + 1) * sizeof(*grown));

	if (!grown)
		return err_set(ERR_SYSTEM, "out of memory");
	r->tasks = grown;
	if (copy_task(&grown[r->n_tasks], t) < 0)
		return ERR_SYSTEM;
	r->n_tasks++;
	return 0;
}

const record_task *record_find_task(const record *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_tasks; i++)
		if (strcmp(r->tasks[i].name, name) == 0)
			return &r->tasks[i];
	return NULL;
}

void record_task_free(record_task *t)
{
	free(t->name);
	free(t->agent);
	free(t->problem);
	free(t->train_failed);
	free(t->holdout_status);
	free(t->solution);
	json_decref(t->trace);
	record_judge_free(&t->judge);
	memset(t, 0, sizeof(*t));
}

json_t *record_task_to_json(const record_task *t)
{
	json_t *json = json_pack("{s:s, s:s?, s:s?, s:f, s:f, s:s?, s:f, s:f, s:i, s:f}", "agent",
				 t->agent, "problem", t->problem, "train_failed", t->train_failed,
				 "train", t->train, "holdout", t->holdout, "holdout_status",
				 t->holdout_status, "fitness", t->fitness, "holdout_fitness",
				 t->holdout_fitness, "evals", t->evals, "agent_ms", t->agent_ms);

	if (json && t->llm_calls > 0 &&
	    (json_object_set_new(json, "llm_calls", json_integer((json_int_t)t->llm_calls)) < 0 ||
	     json_object_set_new(json, "usd", json_real(t->usd)) < 0)) {
		json_decref(json);
		return NULL;
	}
	if (json && t->trace)
		json_object_set(json, "trace", t->trace);
	if (json && ((t->has_split &&
	    (json_object_set_new(json, "original", json_real(t->original)) < 0 ||
	     json_object_set_new(json, "grown", json_real(t->grown)) < 0 ||
	     json_object_set_new(json, "grown_before", json_real(t->grown_before)) < 0)) ||
	    record_timing_add(json, &t->timing) < 0 || record_judge_add(json, &t->judge) < 0)) {
		json_decref(json);
		return NULL;
	}
	return json;
}

int record_task_from_json(record_task *out, const char *name, const json_t *json)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(json))
		return err_set(ERR_INVALID, "task '%s': its result is not an object", name);
	out->name = record_text(name, RECORD_LINE);
	out->agent = record_member(json, "agent");
	out->problem = record_member(json, "problem");
	out->train_failed = record_member(json, "train_failed");
	out->train = json_number_value(json_object_get(json, "train"));
	out->holdout = json_number_value(json_object_get(json, "holdout"));
	out->holdout_status = record_member(json, "holdout_status");
	out->fitness = json_number_value(json_object_get(json, "fitness"));
	out->holdout_fitness = json_number_value(json_object_get(json, "holdout_fitness"));
	out->evals = (int)json_integer_value(json_object_get(json, "evals"));
	out->agent_ms = json_number_value(json_object_get(json, "agent_ms"));
	out->llm_calls = (long)json_integer_value(json_object_get(json, "llm_calls"));
	out->usd = json_number_value(json_object_get(json, "usd"));
	out->trace = json_incref(json_object_get(json, "trace"));
	out->has_split = json_is_number(json_object_get(json, "original"));
	out->original = json_number_value(json_object_get(json, "original"));
	out->grown = json_number_value(json_object_get(json, "grown"));
	out->grown_before = json_number_value(json_object_get(json, "grown_before"));
	record_timing_from_json(&out->timing, json_object_get(json, "timing"));
	if (!out->agent)
		out->agent = strdup("ok");
	if (!out->name || !out->agent ||
	    record_judge_from_json(&out->judge, json_object_get(json, "judge")) < 0) {
		record_task_free(out);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	return 0;
}

int record_add_initial(record *r, const record_task *t)
{
	record_task scores = { .name = t->name, .train = t->train, .holdout = t->holdout,
			       .train_failed = t->train_failed, .holdout_status = t->holdout_status,
			       .fitness = t->fitness, .holdout_fitness = t->holdout_fitness };
	record_task *grown = realloc(r->initial, (r->n_initial + 1) * sizeof(*grown));

	if (!grown)
		return err_set(ERR_SYSTEM, "out of memory");
	r->initial = grown;
	if (copy_task(&grown[r->n_initial], &scores) < 0)
		return ERR_SYSTEM;
	r->n_initial++;
	return 0;
}

const record_task *record_find_initial(const record *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_initial; i++)
		if (strcmp(r->initial[i].name, name) == 0)
			return &r->initial[i];
	return NULL;
}

int record_measure_from(const record *r)
{
	int from = r->reverted_to >= 0 ? r->reverted_to : r->parent;

	return from < r->number ? from : -1;  /* a note naming itself ends the chain */
}

json_t *record_initial_to_json(const record *r)
{
	json_t *all = json_object();
	size_t i;

	for (i = 0; all && i < r->n_initial; i++) {
		const record_task *t = &r->initial[i];

		if (json_object_set_new(all, t->name, json_pack("{s:f, s:s?, s:f, s:s?, s:f, s:f}",
			"train", t->train, "train_failed", t->train_failed, "holdout", t->holdout,
			"holdout_status", t->holdout_status, "fitness", t->fitness,
			"holdout_fitness", t->holdout_fitness)) < 0) {
			json_decref(all);
			return NULL;
		}
	}
	return all;
}

int record_initial_from_json(record *out, const json_t *json)
{
	const json_t *one;
	const char *name;
	int rc;

	json_object_foreach((json_t *)json, name, one) {
		record_task t = {
			.name = (char *)name,
			.train_failed = (char *)json_string_value(json_object_get(one, "train_failed")),
			.holdout_status = (char *)json_string_value(json_object_get(one, "holdout_status")),
			.train = json_number_value(json_object_get(one, "train")),
			.holdout = json_number_value(json_object_get(one, "holdout")),
			.fitness = json_number_value(json_object_get(one, "fitness")),
			.holdout_fitness = json_number_value(json_object_get(one, "holdout_fitness")),
		};

		if (!json_is_object(one))
			return err_set(ERR_INVALID, "task '%s': its initial.c scores are not an object",
				       name);
		if ((rc = record_add_initial(out, &t)) < 0)
			return rc;
	}
	return 0;
}
