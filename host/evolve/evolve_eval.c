/*
 * evolve_eval.c - evaluating a set of agents on the training tasks; see
 * evolve_evaluate in evolve.h.
 *
 * The task agent improves each task's initial solution within the budget,
 * in its sandbox, or, when the lab carries solutions, the parent's
 * solution for the task; the host then re-scores what it returns on the
 * training and held-out cases (evolve_score.c; a judged task's answers
 * graded by the model too), so an agent cannot report its own score,
 * nor carry one: the score of a carried solution is what host_eval says
 * of it in this run. With -j,
 * tasks are evaluated at once in worker processes (forks of the host, the
 * agents still sandboxed) and come back in task order, so the record is
 * the same as with one job.
 */
#include "evolve_internal.h"

#include "agent_run.h"
#include "error.h"
#include "evolve_workers.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void evolve_add_usage(llm_usage *total, const llm_usage *used)
{
	total->calls += used->calls;
	total->tokens_in += used->tokens_in;
	total->tokens_out += used->tokens_out;
	total->usd += used->usd;
	total->seconds += used->seconds;
}

void evolve_add_llm_use(record_budget *b, const llm_usage *used)
{
	b->llm_calls += used->calls;
	b->tokens_in += used->tokens_in;
	b->tokens_out += used->tokens_out;
	b->usd += used->usd;
}

/* The task agent's wall-clock limit: its own time (10 s unless the lab
 * says otherwise), plus the task's limit for each run of each evaluation
 * of the budget. */
static int agent_wall_ms(const task *t, int budget, int slack_ms)
{
	return agent_task_wall_ms(t, budget, slack_ms > 0 ? slack_ms : EVOLVE_AGENT_SLACK_MS);
}


/* Where task t's agent starts: with carry, `from`'s solution for t, when
 * its host's training run did not fail (a failed one is no start), it is
 * no larger than the host takes and it is not the initial.c text (which
 * is no carried work); else t's initial.c. */
static evolve_start start_of(const task *t, const record *from, const evolve_eval_options *o,
			     int number)
{
	const record_task *p = o->carry && from ? record_find_task(from, t->name) : NULL;
	evolve_start s = { number, t->initial_text, -1 };

	if (p && p->solution && !p->train_failed && strcmp(p->solution, t->initial_text) != 0 &&
	    strlen(p->solution) <= evolve_solution_max(t)) {
		s.initial = p->solution;
		s.carried_from = from->number;
	}
	return s;
}

/* The task agent's solution, scored (and judged, with `judge`); one
 * that did not end well counts only if it kept a scored best. An agent
 * that kept its `initial` (NULL) has that scored. */
static int score_solution(record_task *out, task *t, const agent_run_result *run,
			  const char *initial, const evolve_judging *judge)
{
	int counts = run->outcome.status == SANDBOX_OK || run->kept_best;

	return evolve_score_solution(out, t, run->result && counts ? run->result : initial, counts,
				     judge);
}

/* Runs the task agent on one task and re-scores its solution: trial
 * `trial` of o->trials, each with a seed of its own, from `s`. */
static int run_trial(record_task *out, task *t, const agent_files *files,
		     const evolve_eval_options *o, const evolve_start *s, int trial, llm_usage *used)
{
	int wall_ms = agent_wall_ms(t, o->budget, o->agent_slack_ms);
	char tag[120];
	agent_run_options ro = { .agent = &o->agent, .limits = { wall_ms, 600000, 512 },
				 .evals = o->budget,
				 .seed = trial ? evolve_mix(o->seed, (unsigned long long)trial) : o->seed,
				 .llm_tag = tag, .initial = s->initial,
				 .carried_from = s->carried_from };
	evolve_judging judge = { o->agent.llm, tag, used };
	agent_run_result run;
	int rc;

	snprintf(tag, sizeof(tag), "gen_%03d %.60s trial %d", s->number, t->name, trial);
	memset(out, 0, sizeof(*out));
	if ((rc = agent_improve(&run, t, files, &ro)) < 0)
		return rc;
	out->name = strdup(t->name);
	out->agent = strdup(run.outcome.status == SANDBOX_OK ? "ok"
			    : sandbox_status_name(run.outcome.status));
	if (run.outcome.status != SANDBOX_OK)
		out->problem = agent_run_problem(&run);
	out->evals = run.evals_used;
	out->agent_ms = run.outcome.elapsed_ms;
	out->llm_calls = run.llm_used.calls;
	out->usd = run.llm_used.usd;
	out->trace = json_incref(run.trace);
	rc = !out->name || !out->agent || (run.outcome.status != SANDBOX_OK && !out->problem)
		? err_set(ERR_SYSTEM, "out of memory") : score_solution(out, t, &run, s->initial, &judge);
	evolve_add_usage(used, &run.llm_used);
	agent_run_result_free(&run);
	if (rc < 0)
		record_task_free(out);
	return rc;
}

