/*
 * llm_remote.c - the model for agents on a Slurm node: their calls go to
 * the host, which alone talks to the model.
 *
 * A step of --executor slurm runs the task agent on a node with a remote
 * client (llm_open_remote). Each call, and each figure the host measured
 * for the next call (llm_measured), is a request framed on the step's
 * stdout; the host answers it with its own client (llm_serve) on the
 * step's stdin. So the API key never leaves the host's machine, one
 * ledger charges every call whichever node made it, the caps hold across
 * nodes, and a record or replay is the host's as in a local run.
 */
#include "llm_internal.h"

#include "channel.h"
#include "error.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REMOTE_ANSWER_MAX (16u << 20)  /* a reply's text, and its usage */

int llm_open_remote(llm_client **out, int in, int out_fd, const json_t *about)
{
	llm_client *c;
	const char *model = json_string_value(json_object_get(about, "model"));

	*out = NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);  /* llm_close ends it */
	if (!(c = calloc(1, sizeof(*c)))) {
		curl_global_cleanup();
		return err_set(ERR_SYSTEM, "out of memory");
	}
	c->remote = 1;
	c->remote_in = in;
	c->remote_out = out_fd;
	c->run_ms = (long)json_integer_value(json_object_get(about, "run_ms"));
	snprintf(c->identity, sizeof(c->identity), "%s", model ? model : "");
	snprintf(c->description, sizeof(c->description), "%s, through the host",
		 model ? model : "the host's model");
	*out = c;
	return 0;
}

json_t *llm_remote_about(const llm_client *c)
{
	return c ? json_pack("{s:s, s:I}", "model", llm_model(c), "run_ms",
			     (json_int_t)llm_run_ms(c)) : NULL;
}

/* Sends `request` (consumed) and waits for the host's answer. */
static int ask(json_t **answer, llm_client *c, json_t *request)
{
	json_t *msg = request ? json_pack("{s:o}", "llm", request) : NULL;
	int rc;

	*answer = NULL;
	if (!msg)
		return err_set(ERR_SYSTEM, "out of memory");
	rc = channel_send_json(c->remote_out, msg);
	json_decref(msg);
	if (rc < 0)
		return err_set(ERR_SYSTEM, "cannot ask the host for the model: %s", channel_strerror(rc));
	if ((rc = channel_recv_json(answer, c->remote_in, REMOTE_ANSWER_MAX, -1)) < 0)
		return err_set(ERR_SYSTEM, "the host did not answer for the model: %s",
			       channel_strerror(rc));
	return 0;
}

int llm_remote_chat(llm_client *c, const char *system_prompt, const char *user,
		    double deadline_ms, char **reply, llm_usage *used)
{
	double left = deadline_ms > 0 ? deadline_ms - os_now_ms() : 0;
	json_t *answer;
	const char *text, *error;
	llm_usage u;
	int rc = ask(&answer, c, json_pack("{s:s, s:s, s:s, s:s?, s:f}", "op", "chat", "system",
					   system_prompt, "user", user, "tag", c->tag, "ms_left",
					   left > 0 ? left : deadline_ms > 0 ? 1 : 0));

	if (rc < 0)
		return rc;
	llm_usage_from_json(&u, json_object_get(answer, "usage"));
	if (used)
		llm_ledger_add(used, &u);
	text = json_string_value(json_object_get(answer, "reply"));
	error = json_string_value(json_object_get(answer, "error"));
	rc = (int)json_integer_value(json_object_get(answer, "code"));
	if (text && !(*reply = strdup(text)))
		rc = err_set(ERR_SYSTEM, "out of memory");
	else if (!text)
		rc = err_set(rc < 0 ? rc : ERR_GENERIC, "%s", error ? error : "the host sent no reply");
	json_decref(answer);
	return rc;
}

void llm_remote_measured(llm_client *c, const char *next_call, double *value)
{
	json_t *answer;

	if (ask(&answer, c, json_pack("{s:s, s:s, s:f}", "op", "measured", "call", next_call,
				      "value", *value)) == 0 &&
	    json_is_number(json_object_get(answer, "value")))
		*value = json_number_value(json_object_get(answer, "value"));
	json_decref(answer);
}

void llm_remote_measured_end(llm_client *c)
{
	json_t *answer;

	if (ask(&answer, c, json_pack("{s:s}", "op", "measured_end")) == 0)
		json_decref(answer);
}

/* One call of a remote agent, made with `c` under the agent's name. */
static json_t *serve_chat(llm_client *c, const json_t *q, int (*abort)(void *ctx), void *ctx)
{
	const char *tag = json_string_value(json_object_get(q, "tag"));
	double left = json_number_value(json_object_get(q, "ms_left"));
	llm_usage used = { 0, 0, 0, 0, 0 };
	char name[200], *reply = NULL;
	json_t *answer;
	int rc;

	snprintf(name, sizeof(name), "%s", tag ? tag : "");
	llm_set_tag(c, tag ? name : NULL);
	llm_set_abort(c, abort, ctx);
	rc = llm_chat(c, json_string_value(json_object_get(q, "system")),
		      json_string_value(json_object_get(q, "user")),
		      left > 0 ? os_now_ms() + left : 0, &reply, &used);
	llm_set_abort(c, NULL, NULL);
	llm_set_tag(c, NULL);
	answer = json_pack("{s:i, s:o}", "code", rc, "usage", llm_usage_to_json(&used));
	json_object_set_new(answer, rc == 0 ? "reply" : "error",
			    json_string(rc == 0 ? reply : err_last()));
	free(reply);
	return answer;
}

json_t *llm_serve(llm_client *c, const json_t *request, int (*abort)(void *ctx), void *ctx)
{
	const char *op = json_string_value(json_object_get(request, "op"));
	double value;

	if (!c || !op)
		return json_pack("{s:i, s:s}", "code", ERR_INVALID, "error", !c
				 ? "the run is offline: there is no model" : "not a model request");
	if (strcmp(op, "chat") == 0)
		return serve_chat(c, request, abort, ctx);
	if (strcmp(op, "measured") == 0) {
		const char *call = json_string_value(json_object_get(request, "call"));
		char name[200];

		snprintf(name, sizeof(name), "%s", call ? call : "");
		value = json_number_value(json_object_get(request, "value"));
		llm_measured(c, name, &value);
		return json_pack("{s:f}", "value", value);
	}
	if (strcmp(op, "measured_end") != 0)
		return json_pack("{s:i, s:s}", "code", ERR_INVALID, "error", "not a model request");
	llm_measured_end(c);
	return json_object();
}
