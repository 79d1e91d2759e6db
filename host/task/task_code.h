/*
 * task_code.h - running a task's own code (score.c, oracle.c) in its
 * long-lived sandbox, and naming the file when it fails.
 *
 * Tasks are trusted, but their bugs must not take the host down, and the
 * labels they hold must never meet an agent's or a solution's code: each
 * unit runs in a child of the task-code zygote, which answers request
 * after request (sandbox_call).
 */
#ifndef HOST_TASK_CODE_H
#define HOST_TASK_CODE_H

#include "error.h"

#include "sandbox.h"
#include "task.h"

/*
 * Sends `request` (taken, even on failure), and `attachment` after it
 * when not NULL (see sandbox_call), to `file` of task `t`, whose
 * source is `text`, run as a unit of kind `kind` ("scorer", "oracle"):
 * compiled against task_abi.h with the task folder on its include path,
 * in its long-lived child, under `limits`. *out is the reply (out->status
 * SANDBOX_OK and out->result) or how the call failed; free it with
 * sandbox_outcome_free. Returns a negative error only when the sandbox
 * itself could not work, or a NULL `request` (out of memory).
 */
HOST_MUST_CHECK int task_code_call(sandbox_outcome *out, const task *t, const char *kind,
				   const char *file, const char *text, json_t *request,
				   const char *attachment, const sandbox_limits *limits);

/* `file` did not answer (o->status is not SANDBOX_OK): a task error that
 * names it, `doing` saying what it was asked ("scoring", "labelling"). */
int task_code_fault(const task *t, const char *file, const char *doing,
		    const sandbox_outcome *o, int memory_mb);

#endif
