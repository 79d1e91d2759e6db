/*
 * evolve_archive.c - the archive of generations as the meta agent reads
 * it, and each round's choice of parent; see evolve.h and
 * evolve_internal.h.
 *
 * The archive is what a meta agent needs to decide what to change: the
 * run's limits and budgets, the tasks with their baselines and targets,
 * and every generation's outcome, its one-line summary, its scores per
 * task and, for the latest ones and the parent, what the task agent did
 * (evolve_trace.c shortens that). The agent sources are not in it: the
 * meta agent reads them with host_read, so nothing is sent twice.
 *
 * The archive travels in the meta agent's sandbox job, which has a cap,
 * and a lab only grows: so it has a budget, EVOLVE_ARCHIVE_MAX, whatever
 * the lab holds. Each text a generation brings is cut to a length of its
 * own (what its rewrite added to memory.md is in memory.md whole), so
 * that no one generation crowds out the others; the parent goes in
 * first, then the generations newest first while they fit. What was left
 * out is counted ("omitted") and what was cut is named (a generation's
 * "cut"), so a meta agent knows it sees less than there is.
 *
 * Selection is either greedy ("best": extend the live generation, so
 * acceptance climbs main) or open-ended ("archive": any valid generation,
 * weighted by fitness and penalised for its children, as in the Darwin
 * Goedel Machine). The draw depends on the run's seed and the generation
 * number only, so a run can be repeated.
 */
#include "evolve_internal.h"

#include "error.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

/* The bytes of each text of a generation the archive keeps. With at most
 * EVOLVE_MAX_TASKS tasks, each with 24 trace lines of at most 400 bytes,
 * a generation takes under 2 MB even if every byte must be escaped: the
 * parent always fits in EVOLVE_ARCHIVE_MAX. */
#define CHANGES_MAX 4096
#define REASON_MAX 1024
#define SUMMARY_MAX 400
#define PROBLEM_MAX 1024
#define WORD_MAX 128          /* a task's name, how its agent's and held-out runs ended */

/* Room left for what callers add to an archive ("round", "mutate"). */
#define ARCHIVE_SLACK 4096

int evolve_history_read(evolve_history *out, lab *l)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_each(l->store, record_list_keep, out)) < 0)
		record_list_free(out);
	return rc;
}

/* The task `name` of this run, or NULL (a task an earlier run had). */
static const task *run_task(const evolve_options *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->eval.n_tasks; i++)
		if (strcmp(o->eval.tasks[i]->name, name) == 0)
			return o->eval.tasks[i];
	return NULL;
}

/* What the agents may spend, and what the run has spent. */
static json_t *limits_json(const evolve_options *o)
{
	llm_usage spent = llm_totals(o->eval.agent.llm);

	return json_pack("{s:i, s:i, s:i, s:I, s:f, s:I, s:f, s:I, s:I}",
		"evals_per_task", o->eval.budget,
		"llm_calls_per_run", o->eval.agent.llm ? o->eval.agent.llm_calls : 0,
		"meta_seconds", evolve_meta_ms(&o->eval) / 1000,
		"prompt_max_chars", (json_int_t)o->limits.prompt_max,
		"max_usd", o->limits.max_usd, "max_tokens", (json_int_t)o->limits.max_tokens,
		"usd_spent", spent.usd, "tokens_spent", (json_int_t)(spent.tokens_in + spent.tokens_out),
		"archive_max_bytes", (json_int_t)EVOLVE_ARCHIVE_MAX);
}

static json_t *tasks_json(const evolve_options *o)
{
	json_t *tasks = json_array();
	size_t i;

	for (i = 0; tasks && i < o->eval.n_tasks; i++) {
		const task *t = o->eval.tasks[i];
		json_array_append_new(tasks, json_pack("{s:s, s:s, s:b, s:f, s:f}", "name", t->name,
			"metric", t->metric, "higher_is_better", t->higher_is_better,
			"baseline", t->baseline, "target", t->target));
	}
	return tasks;
}

