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
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>

#define AGENT_SLACK_MS 10000

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

/* The task agent's wall-clock limit: 10 s, plus the task's limit for each
 * evaluation of the budget, in 64 bits; at most INT_MAX ms (24 days). */
static int agent_wall_ms(const task *t, int budget)
{
	long long ms = AGENT_SLACK_MS + (long long)budget * t->budget.wall_ms;

	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Runs the task agent on one task and re-scores its solution. */
static json_t *evaluate_task(task *t, const agent_files *files, const evolve_eval_options *o,
			     llm_usage *used)
{
	sandbox_limits limits = { agent_wall_ms(t, o->budget), 600000, 512 };
	eval_result train = { 0 }, holdout = { 0 };
	agent_run_result run;
	const char *solution, *problem = NULL;
	json_t *result;
	broker b;

	broker_init(&b, t, files, o->budget, limits.wall_ms / 1000.0);
	broker_offer_llm(&b, o->llm, o->llm_calls);
	if (agent_run(&run, files, "task_agent_improve", t->initial_text, &b, &limits, o->seed) < 0) {
		broker_free(&b);
		return NULL;
	}
	if (run.outcome.status != SANDBOX_OK)
		problem = run.outcome.detail;
	solution = run.result && !problem ? run.result : t->initial_text;
	if (eval_solution(&train, t, "solution.c", solution, EVAL_TRAIN) < 0 ||
	    eval_solution(&holdout, t, "solution.c", solution, EVAL_HOLDOUT) < 0) {
		eval_result_free(&train);
		agent_run_result_free(&run);
		broker_free(&b);
		return NULL;
	}
	result = json_pack("{s:s, s:s?, s:f, s:f, s:f, s:f, s:i, s:f}",
		"agent", problem ? sandbox_status_name(run.outcome.status) : "ok",
		"problem", problem, "train", train.score, "holdout", holdout.score,
		"fitness", problem ? 0.0 : normalised(t, train.score),
		"holdout_fitness", problem ? 0.0 : normalised(t, holdout.score),
		"evals", b.budget.evals_used, "agent_ms", run.outcome.elapsed_ms);
	if (result)
		json_object_set(result, "trace", b.trace);
	add_usage(used, &b.llm_used);
	eval_result_free(&train);
	eval_result_free(&holdout);
	agent_run_result_free(&run);
	broker_free(&b);
	return result;
}

json_t *evolve_usage_json(int evals_per_task, int evals, const llm_usage *used)
{
	return json_pack("{s:i, s:i, s:I, s:I, s:I, s:f}", "evals_per_task", evals_per_task,
			 "evals_used", evals, "llm_calls", (json_int_t)used->calls,
			 "tokens_in", (json_int_t)used->tokens_in,
			 "tokens_out", (json_int_t)used->tokens_out, "usd", used->usd);
}

static json_t *usage_to_json(const llm_usage *u)
{
	return json_pack("{s:I, s:I, s:I, s:f, s:f}", "calls", (json_int_t)u->calls,
			 "tokens_in", (json_int_t)u->tokens_in, "tokens_out", (json_int_t)u->tokens_out,
			 "usd", u->usd, "seconds", u->seconds);
}

static void usage_from_json(llm_usage *u, const json_t *j)
{
	u->calls = (long)json_integer_value(json_object_get(j, "calls"));
	u->tokens_in = (long)json_integer_value(json_object_get(j, "tokens_in"));
	u->tokens_out = (long)json_integer_value(json_object_get(j, "tokens_out"));
	u->usd = json_number_value(json_object_get(j, "usd"));
	u->seconds = json_number_value(json_object_get(j, "seconds"));
}

/* A worker process: evaluates task `i` and sends {result, usage} back. */
static _Noreturn void worker(int fd, task *t, const agent_files *files, const evolve_eval_options *o)
{
	llm_usage used = { 0, 0, 0, 0, 0 };
	json_t *result, *msg;

	zygote_forget();  /* the parent's zygote answers the parent only */
	result = evaluate_task(t, files, o, &used);
	msg = json_pack("{s:o?, s:o, s:s}", "result", result, "usage", usage_to_json(&used),
			"error", result ? "" : err_last());
	channel_send_json(fd, msg);
	_exit(result ? 0 : 1);
}

/* Evaluates every task, `o->jobs` at a time in worker processes (the
 * host's own code, forked; the agents still run in their sandboxes).
 * results[i] is task i's result; usage is added to *used. */
static int evaluate_parallel(json_t **results, const agent_files *files,
			     const evolve_eval_options *o, llm_usage *used)
{
	pid_t pids[EVOLVE_MAX_TASKS];
	int fds[EVOLVE_MAX_TASKS], running = 0, rc = 0;
	size_t next = 0, done = 0, i;

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
		for (i = done; i < next; i++) {
			json_t *msg = NULL;
			llm_usage u;
			if (channel_recv_json(&msg, fds[i], 64u << 20, -1) < 0 || !json_object_get(msg, "result"))
				rc = rc ? rc : err_set(ERR_GENERIC, "a worker failed: %s",
						       json_string_value(json_object_get(msg, "error"))
						       ? json_string_value(json_object_get(msg, "error")) : "it died");
			else
				results[i] = json_incref(json_object_get(msg, "result"));
			usage_from_json(&u, json_object_get(msg, "usage"));
			add_usage(used, &u);
			llm_add_usage(o->llm, &u);
			json_decref(msg);
			close(fds[i]);
			waitpid(pids[i], NULL, 0);
			running--;
			done++;
			break;
		}
		if (rc < 0 && done == next)
			break;
	}
	return rc;
}