/* Adds trial `one` (freed) to the sums in `all`, which keeps the first
 * trial's trace, the first problem and the first failed held-out run, and
 * the solution of the trial that scored best on training (`*best`, in
 * normalised fitness). */
static void add_trial(record_task *all, record_task *one, double *best)
{
	if (!record_holdout_failed(all) && record_holdout_failed(one)) {
		char *status = all->holdout_status;

		all->holdout_status = one->holdout_status;
		one->holdout_status = status;
	}
	if (one->fitness > *best) {  /* its solution, and that solution's runs and grades */
		char *solution = all->solution;
		record_judge judge = all->judge;

		*best = one->fitness;
		all->solution = one->solution;
		one->solution = solution;
		all->timing = one->timing;
		all->judge = one->judge;
		one->judge = judge;
	}
	all->judge.calls += one->judge.calls;  /* every trial's judge was paid */
	all->judge.tokens_in += one->judge.tokens_in;
	all->judge.tokens_out += one->judge.tokens_out;
	all->judge.usd += one->judge.usd;
	all->train += one->train;
	all->holdout += one->holdout;
	all->fitness += one->fitness;
	all->holdout_fitness += one->holdout_fitness;
	all->evals += one->evals;
	all->agent_ms += one->agent_ms;
	all->llm_calls += one->llm_calls;
	all->usd += one->usd;
	if (!all->train_failed && one->train_failed) {  /* the mean holds a failed run */
		all->train_failed = one->train_failed;
		one->train_failed = NULL;
	}
	if (!all->problem && one->problem) {
		char *agent = all->agent;

		all->problem = one->problem;
		all->agent = one->agent;
		one->problem = NULL;
		one->agent = agent;
	}
	record_task_free(one);
}

int evolve_unit_local(record_task *out, task *t, const agent_files *files,
		      const evolve_eval_options *o, const evolve_start *s, llm_usage *used)
{
	int trials = o->trials > 1 ? o->trials : 1, k, rc;
	double best;

	memset(out, 0, sizeof(*out));
	if ((rc = slots_take(o->agent.cpu, 0, NULL, NULL)) < 0)
		return rc;
	rc = run_trial(out, t, files, o, s, 0, used);
	best = out->fitness;
	for (k = 1; rc == 0 && k < trials; k++) {
		record_task one;

		if ((rc = run_trial(&one, t, files, o, s, k, used)) == 0)
			add_trial(out, &one, &best);
	}
	slots_give(o->agent.cpu);
	if (rc < 0)
		record_task_free(out);  /* each trial leaves it freed or whole */
	if (rc == 0 && trials > 1) {
		out->train /= trials;
		out->holdout /= trials;
		out->fitness /= trials;
		out->holdout_fitness /= trials;
	}
	return rc;
}

/* The task agent's result on one task, for generation `number` (from
 * `from`'s solution, with carry), where the executor runs it: here,
 * holding a CPU slot that its agent lends while it waits for the model,
 * or in a Slurm job step, on a node's CPUs. */
static int evaluate_task(record_task *out, task *t, const agent_files *files,
			 const evolve_eval_options *o, int number, const record *from,
			 llm_usage *used)
{
	evolve_start s = start_of(t, from, o, number);

	if (o->executor.slurm)
		return evolve_unit_slurm(out, t, files, o, &s, used);
	return evolve_unit_local(out, t, files, o, &s, used);
}

/* What the workers of evaluate_parallel share. */
typedef struct {
	record_task *results;
	const agent_files *files;
	const evolve_eval_options *o;
	int number;
	const record *from;
	llm_usage *used;
	char lost[600];  /* why a unit's step ended without its result; "": none did */
} eval_workers;

/* A worker process: evaluates its task for generation `number`, seeing a
 * stop through the flag shared with it, and sends back {result, solution,
 * usage}. */
static int eval_work(json_t **out, void *ctx, evolve_worker *w)
{
	const eval_workers *e = ctx;
	evolve_eval_options wo = *e->o;
	llm_usage used = { 0, 0, 0, 0, 0 };
	record_task result;
	int rc;

	wo.agent.stop = w->stop;
	rc = evaluate_task(&result, wo.tasks[w->index], e->files, &wo, e->number, e->from, &used);
	*out = json_pack("{s:o?, s:s?, s:o, s:s?}", "result",
			 rc == 0 ? record_task_to_json(&result) : NULL,
			 "solution", rc == 0 ? result.solution : NULL,
			 "usage", llm_usage_to_json(&used),
			 "lost", rc == EVOLVE_STEP_LOST ? err_last() : NULL);
	if (rc == 0)
		record_task_free(&result);
	return rc == EVOLVE_STEP_LOST ? 0 : rc;
}

