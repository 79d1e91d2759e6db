/*
 * arena.c - the arena's rounds; see arena.h.
 *
 * A round: replace the worst agents when it is time (arena_replace.c),
 * attack (arena_attack.c), then each code agent defends, evaluated like
 * a generation (evolve_evaluate) on views of the tasks whose training
 * cases are the original ones and the grown set and whose initial
 * solution is the code agent's current one. The host then scores the
 * solution apart on the original cases and on the grown set, for the
 * arms race's chart. The round's generations are committed in code agent
 * order (evolve_commit), each with the arena's state after the round in
 * its tree.
 */
#include "arena_internal.h"

#include "error.h"
#include "eval.h"
#include "oracle.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int arena_score(double *out, int *ok, task *t, const task_case *cases, size_t n,
		const char *solution)
{
	eval_result r;
	task view;
	int rc;

	task_view(&view, t, cases, n, solution);
	if ((rc = eval_solution(&r, &view, "solution.c", solution, EVAL_TRAIN)) < 0)
		return rc;
	*ok = r.status == SANDBOX_OK;
	*out = *ok ? r.score : t->higher_is_better ? 0 : t->baseline;
	eval_result_free(&r);
	return 0;
}

static int score_on(double *out, task *t, const task_case *cases, size_t n,
		    const char *solution)
{
	int ok;

	return arena_score(out, &ok, t, cases, n, solution);
}

/* `solution`'s score on the grown set (0 for an empty one). */
static int grown_score(double *out, task *t, const arena_cases *g, const char *solution)
{
	task_case *cases = calloc(g->n + 1, sizeof(*cases));
	size_t k;
	int rc = cases ? 0 : err_set(ERR_SYSTEM, "out of memory");

	*out = 0;
	for (k = 0; rc == 0 && k < g->n; k++) {
		cases[k].input = g->items[k].input;
		cases[k].label = g->items[k].label;
	}
	if (rc == 0 && g->n)
		rc = score_on(out, t, cases, g->n, solution);
	free(cases);
	return rc;
}

/* The task agent's solution replaced `current` but scores worse on the
 * task's own training cases: the code agent keeps `current`, scored as
 * the task agent's would have been. Handling the grown cases by losing
 * the task's own is overfitting, not robustness. */
