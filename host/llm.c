/*
 * llm.c - the language-model client; see llm.h.
 *
 * One function per provider builds the request and one parses the reply;
 * everything else (retries, caps, ledger, record and replay) is shared.
 * Gemini's key goes in a header, not the URL, so that no URL carries it.
 *
 * Defence in depth for the keys: every text that leaves the client (the
 * reply, error messages, the record, the description) passes through
 * scrub_keys, which replaces each configured key and each long segment of
 * one with a marker. A server's error body is never copied as it is, and
 * the token counts a server reports are checked before they are spent.
 */
#include "llm.h"

#include "buf.h"
#include "error.h"
#include "os.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LLM_MAX_ATTEMPTS 5
#define LLM_MAX_REPLY (16u << 20)
#define LLM_BACKOFF_MS 250
#define LLM_BACKOFF_CAP_MS 8000
#define LLM_RETRY_AFTER_CAP_S 60   /* a server may not park us for an hour */

/* The most tokens one call may report, in or out: five times the largest
 * context window offered today (2 million tokens), yet small enough that
 * sums of millions of calls neither overflow a long nor lose precision in
 * a double. A larger count is a lie, or a bug; either way it is not spent. */
#define LLM_MAX_TOKENS 10000000L
#define LLM_BYTES_PER_TOKEN 4       /* how a call is counted when its usage is not */

#define LLM_KEY_MARKER "[key]"
#define LLM_KEY_MIN_SCRUB 8         /* shorter strings are no secret; see keys_add */
#define LLM_ERROR_ID_MAX 40
#define LLM_ERROR_TEXT_MAX 160

_Static_assert(sizeof(LLM_KEY_MARKER) - 1 < LLM_KEY_MIN_SCRUB,
	       "scrubbing must only shrink a text, so that it can work in place");

typedef enum { PROVIDER_OPENAI, PROVIDER_ANTHROPIC, PROVIDER_GEMINI } provider_kind;

static const struct {
	const char *name, *url, *model, *key_vars[2];
} providers[] = {
	{ "openai", "https://api.openai.com/v1", "gpt-4o-mini", { "OPENAI_API_KEY", NULL } },
	{ "anthropic", "https://api.anthropic.com", "claude-3-5-haiku-latest",
	  { "ANTHROPIC_API_KEY", NULL } },
	{ "gemini", "https://generativelanguage.googleapis.com", "gemini-1.5-flash",
	  { "GEMINI_API_KEY", "GOOGLE_API_KEY" } },
};

#define N_PROVIDERS (sizeof(providers) / sizeof(providers[0]))

/* The strings scrub_keys replaces, longest first. */
typedef struct {
	char **items;
	size_t count;
} key_list;

struct llm_client {
	provider_kind kind;
	char *model, *url, *key;
	char description[600];
	long timeout_ms;
	double max_usd, price_in, price_out;  /* dollars per million tokens */
	long max_tokens;
	FILE *record;
	json_t *replay;
	size_t replay_next;
	llm_usage totals;
	char fatal[512];  /* why the run must stop, once it must */
	CURL *curl;
	unsigned int jitter;
	key_list keys;
	int usage_warned;  /* the user was told that a server's counts were replaced */
};

