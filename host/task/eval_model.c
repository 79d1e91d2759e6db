/*
 * eval_model.c - the model a task's solutions may ask (task.json's
 * "model", task_abi.h's model_ask); see eval.h and eval_internal.h.
 *
 * The model client lives in a later layer (host/llm), so the layer that
 * opens it gives it here as a function (eval_set_model). Every request a
 * solution makes goes through it, in the host: the key never enters the
 * sandbox, and the client's caps, ledger and record count each call as
 * they count an agent's. Here the run's own limit is kept: a solution
 * may ask calls_per_case times for each case of its run, wherever in the
 * run it asks.
 */
#include "eval_internal.h"

#include "error.h"
#include "os.h"

#include <stdlib.h>
#include <string.h>

static eval_model model;  /* ask NULL: offline */

void eval_set_model(const eval_model *m)
{
	if (m)
		model = *m;
	else
		memset(&model, 0, sizeof(model));
}

void eval_model_use_add(eval_model_use *to, const eval_model_use *more)
{
	to->calls += more->calls;
	to->refused += more->refused;
	to->sent += more->sent;
	to->tokens_in += more->tokens_in;
	to->tokens_out += more->tokens_out;
	to->usd += more->usd;
	to->ms += more->ms;
}

static int refuse(json_t **reply, eval_asks *asks, const char *why)
{
	asks->use.refused++;
	*reply = json_pack("{s:s+}", "error", "no model: ", why);
	return *reply ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

int eval_model_serve(void *ctx, const json_t *request, json_t **reply, sandbox_request *req)
{
	eval_asks *asks = ctx;
	const char *op = json_string_value(json_object_get(request, "op"));
	const char *system = json_string_value(json_object_get(request, "system"));
	const char *user = json_string_value(json_object_get(request, "user"));
	char spent[96], *text = NULL;
	double start;
	int rc;

	*reply = NULL;
	if (!op || strcmp(op, "model") != 0 || !system || !user)
		return err_set(ERR_INVALID, "a solution may ask the model only");
	if (!model.ask)
		return refuse(reply, asks, "the run is offline");
	if (asks->asked >= asks->allowed) {
		snprintf(spent, sizeof(spent), "this run's %d calls (task.json's calls_per_case "
			 "for each case) are spent", asks->allowed);
		return refuse(reply, asks, spent);
	}
	asks->asked++;
	start = os_now_ms();
	rc = model.ask(model.ctx, &text, &asks->use, system, user, req);
	asks->use.ms += os_now_ms() - start;
	if (req)
		req->excused_ms += os_now_ms() - start;
	if (rc == 0 && !(*reply = json_pack("{s:s}", "text", text)))
		rc = err_set(ERR_INVALID, "the reply is not UTF-8 text");
	free(text);
	if (rc < 0)
		return refuse(reply, asks, err_last());
	asks->use.calls++;
	return 0;
}
