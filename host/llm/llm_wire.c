/*
 * llm_wire.c - the three providers' wire formats: OpenAI-compatible chat
 * completions, Anthropic Messages and Gemini generateContent. One function
 * builds each request (body, URL and headers) and one reads each reply;
 * everything else in the client is the same for all three.
 *
 * Gemini's key goes in a header, not the URL, so that no URL carries it.
 * A server's error body is never copied as it is: only its error type and
 * message, made safe to show, go into the error.
 */
#include "llm_internal.h"

#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLM_ERROR_ID_MAX 40
#define LLM_ERROR_TEXT_MAX 160

const llm_provider llm_providers[LLM_N_PROVIDERS] = {
	{ "openai", "https://api.openai.com/v1", "gpt-4o-mini", { "OPENAI_API_KEY", NULL } },
	{ "anthropic", "https://api.anthropic.com", "claude-3-5-haiku-latest",
	  { "ANTHROPIC_API_KEY", NULL } },
	{ "gemini", "https://generativelanguage.googleapis.com", "gemini-1.5-flash",
	  { "GEMINI_API_KEY", "GOOGLE_API_KEY" } },
};

/* The reply's limits: max_tokens always, so that a local server does not
 * run on for minutes, and temperature only when the user chose one. */
static json_t *generation_settings(const llm_client *c, const char *tokens_key,
				   const char *temperature_key)
{
	json_t *o = json_object();

	json_object_set_new(o, tokens_key, json_integer(c->reply_tokens));
	if (c->temperature_set)
		json_object_set_new(o, temperature_key, json_real(c->temperature));
	return o;
}

json_t *llm_wire_request(const llm_client *c, const char *system_prompt, const char *user)
{
	json_t *r;

	switch (c->kind) {
	case LLM_PROVIDER_ANTHROPIC:
		r = json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "model", c->model, "system",
			      system_prompt, "messages", "role", "user", "content", user);
		break;
	case LLM_PROVIDER_GEMINI:
		return json_pack("{s:{s:[{s:s}]}, s:[{s:s, s:[{s:s}]}], s:o}", "systemInstruction",
				 "parts", "text", system_prompt, "contents", "role", "user",
				 "parts", "text", user, "generationConfig",
				 generation_settings(c, "maxOutputTokens", "temperature"));
	default:
		r = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "model", c->model,
			      "messages", "role", "system", "content", system_prompt,
			      "role", "user", "content", user);
	}
	if (r) {
		json_t *g = generation_settings(c, "max_tokens", "temperature");

		json_object_update(r, g);
		json_decref(g);
	}
	return r;
}

void llm_wire_target(const llm_client *c, buf *url, struct curl_slist **headers)
{
	buf h = BUF_INIT;

	*headers = curl_slist_append(NULL, "Content-Type: application/json");
	switch (c->kind) {
	case LLM_PROVIDER_ANTHROPIC:
		buf_printf(url, "%s/v1/messages", c->url);
		*headers = curl_slist_append(*headers, "anthropic-version: 2023-06-01");
		if (c->key)
			buf_printf(&h, "x-api-key: %s", c->key);
		break;
	case LLM_PROVIDER_GEMINI:
		buf_printf(url, "%s/v1beta/models/%s:generateContent", c->url, c->model);
		if (c->key)
			buf_printf(&h, "x-goog-api-key: %s", c->key);
		break;
	default:
		buf_printf(url, "%s/chat/completions", c->url);
		if (c->key)
			buf_printf(&h, "Authorization: Bearer %s", c->key);
	}
	if (h.len)
		*headers = curl_slist_append(*headers, h.data);
	if (h.data)
		memset(h.data, 0, h.len);
	buf_free(&h);
}

/* The reply's text and token counts (-1 for a count that cannot be right,
 * see llm_ledger_count); ERR_INVALID if it is not what the provider's format
 * promises. */
