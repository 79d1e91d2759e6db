/*
 * agent_run.h - running one entry point of an agent in a sandbox, its
 * host services served by a broker; and the two runs everything else is
 * made of: the task agent improving a task's solution, and the meta agent
 * rewriting the agents.
 */
#ifndef HOST_AGENT_RUN_H
#define HOST_AGENT_RUN_H

#include "error.h"

#include "agent_options.h"
#include "agents.h"
#include "broker.h"
#include "sandbox.h"

/* How an agent's run ended. */
typedef struct {
	sandbox_outcome outcome;
	char *result;     /* task_agent_improve's returned source, test_agent_propose's
	                     proposals, or NULL */
	/* agent_improve: the agent did not end well, and result is the best
	 * solution it had scored through host_eval, with that score */
	int kept_best;
	double kept_score;
	int stopped;      /* a model call was abandoned or refused: the run is stopping */
	int status;       /* meta_agent_rewrite's return value */
	/* agent_improve and agent_rewrite only: */
	int evals_used;
	llm_usage llm_used;
	json_t *trace;    /* what the agent did, for the record */
} agent_run_result;

/* One run: the command's settings, passed down as they are, and what is
 * this run's own. */
typedef struct {
	const agent_options *agent;  /* the model, stop, CPU slot and echo; NULL: offline */
	sandbox_limits limits;       /* the run's: wall time, CPU, memory */
	int evals;                   /* evaluations the task agent may ask for */
	task *task;                  /* the meta agent's host_task; NULL: none */
	/* agent_improve: the solution the task agent starts from, carried
	 * from generation carried_from (host_task tells it); NULL: the
	 * task's initial.c, whatever carried_from says */
	const char *initial;
	int carried_from;
	unsigned long long seed;
	const char *llm_tag;         /* names its model calls (broker.llm_tag); may be NULL */
} agent_run_options;

/*
 * Runs `entry` ("task_agent_improve", "meta_agent_rewrite" or
 * "test_agent_propose") of `files`
 * with the string argument `arg` in a sandbox, serving its requests with
 * `broker`. Returns 0 when the agent ran, whatever its outcome.
 */
HOST_MUST_CHECK int agent_run(agent_run_result *out, const agent_files *files,
	      const char *entry, const char *arg, broker *broker,
	      const sandbox_limits *limits, unsigned long long seed);

/*
 * The sandbox job of `files`: their .c files as one unit, their .h files
 * as its headers. With `entry`, the job runs that entry point with the
 * string argument `arg` and `seed`; with NULL, it is validation's check
 * job (compile, symbols, signatures; see validate.h), whose stages give
 * their own preludes. *n_sources (may be NULL) counts the .c files. NULL
 * when out of memory.
 */
json_t *agent_job(size_t *n_sources, const agent_files *files, const char *entry,
		  const char *arg, unsigned long long seed);

/* The wall time a task agent needs on `t`: `own_ms` of its own, plus the
 * task's limit (budget.wall_ms) for each run of each of `evals`
 * evaluations, a timed task's repeats counted; at most INT_MAX ms (24
 * days). */
int agent_task_wall_ms(const task *t, int evals, int own_ms);

/* Runs the task agent of `files` on task `t`, from o->initial or t's
 * initial.c: out->result is the solution it returns, or NULL. An agent that timed out or crashed after
 * scoring solutions leaves the best of them (out->kept_best): scored work
 * is not lost with the agent. Returns 0 when it ran, whatever its
 * outcome. */
HOST_MUST_CHECK int agent_improve(agent_run_result *out, task *t, const agent_files *files,
		  const agent_run_options *o);

/* Runs the meta agent of `files` on `archive` (JSON text): *candidate is
 * `files` with the files it emitted applied (free it with agents_free).
 * Returns 0 when it ran, whatever its outcome. */
HOST_MUST_CHECK int agent_rewrite(agent_files *candidate, agent_run_result *out, const agent_files *files,
		  const char *archive, const agent_run_options *o);

/* Runs test_agent_propose of `files` with `request` (JSON text) on task
 * `t`, with no evaluations to spend: out->result is its reply, or NULL.
 * propose.h reads it. Returns 0 when it ran, whatever its outcome. */
HOST_MUST_CHECK int agent_propose(agent_run_result *out, task *t, const agent_files *files,
				  const char *request, const agent_run_options *o);

/* What went wrong in a run that did not end well, for a record: "the
 * agent timed out (no result within the 2000 ms deadline); its best
 * scored solution (35.3) was kept". NULL when out of memory. */
char *agent_run_problem(const agent_run_result *r);

void agent_run_result_free(agent_run_result *r);

#endif