static int evaluate_all(json_t **results, const agent_files *files, const evolve_eval_options *o,
			llm_usage *used)
{
	size_t i;

	if (o->jobs > 1 && o->n_tasks > 1)
		return evaluate_parallel(results, files, o, used);
	for (i = 0; i < o->n_tasks; i++)
		if (!(results[i] = evaluate_task(o->tasks[i], files, o, used)))
			return ERR_GENERIC;
	return 0;
}

int evolve_evaluate(json_t *record, const agent_files *files, const evolve_eval_options *o)
{
	json_t *tasks = json_object(), *prior = json_object_get(record, "budget");
	double start = os_now_ms(), sum = 0, holdout = 0, seconds;
	llm_usage used = { 0, 0, 0, 0, 0 };
	int evals = 0;
	size_t i;

	used.calls = (long)json_integer_value(json_object_get(prior, "llm_calls"));
	used.tokens_in = (long)json_integer_value(json_object_get(prior, "tokens_in"));
	used.tokens_out = (long)json_integer_value(json_object_get(prior, "tokens_out"));
	used.usd = json_number_value(json_object_get(prior, "usd"));
	json_t **results = calloc(o->n_tasks + 1, sizeof(json_t *));
	int rc = results ? evaluate_all(results, files, o, &used) : ERR_SYSTEM;

	for (i = 0; rc == 0 && i < o->n_tasks; i++) {
		json_t *r = results[i];
		results[i] = NULL;
		sum += json_number_value(json_object_get(r, "fitness"));
		holdout += json_number_value(json_object_get(r, "holdout_fitness"));
		evals += (int)json_integer_value(json_object_get(r, "evals"));
		json_object_set_new(tasks, o->tasks[i]->name, r);
	}
	for (i = 0; results && i < o->n_tasks; i++)
		json_decref(results[i]);
	free(results);
	if (rc < 0) {
		json_decref(tasks);
		return rc;
	}
	seconds = (os_now_ms() - start) / 1000.0;
	json_object_set_new(record, "tasks", tasks);
	json_object_set_new(record, "fitness", json_real(o->utility.score * sum / (double)o->n_tasks
							 - o->utility.cost * used.usd
							 - o->utility.time * seconds));
	json_object_set_new(record, "utility", json_pack("{s:f, s:f, s:f}", "score", o->utility.score,
							 "cost", o->utility.cost, "time", o->utility.time));
	json_object_set_new(record, "holdout", json_real(holdout / (double)o->n_tasks));
	json_object_set_new(record, "budget", evolve_usage_json(o->budget, evals, &used));
	json_object_set_new(record, "evaluate_s", json_real(seconds));
	return 0;
}