static int find_provider(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < N_PROVIDERS; i++)
		if (strlen(providers[i].name) == len && strncmp(providers[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static const char *provider_key(int kind)
{
	const char *key = getenv(providers[kind].key_vars[0]);

	if ((!key || !*key) && providers[kind].key_vars[1])
		key = getenv(providers[kind].key_vars[1]);
	return key && *key ? key : NULL;
}

static int is_key_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* Adds one string to scrub. Shorter ones are skipped: no provider issues
 * keys that short, and a placeholder such as OPENAI_API_KEY=EMPTY (vLLM's
 * convention) must not turn every EMPTY in the model's code into a marker. */
static int keys_add(key_list *k, const char *s, size_t len)
{
	char **grown;
	size_t i;

	if (len < LLM_KEY_MIN_SCRUB)
		return 0;
	for (i = 0; i < k->count; i++)
		if (strlen(k->items[i]) == len && memcmp(k->items[i], s, len) == 0)
			return 0;
	if (!(grown = realloc(k->items, (k->count + 1) * sizeof(*grown))))
		return err_set(ERR_SYSTEM, "out of memory");
	k->items = grown;
	if (!(k->items[k->count] = strndup(s, len)))
		return err_set(ERR_SYSTEM, "out of memory");
	k->count++;
	return 0;
}

/* A key, and each maximal run of [A-Za-z0-9] in it: keys have leaked
 * piecewise, a segment at a time, as separate identifiers. */
static int keys_add_value(key_list *k, const char *value)
{
	const char *p = value, *run;
	int rc = keys_add(k, value, strlen(value));

	while (rc == 0 && *p) {
		for (run = p; is_key_char(*p); p++)
			;
		rc = keys_add(k, run, (size_t)(p - run));
		if (*p)
			p++;
	}
	return rc;
}

static int longest_first(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

	return la < lb ? 1 : la > lb ? -1 : 0;
}

static void keys_free(key_list *k)
{
	size_t i;

	for (i = 0; i < k->count; i++) {
		memset(k->items[i], 0, strlen(k->items[i]));
		free(k->items[i]);
	}
	free(k->items);
	k->items = NULL;
	k->count = 0;
}

/* The value of every provider's key variable that is set (the client's
 * own key is one of them): whichever provider runs, no key leaves. */
static int keys_collect(key_list *k)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; rc == 0 && i < N_PROVIDERS; i++)
		for (j = 0; rc == 0 && j < 2 && providers[i].key_vars[j]; j++) {
			const char *value = getenv(providers[i].key_vars[j]);
			if (value)
				rc = keys_add_value(k, value);
		}
	if (rc < 0)
		keys_free(k);
	else if (k->count > 1)
		qsort(k->items, k->count, sizeof(*k->items), longest_first);
	return rc;
}

/* Replaces every `pat` in text[0..len) with the marker; returns the new length. */
static size_t replace_all(char *text, size_t len, const char *pat, size_t pat_len)
{
	char *r = text, *w = text, *end = text + len, *hit;
	size_t marker = sizeof(LLM_KEY_MARKER) - 1;

	while ((hit = memmem(r, (size_t)(end - r), pat, pat_len)) != NULL) {
		if (w != r)
			memmove(w, r, (size_t)(hit - r));
		w += hit - r;
		memcpy(w, LLM_KEY_MARKER, marker);
		w += marker;
		r = hit + pat_len;
	}
	if (w != r)
		memmove(w, r, (size_t)(end - r));
	w += end - r;
	*w = '\0';
	return (size_t)(w - text);
}

/* Replaces, in place, each key and long key segment in `text` (may be
 * NULL) with LLM_KEY_MARKER, and returns `text`. Whole keys go first, so
 * a leaked key reads "[key]", not "sk-[key]-[key]". One memmem pass per
 * string: 13 to 30 ms for a 16 MB reply and three providers' keys. */
static char *scrub_keys(const key_list *k, char *text)
{
	size_t i, len;

	if (!text)
		return NULL;
	len = strlen(text);
	for (i = 0; i < k->count; i++)
		len = replace_all(text, len, k->items[i], strlen(k->items[i]));
	return text;
}

/* A scrubbed copy of `text` (free() it), or NULL when memory runs out. */
static char *scrubbed_copy(const key_list *k, const char *text)
{
	return scrub_keys(k, strdup(text));
}

/* Scrubs the last error message; returns `code`. */
static int scrub_error(const key_list *k, int code)
{
	char message[1024];

	snprintf(message, sizeof(message), "%s", err_last());
	return err_set(code, "%s", scrub_keys(k, message));
}

static int is_finite_spend(double x)
{
	return isfinite(x) && x >= 0;
}

static int is_spend(const json_t *v)
{
	return json_is_number(v) && is_finite_spend(json_number_value(v));
}

/* Every "provider:model" entry needs two non-negative prices: a negative
 * one would turn spending into credit. Names without ':' are comments. */
static int check_prices(json_t *table, const char *path)
{
	static const char *const fields[] = { "input_per_mtok", "output_per_mtok" };
	const char *name;
	json_t *entry;
	size_t i;

	json_object_foreach(table, name, entry) {
		if (!strchr(name, ':'))
			continue;
		for (i = 0; i < 2; i++)
			if (!is_spend(json_object_get(entry, fields[i])))
				return err_set(ERR_INVALID, "price table %s: entry '%s': %s is not "
					       "a non-negative number of dollars", path, name, fields[i]);
	}
	return 0;
}

/* Prices in dollars per million tokens: "provider:model", else "provider:*". */
static int load_prices(llm_client *c, const char *path)
{
	char *owned = NULL, name[256];
	json_error_t jerr;
	json_t *table, *entry;

	if (!path)
		path = getenv("HOST_LLM_PRICES");
	if ((!path || !*path) && os_beside_exe(&owned, "prices.json") == 0)
		path = owned;
	table = path ? json_load_file(path, 0, &jerr) : NULL;
	if (!json_is_object(table) || check_prices(table, path) < 0) {
		int rc = json_is_object(table) ? ERR_INVALID
			 : err_set(ERR_INVALID, "price table %s: %s", path ? path : "(none)",
				   table ? "expected a JSON object" : jerr.text);
		json_decref(table);
		free(owned);
		return rc;
	}
	snprintf(name, sizeof(name), "%s:%s", providers[c->kind].name, c->model);
	entry = json_object_get(table, name);
	if (!entry) {
		snprintf(name, sizeof(name), "%s:*", providers[c->kind].name);
		entry = json_object_get(table, name);
	}
	c->price_in = json_number_value(json_object_get(entry, "input_per_mtok"));
	c->price_out = json_number_value(json_object_get(entry, "output_per_mtok"));
	json_decref(table);
	free(owned);
	return 0;
}

/* A token count a server or a record reports, or -1 if it cannot be right:
 * missing, not a whole number, negative, or above LLM_MAX_TOKENS. */
static long reported_count(const json_t *v)
{
	json_int_t n = json_integer_value(v);

	return json_is_integer(v) && n >= 0 && n <= LLM_MAX_TOKENS ? (long)n : -1;
}

/* A record edited to hold negative or absurd usage must not replay as credit. */
static int check_recorded_usage(const json_t *e, const char *path, int line)
{
	static const char *const counts[] = { "tokens_in", "tokens_out" };
	size_t i;

	for (i = 0; i < 2; i++)
		if (reported_count(json_object_get(e, counts[i])) < 0)
			return err_set(ERR_INVALID, "%s: line %d: %s is not a whole number from 0 to %ld",
				       path, line, counts[i], LLM_MAX_TOKENS);
	if (!is_spend(json_object_get(e, "usd")))
		return err_set(ERR_INVALID, "%s: line %d: usd is not a non-negative number", path, line);
	return 0;
}

static int load_replay(llm_client *c, const char *path)
{
	char *text, *line, *save = NULL;
	int rc = os_read_file(&text, NULL, path), n = 0;

	if (rc < 0)
		return rc;
	c->replay = json_array();
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *entry = json_loads(line, 0, NULL);
		n++;
		rc = json_is_object(entry) ? check_recorded_usage(entry, path, n)
		     : err_set(ERR_INVALID, "%s: line %d is not a recorded exchange", path, n);
		if (rc < 0) {
			json_decref(entry);
			free(text);
			return rc;
		}
		json_array_append_new(c->replay, entry);
	}
	free(text);
	snprintf(c->description, sizeof(c->description), "replay of %s (%zu calls, no network)",
		 path, json_array_size(c->replay));
	return 0;
}

