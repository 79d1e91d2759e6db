/*
 * propose.h - a test agent's run: the inputs it proposes against a
 * solution (agent.h's test_agent_propose).
 *
 * The test agent is test_agent.c of an agent set, run alone with the
 * set's headers in a sandbox of its own, with the task's description but
 * no evaluations. What it returns is hostile text: it is read here into
 * typed proposals, and anything that is not one is counted, not trusted.
 */
#ifndef HOST_PROPOSE_H
#define HOST_PROPOSE_H

#include "error.h"

#include "agent_run.h"
#include "task.h"

#include <jansson.h>

/* The file that holds an agent set's test agent. */
#define PROPOSE_FILE "test_agent.c"

/* The most proposals a run may return, and the longest input. */
#define PROPOSE_MAX 1000
#define PROPOSE_INPUT_MAX 4096

typedef struct {
	char *input;
	char *label;    /* the agent's guess, as task_label_text gives it; NULL: none */
	char *reason;   /* NULL: none */
} propose_item;

typedef struct {
	propose_item *items;
	size_t n;
	/* items that were not proposals (no string input, an input over
	 * PROPOSE_INPUT_MAX, a label that is no label), or beyond the max */
	size_t malformed;
	/* Why the run proposed nothing it could use, for the record: it
	 * failed, or its reply is not a JSON array. NULL when it ran well. */
	char *problem;
} propose_list;

/* What a test agent is asked (agent.h's test_agent_propose). */
typedef struct {
	const char *solution;       /* the solution it attacks */
	const task_case *cases;     /* the training cases so far */
	size_t n_cases;
	int max;                    /* the most proposals taken */
	/* the earlier proposals and what became of each, a JSON array as
	 * agent.h describes "history"; NULL: none */
	const json_t *history;
} propose_request;

/* Nonzero when `files` holds a test agent. */
int propose_present(const agent_files *files);

/*
 * Runs the test agent of `files` on task `t` with request `req`, taking
 * at most req->max proposals (1..PROPOSE_MAX). *out
 * holds what it proposed (free it with propose_list_free); a run that
 * failed leaves out->problem and no items. Returns 0 when it ran,
 * whatever its outcome; ERR_NOTFOUND when `files` has no test agent.
 * `run`, when not NULL, gets the run's outcome and trace (free it with
 * agent_run_result_free).
 */
HOST_MUST_CHECK int propose_run(propose_list *out, agent_run_result *run, task *t,
				const agent_files *files, const propose_request *req,
				const agent_run_options *o);

void propose_list_free(propose_list *list);

#endif
