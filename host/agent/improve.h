/*
 * improve.h - the task agent once on a task, outside evolution (`host
 * improve`): the agent proposes, the host measures the initial solution
 * and the one returned, on training and held-out cases.
 */
#ifndef HOST_IMPROVE_H
#define HOST_IMPROVE_H

#include "error.h"

#include "agent_run.h"
#include "eval.h"

typedef struct {
	eval_result initial_train, initial_holdout;
	eval_result train, holdout;   /* the solution returned (or kept): scored when
					 the run was ok or run.kept_best */
	agent_run_result run;         /* how the agent's run ended */
	const char *solution;         /* the agent's solution, or the initial one */
	double seconds;               /* the whole of it */
} improve_result;

/* Returns 0 when the agent ran and every solution that could be scored
 * was: out->run.outcome says whether the agent ended well. */
HOST_MUST_CHECK int improve_task(improve_result *out, task *t, const agent_files *files,
		 const agent_run_options *o);

void improve_result_free(improve_result *r);

#endif