/* "openai:gpt-4o" -> kind and model. */
static int parse_spec(llm_client *c, const char *spec)
{
	const char *colon = strchr(spec, ':');
	const char *model = colon ? colon + 1 : getenv("HOST_LLM_MODEL");
	int kind = find_provider(spec, colon ? (size_t)(colon - spec) : strlen(spec));

	if (kind < 0)
		return err_set(ERR_INVALID, "unknown LLM provider '%.*s' (openai, anthropic, gemini)",
			       (int)(colon ? colon - spec : (long)strlen(spec)), spec);
	c->kind = (provider_kind)kind;
	c->model = strdup(model && *model ? model : providers[kind].model);
	return c->model ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

static int configure(llm_client *c, const llm_options *o, const char *spec)
{
	const char *url = o->url ? o->url : getenv("HOST_LLM_URL");
	const char *key, *timeout = getenv("HOST_LLM_TIMEOUT_MS");
	int rc;

	if ((rc = parse_spec(c, spec)) < 0)
		return rc;
	c->url = strdup(url && *url ? url : providers[c->kind].url);
	if (c->url && c->url[strlen(c->url) - 1] == '/')
		c->url[strlen(c->url) - 1] = '\0';
	key = provider_key(c->kind);
	c->key = key ? strdup(key) : NULL;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : timeout ? atol(timeout) : 0;
	if (c->timeout_ms <= 0)  /* 0 would tell libcurl to wait forever */
		c->timeout_ms = 120000;
	if (!c->url || !(c->curl = curl_easy_init()))
		return err_set(ERR_SYSTEM, "cannot start libcurl");
	snprintf(c->description, sizeof(c->description), "%s:%s at %s%s", providers[c->kind].name,
		 c->model, c->url, c->key ? "" : " (no API key set)");
	return load_prices(c, o->prices_path);
}

int llm_open(llm_client **out, const llm_options *o)
{
	const char *spec = o->provider ? o->provider : getenv("HOST_LLM");
	llm_client *c;
	int rc = 0;

	*out = NULL;
	if ((!spec || !*spec) && !o->replay_path)
		return 0;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!(c = calloc(1, sizeof(*c)))) {
		curl_global_cleanup();
		return err_set(ERR_SYSTEM, "out of memory");
	}
	c->max_usd = o->max_usd;
	c->max_tokens = o->max_tokens;
	c->jitter = (unsigned int)getpid() ^ (unsigned int)time(NULL);
	rc = keys_collect(&c->keys);
	if (rc == 0 && spec && *spec)
		rc = configure(c, o, spec);
	if (rc == 0 && o->replay_path)
		rc = load_replay(c, o->replay_path);
	if (rc == 0 && o->record_path && !(c->record = fopen(o->record_path, "a")))
		rc = err_sys("cannot open %s", o->record_path);
	if (rc < 0) {
		rc = scrub_error(&c->keys, rc);
		llm_close(c);
		return rc;
	}
	scrub_keys(&c->keys, c->description);  /* a URL may carry a key */
	*out = c;
	return 0;
}

