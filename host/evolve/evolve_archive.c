/*
 * evolve_archive.c - the archive of generations as the meta agent reads
 * it, and each round's choice of parent; see evolve.h and
 * evolve_internal.h.
 *
 * The archive is what a meta agent needs to decide what to change: the
 * run's limits and budgets (and whether solutions are carried), the
 * tasks with what they ask, their baselines and targets and their best
 * solutions so far, and every
 * generation's outcome, its one-line summary, its scores per task, its
 * longest evaluation's time against the limit and, for the latest ones
 * and the parent, what the task agent did (evolve_trace.c shortens
 * that). The agent sources are not in it: the meta agent reads them with
 * host_read, so nothing is sent twice.
 *
 * A task's best solution is the lab's, not the parent's: the parent's
 * own run is in its trace already, and the best code any task agent of
 * the lab wrote is what the agents being rewritten should reach and
 * beat. It is chosen by the host's training score only; held-out scores
 * choose nothing, and a solution is what a task agent wrote, which never
 * saw a held-out case.
 *
 * The archive travels in the meta agent's sandbox job, which has a cap,
 * and a lab only grows: so it has a budget, EVOLVE_ARCHIVE_MAX, whatever
 * the lab holds. Each text a generation brings is cut to a length of its
 * own, after a word with an ellipsis (what its rewrite added to memory.md
 * is in memory.md whole), so that no one generation crowds out the
 * others; the tasks' solutions go in while the tasks take a quarter of
 * the budget; the parent goes in first, then the generations newest
 * first while they fit. What was left out is counted ("omitted") and
 * what was cut is named (a generation's or a task's "cut"), so a meta
 * agent knows it sees less than there is.
 *
 * Selection is either greedy ("best": extend the live generation, so
 * acceptance climbs main) or open-ended ("archive": any valid generation,
 * weighted by fitness and penalised for its children, as in the Darwin
 * Goedel Machine). The draw depends on the run's seed and the generation
 * number only, so a run can be repeated.
 */
#include "evolve_internal.h"

#include "error.h"
#include "text.h"
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

/* A task's description, and its best solution's code, in bytes. The
 * descriptions of EVOLVE_MAX_TASKS tasks take under 1 MB even if every
 * byte must be escaped; the solutions go in while the tasks take at most
 * TASKS_ROOM, so that the head and the parent fit in EVOLVE_ARCHIVE_MAX. */
#define DESCRIPTION_MAX 2048
#define CODE_MAX 16384
#define TASKS_ROOM (EVOLVE_ARCHIVE_MAX / 4)

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

	return json_pack("{s:i, s:i, s:i, s:I, s:f, s:I, s:f, s:I, s:I, s:b}",
		"evals_per_task", o->eval.budget,
		"llm_calls_per_run", o->eval.agent.llm ? o->eval.agent.llm_calls : 0,
		"meta_seconds", evolve_meta_ms(&o->eval) / 1000,
		"prompt_max_chars", (json_int_t)o->limits.prompt_max,
		"max_usd", o->limits.max_usd, "max_tokens", (json_int_t)o->limits.max_tokens,
		"usd_spent", spent.usd, "tokens_spent", (json_int_t)(spent.tokens_in + spent.tokens_out),
		"archive_max_bytes", (json_int_t)EVOLVE_ARCHIVE_MAX, "carry", o->eval.carry);
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

/* `text` (NULL: "") as a string of at most `max` bytes, cut after a
 * word with an ellipsis (text_shorten); a cut is noted as `member`'s. */
static json_t *bounded(const char *text, size_t max, const char *member, json_t *cut)
{
	int was_cut;
	char *kept;
	json_t *json;

	text = text ? text : "";
	if (!(kept = text_shorten(text, strnlen(text, max + 1), max, &was_cut)))
		return NULL;
	if (was_cut)
		note_cut(cut, member);
	json = json_string(kept);
	free(kept);
	return json;
}

/* The bytes `json` takes in the archive's text (and a comma). */
static size_t size_of(const json_t *json)
{
	return json_dumpb(json, NULL, 0, JSON_COMPACT) + 1;
}

/* The newest of the measured generations of `h` whose solution of `t`
 * scored best on the training cases (held-out scores choose nothing);
 * -1 when none has a score. */
static int best_generation(double *train, const evolve_history *h, const task *t)
{
	const record_task *rt;
	int best = -1;
	size_t i;

	for (i = 0; i < h->n; i++) {
		rt = record_measured(&h->items[i]) ? record_find_task(&h->items[i], t->name) : NULL;
		if (!rt || rt->train_failed)
			continue;
		if (best < 0 || (t->higher_is_better ? rt->train >= *train : rt->train <= *train)) {
			best = h->items[i].number;
			*train = rt->train;
		}
	}
	return best;
}

/* `code` as a string of at most CODE_MAX bytes, cut after a whole line
 * (and before any byte that is not UTF-8); a cut is noted. */
static json_t *code_json(const char *code, json_t *cut)
{
	size_t n = strnlen(code, CODE_MAX + 1), valid = utf8_valid_prefix(code, n);

	if (valid < n || n > CODE_MAX) {
		n = valid < CODE_MAX ? valid : utf8_valid_prefix(code, CODE_MAX);
		while (n > 0 && code[n - 1] != '\n')
			n--;
		note_cut(cut, "best.code");
	}
	return json_stringn(code, n);
}

