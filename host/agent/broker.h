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

#include "buf.h"
#include "llm.h"
#include "sandbox.h"
#include "slots.h"
#include "task.h"

#include <jansson.h>
#include <signal.h>

/* What an agent may leave besides its files (capped in agents.h): each
 * log line, and the log lines of one run kept in its trace (and so in the
 * generation's note). */
#define BROKER_LOG_LINE 1000
#define BROKER_LOG_MAX (64u << 10)

struct agent_files;

typedef struct {
	int evals_max, evals_used;
	int llm_max, llm_used;
	int refused;          /* requests refused because the budget was spent */
	double deadline_ms;   /* os_now_ms() time the run ends; moved on by model time */
	double model_ms;      /* time spent waiting for the model */
} broker_budget;

typedef struct {
	task *task;                        /* for host_task and host_eval */
	const struct agent_files *files;   /* for host_read */
	struct agent_files *emitted;       /* host_emit's files; NULL refuses */
	broker_budget budget;
	buf log;                           /* host_log lines kept, one per line */
	size_t log_dropped;                /* lines beyond BROKER_LOG_MAX */
	json_t *log_marker;                /* the trace event that says so */
	void (*echo)(void *ctx, const char *line);  /* also gets each log line kept; may be NULL */
	void *echo_ctx;
	double best_score;                 /* best "ok" score seen by host_eval */
	int have_best;
	char *best_solution;               /* the solution that scored it */
	llm_client *llm;                   /* NULL: offline */
	llm_usage llm_used;                /* this run's LLM calls */
	char *fatal;                       /* set when the whole run must stop */
	/* Set when the run is stopping: a model call in flight is abandoned
	 * and no other is made. NULL: never. */
	volatile sig_atomic_t *stop;
	int stopped;                       /* a model call was lost to *stop */
	const char *llm_tag;               /* "gen_005 meta": its calls are "... call N" */
	/* A CPU slot the run holds (NULL: none): given back while a model call
	 * waits, so that waiting for the model holds no CPU work back. */
	slots *cpu;
	sandbox_request *serving;          /* the request being served, or NULL */
	json_t *trace;                     /* what the agent did, in order */
} broker;

/* Prepares a broker with `evals` evaluations and `seconds` of wall time,
 * offline. Set b->llm and b->budget.llm_max to offer a model. */
void broker_init(broker *b, task *t, const struct agent_files *files,
		 int evals, double seconds);

/* Offers `llm` (NULL: none) to the agent, for at most `calls` calls. */
void broker_offer_llm(broker *b, llm_client *llm, int calls);

/*
 * A sandbox_handler: serves one request frame. Time spent waiting for the
 * model is not the agent's: it is excused in `req` and moves the run's
 * deadline on. The model is bounded by its own limits instead: the
 * client's per-request timeout and attempts, and llm_run_ms for the run.
 * A call is abandoned, never retried, once the agent is gone or *stop set.
 */
HOST_MUST_CHECK int broker_serve(void *ctx, const json_t *request, json_t **reply,
				 sandbox_request *req);

void broker_free(broker *b);

#endif