/* Names `member` in the list of what was cut, once. */
static void note_cut(json_t *cut, const char *member)
{
	size_t i;

	for (i = 0; i < json_array_size(cut); i++)
		if (strcmp(json_string_value(json_array_get(cut, i)), member) == 0)
			return;
	json_array_append_new(cut, json_string(member));
}

/* `text` (NULL: "") as a string of at most `max` bytes, cut on a
 * character; a cut is noted as `member`'s. */
static json_t *bounded(const char *text, size_t max, const char *member, json_t *cut)
{
	size_t n;

	text = text ? text : "";
	if ((n = strnlen(text, max + 1)) > max) {
		n = utf8_valid_prefix(text, max);
		note_cut(cut, member);
	}
	return json_stringn(text, n);
}

/* A task's result as the meta agent reads it: scores against baseline
 * and target, what was spent, and (with `trace`) what the task agent
 * did, in short. */
static json_t *task_result_json(const record_task *t, const evolve_options *o, int trace,
				json_t *cut)
{
	const task *def = run_task(o, t->name);
	evolve_trace_counts n;
	json_t *lines = evolve_short_trace(&n, t->trace, def ? def->higher_is_better : 1);
	json_t *json = json_pack("{s:o, s:o, s:o?, s:f, s:f, s:f, s:f, s:i, s:i, s:f, s:i, s:i}",
		"name", bounded(t->name, WORD_MAX, "tasks.name", cut),
		"agent", bounded(t->agent, WORD_MAX, "tasks.agent", cut),
		"problem", t->problem ? bounded(t->problem, PROBLEM_MAX, "tasks.problem", cut) : NULL,
		"train", t->train, "holdout", t->holdout, "fitness", t->fitness,
		"holdout_fitness", t->holdout_fitness, "evals", t->evals,
		"llm_calls", n.llm_calls, "seconds", t->agent_ms / 1000.0, "kept", n.kept,
		"failed", n.failed);

	if (json && def) {
		json_object_set_new(json, "baseline", json_real(def->baseline));
		json_object_set_new(json, "target", json_real(def->target));
	}
	if (json && record_holdout_failed(t))  /* its holdout is no score */
		json_object_set_new(json, "holdout_status",
				    bounded(t->holdout_status, WORD_MAX, "tasks.holdout_status", cut));
	if (json && trace && lines)
		json_object_set(json, "trace", lines);
	json_decref(lines);
	return json;
}

/* One generation: its outcome, what its rewrite changed, and how its task
 * agent did on each task (with `trace`: what it did), each text cut to
 * its length and at most EVOLVE_MAX_TASKS tasks; "cut" names what was
 * shortened. */
static json_t *generation_json(const record *r, const evolve_options *o, int trace)
{
	json_t *tasks = json_array(), *cut = json_array(), *json = NULL;
	size_t i;

	for (i = 0; tasks && cut && i < r->n_tasks && i < EVOLVE_MAX_TASKS; i++)
		json_array_append_new(tasks, task_result_json(&r->tasks[i], o, trace, cut));
	if (r->n_tasks > EVOLVE_MAX_TASKS)
		note_cut(cut, "tasks");
	if (tasks && cut)
		json = json_pack("{s:i, s:i, s:s, s:f, s:f, s:o, s:o, s:o, s:O}",
			"generation", r->number, "parent", r->parent < 0 ? 0 : r->parent,
			"status", record_status_name(r->status), "fitness", r->fitness,
			"holdout", r->holdout, "reason", bounded(r->reason, REASON_MAX, "reason", cut),
			"changes", bounded(r->changes, CHANGES_MAX, "changes", cut),
			"summary", bounded(r->summary, SUMMARY_MAX, "summary", cut), "tasks", tasks);
	if (json && json_array_size(cut))
		json_object_set(json, "cut", cut);
	json_decref(tasks);
	json_decref(cut);
	return json;
}

/* The bytes `json` takes in the archive's text (and a comma). */
static size_t size_of(const json_t *json)
{
	return json_dumpb(json, NULL, 0, JSON_COMPACT) + 1;
}

/* Picks into kept[] the generations of `h` that fit in `room` bytes: the
 * parent's first, whatever its size (its texts are bounded), then the
 * newest while they fit; *omitted counts the others. */
