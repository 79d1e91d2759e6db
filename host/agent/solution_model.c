/*
 * solution_model.c - the model for solutions; see solution_model.h.
 *
 * The evaluation (host/task) runs solutions below the layer of the model
 * client, so the client is handed down to it as a function: eval_model.
 * The calls are not named (llm_set_tag): a replay answers each by its
 * prompts, which a solution makes the same way each time it is run.
 */
#include "solution_model.h"

#include "eval.h"
#include "os.h"

/* llm_set_abort's check while a call waits: the solution is gone. */
static int solution_gone(void *ctx)
{
	return sandbox_child_gone(ctx);
}

static int ask(void *ctx, char **reply, eval_model_use *used, const char *system,
	       const char *user, const sandbox_request *req)
{
	llm_client *llm = ctx;
	sandbox_request waiting = req ? *req : (sandbox_request){ -1, 0 };
	llm_usage charged = { 0, 0, 0, 0, 0 };
	int rc;

	llm_set_abort(llm, req ? solution_gone : NULL, &waiting);
	rc = llm_chat(llm, system, user, os_now_ms() + (double)llm_run_ms(llm), reply, &charged);
	llm_set_abort(llm, NULL, NULL);
	used->sent += charged.calls;
	used->tokens_in += charged.tokens_in;
	used->tokens_out += charged.tokens_out;
	used->usd += charged.usd;
	return rc;
}

void solution_model_use(llm_client *llm)
{
	eval_model m = { ask, llm };

	eval_set_model(llm ? &m : NULL);
}

void solution_model_charge(llm_usage *to, const eval_model_use *u)
{
	to->calls += u->sent;
	to->tokens_in += u->tokens_in;
	to->tokens_out += u->tokens_out;
	to->usd += u->usd;
	to->seconds += u->ms / 1000;
}
