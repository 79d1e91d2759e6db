/*
 * evolve_eval.c - evaluating a set of agents on the training tasks; see
 * evolve_evaluate in evolve.h.
 *
 * The task agent improves each task's initial solution within the budget,
 * in its sandbox; the host then re-scores what it returns on the training
 * and held-out cases, so an agent cannot report its own score. With -j,
 * tasks are evaluated at once in worker processes (forks of the host, the
 * agents still sandboxed) and come back in task order, so the record is
 * the same as with one job.
 */
#include "evolve_internal.h"

#include "agent_run.h"
#include "channel.h"
#include "error.h"
#include "eval.h"
#include "os.h"
#include "zygote.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static double normalised(const task *t, double score)
{
	double v = (score - t->baseline) / (t->target - t->baseline);

	return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* Adds a broker's LLM use to `total`. */
static void add_usage(llm_usage *total, const llm_usage *used)
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
 * says otherwise), plus the task's limit for each evaluation of the
 * budget, in 64 bits; at most INT_MAX ms (24 days). */
static int agent_wall_ms(const task *t, int budget, int slack_ms)
{
	long long ms = (slack_ms > 0 ? slack_ms : EVOLVE_AGENT_SLACK_MS) +
		       (long long)budget * t->budget.wall_ms;

	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* The host's scores of the solution the agent returned, or of the best
 * one it scored before it failed; an agent that failed with nothing
 * scored gets the initial solution's scores and no fitness. */
static int score_solution(record_task *out, task *t, const agent_run_result *run)
{
	int counts = run->outcome.status == SANDBOX_OK || run->kept_best;
	const char *solution = run->result && counts ? run->result : t->initial_text;
	eval_result train = { 0 }, holdout = { 0 };
	int rc;

	if ((rc = eval_solution(&train, t, "solution.c", solution, EVAL_TRAIN)) == 0 &&
	    (rc = eval_solution(&holdout, t, "solution.c", solution, EVAL_HOLDOUT)) == 0) {
		out->train = train.score;
		out->holdout = holdout.score;
		out->fitness = counts ? normalised(t, train.score) : 0.0;
		out->holdout_fitness = counts ? normalised(t, holdout.score) : 0.0;
	}
	eval_result_free(&train);
	eval_result_free(&holdout);
	return rc;
}

/* Runs the task agent on one task and re-scores its solution. */
static int evaluate_task(record_task *out, task *t, const agent_files *files,
			 const evolve_eval_options *o, llm_usage *used)
{
	int wall_ms = agent_wall_ms(t, o->budget, o->agent_slack_ms);
	agent_run_options ro = { .limits = { wall_ms, 600000, 512 }, .evals = o->budget,
				 .llm = o->llm, .llm_calls = o->llm_calls, .seed = o->seed,
				 .stop = o->stop };
	agent_run_result run;
	int rc = agent_improve(&run, t, files, &ro);

	memset(out, 0, sizeof(*out));
	if (rc < 0)
		return rc;
	out->name = strdup(t->name);
	out->agent = strdup(run.outcome.status == SANDBOX_OK ? "ok"
			    : sandbox_status_name(run.outcome.status));
	if (run.outcome.status != SANDBOX_OK)
		out->problem = agent_run_problem(&run);
	out->evals = run.evals_used;
	out->agent_ms = run.outcome.elapsed_ms;
	out->trace = json_incref(run.trace);
	rc = !out->name || !out->agent || (run.outcome.status != SANDBOX_OK && !out->problem)
		? err_set(ERR_SYSTEM, "out of memory") : score_solution(out, t, &run);
	add_usage(used, &run.llm_used);
	agent_run_result_free(&run);
	if (rc < 0)
		record_task_free(out);
	return rc;
}

/* A worker process: evaluates one task and sends {result, usage} back. */
static _Noreturn void worker(int fd, task *t, const agent_files *files, const evolve_eval_options *o)
{
	llm_usage used = { 0, 0, 0, 0, 0 };
	record_task result;
	json_t *msg;
	int rc;

	zygote_forget();  /* the parent's zygote answers the parent only */
	rc = evaluate_task(&result, t, files, o, &used);
	msg = json_pack("{s:o?, s:o, s:s}", "result", rc == 0 ? record_task_to_json(&result) : NULL,
			"usage", llm_usage_to_json(&used), "error", rc == 0 ? "" : err_last());
	channel_send_json(fd, msg);
	_exit(rc == 0 ? 0 : 1);
}

/* Reads worker `i`'s message into results[i] and its LLM use. */
static int collect(record_task *results, size_t i, int fd, const evolve_eval_options *o,
		   llm_usage *used)
{
	json_t *msg = NULL;
	llm_usage u;
	int rc = 0;

	if (channel_recv_json(&msg, fd, 64u << 20, -1) < 0 || !json_object_get(msg, "result"))
		rc = err_set(ERR_GENERIC, "a worker failed: %s",
			     json_string_value(json_object_get(msg, "error"))
			     ? json_string_value(json_object_get(msg, "error")) : "it died");
	else
		rc = record_task_from_json(&results[i], o->tasks[i]->name,
					   json_object_get(msg, "result"));
	llm_usage_from_json(&u, json_object_get(msg, "usage"));
	add_usage(used, &u);
	llm_add_usage(o->llm, &u);
	json_decref(msg);
	return rc;
}

/* Evaluates every task, `o->jobs` at a time in worker processes (the
 * host's own code, forked; the agents still run in their sandboxes).
 * results[i] is task i's result; usage is added to *used. */
static int evaluate_parallel(record_task *results, const agent_files *files,
			     const evolve_eval_options *o, llm_usage *used)
{
	pid_t pids[EVOLVE_MAX_TASKS];
	int fds[EVOLVE_MAX_TASKS], running = 0, rc = 0;
	size_t next = 0, done = 0;

	fflush(NULL);
	while (done < o->n_tasks) {
		while (rc == 0 && next < o->n_tasks && running < o->jobs &&
		       next < EVOLVE_MAX_TASKS) {
			int pair[2];
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0 ||
			    (pids[next] = fork()) < 0) {
				rc = err_sys("cannot start a worker");
				break;
			}
			if (pids[next] == 0) {
				close(pair[0]);
				worker(pair[1], o->tasks[next], files, o);
			}
			close(pair[1]);
			fds[next++] = pair[0];
			running++;
		}
		/* collect the oldest running worker */
		if (done < next) {
			int got = collect(results, done, fds[done], o, used);
			rc = rc ? rc : got;
			close(fds[done]);
			waitpid(pids[done], NULL, 0);
			running--;
			done++;
		}
		if (rc < 0 && done == next)
			break;
	}
	return rc;
}

