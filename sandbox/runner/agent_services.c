/*
 * agent_services.c - agent.h's host services inside the sandbox; see
 * agent_services.h.
 *
 * Strings handed to the agent as `char *` are allocated with the guard
 * allocator, so the agent frees them like its own memory and they count
 * against its memory limit. Strings handed out as `const char *` live in
 * this file until they are replaced by the next call of the same kind.
 */
#include "agent_services.h"

#define AGENT_NO_ENTRY_POINTS
#include "agent.h"
#include "buf.h"
#include "channel.h"
#include "edits.h"
#include "error.h"
#include "guard.h"
#include "utf8.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPLY_MAX (16u << 20)

static char service_error[1024] = "no error";  /* as long as err_last() */
static unsigned long long rand_state;
static json_t *last_eval;   /* owns the strings of the last host_eval */
static json_t *task_reply;  /* owns the strings of host_task */
static json_t *last_check;  /* owns the strings of the last host_check */

static void set_error(const char *message)
{
	snprintf(service_error, sizeof(service_error), "%s", message);
}

/* Sends `request` (consumed) and returns the reply, or NULL with the error
 * set. A reply {"error": "..."} is a refusal, reported the same way. */
static json_t *call(json_t *request)
{
	json_t *reply = NULL;
	const char *refusal;

	if (!request) {  /* jansson refuses text that is not valid UTF-8 */
		set_error("the request cannot be sent: its text is not valid UTF-8");
		return NULL;
	}
	if (channel_send_json(CHANNEL_FD, request) < 0 ||
	    channel_recv_json(&reply, CHANNEL_FD, REPLY_MAX, -1) < 0) {
		json_decref(request);
		set_error("the host did not answer");
		_exit(1);  /* the host is gone or ended the run */
	}
	json_decref(request);
	refusal = json_string_value(json_object_get(reply, "error"));
	if (refusal) {
		set_error(refusal);
		json_decref(reply);
		return NULL;
	}
	return reply;
}

static char *agent_copy(const char *s)
{
	return s ? guard_strdup(s) : NULL;
}

