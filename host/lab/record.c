/*
 * record.c - a generation's record and its JSON; see record.h.
 *
 * The JSON keys are those of the notes host has always written, so labs
 * made before the record was typed read the same, and a record read and
 * written again is the same note.
 *
 * Its text comes from agents, models and handed-over labs, and is printed
 * and committed: every string enters a record, set or read from a note,
 * without control characters, and a one-line field as one line (text.h).
 */
#include "record_internal.h"

#define AGENT_NO_ENTRY_POINTS
#include "agent.h"

#include "error.h"
#include "text.h"
#include "version.h"

#include <stdlib.h>
#include <string.h>

const char *record_status_name(record_status status)
{
	static const char *const names[RECORD_N_STATUSES] = { "accepted", "rejected", "invalid",
							     "interrupted" };

	return (unsigned)status < RECORD_N_STATUSES ? names[status] : "invalid";
}

int record_measured(const record *r)
{
	return r->status == RECORD_ACCEPTED || r->status == RECORD_REJECTED;
}

static int parse_status(record_status *out, const char *name)
{
	record_status s;

	for (s = RECORD_ACCEPTED; name && s < RECORD_N_STATUSES; s++)
		if (strcmp(name, record_status_name(s)) == 0) {
			*out = s;
			return 0;
		}
	return -1;
}

char *record_text(const char *s, int form)
{
	char *text = s ? strdup(s) : NULL;

	if (form == RECORD_LINE)
		text_one_line(text);
	else
		text_clean(text);
	return text;
}

char *record_member(const json_t *json, const char *key)
{
	return record_text(json_string_value(json_object_get(json, key)), RECORD_LINE);
}

