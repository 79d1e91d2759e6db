/*
 * eval.h - one evaluation of a solution on a task: compile and run it with
 * the task's driver in a sandbox, then score the transcript in the host.
 */
#ifndef HOST_EVAL_H
#define HOST_EVAL_H

#include "error.h"

#include "sandbox.h"
#include "task.h"

typedef enum { EVAL_TRAIN, EVAL_HOLDOUT } eval_split;

/* What a solution asked of the model (task.json's "model"). */
typedef struct {
	int calls;     /* requests the model answered */
	int refused;   /* answered "no model": offline, the run's calls spent, a cap
	                  reached, a call that failed */
	/* what the model's client charged for them: requests that left the
	 * host, retries included, and their tokens and dollars */
	long sent, tokens_in, tokens_out;
	double usd;
	double ms;     /* waited, which is not counted against the solution's limits */
} eval_model_use;

/* Adds `more` to *to. */
void eval_model_use_add(eval_model_use *to, const eval_model_use *more);

typedef struct {
	sandbox_status status;
	double score;        /* meaningful when status is SANDBOX_OK */
	/* A held-out run has empty feedback, no diagnostics, and its detail
	 * is the host's fixed phrase for its status: nothing the solution
	 * produced on held-out cases leaves this struct but status and score,
	 * and the use of the model (`model`), which is spend. */
	char *feedback;      /* for people and agents */
	char *diagnostics;   /* compile errors, "file:line: error: ..." lines */
	char *detail;        /* how the sandbox ended, one line */
	double elapsed_ms;   /* compile + run + score, of all runs */
	/* The longest single run in its sandbox, compiling included: what
	 * the budget's wall_ms bounds (a held-out evaluation's longest batch). */
	double run_ms;
	/* A timed task: the CPU time the kept run was measured to use in
	 * driver_run, in ns (-1 when it was not measured, as for a task that
	 * is not timed), and the runs made (fewer than timing_repeats when
	 * one failed), each one's score in order: the spread the best hides.
	 * The last run's score means nothing when status is not ok. */
	double cpu_ns;
	int runs;
	double scores[TASK_REPEATS_MAX];
	/* A judged task's (task.judge_repeats > 0) run that ended well: its
	 * transcript, the answers a line each (held-out: the batches' in
	 * order), for the host's judge alone (evolve_judge.c), which never
	 * records or shows a held-out one. NULL otherwise. */
	char *answers;
	/* A task with "model": what the solution asked of it, over all runs. */
	eval_model_use model;
} eval_result;

/* The model the solutions of a task with "model" (task.json) may ask
 * (task_abi.h's model_ask). `ask` answers one request, `system` and
 * `user`, with *reply (free() it), or returns a negative error whose
 * message says why it cannot (a cap is reached, the call failed); either
 * way it adds what it was charged to used->sent, tokens_in, tokens_out
 * and usd. `req` is the sandbox's request, whose child the call may stop
 * waiting for once sandbox_child_gone says it is gone. */
typedef struct {
	int (*ask)(void *ctx, char **reply, eval_model_use *used, const char *system,
		   const char *user, const sandbox_request *req);
	void *ctx;
} eval_model;

/* Gives every later evaluation in this process, and in those forked from
 * it, the model `m` (copied), or none (NULL, as at start): the solutions'
 * requests are then answered "no model". */
void eval_set_model(const eval_model *m);

/*
 * Evaluates `source` (shown as `name` in diagnostics) on the cases of
 * `split`. A timed task's evaluation is timing_repeats runs: any run that
 * fails is the result, else the best-scoring one. The held-out cases run
 * in batches of at most the training set's size, each under the budget
 * as a training run is: the first batch that fails is the result, else
 * the score is the batches' mean weighted by their cases. Returns 0
 * whenever an outcome was reached, including failures of the solution; a
 * negative code only when the host could not evaluate at all (for
 * example score.c does not compile). Free with eval_result_free.
 */
HOST_MUST_CHECK int eval_solution(eval_result *out, task *t, const char *name,
		  const char *source, eval_split split);

/* Overrides the task's budget for this evaluation when not NULL. */
HOST_MUST_CHECK int eval_solution_limits(eval_result *out, task *t, const char *name,
			 const char *source, eval_split split,
			 const sandbox_limits *limits);

void eval_result_free(eval_result *r);

/*
 * Measures two solutions of timed task `t` on its training cases in one
 * sitting, `runs` runs each (at most TASK_REPEATS_MAX), in pairs whose
 * order alternates (a b, b a, a b ...), so that whatever the machine does
 * meanwhile weighs on both alike and neither always runs second. Each of
 * *a and *b is that solution's evaluation as eval_solution makes it: the
 * best run, every run's score, a failed run as its status. A failed run
 * of either ends the measurement. Free both with eval_result_free.
 */
HOST_MUST_CHECK int eval_interleaved(eval_result *a, eval_result *b, task *t,
				     const char *a_source, const char *b_source, int runs);

/* Repeated evaluations on the training cases, for a rate. */
typedef struct {
	eval_result last;       /* the last evaluation's result */
	double first_ms;        /* the first, which starts the sandbox: not in the rate */
	double median_ms;       /* of the others */
	double evals_per_s;     /* of the others */
} eval_repeated;

/* Evaluates `source` `repeat` times (at least once) and stops at a host
 * error. Free out->last with eval_result_free. */
HOST_MUST_CHECK int eval_repeat(eval_repeated *out, task *t, const char *name, const char *source,
		int repeat);

/* Looks for a broken task before a run: each task's initial.c is run on
 * its training cases, and the first whose evaluation is a task_error (its
 * driver does not build) is tasks[*broken], its result in *out; *broken
 * is n when none is. Free *out with eval_result_free after a 0 return. An
 * error names the task the host could not evaluate. */
HOST_MUST_CHECK int eval_find_broken(eval_result *out, size_t *broken, task *const *tasks,
				     size_t n);

/* The diagnostics of a sandboxed build that failed (the result of a
 * compile_error outcome, an agent's too), one "file:line: message" a line
 * (free() it). */
char *eval_diagnostics(const json_t *result);

#endif