const char *llm_describe(const llm_client *c)
{
	return c ? c->description : "offline (no LLM provider)";
}

/* Adds `u` to `to`. A negative or non-finite part adds nothing: usage is
 * never a credit, whoever reports it. */
static void add_usage(llm_usage *to, const llm_usage *u)
{
	to->calls += u->calls > 0 ? u->calls : 0;
	to->tokens_in += u->tokens_in > 0 ? u->tokens_in : 0;
	to->tokens_out += u->tokens_out > 0 ? u->tokens_out : 0;
	to->usd += is_finite_spend(u->usd) ? u->usd : 0;
	to->seconds += is_finite_spend(u->seconds) ? u->seconds : 0;
}

void llm_add_usage(llm_client *c, const llm_usage *u)
{
	if (c)
		add_usage(&c->totals, u);
}

llm_usage llm_totals(const llm_client *c)
{
	llm_usage none = { 0, 0, 0, 0, 0 };

	return c ? c->totals : none;
}

const char *llm_fatal(const llm_client *c)
{
	return c && c->fatal[0] ? c->fatal : NULL;
}

int llm_exhausted(const llm_client *c)
{
	return c && ((c->max_usd > 0 && c->totals.usd >= c->max_usd) ||
		     (c->max_tokens > 0 && c->totals.tokens_in + c->totals.tokens_out >= c->max_tokens));
}

