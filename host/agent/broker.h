/*
 * broker.h - the host's side of the agents' services.
 *
 * A sandboxed agent asks; the broker answers from the host: it evaluates
 * solutions in nested sandboxes and scores them itself, hands out task
 * information and agent files, collects the meta agent's emitted files and
 * log lines, and keeps the budget. Requests outside the protocol end the
 * agent with protocol_error.
 */
#ifndef HOST_BROKER_H
#define HOST_BROKER_H

#include "error.h"

#include "agent_options.h"
#include "buf.h"
#include "llm.h"
#include "sandbox.h"
#include "task.h"

#include <jansson.h>

/* What an agent may leave besides its files (capped in agents.h): each
 * log line, and the log lines of one run kept in its trace (and so in the
 * generation's note). */
#define BROKER_LOG_LINE 1000
#define BROKER_LOG_MAX (64u << 10)

struct agent_files;

typedef struct {
	int evals_max, evals_used;
	int llm_used;         /* of the opts->llm_calls a run may make */
	int checks_used;      /* host_check calls served (bounded in broker.c) */
	int refused;          /* requests refused because the budget was spent */
	double deadline_ms;   /* os_now_ms() time the run ends; moved on by model time */
	double model_ms;      /* time spent waiting for the model */
} broker_budget;

typedef struct {
	task *task;                        /* for host_task and host_eval */
	/* host_task's carried_from: the generation whose solution the task
	 * agent starts from; -1 (broker_init's): the task's initial.c */
	int carried_from;
	const struct agent_files *files;   /* for host_read */
	struct agent_files *emitted;       /* host_emit's files; NULL refuses */
	broker_budget budget;
	buf log;                           /* host_log lines kept, one per line */
	size_t log_dropped;                /* lines beyond BROKER_LOG_MAX */
	json_t *log_marker;                /* the trace event that says so */
	double best_score;                 /* best "ok" score seen by host_eval */
	int have_best;
	char *best_solution;               /* the solution that scored it */
	/* The command's settings, never NULL: its model (NULL: offline), a
	 * stop (a model call in flight is abandoned and no other is made),
	 * the CPU slot the run holds (given back while a model call waits, so
	 * that waiting for the model holds no CPU work back) and the echo of
	 * each log line kept. */
	const agent_options *opts;
	llm_usage llm_used;                /* this run's LLM calls */
	char *fatal;                       /* set when the whole run must stop */
	int stopped;                       /* a model call was lost to opts->stop */
	const char *llm_tag;               /* "gen_005 meta": its calls are "... call N" */
	sandbox_request *serving;          /* the request being served, or NULL */
	json_t *trace;                     /* what the agent did, in order */
} broker;

/* Prepares a broker with `evals` evaluations and `seconds` of wall time,
 * offline, with nothing to stop it and no CPU slot (see broker_use). */
void broker_init(broker *b, task *t, const struct agent_files *files,
		 int evals, double seconds);

/* Serves the agent under the command's settings `o`: its model and calls,
 * stop, CPU slot and echo. `o` is kept, not copied: it outlives the
 * broker. */
void broker_use(broker *b, const agent_options *o);

/*
 * A sandbox_handler: serves one request frame. Time spent waiting for the
 * model is not the agent's: it is excused in `req` and moves the run's
 * deadline on. The model is bounded by its own limits instead: the
 * client's per-request timeout and attempts, and llm_run_ms for the run.
 * A call is abandoned, never retried, once the agent is gone or the stop
 * (opts->stop) set.
 */
HOST_MUST_CHECK int broker_serve(void *ctx, const json_t *request, json_t **reply,
				 sandbox_request *req);

void broker_free(broker *b);

#endif
