/*
 * solution_model.h - the language model as the solutions of a task with
 * "model" (task.json) reach it: task_abi.h's model_ask, served by the
 * host's client.
 */
#ifndef HOST_SOLUTION_MODEL_H
#define HOST_SOLUTION_MODEL_H

#include "eval.h"
#include "llm.h"

/*
 * From now on, in this process and those forked from it, the solutions'
 * requests go to `llm` (NULL: none; offline, they are answered "no
 * model"). Each is one llm_chat call, counted in the client's totals and
 * caps (--max-usd, --max-tokens), its record and its replay like an
 * agent's, and abandoned once the solution's process is gone. Call it
 * with NULL before closing `llm`.
 */
void solution_model_use(llm_client *llm);

/* Adds what a solution's calls to the model cost (`u`) to the spend in
 * *to: requests sent, tokens, dollars and the time they waited. */
void solution_model_charge(llm_usage *to, const eval_model_use *u);

#endif