void llm_close(llm_client *c)
{
	if (!c)
		return;
	if (c->record)
		fclose(c->record);
	if (c->curl)
		curl_easy_cleanup(c->curl);
	json_decref(c->replay);
	keys_free(&c->keys);
	if (c->key)
		memset(c->key, 0, strlen(c->key));
	free(c->key);
	free(c->model);
	free(c->url);
	free(c);
	curl_global_cleanup();
}

static json_t *request_body(const llm_client *c, const char *system_prompt, const char *user)
{
	switch (c->kind) {
	case PROVIDER_ANTHROPIC:
		return json_pack("{s:s, s:i, s:s, s:[{s:s, s:s}]}", "model", c->model,
				 "max_tokens", 4096, "system", system_prompt, "messages",
				 "role", "user", "content", user);
	case PROVIDER_GEMINI:
		return json_pack("{s:{s:[{s:s}]}, s:[{s:s, s:[{s:s}]}]}", "systemInstruction",
				 "parts", "text", system_prompt, "contents", "role", "user",
				 "parts", "text", user);
	default:
		return json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "model", c->model,
				 "messages", "role", "system", "content", system_prompt,
				 "role", "user", "content", user);
	}
}

static void request_target(const llm_client *c, buf *url, struct curl_slist **headers)
{
	buf h = BUF_INIT;

	*headers = curl_slist_append(NULL, "Content-Type: application/json");
	switch (c->kind) {
	case PROVIDER_ANTHROPIC:
		buf_printf(url, "%s/v1/messages", c->url);
		*headers = curl_slist_append(*headers, "anthropic-version: 2023-06-01");
		if (c->key)
			buf_printf(&h, "x-api-key: %s", c->key);
		break;
	case PROVIDER_GEMINI:
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
 * see reported_count); ERR_INVALID if it is not what the provider's format
 * promises. */
static int parse_reply(const llm_client *c, const char *body, char **text, long *in, long *out)
{
	json_t *reply = json_loads(body, 0, NULL), *usage;
	const char *t = NULL;

	switch (c->kind) {
	case PROVIDER_ANTHROPIC:
		t = json_string_value(json_object_get(json_array_get(json_object_get(reply, "content"), 0), "text"));
		usage = json_object_get(reply, "usage");
		*in = reported_count(json_object_get(usage, "input_tokens"));
		*out = reported_count(json_object_get(usage, "output_tokens"));
		break;
	case PROVIDER_GEMINI:
		t = json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(
			json_array_get(json_object_get(reply, "candidates"), 0), "content"), "parts"), 0), "text"));
		usage = json_object_get(reply, "usageMetadata");
		*in = reported_count(json_object_get(usage, "promptTokenCount"));
		*out = reported_count(json_object_get(usage, "candidatesTokenCount"));
		break;
	default:
		t = json_string_value(json_object_get(json_object_get(json_array_get(
			json_object_get(reply, "choices"), 0), "message"), "content"));
		usage = json_object_get(reply, "usage");
		*in = reported_count(json_object_get(usage, "prompt_tokens"));
		*out = reported_count(json_object_get(usage, "completion_tokens"));
	}
	*text = t ? strdup(t) : NULL;
	json_decref(reply);
	return *text ? 0 : err_set(ERR_INVALID, "the reply is not a %s response (malformed or truncated)",
				   providers[c->kind].name);
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
	scrub_keys(&c->keys, copy);
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
static int http_error(const llm_client *c, long status, const buf *reply)
{
	const char *name = providers[c->kind].name;
	char detail[LLM_ERROR_ID_MAX + LLM_ERROR_TEXT_MAX + 32];

	error_detail(c, buf_cstr(reply), detail, sizeof(detail));
	if (status == 401 || status == 403)
		return err_set(LLM_ERR_FATAL, "%s refused the request (HTTP %ld): check the API key in %s%s",
			       name, status, providers[c->kind].key_vars[0], detail);
	if (status == 404)
		return err_set(LLM_ERR_FATAL, "%s answered HTTP 404: check the model '%s' and the URL %s%s",
			       name, c->model, c->url, detail);
	return err_set(ERR_GENERIC, "%s answered HTTP %ld%s", name, status, detail);
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	buf *b = ctx;

	if (b->len + size * n > LLM_MAX_REPLY || buf_append(b, data, size * n) < 0)
		return 0;
	return size * n;
}