static void pick_generations(json_t **kept, size_t *omitted, const evolve_history *h,
			     const evolve_options *o, int parent, size_t room)
{
	size_t i, size;
	int full = 0;

	for (i = 0; i < h->n; i++)
		if (h->items[i].number == parent && (kept[i] = generation_json(&h->items[i], o, 1))) {
			size = size_of(kept[i]);
			room = size < room ? room - size : 0;
		}
	for (*omitted = 0, i = h->n; i-- > 0;) {
		if (h->items[i].number == parent)
			continue;
		kept[i] = full ? NULL : generation_json(&h->items[i], o,
							i + EVOLVE_ARCHIVE_TRACES >= h->n);
		if (kept[i] && (size = size_of(kept[i])) <= room) {
			room -= size;
			continue;
		}
		json_decref(kept[i]);
		kept[i] = NULL;
		full = 1;  /* newest first: no older one jumps the queue */
		++*omitted;
	}
}

json_t *evolve_archive_json(const evolve_history *h, const evolve_options *o, int parent)
{
	/* "omitted" as wide as it can get, for the head's size */
	json_t *archive = json_pack("{s:i, s:o, s:o, s:[], s:I}", "parent", parent,
				    "limits", limits_json(o), "tasks", tasks_json(o),
				    "generations", "omitted", (json_int_t)h->n);
	json_t **kept = calloc(h->n + 1, sizeof(*kept)), *gens;
	size_t i, omitted, head = archive ? size_of(archive) + ARCHIVE_SLACK : 0;

	if (!archive || !kept) {
		json_decref(archive);
		free(kept);
		return NULL;
	}
	pick_generations(kept, &omitted, h, o, parent,
			 head < EVOLVE_ARCHIVE_MAX ? EVOLVE_ARCHIVE_MAX - head : 0);
	gens = json_object_get(archive, "generations");
	for (i = 0; i < h->n; i++)  /* oldest first, as agent.h promises */
		if (kept[i])
			json_array_append_new(gens, kept[i]);
	json_object_set_new(archive, "omitted", json_integer((json_int_t)omitted));
	free(kept);
	return archive;
}

int evolve_archive_read(json_t **out, lab *l, const evolve_options *o, int parent)
{
	evolve_history h;
	int rc = evolve_history_read(&h, l);

	if (rc < 0)
		return rc;
	*out = evolve_archive_json(&h, o, parent);
	record_list_free(&h);
	return *out ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

/* A valid generation of the history, weighted by fitness and penalised
 * for the children it already has, as in the Darwin Goedel Machine; `u`
 * is uniform in [0, 1). */
static int pick_from_history(const evolve_history *h, double u, int fallback)
{
	size_t i, n = h->n;
	int last = n ? h->items[n - 1].number : 0, chosen = fallback;
	int *children = calloc((size_t)last + 1, sizeof(int));
	double *weight = calloc(n + 1, sizeof(double)), total = 0, pick;

	for (i = 0; weight && children && i < n; i++) {
		int parent = h->items[i].parent < 0 ? 0 : h->items[i].parent;  /* gen_000's is itself */
		if (parent <= last && parent != h->items[i].number)
			children[parent]++;
	}
	for (i = 0; weight && children && i < n; i++) {
		if (!record_measured(&h->items[i]))
			continue;
		weight[i] = (0.05 + h->items[i].fitness) / (1 + children[h->items[i].number]);
		total += weight[i];
	}
	for (i = 0, pick = u * total; weight && total > 0 && i < n; i++) {
		if (pick < weight[i]) {
			chosen = h->items[i].number;
			break;
		}
		pick -= weight[i];
	}
	free(weight);
	free(children);
	return chosen;
}

int evolve_select_parent(int *out, lab *l, const evolve_options *o,
			 const evolve_history *h, int number)
{
	unsigned long long draw = evolve_mix(o->eval.seed, (unsigned long long)number);
	int live, rc = store_main(l->store, &live);

	if (rc < 0)
		return rc;
	/* the draw's top 53 bits: uniform in [0, 1) */
	*out = o->select_archive
		? pick_from_history(h, (double)(draw >> 11) / 9007199254740992.0, live) : live;
	return 0;
}