static int keep_current(record_task *out, task *view, const char *current, double original,
			double was)
{
	char why[300];
	int rc;

	free(out->problem);
	out->problem = NULL;
	/* the task agent's grades were of its own answers: the kept solution
	 * is scored by its rubric alone (no judge in the arena's rescoring) */
	record_judge_free(&out->judge);
	if ((rc = evolve_score_solution(out, view, current, 1, NULL)) < 0)
		return rc;
	snprintf(why, sizeof(why), "kept its solution: the task agent's scored %g on the task's "
		 "own cases, worse than its %g", original, was);
	free(out->problem);
	out->original = was;
	return (out->problem = strdup(why)) ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

/* Task i of code agent c's round, after its task agent: the solution it
 * keeps, and that solution's scores apart on the original cases and the
 * grown set; *kept is set when it kept its current one. */
static int settle_task(record_task *out, int *kept, arena_coder *c, size_t i, task *view,
		       task *t, const arena_cases *g)
{
	const char *current = c->solutions[i];
	double now, was;
	int now_ok, was_ok, rc;
	char *solution;

	if ((rc = grown_score(&out->grown_before, t, g, current)) < 0 ||
	    (rc = arena_score(&now, &now_ok, t, t->train, t->n_train, out->solution)) < 0 ||
	    (rc = arena_score(&was, &was_ok, t, t->train, t->n_train, current)) < 0)
		return rc;
	out->original = now;
	if (was_ok && (!now_ok || (t->higher_is_better ? now < was : now > was))) {
		*kept = 1;
		if ((rc = keep_current(out, view, current, now, was)) < 0)
			return rc;
	}
	if ((rc = grown_score(&out->grown, t, g, out->solution)) < 0)
		return rc;
	out->has_split = g->n > 0;
	if (!(solution = strdup(out->solution)))
		return err_set(ERR_SYSTEM, "out of memory");
	free(c->solutions[i]);
	c->solutions[i] = solution;
	return 0;
}

typedef struct {
	task *views;
	task **pointers;
	task_case **training;
	size_t n;
} task_views;

static void free_views(task_views *v)
{
	size_t i;

	for (i = 0; v->training && i < v->n; i++)
		free(v->training[i]);
	free(v->training);
	free(v->pointers);
	free(v->views);
}

/* Each task as code agent k sees it: original and grown cases, its own
 * current solution to start from. */
static int make_views(task_views *v, const arena_state *s, size_t k, task **tasks)
{
	size_t i, n;

	v->n = s->n_tasks;
	v->views = calloc(v->n + 1, sizeof(*v->views));
	v->pointers = calloc(v->n + 1, sizeof(*v->pointers));
	v->training = calloc(v->n + 1, sizeof(*v->training));
	if (!v->views || !v->pointers || !v->training)
		return err_set(ERR_SYSTEM, "out of memory");
	for (i = 0; i < v->n; i++) {
		if (!(v->training[i] = arena_training(s, tasks[i], i, &n)))
			return ERR_SYSTEM;
		task_view(&v->views[i], tasks[i], v->training[i], n, s->coders[k].solutions[i]);
		v->pointers[i] = &v->views[i];
	}
	return 0;
}

/* Code agent k's round, measured into *r (generation `number`). */
static int defend(record *r, arena_state *s, size_t k, task **tasks, const evolve_options *o,
		  int number)
{
	arena_coder *c = &s->coders[k];
	evolve_eval_options eo = o->eval;
	task_views v = { NULL, NULL, NULL, 0 };
	double start = os_now_ms();
	size_t i;
	int rc, kept = 0;

	/* the run's seed in the record, as every generation's; a seed of the
	 * round's own for its agents, so that rounds differ */
	eo.seed = evolve_mix(o->eval.seed, (unsigned long long)s->round * 64 + k);
	if ((rc = record_init(r, number, c->generation, RECORD_REJECTED, "", o->eval.seed)) < 0)
		return rc;
	if ((rc = make_views(&v, s, k, tasks)) == 0) {
		eo.tasks = v.pointers;
		rc = evolve_evaluate(r, &c->files, NULL, &eo);  /* the views carry its solutions */
	}
	for (i = 0; rc == 0 && i < r->n_tasks; i++)
		rc = settle_task(&r->tasks[i], &kept, c, i, &v.views[i], tasks[i], &s->grown[i]);
	if (rc == 0 && kept)
		evolve_set_fitness(r, &o->eval);
	if (rc == 0)
		rc = evolve_mark_interrupted(r, &o->eval);
	c->fitness = r->fitness;
	r->total_s = (os_now_ms() - start) / 1000.0;
	free_views(&v);
	return rc;
}

/* A run under way, for its progress reports. */
typedef struct {
	const evolve_options *o;
	evolve_progress p;
	double start_ms;
} arena_progress;

static void report(arena_progress *run, int number, evolve_phase phase, const record *r,
		   double parent_fitness)
{
	run->p.number = number;
	run->p.phase = phase;
	run->p.record = r;
	run->p.parent_fitness = parent_fitness;
	run->p.seconds = r ? r->total_s : 0;
	run->p.usd = llm_totals(run->o->eval.agent.llm).usd;
	run->p.elapsed_s = (os_now_ms() - run->start_ms) / 1000.0;
	if (run->o->progress)
		run->o->progress(run->o->progress_ctx, &run->p);
	run->p.record = NULL;
}

/* The round's best measured code agent is accepted; the others are
 * rejected for it. Each reason says what the round did. */
static int decide(record *r, size_t n, const record_arena *tally, const arena_state *s)
{
	char reason[600], what[200];
	size_t k, best = n;
	int rc = 0;

	for (k = 0; k < n; k++)
		if (r[k].status == RECORD_REJECTED && (best == n || r[k].fitness > r[best].fitness))
			best = k;
	snprintf(what, sizeof(what), "+%d case%s (%d rejected), grown set %d",
		 tally->added, tally->added == 1 ? "" : "s", tally->rejected, tally->grown);
	for (k = 0; rc == 0 && k < n; k++) {
		if (k == best && n == 1)
			snprintf(reason, sizeof(reason), "arena round %d: %s; %s", tally->round,
				 s->coders[k].name, what);
		else if (k == best)
			snprintf(reason, sizeof(reason), "arena round %d: %s, the best of %zu code "
				 "agents; %s", tally->round, s->coders[k].name, n, what);
		else if (r[k].status == RECORD_REJECTED)
			snprintf(reason, sizeof(reason), "arena round %d: %s %s %s (%.4f %s %.4f); %s",
				 tally->round, s->coders[k].name, r[k].fitness < r[best].fitness
				 ? "behind" : "tied with", s->coders[best].name, r[k].fitness,
				 r[k].fitness < r[best].fitness ? "<" : "=", r[best].fitness, what);
		else
			snprintf(reason, sizeof(reason), "arena round %d: %s was %s; %s", tally->round,
				 s->coders[k].name, record_status_name(r[k].status), what);
		if (k == best)
			r[k].status = RECORD_ACCEPTED;
		r[k].arena = *tally;
		r[k].arena.code_agent = (int)k + 1;
		rc = record_set_reason(&r[k], reason);
	}
	return rc;
}

void arena_charge(record_arena *tally, const llm_usage *used)
{
	tally->llm_calls += used->calls;
	tally->tokens_in += used->tokens_in;
	tally->tokens_out += used->tokens_out;
	tally->usd += used->usd;
}

/* The round's own model use goes to its first generation, in its budget
 * too, after its fitness was set: a lab's generations then add up to
 * every call made, and no code agent is weighed by what the test agents
 * and the replacements spent. */
static void charge_round(record *r, size_t n)
{
	record_arena *a = &r[0].arena;
	size_t k;

	for (k = 1; k < n; k++) {
		r[k].arena.llm_calls = r[k].arena.tokens_in = r[k].arena.tokens_out = 0;
		r[k].arena.usd = 0;
	}
	r[0].has_budget = 1;
	r[0].budget.llm_calls += a->llm_calls;
	r[0].budget.tokens_in += a->tokens_in;
	r[0].budget.tokens_out += a->tokens_out;
	r[0].budget.usd += a->usd;
}

/* Commits the round's generations through evolve_commit, as every
 * generation enters the lab, the arena's state in each tree. */
static int commit_round(lab *l, record *r, size_t n, arena_state *s, task **tasks,
			arena_progress *run, evolve_summary *out, const double *was)
{
	agent_files files;
	store_folder folder = { STORE_ARENA, &files };
	size_t k;
	int rc;

	for (k = 0; k < n; k++)
		s->coders[k].generation = r[k].number;
	if ((rc = arena_state_files(&files, s, tasks)) < 0)
		return rc;
	for (k = 0; rc == 0 && k < n; k++) {
		if ((rc = evolve_commit(l, &r[k], &s->coders[k].files, -1, &folder)) < 0)
			break;
		out->last = r[k].number;
		out->accepted += r[k].status == RECORD_ACCEPTED;
		out->rejected += r[k].status == RECORD_REJECTED;
		run->p.evals += r[k].budget.evals_used;
		if (r[k].status == RECORD_ACCEPTED) {
			out->best = r[k].number;
			out->best_fitness = run->p.best = r[k].fitness;
			out->best_holdout = r[k].holdout;
		}
		report(run, r[k].number, EVOLVE_DONE, &r[k], was[k]);
	}
	agents_free(&files);
	return rc;
}

static int total_grown(const arena_state *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->n_tasks; i++)
		n += s->grown[i].n;
	return (int)n;
}

