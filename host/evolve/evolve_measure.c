/*
 * evolve_measure.c - like with like: whether a generation was measured as
 * this run measures, re-measuring a parent that was not, and deciding a
 * candidate against its parent; see evolve_internal.h.
 *
 * A fitness depends on what measured it: the model the task agent asked,
 * the calls it could make, the budget, the tasks, the seed, the utility,
 * the trials averaged, and where the task agents started (carry: from
 * the parent's solutions, so that a fitness measures the lineage's
 * solutions and what the agent added to them; else from initial.c, so
 * that it measures the agent alone). A candidate measured with a model
 * must not beat a parent measured offline on the model's merit, nor one
 * measured from a fresh start on the solutions it inherited, so a parent
 * measured otherwise is measured again, as a generation of its own,
 * before it is compared with anything. Equal fitness is then decided by
 * what it cost:
 * dollars, then evaluations, then model calls (with a slow model, the
 * time). Wall time itself decides nothing: it differs from run to run and
 * under a replay, and the same seed and record must make the same
 * decisions. A timed task's CPU time differs from run to run too: its
 * part of the fitness counts only as far as a test over interleaved runs
 * of the candidate's solution and the parent's shows it (evolve_noise.c),
 * and a candidate whose solutions are all its parent's is never better.
 */
#include "evolve_internal.h"

#include "buf.h"
#include "error.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SAME_FITNESS 1e-9
#define SAME_USD 1e-9

void evolve_task_set(buf *out, const void *list, size_t n,
		     const char *(*name)(const void *list, size_t i))
{
	const char *last = NULL, *next, *s;
	size_t i, k;

	/* the least name above the last, n times at most: no copy to sort,
	 * and a name listed twice comes once */
	for (k = 0; k < n; k++, last = next) {
		for (next = NULL, i = 0; i < n; i++)
			if ((s = name(list, i)) && (!last || strcmp(s, last) > 0) &&
			    (!next || strcmp(s, next) < 0))
				next = s;
		if (!next)
			break;
		buf_printf(out, "%s%s", last ? "," : "", next);
	}
}

static const char *record_name(const void *list, size_t i)
{
	return ((const record *)list)->tasks[i].name;
}

static const char *option_name(const void *list, size_t i)
{
	return ((const evolve_eval_options *)list)->tasks[i]->name;
}

static void differs(buf *why, const char *what, const char *now, const char *was)
{
	buf_printf(why, "%s%s %s (was %s)", why->len ? ", " : "", what, now, was);
}

static void differs_int(buf *why, const char *what, long long now, long long was)
{
	char a[32], b[32];

	snprintf(a, sizeof(a), "%lld", now);
	snprintf(b, sizeof(b), "%lld", was);
	differs(why, what, a, b);
}

int evolve_same_measure(const record *r, const evolve_eval_options *o, buf *why)
{
	const char *model = r->has_measure && r->measure.model ? r->measure.model : "offline";
	int calls = r->has_measure ? r->measure.llm_calls : 0;
	int trials = r->has_measure && r->measure.trials > 0 ? r->measure.trials : 1;
	int now_trials = o->trials > 1 ? o->trials : 1, now_calls = o->agent.llm ? o->agent.llm_calls : 0;
	const evolve_utility *u = &o->utility;
	buf had = BUF_INIT, has = BUF_INIT;
	size_t start = why->len;

	if (strcmp(model, llm_model(o->agent.llm)) != 0)
		differs(why, "model", llm_model(o->agent.llm), model);
	else if (calls != now_calls)
		differs_int(why, "model calls", now_calls, calls);
	if (trials != now_trials)
		differs_int(why, "trials", now_trials, trials);
	if (r->budget.evals_per_task != o->budget)
		differs_int(why, "budget", o->budget, r->budget.evals_per_task);
	evolve_task_set(&had, r, r->n_tasks, record_name);
	evolve_task_set(&has, o, o->n_tasks, option_name);
	if (strcmp(buf_cstr(&had), buf_cstr(&has)) != 0)
		differs(why, "tasks", buf_cstr(&has), buf_cstr(&had));
	if (r->seed != (o->seed & 0x7fffffffffffffffULL))
		differs_int(why, "seed", (long long)o->seed, (long long)r->seed);
	if (r->has_utility && (r->utility.score != u->score || r->utility.cost != u->cost ||
			       r->utility.time != u->time))
		buf_puts(why, why->len ? ", another utility" : "another utility");
	if ((r->has_measure && r->measure.carry) != (o->carry != 0))
		differs(why, "carry", o->carry ? "on" : "off", o->carry ? "off" : "on");
	if (r->arena.round > 0)  /* its fitness counts the arena's cases too */
		buf_printf(why, "%sthe tasks' own cases (was with the arena's %d grown ones)",
			   why->len ? ", " : "", r->arena.grown);
	buf_free(&had);
	buf_free(&has);
	return why->len == start;
}