int llm_wire_parse_reply(const llm_client *c, const char *body, char **text, long *in, long *out)
{
	json_t *reply = json_loads(body, 0, NULL), *usage;
	const char *t = NULL;

	switch (c->kind) {
	case LLM_PROVIDER_ANTHROPIC:
		t = json_string_value(json_object_get(json_array_get(json_object_get(reply, "content"), 0), "text"));
		usage = json_object_get(reply, "usage");
		*in = llm_ledger_count(json_object_get(usage, "input_tokens"));
		*out = llm_ledger_count(json_object_get(usage, "output_tokens"));
		break;
	case LLM_PROVIDER_GEMINI:
		t = json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(
			json_array_get(json_object_get(reply, "candidates"), 0), "content"), "parts"), 0), "text"));
		usage = json_object_get(reply, "usageMetadata");
		*in = llm_ledger_count(json_object_get(usage, "promptTokenCount"));
		*out = llm_ledger_count(json_object_get(usage, "candidatesTokenCount"));
		break;
	default:
		t = json_string_value(json_object_get(json_object_get(json_array_get(
			json_object_get(reply, "choices"), 0), "message"), "content"));
		usage = json_object_get(reply, "usage");
		*in = llm_ledger_count(json_object_get(usage, "prompt_tokens"));
		*out = llm_ledger_count(json_object_get(usage, "completion_tokens"));
	}
	*text = t ? strdup(t) : NULL;
	json_decref(reply);
	return *text ? 0 : err_set(ERR_INVALID, "the reply is not a %s response (malformed or truncated)",
				   llm_providers[c->kind].name);
}

/* `s` made safe to show, into out[size]: non-printable characters become
 * '?' (so that no two pieces join into a key), keys are scrubbed, and
 * what is left is cut to LLM_ERROR_TEXT_MAX characters. In that order: a
 * key cut in two would no longer be found. */
static void safe_text(const llm_client *c, const char *s, char *out, size_t size)
{
	char *copy = s ? strdup(s) : NULL, *p;

	out[0] = '\0';
	if (!copy)
		return;
	for (p = copy; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	llm_scrub(&c->keys, copy);
	snprintf(out, size, "%.*s%s", LLM_ERROR_TEXT_MAX, copy,
		 strlen(copy) > LLM_ERROR_TEXT_MAX ? "..." : "");
	free(copy);
}

/* An error type such as "invalid_request_error", or "" unless it is one:
 * scrubbed, then only [A-Za-z0-9_.-] and at most LLM_ERROR_ID_MAX long. */
static void safe_identifier(const llm_client *c, const char *s, char *out, size_t size)
{
	size_t len;

	safe_text(c, s, out, size);
	len = strlen(out);
	if (len > LLM_ERROR_ID_MAX || strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					      "0123456789_.-") != len)
		out[0] = '\0';
}

/* " (type: message)" from a refusal's JSON body, or "". Never the body
 * itself: a proxy once echoed the request's Authorization header in a 400. */
static void error_detail(const llm_client *c, const char *body, char *out, size_t size)
{
	json_t *reply = json_loads(body, 0, NULL), *e = json_object_get(reply, "error");
	const char *type = json_string_value(json_object_get(e, "type"));
	char id[LLM_ERROR_ID_MAX + 8], text[LLM_ERROR_TEXT_MAX + 8];

	if (!type)  /* Gemini: "status", some proxies: a string "code" */
		type = json_string_value(json_object_get(e, "status"));
	if (!type)
		type = json_string_value(json_object_get(e, "code"));
	safe_identifier(c, type, id, sizeof(id));
	safe_text(c, json_is_string(e) ? json_string_value(e)
		  : json_string_value(json_object_get(e, "message")), text, sizeof(text));
	json_decref(reply);
	if (id[0] || text[0])
		snprintf(out, size, " (%s%s%s)", id, id[0] && text[0] ? ": " : "", text);
	else
		out[0] = '\0';
}

/* The error for a reply other than 200; LLM_ERR_FATAL for those no retry mends. */
int llm_wire_http_error(const llm_client *c, long status, const buf *reply)
{
	const char *name = llm_providers[c->kind].name;
	char detail[LLM_ERROR_ID_MAX + LLM_ERROR_TEXT_MAX + 32];

	error_detail(c, buf_cstr(reply), detail, sizeof(detail));
	if (status == 401 || status == 403)
		return err_set(LLM_ERR_FATAL, "%s refused the request (HTTP %ld): check the API key in %s%s",
			       name, status, llm_providers[c->kind].key_vars[0], detail);
	if (status == 404)
		return err_set(LLM_ERR_FATAL, "%s answered HTTP 404: check the model '%s' and the URL %s%s",
			       name, c->model, c->url, detail);
	return err_set(ERR_GENERIC, "%s answered HTTP %ld%s", name, status, detail);
}