/* Adds a note to the round's events. */
/* Says in the round's events what of the state was read cut to its
 * bounds (see arena_load.c): grown sets past ARENA_GROWN_MAX, solutions
 * too large to take. Once, as the round's state holds them cut. */
static void note_cut_state(record_arena *tally, arena_state *s, task **tasks)
{
	size_t i;

	for (i = 0; i < s->n_tasks; i++) {
		if (s->grown[i].dropped)
			arena_note(tally, "%.40s: %zu grown cases past the %u MB a grown set may take "
				 "were left out", tasks[i]->name, s->grown[i].dropped,
				 ARENA_GROWN_MAX >> 20);
		s->grown[i].dropped = 0;
	}
	for (i = 0; i < s->n_coders; i++) {
		if (s->coders[i].replaced)
			arena_note(tally, "%s: %d solutions too large to take were left for the "
				 "initial ones", s->coders[i].name, s->coders[i].replaced);
		s->coders[i].replaced = 0;
	}
}

static int one_round(lab *l, arena_state *s, task **tasks, const evolve_options *o,
		     const arena_options *a, arena_progress *run, evolve_summary *out)
{
	record_arena tally;
	record *r = NULL;
	double *was = NULL;
	size_t k, n = 0;
	int number, rc = 0;

	memset(&tally, 0, sizeof(tally));
	tally.round = ++s->round;
	note_cut_state(&tally, s, tasks);
	if ((rc = store_next_number(l->store, &number)) < 0)
		return rc;
	report(run, number, EVOLVE_REWRITE, NULL, 0);
	if (s->round > 1 && (s->round - 1) % a->replace_every == 0)
		rc = arena_replace(s, &tally, l, tasks, o);
	if (rc == 0)
		rc = arena_attack(&tally, s, tasks, o, a);
	tally.grown = total_grown(s);
	if (rc == 0) {
		n = s->n_coders;
		r = calloc(n + 1, sizeof(*r));
		was = calloc(n + 1, sizeof(*was));
		rc = r && was ? 0 : err_set(ERR_SYSTEM, "out of memory");
	}
	for (k = 0; rc == 0 && k < n; k++) {
		was[k] = s->coders[k].fitness;
		report(run, number + (int)k, EVOLVE_EVALUATE, NULL, 0);
		rc = defend(&r[k], s, k, tasks, o, number + (int)k);
	}
	if (rc == 0 && (rc = decide(r, n, &tally, s)) == 0) {
		charge_round(r, n);
		rc = commit_round(l, r, n, s, tasks, run, out, was);
	}
	for (k = 0; r && k < n; k++)
		record_free(&r[k]);
	free(r);
	free(was);
	return rc;
}