/* One POST that may take `timeout_ms`. Returns the curl code; *status and
 * *retry_after_s are set. */
static CURLcode post(llm_client *c, const char *body, long timeout_ms, buf *reply, long *status,
		     long *retry_after_s)
{
	struct curl_slist *headers;
	struct curl_header *h;
	buf url = BUF_INIT;
	CURLcode rc;

	request_target(c, &url, &headers);
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url.data);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c->curl);
	*status = 0;
	*retry_after_s = 0;
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	if (curl_easy_header(c->curl, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
		*retry_after_s = atol(h->value);
	if (*retry_after_s < 0 || *retry_after_s > LLM_RETRY_AFTER_CAP_S)
		*retry_after_s = *retry_after_s < 0 ? 0 : LLM_RETRY_AFTER_CAP_S;
	curl_slist_free_all(headers);  /* the key's header too */
	buf_free(&url);
	return rc;
}

/* How long the next attempt may take: the configured timeout, cut to what
 * is left before the deadline (<= 0: none); 0 once the deadline has passed. */
static long attempt_timeout_ms(const llm_client *c, double deadline_ms)
{
	double left = deadline_ms - os_now_ms();

	if (deadline_ms <= 0 || left >= (double)c->timeout_ms)
		return c->timeout_ms;
	return left >= 1 ? (long)left : 0;
}

/* Waits before the retry that follows attempt `attempt` (0-based). Returns
 * 0, without waiting, when the wait would end past the deadline. */
static int backoff(llm_client *c, int attempt, long retry_after_s, double deadline_ms)
{
	long ms = LLM_BACKOFF_MS << attempt;
	struct timespec ts;

	if (ms > LLM_BACKOFF_CAP_MS)
		ms = LLM_BACKOFF_CAP_MS;
	ms = ms / 2 + (long)(rand_r(&c->jitter) % (unsigned int)(ms / 2 + 1));  /* jitter */
	if (retry_after_s > 0)
		ms = retry_after_s * 1000;
	if (deadline_ms > 0 && os_now_ms() + (double)ms >= deadline_ms)
		return 0;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
	return 1;
}

/* Classifies one attempt: 0 done, 1 retry, or a negative error. */
static int attempt_result(llm_client *c, CURLcode rc, long status, const buf *reply,
			  char **text, llm_usage *u)
{
	int verdict;

	if (rc != CURLE_OK)
		return err_set(ERR_GENERIC, "%s: %s", c->url, curl_easy_strerror(rc)), 1;
	if (status != 200) {
		verdict = http_error(c, status, reply);
		return status == 429 || status >= 500 ? 1 : verdict;
	}
	return parse_reply(c, buf_cstr(reply), text, &u->tokens_in, &u->tokens_out) == 0 ? 0 : 1;
}

/* Up to LLM_MAX_ATTEMPTS attempts, none started or waited for past the
 * deadline: a run's deadline bounds the whole call, retries included. */
static int call_network(llm_client *c, const char *system_prompt, const char *user,
			double deadline_ms, char **text, llm_usage *u)
{
	json_t *request = request_body(c, system_prompt, user);
	char *body = json_dumps(request, JSON_COMPACT);
	int attempts = 0, verdict = 1, out_of_time = 0;
	long retry_after = 0;

	json_decref(request);
	if (!body)
		return err_set(ERR_SYSTEM, "out of memory");
	while (verdict > 0 && attempts < LLM_MAX_ATTEMPTS) {
		buf reply = BUF_INIT;
		long status, timeout_ms;
		CURLcode rc;

		if (attempts > 0 && !backoff(c, attempts - 1, retry_after, deadline_ms))
			timeout_ms = 0;
		else
			timeout_ms = attempt_timeout_ms(c, deadline_ms);
		if ((out_of_time = timeout_ms == 0))
			break;
		rc = post(c, body, timeout_ms, &reply, &status, &retry_after);
		attempts++;
		verdict = attempt_result(c, rc, status, &reply, text, u);
		buf_free(&reply);
	}
	free(body);
	if (verdict > 0 && out_of_time && attempts == 0)
		return err_set(ERR_GENERIC, "the deadline passed before the call was made");
	if (verdict > 0 && out_of_time)
		return err_set(ERR_GENERIC, "the deadline ended the call after %d attempt%s: %s", attempts,
			       attempts == 1 ? "" : "s", err_last());
	if (verdict > 0)
		return err_set(ERR_GENERIC, "no usable reply after %d attempts: %s", attempts, err_last());
	return verdict;
}

/* The first unused recorded exchange with these prompts: workers running
 * in parallel may ask in a different order than the recording did. Its
 * usage was checked by load_replay. */
static int call_replay(llm_client *c, const char *system_prompt, const char *user,
		       char **text, llm_usage *u)
{
	size_t i, n = json_array_size(c->replay);

	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(c->replay, i);
		const char *rs = json_string_value(json_object_get(e, "system"));
		const char *ru = json_string_value(json_object_get(e, "user"));
		const char *reply = json_string_value(json_object_get(e, "reply"));
		if (json_is_true(json_object_get(e, "replayed")) || !rs || !ru || !reply ||
		    strcmp(rs, system_prompt) || strcmp(ru, user))
			continue;
		json_object_set_new(e, "replayed", json_true());
		c->replay_next++;
		*text = strdup(reply);
		u->tokens_in = reported_count(json_object_get(e, "tokens_in"));
		u->tokens_out = reported_count(json_object_get(e, "tokens_out"));
		u->usd = json_number_value(json_object_get(e, "usd"));
		return *text ? 0 : err_set(ERR_SYSTEM, "out of memory");
	}
	return err_set(LLM_ERR_FATAL, "replay: call %zu does not match any recorded exchange "
		       "(%zu recorded); the run is not the recorded one", c->replay_next + 1, n);
}