int record_init(record *r, int number, int parent, record_status status, const char *reason,
		unsigned long long seed)
{
	memset(r, 0, sizeof(*r));
	r->number = number;
	r->parent = parent;
	r->reverted_to = -1;
	r->status = status;
	r->seed = seed & 0x7fffffffffffffffULL;
	r->abi_version = AGENT_ABI_VERSION;
	r->rewrite_s = r->evaluate_s = r->total_s = RECORD_ABSENT;
	r->reason = record_text(reason, RECORD_LINE);
	r->host_version = strdup(HOST_VERSION);
	if (!r->reason || !r->host_version) {
		record_free(r);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	return 0;
}

int record_set_measure(record *r, const char *model, int llm_calls, int trials, int carry)
{
	char *text = record_text(model, RECORD_LINE);

	if (!text)
		return err_set(ERR_SYSTEM, "out of memory");
	free(r->measure.model);
	r->measure.model = text;
	r->measure.llm_calls = llm_calls;
	r->measure.trials = trials;
	r->measure.carry = carry != 0;
	r->has_measure = 1;
	return 0;
}

int record_set_reason(record *r, const char *reason)
{
	char *text = record_text(reason, RECORD_LINE);

	if (!text)
		return err_set(ERR_SYSTEM, "out of memory");
	free(r->reason);
	r->reason = text;
	return 0;
}

int record_add_stage(record *r, const char *name, const char *status, const char *diagnostics)
{
	record_stage *grown = realloc(r->stages, (r->n_stages + 1) * sizeof(*grown));
	record_stage *st;

	if (!grown)
		return err_set(ERR_SYSTEM, "out of memory");
	r->stages = grown;
	st = &grown[r->n_stages];
	st->name = record_text(name, RECORD_LINE);
	st->status = record_text(status, RECORD_LINE);
	st->diagnostics = record_text(diagnostics ? diagnostics : "", RECORD_LINES);
	if (!st->name || !st->status || !st->diagnostics) {
		free(st->name);
		free(st->status);
		free(st->diagnostics);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	r->n_stages++;
	return 0;
}

int record_holdout_failed(const record_task *t)
{
	return t->holdout_status && strcmp(t->holdout_status, "ok") != 0;
}

int record_copy(record *out, const record *from)
{
	size_t i;
	int rc = 0;

	*out = *from;
	out->reason = record_text(from->reason, RECORD_LINE);
	out->host_version = record_text(from->host_version, RECORD_LINE);
	out->changes = record_text(from->changes, RECORD_LINES);
	out->measure.model = record_text(from->measure.model, RECORD_LINE);
	out->summary = record_text(from->summary, RECORD_LINE);
	out->edits = record_text(from->edits, RECORD_LINES);
	out->tasks = out->initial = NULL;
	out->stages = NULL;
	out->n_tasks = out->n_stages = out->n_initial = 0;
	json_incref(from->rewrite_trace);
	for (i = 0; rc == 0 && i < from->n_tasks; i++)
		rc = record_add_task(out, &from->tasks[i]);
	for (i = 0; rc == 0 && i < from->n_initial; i++)
		rc = record_add_initial(out, &from->initial[i]);
	for (i = 0; rc == 0 && i < from->n_stages; i++)
		rc = record_add_stage(out, from->stages[i].name, from->stages[i].status,
				      from->stages[i].diagnostics);
	if (rc == 0 && (!out->reason || !out->host_version || (from->changes && !out->changes) ||
			(from->measure.model && !out->measure.model) ||
			(from->summary && !out->summary) || (from->edits && !out->edits)))
		rc = err_set(ERR_SYSTEM, "out of memory");
	if (rc < 0)
		record_free(out);
	return rc;
}

void record_free(record *r)
{
	size_t i;

	for (i = 0; i < r->n_tasks; i++)
		record_task_free(&r->tasks[i]);
	for (i = 0; i < r->n_initial; i++)
		record_task_free(&r->initial[i]);
	for (i = 0; i < r->n_stages; i++) {
		free(r->stages[i].name);
		free(r->stages[i].status);
		free(r->stages[i].diagnostics);
	}
	free(r->tasks);
	free(r->initial);
	free(r->stages);
	free(r->reason);
	free(r->host_version);
	free(r->changes);
	free(r->measure.model);
	free(r->summary);
	free(r->edits);
	json_decref(r->rewrite_trace);
	memset(r, 0, sizeof(*r));
	r->parent = r->reverted_to = -1;
}

json_t *record_budget_to_json(const record_budget *b)
{
	return json_pack("{s:i, s:i, s:I, s:I, s:I, s:f}", "evals_per_task", b->evals_per_task,
			 "evals_used", b->evals_used, "llm_calls", (json_int_t)b->llm_calls,
			 "tokens_in", (json_int_t)b->tokens_in, "tokens_out",
			 (json_int_t)b->tokens_out, "usd", b->usd);
}

void record_budget_from_json(record_budget *out, const json_t *json)
{
	out->evals_per_task = (int)json_integer_value(json_object_get(json, "evals_per_task"));
	out->evals_used = (int)json_integer_value(json_object_get(json, "evals_used"));
	out->llm_calls = (long)json_integer_value(json_object_get(json, "llm_calls"));
	out->tokens_in = (long)json_integer_value(json_object_get(json, "tokens_in"));
	out->tokens_out = (long)json_integer_value(json_object_get(json, "tokens_out"));
	out->usd = json_number_value(json_object_get(json, "usd"));
}

static int set_time(json_t *json, const char *key, double seconds)
{
	return seconds == RECORD_ABSENT ? 0 : json_object_set_new(json, key, json_real(seconds));
}

/* The parts an evaluation or a rewrite adds, each only when present. */
static int add_parts(json_t *json, const record *r)
{
	json_t *tasks = r->tasks ? json_object() : NULL, *stages = r->stages ? json_array() : NULL;
	size_t i;
	int rc = 0;

	for (i = 0; tasks && i < r->n_tasks; i++)
		rc |= json_object_set_new(tasks, r->tasks[i].name, record_task_to_json(&r->tasks[i]));
	for (i = 0; stages && i < r->n_stages; i++)
		rc |= json_array_append_new(stages, json_pack("{s:s, s:s, s:s}",
			"stage", r->stages[i].name, "status", r->stages[i].status,
			"diagnostics", r->stages[i].diagnostics));
	if (tasks)
		rc |= json_object_set_new(json, "tasks", tasks);
	if (stages)
		rc |= json_object_set_new(json, "validation", stages);
	if (r->has_budget)
		rc |= json_object_set_new(json, "budget", record_budget_to_json(&r->budget));
	if (r->has_utility)
		rc |= json_object_set_new(json, "utility", json_pack("{s:f, s:f, s:f}",
			"score", r->utility.score, "cost", r->utility.cost, "time", r->utility.time));
	if (r->changes)
		rc |= json_object_set_new(json, "changes", json_string(r->changes));
	if (r->has_measure)
		rc |= json_object_set_new(json, "measured", json_pack("{s:s, s:i, s:i, s:b}",
			"model", r->measure.model ? r->measure.model : "offline",
			"llm_calls", r->measure.llm_calls, "trials", r->measure.trials,
			"carry", r->measure.carry));
	if (r->summary)
		rc |= json_object_set_new(json, "summary", json_string(r->summary));
	if (r->edits)
		rc |= json_object_set_new(json, "edits", json_string(r->edits));
	if (r->rewrite_trace)
		rc |= json_object_set(json, "rewrite_trace", r->rewrite_trace);
	if (r->reverted_to >= 0)
		rc |= json_object_set_new(json, "reverted_to", json_integer(r->reverted_to));
	if (r->round > 0)
		rc |= json_object_set_new(json, "round", json_integer(r->round));
	if (r->arena.round > 0)
		rc |= json_object_set_new(json, "arena", record_arena_to_json(&r->arena));
	if (r->initial)
		rc |= json_object_set_new(json, "initial", record_initial_to_json(r));
	rc |= set_time(json, "rewrite_s", r->rewrite_s);
	rc |= set_time(json, "evaluate_s", r->evaluate_s);
	rc |= set_time(json, "total_s", r->total_s);
	return rc ? -1 : 0;
}

json_t *record_to_json(const record *r)
{
	json_t *json = json_pack("{s:i, s:o, s:s, s:s, s:I, s:s, s:i, s:f, s:f}",
		"generation", r->number, "parent",
		r->parent >= 0 ? json_integer(r->parent) : json_null(),
		"status", record_status_name(r->status), "reason", r->reason ? r->reason : "",
		"seed", (json_int_t)(r->seed & 0x7fffffffffffffffULL),
		"host_version", r->host_version ? r->host_version : HOST_VERSION,
		"abi_version", r->abi_version, "fitness", r->fitness, "holdout", r->holdout);

	if (json && add_parts(json, r) < 0) {
		json_decref(json);
		json = NULL;
	}
	return json;
}

static double time_of(const json_t *json, const char *key)
{
	const json_t *v = json_object_get(json, key);

	return json_is_number(v) ? json_number_value(v) : RECORD_ABSENT;
}

static int read_measure(record *out, const json_t *m)
{
	const char *model = json_string_value(json_object_get(m, "model"));

	if (!json_is_object(m))
		return 0;
	/* a note of a host before carry was measured from initial.c */
	return record_set_measure(out, model ? model : "offline",
				  (int)json_integer_value(json_object_get(m, "llm_calls")),
				  (int)json_integer_value(json_object_get(m, "trials")),
				  json_is_true(json_object_get(m, "carry")));
}

static int read_parts(record *out, const json_t *json)
{
	const json_t *tasks = json_object_get(json, "tasks"), *t, *stage, *u;
	const char *name;
	size_t i;
	int rc = 0;

	out->changes = record_text(json_string_value(json_object_get(json, "changes")), RECORD_LINES);
	out->summary = record_member(json, "summary");
	out->edits = record_text(json_string_value(json_object_get(json, "edits")), RECORD_LINES);
	out->rewrite_trace = json_incref(json_object_get(json, "rewrite_trace"));
	out->has_budget = json_is_object(json_object_get(json, "budget"));
	record_budget_from_json(&out->budget, json_object_get(json, "budget"));
	u = json_object_get(json, "utility");
	out->has_utility = json_is_object(u);
	out->utility.score = json_number_value(json_object_get(u, "score"));
	out->utility.cost = json_number_value(json_object_get(u, "cost"));
	out->utility.time = json_number_value(json_object_get(u, "time"));
	record_arena_from_json(&out->arena, json_object_get(json, "arena"));
	if ((rc = read_measure(out, json_object_get(json, "measured"))) < 0 ||
	    (rc = record_initial_from_json(out, json_object_get(json, "initial"))) < 0)
		return rc;
	json_object_foreach((json_t *)tasks, name, t) {
		record_task task;
		if ((rc = record_task_from_json(&task, name, t)) == 0) {
			rc = record_add_task(out, &task);
			record_task_free(&task);
		}
		if (rc < 0)
			return rc;
	}
	if (json_is_object(tasks) && !out->tasks)  /* evaluated on no task: still present */
		out->tasks = calloc(1, sizeof(*out->tasks));
	json_array_foreach(json_object_get(json, "validation"), i, stage)
		if ((rc = record_add_stage(out, json_string_value(json_object_get(stage, "stage")),
					   json_string_value(json_object_get(stage, "status")),
					   json_string_value(json_object_get(stage, "diagnostics")))) < 0)
			return rc;
	if (json_is_array(json_object_get(json, "validation")) && !out->stages)
		out->stages = calloc(1, sizeof(*out->stages));
	return 0;
}

int record_from_json(record *out, const json_t *json)
{
	const json_t *parent = json_object_get(json, "parent");
	const json_t *reverted = json_object_get(json, "reverted_to");
	int rc;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(json) || !json_is_integer(json_object_get(json, "generation")) ||
	    parse_status(&out->status, json_string_value(json_object_get(json, "status"))) < 0)
		return err_set(ERR_INVALID, "not a generation's record (it needs a generation "
			       "number and a status)");
	out->number = (int)json_integer_value(json_object_get(json, "generation"));
	out->parent = json_is_integer(parent) ? (int)json_integer_value(parent) : -1;
	out->reverted_to = json_is_integer(reverted) ? (int)json_integer_value(reverted) : -1;
	out->round = (int)json_integer_value(json_object_get(json, "round"));
	if (out->round < 0)
		out->round = 0;
	out->reason = record_text(json_string_value(json_object_get(json, "reason")) ?
				json_string_value(json_object_get(json, "reason")) : "", RECORD_LINE);
	out->seed = (unsigned long long)json_integer_value(json_object_get(json, "seed"));
	out->host_version = record_member(json, "host_version");
	out->abi_version = (int)json_integer_value(json_object_get(json, "abi_version"));
	out->fitness = json_number_value(json_object_get(json, "fitness"));
	out->holdout = json_number_value(json_object_get(json, "holdout"));
	out->rewrite_s = time_of(json, "rewrite_s");
	out->evaluate_s = time_of(json, "evaluate_s");
	out->total_s = time_of(json, "total_s");
	rc = out->reason ? read_parts(out, json) : err_set(ERR_SYSTEM, "out of memory");
	if (rc < 0)
		record_free(out);
	return rc;
}