static int check_oracles(task **tasks, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!oracle_present(tasks[i]))
			return err_set(ERR_INVALID, "task %s has no oracle (oracle.c in %s): the "
				       "arena labels every case it grows with one; run it on "
				       "tasks that have one, e.g. --tasks email", tasks[i]->name,
				       tasks[i]->dir);
	return 0;
}

int arena_check(lab *l, task **tasks, size_t n)
{
	arena_state s;
	int rc = check_oracles(tasks, n);

	if (rc == 0 && (rc = arena_state_load(&s, l, tasks, n)) == 0)
		arena_state_free(&s);
	return rc;
}

/* After a round: as plain evolve, the run ends when the model's budget
 * is spent (out->budget_spent), or fails when the model refused for good. */
static int spent(evolve_summary *out, const evolve_eval_options *o)
{
	if (llm_fatal(o->agent.llm))
		return err_set(ERR_GENERIC, "stopped after gen_%03d: %s", out->last,
			       llm_fatal(o->agent.llm));
	out->budget_spent = llm_exhausted(o->agent.llm);
	return 0;
}

static arena_options with_defaults(const arena_options *given)
{
	arena_options a = *given;

	a.replace_every = a.replace_every > 0 ? a.replace_every : ARENA_REPLACE_EVERY;
	a.cap = a.cap > 0 ? a.cap : ARENA_CAP;
	a.proposals = a.proposals > 0 ? a.proposals : ARENA_PROPOSALS;
	return a;
}

int arena_run(evolve_summary *out, lab *l, const evolve_options *o, const arena_options *given)
{
	arena_options a = with_defaults(given);
	evolve_options bounded = *o;
	arena_progress run;
	arena_state s;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&run, 0, sizeof(run));
	out->last = out->best = -1;
	if ((rc = check_oracles(o->eval.tasks, o->eval.n_tasks)) < 0 ||
	    (rc = slots_open(&bounded.eval.agent.cpu, o->eval.jobs > 1 ? o->eval.jobs : 1)) < 0)
		return rc;
	run.o = &bounded;
	run.start_ms = os_now_ms();
	run.p.gens = o->gens;
	if ((rc = arena_state_load(&s, l, o->eval.tasks, o->eval.n_tasks)) == 0) {
		rc = arena_size(&s, &a);
		while (rc == 0 && out->done < o->gens && !evolve_stopping(&o->eval) &&
		       !out->budget_spent) {
			rc = one_round(l, &s, o->eval.tasks, &bounded, &a, &run, out);
			run.p.done = out->done += rc == 0;
			rc = rc < 0 ? rc : spent(out, &o->eval);
		}
		arena_state_free(&s);
	}
	out->interrupted = evolve_stopping(&o->eval);
	out->seconds = (os_now_ms() - run.start_ms) / 1000.0;
	slots_close(bounded.eval.agent.cpu);
	return rc;
}