static int evaluate_all(record_task *results, const agent_files *files,
			const evolve_eval_options *o, llm_usage *used)
{
	size_t i;
	int rc = 0;

	if (o->jobs > 1 && o->n_tasks > 1)
		return evaluate_parallel(results, files, o, used);
	for (i = 0; rc == 0 && i < o->n_tasks; i++)
		rc = evaluate_task(&results[i], o->tasks[i], files, o, used);
	return rc;
}

/* The record's tasks, fitness, holdout, utility, budget and time. */
static int add_results(record *r, record_task *results, const evolve_eval_options *o,
		       const llm_usage *used, double seconds)
{
	double sum = 0, holdout = 0;
	size_t i;
	int rc = 0;

	r->budget.evals_per_task = o->budget;
	r->budget.evals_used = 0;
	for (i = 0; rc == 0 && i < o->n_tasks; i++) {
		sum += results[i].fitness;
		holdout += results[i].holdout_fitness;
		r->budget.evals_used += results[i].evals;
		rc = record_add_task(r, &results[i]);
	}
	r->has_budget = r->has_utility = 1;
	evolve_add_llm_use(&r->budget, used);
	r->utility = o->utility;
	r->fitness = o->utility.score * sum / (double)o->n_tasks - o->utility.cost * r->budget.usd -
		     o->utility.time * seconds;
	r->holdout = holdout / (double)o->n_tasks;
	r->evaluate_s = seconds;
	return rc;
}

int evolve_evaluate(record *r, const agent_files *files, const evolve_eval_options *o)
{
	double start = os_now_ms();
	llm_usage used = { 0, 0, 0, 0, 0 };
	record_task *results = calloc(o->n_tasks + 1, sizeof(*results));
	size_t i;
	int rc = results ? evaluate_all(results, files, o, &used) : err_set(ERR_SYSTEM, "out of memory");

	if (rc == 0)
		rc = add_results(r, results, o, &used, (os_now_ms() - start) / 1000.0);
	for (i = 0; results && i < o->n_tasks; i++)
		record_task_free(&results[i]);
	free(results);
	return rc;
}
