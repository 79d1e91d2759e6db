/*
 * sandbox.h - running untrusted code in a child process and classifying
 * how it ended.
 *
 * The host never runs generated code itself. It hands a job (sources and
 * inputs, never labels or secrets) to a fresh host-sandbox process, waits
 * under a wall-clock deadline, and turns whatever happened into one typed
 * outcome.
 */
#ifndef SANDBOX_SANDBOX_H
#define SANDBOX_SANDBOX_H

#include "error.h"

#include <jansson.h>

typedef enum {
	SANDBOX_OK,
	SANDBOX_COMPILE_ERROR,
	SANDBOX_TIMEOUT,
	SANDBOX_CRASH,
	SANDBOX_MEMORY,
	SANDBOX_FORBIDDEN,
	SANDBOX_BAD_OUTPUT,
	SANDBOX_PROTOCOL_ERROR,
	/* the task's own code failed (its driver.c does not build): never the
	 * solution's fault, whatever it is */
	SANDBOX_TASK_ERROR
} sandbox_status;

typedef struct {
	int wall_ms;    /* deadline, enforced by the parent */
	int cpu_ms;     /* RLIMIT_CPU, whole seconds, rounded up */
	int memory_mb;  /* heap the code may allocate */
} sandbox_limits;

typedef struct {
	sandbox_status status;
	int signal;        /* SANDBOX_CRASH: the terminating signal */
	char *syscall;     /* SANDBOX_FORBIDDEN: its name, NULL if unknown */
	char *detail;      /* one line for people, never NULL after a run */
	json_t *result;    /* the child's final frame, or NULL */
	double elapsed_ms;
	/* The CPU time a solution's process used from its clock mark to its
	 * end (page.h), in ns, read by the parent from the child's CPU clock
	 * while it is stopped: code in the child cannot change it. -1 unless
	 * the job asked for a clock ("clock": true) and the child both marked
	 * its start and finished. */
	double cpu_ns;
} sandbox_outcome;

/* One request being served: what the handler may ask of the child and
 * what it tells the sandbox back. */
typedef struct {
	int channel;        /* the child's channel; see sandbox_child_gone */
	/* Set by the handler: time it spent that is not the child's, such as
	 * waiting for a model. The child's deadline moves by as much, so a
	 * slow service does not use up the code's own time. */
	double excused_ms;
} sandbox_request;

/*
 * Serves a request frame (one that has an "op" member) from the child.
 * Returns 0 with *reply set, or a negative value to end the child with
 * SANDBOX_PROTOCOL_ERROR. `req` is NULL when no child waits (a handler
 * called directly).
 */
typedef int (*sandbox_handler)(void *ctx, const json_t *request,
			       json_t **reply, sandbox_request *req);

/* Nonzero once the child that made `req` can no longer read the reply:
 * it died, or closed its channel. A handler waiting on its behalf can give
 * up. */
int sandbox_child_gone(const sandbox_request *req);

/* The host-sandbox executable to start; by default the one beside the
 * running program. The string is copied. */
HOST_MUST_CHECK int sandbox_set_runner(const char *path);

/*
 * Runs `job`, untrusted code, in a new child. `job` gets "limits" added by this function,
 * and "workdir", a new folder removed afterwards, when it brings "headers"
 * (an agent's: removed as soon as its code starts, its compile over).
 * A "solution" job gets a page for its transcript and, once locked down,
 * writes single bytes only (page.h); with "clock": true its first mark
 * starts out->cpu_ns (a second one is a protocol error, so code that runs
 * after the mark cannot move it), and the sandbox makes its result. A
 * solution that asks the model (task_abi.h's model_ask) has its request,
 * {"op": "model", "system", "user"}, served by `handler`, whose reply
 * {"text"} answers it and {"error"} says why not; with no handler the
 * request is a protocol error.
 * Returns 0 when the child ran, whatever its outcome, and a
 * negative error only when the sandbox itself could not work (the runner
 * is missing, the kernel refused seccomp...). Free `out` with
 * sandbox_outcome_free.
 */
HOST_MUST_CHECK int sandbox_run(sandbox_outcome *out, json_t *job,
		const sandbox_limits *limits, sandbox_handler handler,
		void *ctx);

/*
 * Task code called many times (score.c) runs in a long-lived child from a
 * zygote that never runs untrusted code. The child is started from `job`
 * on the first call for the unit `job` names (see zygote_unit) and
 * kept; each call sends `request` and waits for one reply frame within
 * limits->wall_ms, returned in out->result. `attachment`, when not NULL,
 * is text that follows the request as a frame of its own, which the fork
 * sets as the request's member named by its "attachment", without
 * encoding or parsing it as JSON (a transcript). Each call
 * is served by a fresh fork of that child under limits->cpu_ms and
 * limits->memory_mb; a fork that crashes or makes a forbidden call is
 * reported in `out` like a one-shot run. A child that overruns the
 * deadline or breaks the protocol is killed and started afresh by the next
 * call. Returns a negative error only when the sandbox itself could not
 * work.
 */
HOST_MUST_CHECK int sandbox_call(sandbox_outcome *out, json_t *job, const json_t *request,
				 const char *attachment, const sandbox_limits *limits);

/* Stops every long-lived child and the zygotes (at the end of a run, or
 * so that the next child starts from a changed environment). */
void sandbox_stop(void);

void sandbox_outcome_free(sandbox_outcome *out);

/* "ok", "compile_error", "timeout", "crash", "memory", "forbidden",
 * "bad_output", "protocol_error". */
const char *sandbox_status_name(sandbox_status status);

#endif