/* A count the server got wrong (-1), or zero for text that is there, is
 * replaced by the text's size, LLM_BYTES_PER_TOKEN bytes a token rounded
 * up. Returns 1 if it was replaced. */
static int settle_count(long *n, size_t bytes)
{
	if (*n > 0 || (*n == 0 && bytes == 0))
		return 0;
	*n = (long)((bytes + LLM_BYTES_PER_TOKEN - 1) / LLM_BYTES_PER_TOKEN);
	return 1;
}

/* Settles a network call's tokens and prices them. Returns 1 if any count
 * was estimated: a server cannot make a call free, or a credit, by
 * reporting negative, absurd or no usage. */
static int price_call(llm_client *c, size_t prompt_bytes, size_t reply_bytes, llm_usage *u)
{
	/* `|`, not `||`: both counts are settled */
	int estimated = settle_count(&u->tokens_in, prompt_bytes) |
			settle_count(&u->tokens_out, reply_bytes);

	u->usd = ((double)u->tokens_in * c->price_in + (double)u->tokens_out * c->price_out) / 1e6;
	if (estimated && !c->usage_warned) {
		c->usage_warned = 1;
		fprintf(stderr, "host: %s reported token counts that cannot be right; such calls are "
			"counted at their size (%d bytes a token) and marked \"usage_estimated\" "
			"in the record\n", providers[c->kind].name, LLM_BYTES_PER_TOKEN);
	}
	return estimated;
}

