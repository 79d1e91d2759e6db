/*
 * eval_internal.h - what the evaluation's files share: eval.c runs and
 * scores solutions; eval_model.c answers the model requests of a task's
 * solutions (task.json's "model"). The interface is eval.h.
 */
#ifndef HOST_EVAL_INTERNAL_H
#define HOST_EVAL_INTERNAL_H

#include "eval.h"

/* One run's model requests: how many it may make and what became of
 * them. */
typedef struct {
	int allowed;         /* task.json's calls_per_case for each case of the run */
	int asked;           /* handed to the model, answered or not */
	eval_model_use use;
} eval_asks;

/* A sandbox_handler for a solution's run (`ctx` is its eval_asks): each
 * {"op": "model"} request goes to the model eval_set_model gave, within
 * the run's calls, and the time it waits is excused in `req`. A request
 * the model cannot answer gets {"error": "no model: why"}. */
HOST_MUST_CHECK int eval_model_serve(void *ctx, const json_t *request, json_t **reply,
				     sandbox_request *req);

#endif
