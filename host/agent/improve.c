/*
 * improve.c - the task agent once on a task; see improve.h.
 *
 * The same evaluation every other command uses scores both solutions, so
 * `host improve` reports what evolution would measure.
 */
#include "improve.h"

#include "os.h"

#include <string.h>

static int score_both(eval_result *train, eval_result *holdout, task *t, const char *name,
		      const char *source)
{
	int rc = eval_solution(train, t, name, source, EVAL_TRAIN);

	if (rc == 0 && (rc = eval_solution(holdout, t, name, source, EVAL_HOLDOUT)) < 0)
		eval_result_free(train);
	return rc;
}

int improve_task(improve_result *out, task *t, const agent_files *files,
		 const agent_run_options *o)
{
	double start = os_now_ms();
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = score_both(&out->initial_train, &out->initial_holdout, t, "initial.c",
			     t->initial_text)) < 0)
		return rc;
	if ((rc = agent_improve(&out->run, t, files, o)) == 0 &&
	    (out->run.outcome.status == SANDBOX_OK || out->run.kept_best)) {
		out->solution = out->run.result ? out->run.result : t->initial_text;
		rc = score_both(&out->train, &out->holdout, t, "improved.c", out->solution);
	}
	out->seconds = (os_now_ms() - start) / 1000.0;
	if (rc < 0)
		improve_result_free(out);
	return rc;
}

void improve_result_free(improve_result *r)
{
	eval_result_free(&r->initial_train);
	eval_result_free(&r->initial_holdout);
	eval_result_free(&r->train);
	eval_result_free(&r->holdout);
	agent_run_result_free(&r->run);
	r->solution = NULL;
}