/* Reads worker i's result into results[i] and its LLM use. */
static int eval_done(void *ctx, size_t i, const json_t *out, const char *error, int status)
{
	eval_workers *e = ctx;
	llm_usage u;
	int rc = 0;

	(void)status;
	if (json_is_string(json_object_get(out, "lost"))) {
		if (!e->lost[0])
			snprintf(e->lost, sizeof(e->lost), "%s",
				 json_string_value(json_object_get(out, "lost")));
	} else if (!json_object_get(out, "result"))
		rc = err_set(ERR_GENERIC, "a worker failed: %s", error ? error : "it died");
	else if ((rc = record_task_from_json(&e->results[i], e->o->tasks[i]->name,
					     json_object_get(out, "result"))) == 0 &&
		 json_is_string(json_object_get(out, "solution")) &&
		 !(e->results[i].solution = strdup(json_string_value(json_object_get(out, "solution")))))
		rc = err_set(ERR_SYSTEM, "out of memory");
	llm_usage_from_json(&u, json_object_get(out, "usage"));
	evolve_add_usage(e->used, &u);  /* the client's totals have it already: they are shared */
	return rc;
}

static int eval_stopping(void *ctx)
{
	return evolve_stopping(((const eval_workers *)ctx)->o);
}

/* Evaluates every task, `o->jobs` at a time in worker processes (the
 * host's own code, forked; the agents still run in their sandboxes).
 * results[i] is task i's result; usage is added to *used. The workers are
 * heard in task order, so the sums are those of one process. */
static int evaluate_parallel(record_task *results, const agent_files *files,
			     const evolve_eval_options *o, int number, const record *from,
			     llm_usage *used)
{
	eval_workers e = { results, files, o, number, from, used, "" };
	evolve_workers_job job = {
		.what = "a worker", .n = o->n_tasks, .at_once = (size_t)o->jobs, .in_order = 1,
		.llm = o->agent.llm, .work = eval_work, .done = eval_done,
		.stopping = eval_stopping, .ctx = &e,
	};
	int rc = evolve_workers_run(&job);

	return rc == 0 && e.lost[0] ? err_set(EVOLVE_STEP_LOST, "%s", e.lost) : rc;
}

static int evaluate_all(record_task *results, const agent_files *files,
			const evolve_eval_options *o, int number, const record *from,
			llm_usage *used)
{
	size_t i;
	int rc = 0;

	if (o->jobs > 1 && o->n_tasks > 1)
		return evaluate_parallel(results, files, o, number, from, used);
	for (i = 0; rc == 0 && i < o->n_tasks; i++)
		rc = evaluate_task(&results[i], o->tasks[i], files, o, number, from, used);
	return rc;
}

/* The record's tasks, fitness, holdout, utility, budget and time. */
static int add_results(record *r, record_task *results, const evolve_eval_options *o,
		       const llm_usage *used, double seconds)
{
	size_t i;
	int rc = 0;

	r->budget.evals_per_task = o->budget;
	r->budget.evals_used = 0;
	if ((rc = record_set_measure(r, llm_model(o->agent.llm), o->agent.llm ? o->agent.llm_calls : 0,
				     o->trials > 1 ? o->trials : 1, o->carry)) < 0)
		return rc;
	for (i = 0; rc == 0 && i < o->n_tasks; i++) {
		r->budget.evals_used += results[i].evals;
		rc = record_add_task(r, &results[i]);
	}
	r->has_budget = r->has_utility = 1;
	evolve_add_llm_use(&r->budget, used);
	r->utility = o->utility;
	r->evaluate_s = seconds;
	if (rc == 0)
		evolve_set_fitness(r, o);
	return rc;
}

void evolve_set_fitness(record *r, const evolve_eval_options *o)
{
	double sum = 0, holdout = 0;
	size_t i;

	for (i = 0; i < r->n_tasks; i++) {
		sum += r->tasks[i].fitness;
		holdout += r->tasks[i].holdout_fitness;
	}
	r->fitness = o->utility.score * sum / (double)r->n_tasks - o->utility.cost * r->budget.usd -
		     o->utility.time * r->evaluate_s;
	r->holdout = holdout / (double)r->n_tasks;
}

int evolve_evaluate(record *r, const agent_files *files, const record *from,
		    const evolve_eval_options *o)
{
	double start = os_now_ms();
	llm_usage used = { 0, 0, 0, 0, 0 };
	record_task *results = calloc(o->n_tasks + 1, sizeof(*results));
	size_t i;
	int rc = results ? evaluate_all(results, files, o, r->number, from, &used)
		 : err_set(ERR_SYSTEM, "out of memory");

	if (rc == 0)
		rc = add_results(r, results, o, &used, (os_now_ms() - start) / 1000.0);
	for (i = 0; results && i < o->n_tasks; i++)
		record_task_free(&results[i]);
	free(results);
	return rc;
}