/* Appends the exchange as one JSON line, scrubbed as a whole. */
static void record_exchange(llm_client *c, const char *system_prompt, const char *user,
			    const char *reply, const llm_usage *u, int estimated)
{
	buf text = BUF_INIT;
	char *line;
	json_t *e;

	if (!c->record)
		return;
	e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:f, s:f}", "provider",
		      providers[c->kind].name, "model", c->model ? c->model : "", "system",
		      system_prompt, "user", user, "reply", reply, "tokens_in", (json_int_t)u->tokens_in,
		      "tokens_out", (json_int_t)u->tokens_out, "usd", u->usd, "seconds", u->seconds);
	if (estimated)
		json_object_set_new(e, "usage_estimated", json_true());
	line = scrub_keys(&c->keys, json_dumps(e, JSON_COMPACT));
	json_decref(e);
	if (!line)
		return;
	/* one write() per line: parallel workers append whole lines */
	buf_printf(&text, "%s\n", line);
	if (write(fileno(c->record), text.data, text.len) != (ssize_t)text.len)
		fprintf(stderr, "host: cannot write the LLM record: %s\n", strerror(errno));
	buf_free(&text);
	free(line);
}

/* Prices, records and counts a call that succeeded; `reply` is scrubbed. */
static void account(llm_client *c, const char *system_prompt, const char *user, char *reply,
		    llm_usage *u, llm_usage *used)
{
	int estimated = 0;

	scrub_keys(&c->keys, reply);
	if (!c->replay)
		estimated = price_call(c, strlen(system_prompt) + strlen(user), strlen(reply), u);
	record_exchange(c, system_prompt, user, reply, u, estimated);
	add_usage(&c->totals, u);
	if (used)
		add_usage(used, u);
}

int llm_chat(llm_client *c, const char *system_prompt, const char *user_prompt,
	     double deadline_ms, char **reply, llm_usage *used)
{
	double start = os_now_ms();
	llm_usage u = { 1, 0, 0, 0, 0 };  /* this call */
	char *sys, *user;
	int rc;

	*reply = NULL;
	if (llm_exhausted(c))
		return err_set(LLM_ERR_BUDGET, "the LLM budget is spent ($%.4f of $%.4f, %ld tokens)",
			       c->totals.usd, c->max_usd, c->totals.tokens_in + c->totals.tokens_out);
	if (c->fatal[0])
		return err_set(LLM_ERR_FATAL, "%s", c->fatal);
	/* a key in a prompt reaches neither the provider nor the record */
	sys = scrubbed_copy(&c->keys, system_prompt);
	user = scrubbed_copy(&c->keys, user_prompt);
	if (!sys || !user)
		rc = err_set(ERR_SYSTEM, "out of memory");
	else if (c->replay)
		rc = call_replay(c, sys, user, reply, &u);
	else
		rc = call_network(c, sys, user, deadline_ms, reply, &u);
	if (rc == 0) {
		u.seconds = (os_now_ms() - start) / 1000.0;
		account(c, sys, user, *reply, &u, used);
	} else {
		rc = scrub_error(&c->keys, rc);
		if (rc == LLM_ERR_FATAL)
			snprintf(c->fatal, sizeof(c->fatal), "%s", err_last());
	}
	free(sys);
	free(user);
	return rc;
}

void llm_describe_env(char *out, unsigned long size)
{
	const char *spec = getenv("HOST_LLM"), *url = getenv("HOST_LLM_URL");
	key_list keys = { NULL, 0 };

	if (!spec || !*spec)
		snprintf(out, size, "offline (no LLM provider; set HOST_LLM or pass --llm)");
	else
		snprintf(out, size, "%s%s%s (from HOST_LLM)", spec, url ? " at " : "", url ? url : "");
	if (keys_collect(&keys) == 0)  /* a URL may carry a key */
		scrub_keys(&keys, out);
	keys_free(&keys);
}