/* What the task agents spent in `r`: dollars and model calls. */
static void task_spend(const record *r, double *usd, long *calls)
{
	size_t i;

	*usd = 0;
	*calls = 0;
	for (i = 0; i < r->n_tasks; i++) {
		*usd += r->tasks[i].usd;
		*calls += r->tasks[i].llm_calls;
	}
}

/* Equal fitness: 1 when `r` costs less than `parent`, 0 when it does not;
 * `why` says which cost decided. */
static int cheaper(const record *r, const record *parent, char *why, size_t size)
{
	double usd, parent_usd;
	long calls, parent_calls;

	task_spend(r, &usd, &calls);
	task_spend(parent, &parent_usd, &parent_calls);
	if (fabs(usd - parent_usd) > SAME_USD) {
		snprintf(why, size, "it spent $%.4f on the tasks against the parent's $%.4f", usd,
			 parent_usd);
		return usd < parent_usd;
	}
	if (r->budget.evals_used != parent->budget.evals_used) {
		snprintf(why, size, "it used %d evaluations against the parent's %d",
			 r->budget.evals_used, parent->budget.evals_used);
		return r->budget.evals_used < parent->budget.evals_used;
	}
	if (calls != parent_calls) {
		snprintf(why, size, "it made %ld model calls against the parent's %ld", calls,
			 parent_calls);
		return calls < parent_calls;
	}
	snprintf(why, size, "it cost no less (the same dollars, evaluations and model calls)");
	return 0;
}

/* The reason of a decision on a lab with timed tasks: what counted of
 * the difference in fitness, what was recorded, and how each timed task
 * compared with the parent's (`noise`). The recorded fitnesses are of
 * evaluations made apart, so they may even disagree with what counted. */
static void noisy_reason(buf *reason, const record *r, const record *parent, double gain,
			 const char *noise)
{
	if (fabs(gain) <= SAME_FITNESS)
		buf_puts(reason, "equal to the parent within the noise");
	else
		buf_printf(reason, "%s the parent: %+.4f in fitness beyond the noise",
			   gain > 0 ? "better than" : "not better than", gain);
	buf_printf(reason, " (recorded %.4f against its %.4f; %s)", r->fitness, parent->fitness,
		   noise);
}

int evolve_decide(record *r, const record *parent)
{
	buf reason = BUF_INIT, noise = BUF_INIT;
	double gain;
	char cost[200];
	int rc;

	if (evolve_same_solutions(r, parent)) {
		r->status = RECORD_REJECTED;
		return record_set_reason(r, "its solutions are the same as its parent's, byte for "
					 "byte: the same solutions are never better");
	}
	gain = evolve_counted_gain(r, parent, &noise);
	if (noise.len)
		noisy_reason(&reason, r, parent, gain, buf_cstr(&noise));
	if (fabs(gain) <= SAME_FITNESS) {
		r->status = cheaper(r, parent, cost, sizeof(cost)) ? RECORD_ACCEPTED
			    : RECORD_REJECTED;
		if (!noise.len)
			buf_printf(&reason, "fitness %.4f equals the parent's", r->fitness);
		buf_printf(&reason, "; %s", cost);
	} else {
		r->status = gain > 0 ? RECORD_ACCEPTED : RECORD_REJECTED;
		if (!noise.len)
			buf_printf(&reason, r->status == RECORD_ACCEPTED
				   ? "fitness %.4f is above the parent's %.4f"
				   : "fitness %.4f is not above the parent's %.4f", r->fitness,
				   parent->fitness);
	}
	rc = buf_failed(&reason) < 0 || buf_failed(&noise) < 0
	     ? err_set(ERR_SYSTEM, "out of memory") : record_set_reason(r, buf_cstr(&reason));
	buf_free(&reason);
	buf_free(&noise);
	return rc;
}