/* Task t's best solution so far, in `json`'s "best": {"generation",
 * "train", "code"}, its code while it fits in *room ("best.code" noted
 * in `cut` when it does not). Its code is read from the lab: a record
 * does not carry it. */
static int add_best(json_t *json, json_t *cut, size_t *room, lab *l, const evolve_history *h,
		    const task *t)
{
	double train = 0;
	int number = best_generation(&train, h, t), rc;
	char *code = NULL;
	json_t *best, *text;
	size_t size;

	if (number < 0)
		return 0;
	if ((rc = store_solution(l->store, number, t->name, &code)) < 0)
		return rc == ERR_NOTFOUND ? 0 : rc;  /* a lab made before solutions were kept */
	best = json_pack("{s:i, s:f}", "generation", number, "train", train);
	text = code_json(code, cut);
	free(code);
	if (!best || !text) {
		json_decref(best);
		json_decref(text);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	if ((size = size_of(text) + sizeof("\"code\":")) <= *room) {
		*room -= size;
		json_object_set(best, "code", text);
	} else {
		note_cut(cut, "best.code");
	}
	json_decref(text);
	json_object_set_new(json, "best", best);
	return 0;
}

/* One task of the run as the meta agent reads it: what it asks, how it
 * is scored, and its best solution so far (add_best). */
static json_t *task_json(const task *t)
{
	json_t *cut = json_array(), *json;

	json = cut ? json_pack("{s:s, s:s, s:b, s:f, s:f, s:o}", "name", t->name, "metric",
			       t->metric, "higher_is_better", t->higher_is_better, "baseline",
			       t->baseline, "target", t->target, "description",
			       bounded(t->description, DESCRIPTION_MAX, "description", cut)) : NULL;
	if (json)
		json_object_set(json, "cut", cut);
	json_decref(cut);
	return json;
}

/* The run's tasks into *out; their solutions while the tasks take at
 * most TASKS_ROOM bytes, the first tasks' first. */
static int tasks_json(json_t **out, lab *l, const evolve_history *h, const evolve_options *o)
{
	json_t *tasks = json_array(), *t;
	size_t i, used, room;
	int rc = 0;

	for (i = 0; tasks && i < o->eval.n_tasks; i++)
		if (json_array_append_new(tasks, task_json(o->eval.tasks[i])) < 0)
			break;
	if (!tasks || i < o->eval.n_tasks) {
		json_decref(tasks);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	used = size_of(tasks);
	room = used < TASKS_ROOM ? TASKS_ROOM - used : 0;
	for (i = 0; rc == 0 && i < o->eval.n_tasks; i++) {
		t = json_array_get(tasks, i);
		rc = add_best(t, json_object_get(t, "cut"), &room, l, h, o->eval.tasks[i]);
		if (json_array_size(json_object_get(t, "cut")) == 0)
			json_object_del(t, "cut");
	}
	if (rc < 0)
		json_decref(tasks);
	*out = rc < 0 ? NULL : tasks;
	return rc;
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
	if (json && n.longest_ms >= 0)  /* each evaluation's time is in the trace */
		json_object_set_new(json, "longest_eval_ms", json_real(n.longest_ms));
	if (json && n.limit_ms > 0)
		json_object_set_new(json, "eval_limit_ms", json_integer(n.limit_ms));
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

int evolve_archive_json(json_t **out, lab *l, const evolve_history *h, const evolve_options *o,
			int parent)
{
	json_t *tasks = NULL, *archive, **kept, *gens;
	size_t i, omitted, head;
	int rc = tasks_json(&tasks, l, h, o);

	*out = NULL;
	if (rc < 0)
		return rc;
	/* "omitted" as wide as it can get, for the head's size */
	archive = json_pack("{s:i, s:o, s:o, s:[], s:I}", "parent", parent, "limits",
			    limits_json(o), "tasks", tasks, "generations", "omitted",
			    (json_int_t)h->n);
	kept = calloc(h->n + 1, sizeof(*kept));
	if (!archive || !kept) {
		json_decref(archive);
		free(kept);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	head = size_of(archive) + ARCHIVE_SLACK;
	pick_generations(kept, &omitted, h, o, parent,
			 head < EVOLVE_ARCHIVE_MAX ? EVOLVE_ARCHIVE_MAX - head : 0);
	gens = json_object_get(archive, "generations");
	for (i = 0; i < h->n; i++)  /* oldest first, as agent.h promises */
		if (kept[i])
			json_array_append_new(gens, kept[i]);
	json_object_set_new(archive, "omitted", json_integer((json_int_t)omitted));
	free(kept);
	*out = archive;
	return 0;
}

int evolve_archive_read(json_t **out, lab *l, const evolve_options *o, int parent)
{
	evolve_history h;
	int rc = evolve_history_read(&h, l);

	if (rc < 0)
		return rc;
	rc = evolve_archive_json(out, l, &h, o, parent);
	record_list_free(&h);
	return rc;
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