static const char *member(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

int host_task(host_task_info *info)
{
	json_t *reply = call(json_pack("{s:s}", "op", "task"));

	if (!reply)
		return -1;
	json_decref(task_reply);
	task_reply = reply;
	info->name = member(reply, "name");
	info->description = member(reply, "description");
	info->interface = member(reply, "interface");
	info->metric = member(reply, "metric");
	info->higher_is_better = json_is_true(json_object_get(reply, "higher_is_better"));
	info->baseline = json_number_value(json_object_get(reply, "baseline"));
	info->target = json_number_value(json_object_get(reply, "target"));
	info->wall_ms = (int)json_integer_value(json_object_get(reply, "wall_ms"));
	info->cpu_ms = (int)json_integer_value(json_object_get(reply, "cpu_ms"));
	info->memory_mb = (int)json_integer_value(json_object_get(reply, "memory_mb"));
	info->carried_from = json_is_integer(json_object_get(reply, "carried_from"))
			     ? (int)json_integer_value(json_object_get(reply, "carried_from")) : -1;
	return 0;
}

int host_eval(const char *solution, host_eval_result *out)
{
	json_t *reply;

	if (!solution || !out) {
		set_error("host_eval: solution and result must not be NULL");
		return -1;
	}
	reply = call(json_pack("{s:s, s:s}", "op", "eval", "solution", solution));
	if (!reply)
		return -1;
	json_decref(last_eval);
	last_eval = reply;
	out->status = member(reply, "status");
	out->score = json_number_value(json_object_get(reply, "score"));
	out->feedback = member(reply, "feedback");
	out->diagnostics = member(reply, "diagnostics");
	out->wall_ms = json_number_value(json_object_get(reply, "wall_ms"));
	out->wall_limit_ms = (int)json_integer_value(json_object_get(reply, "wall_limit_ms"));
	return 0;
}

/* The "text" of a reply as the agent's own string; NULL when refused. */
static char *reply_text(json_t *reply)
{
	char *text;

	if (!reply)
		return NULL;
	text = agent_copy(json_string_value(json_object_get(reply, "text")));
	json_decref(reply);
	return text;
}

char *host_read(const char *name)
{
	if (!name) {
		set_error("host_read: name is NULL");
		return NULL;
	}
	return reply_text(call(json_pack("{s:s, s:s}", "op", "read", "name", name)));
}

int host_emit(const char *name, const char *text)
{
	json_t *reply;

	if (!name || !text) {
		set_error("host_emit: name and text must not be NULL");
		return -1;
	}
	reply = call(json_pack("{s:s, s:s, s:s}", "op", "emit", "name", name, "text", text));
	json_decref(reply);
	return reply ? 0 : -1;
}

int host_check(host_check_result *out)
{
	json_t *reply;

	if (!out) {
		set_error("host_check: the result must not be NULL");
		return -1;
	}
	reply = call(json_pack("{s:s}", "op", "check"));
	if (!reply)
		return -1;
	json_decref(last_check);
	last_check = reply;
	out->passed = json_is_true(json_object_get(reply, "passed"));
	out->stage = member(reply, "stage");
	out->diagnostics = member(reply, "diagnostics");
	return 0;
}

void host_log(const char *fmt, ...)
{
	char line[1001];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	utf8_repair(line);  /* the cut may fall inside a character */
	json_decref(call(json_pack("{s:s, s:s}", "op", "log", "line", line)));
}

/* splitmix64: tiny, good enough, and the same on every machine */
unsigned int host_rand(void)
{
	unsigned long long z = (rand_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (unsigned int)((z ^ (z >> 31)) >> 32);
}

int host_budget(host_budget_info *out)
{
	json_t *reply = call(json_pack("{s:s}", "op", "budget"));

	if (!reply)
		return -1;
	out->evals_left = (int)json_integer_value(json_object_get(reply, "evals_left"));
	out->llm_calls_left = (int)json_integer_value(json_object_get(reply, "llm_calls_left"));
	out->seconds_left = json_number_value(json_object_get(reply, "seconds_left"));
	json_decref(reply);
	return 0;
}

char *host_llm(const char *system_prompt, const char *user_prompt)
{
	return reply_text(call(json_pack("{s:s, s:s?, s:s?}", "op", "llm", "system",
					 system_prompt, "user", user_prompt)));
}

const char *host_error(void)
{
	return service_error;
}

char *host_extract_code(const char *text)
{
	char *code = text ? edits_extract_code(text) : NULL;
	char *copy;

	if (!code) {
		set_error(text ? err_last() : "host_extract_code: text is NULL");
		return NULL;
	}
	copy = agent_copy(code);
	free(code);
	return copy;
}

char *host_apply_edits(const char *source, const char *edits)
{
	char *result, *copy;

	if (!source || !edits) {
		set_error("host_apply_edits: source and edits must not be NULL");
		return NULL;
	}
	if (edits_apply(&result, source, edits) < 0) {
		set_error(err_last());
		return NULL;
	}
	copy = agent_copy(result);
	free(result);
	return copy;
}

void agent_services_init(unsigned long long seed)
{
	rand_state = seed;
}

#define SERVICE(name) { #name, (const void *)name }

const compile_symbol *agent_services_symbols(size_t *count)
{
	static const compile_symbol table[] = {
		SERVICE(host_task), SERVICE(host_eval), SERVICE(host_read),
		SERVICE(host_emit), SERVICE(host_check), SERVICE(host_log),
		SERVICE(host_rand), SERVICE(host_budget), SERVICE(host_llm),
		SERVICE(host_error), SERVICE(host_extract_code), SERVICE(host_apply_edits),
	};

	*count = sizeof(table) / sizeof(table[0]);
	return table;
}