int evolve_meta_ms(const evolve_eval_options *o)
{
	return o->meta_ms > 0 ? o->meta_ms : EVOLVE_META_MS;
}

int evolve_stopping(const evolve_eval_options *o)
{
	return o->agent.stop && *o->agent.stop;
}

/* A model that refused for good (a 401, a 404) left the agents offline
 * halfway: what they did was measured neither with the model nor
 * without it, so it is no measure, as a stopped run's is not. */
int evolve_mark_interrupted(record *r, const evolve_eval_options *o)
{
	int stopped;

	if (!o->agent.llm || (r->status == RECORD_INVALID && r->n_stages > 0))
		return 0;
	stopped = evolve_stopping(o) || llm_exhausted(o->agent.llm);
	if (!stopped && !llm_fatal(o->agent.llm))
		return 0;
	r->status = RECORD_INTERRUPTED;
	return record_set_reason(r, stopped ? "the run was stopped while its agents could call "
				 "the model; kept, not measured" : "the model refused while its "
				 "agents could call it; kept, not measured");
}

int evolve_keep_lost(record *r, int rc)
{
	char reason[700];

	if (rc != EVOLVE_STEP_LOST)
		return rc;
	snprintf(reason, sizeof(reason), "%.600s; kept, not measured", err_last());
	r->status = RECORD_INTERRUPTED;
	return record_set_reason(r, reason);
}

int evolve_score_initial(record *r, const evolve_eval_options *o)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < o->n_tasks; i++) {
		record_task t = { .name = o->tasks[i]->name };

		/* evolve_score_solution sets no name: t's stays the task's. No
		 * judge: initial.c's level is its rubric score, the task's own */
		rc = evolve_score_solution(&t, o->tasks[i], o->tasks[i]->initial_text, 1, NULL);
		if (rc == 0)
			rc = record_add_initial(r, &t);
		t.name = NULL;
		record_task_free(&t);
	}
	return rc;
}

int evolve_remeasure(record *out, lab *l, const record *parent, const agent_files *files,
		     int number, const evolve_eval_options *o, const char *why)
{
	buf reason = BUF_INIT;
	int live, rc = store_main(l->store, &live);

	if (rc < 0)
		return rc;
	buf_printf(&reason, "re-measured gen_%03d: %s", parent->number, why);
	if ((rc = buf_failed(&reason)) < 0 ||
	    (rc = record_init(out, number, parent->number,
			      parent->number == live ? RECORD_ACCEPTED : RECORD_REJECTED,
			      buf_cstr(&reason), o->seed)) < 0) {
		buf_free(&reason);
		return rc;
	}
	buf_free(&reason);
	if (!(out->changes = strdup("")))
		rc = err_set(ERR_SYSTEM, "out of memory");
	if (rc == 0 && (rc = evolve_evaluate(out, files, parent, o)) == EVOLVE_STEP_LOST)
		rc = evolve_keep_lost(out, rc);
	else if (rc == 0 && (rc = evolve_score_initial(out, o)) == 0)
		rc = evolve_mark_interrupted(out, o);
	if (rc == 0)
		rc = evolve_commit(l, out, files, -1, NULL);
	if (rc < 0)
		record_free(out);
	return rc;
}
