/*
 * llm.c - the language-model client; see llm.h. This file holds the
 * client itself: its configuration, the caps, and llm_chat, which ties
 * them to one call's attempts over the network (llm_call.c), the
 * providers' formats (llm_wire.c), the ledger of prices, usage, record
 * and replay (llm_ledger.c), and the scrubbing of keys (llm_scrub.c).
 *
 * Defence in depth for the keys: every text that leaves the client (the
 * reply, error messages, the record, the description) passes through
 * llm_scrub, which replaces each configured key and each long segment of
 * one with a marker. A server's error body is never copied as it is, and
 * the token counts a server reports are checked before they are spent.
 */
#include "llm_internal.h"

#include "error.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LLM_ATTEMPTS 5           /* tries per call, by default */
#define LLM_RUN_MS 600000        /* model time per agent run, by default */
#define LLM_REPLY_TOKENS 4096    /* max_tokens, by default */

static int find_provider(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < LLM_N_PROVIDERS; i++)
		if (strlen(llm_providers[i].name) == len &&
		    strncmp(llm_providers[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static const char *provider_key(int kind)
{
	const char *key = getenv(llm_providers[kind].key_vars[0]);

	if ((!key || !*key) && llm_providers[kind].key_vars[1])
		key = getenv(llm_providers[kind].key_vars[1]);
	return key && *key ? key : NULL;
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
	c->kind = (llm_provider_kind)kind;
	c->model = strdup(model && *model ? model : llm_providers[kind].model);
	return c->model ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

static int configure(llm_client *c, const llm_options *o, const char *spec)
{
	const char *url = o->url ? o->url : getenv("HOST_LLM_URL");
	const char *key, *timeout = getenv("HOST_LLM_TIMEOUT_MS");
	int rc;

	if ((rc = parse_spec(c, spec)) < 0)
		return rc;
	c->url = strdup(url && *url ? url : llm_providers[c->kind].url);
	if (c->url && c->url[strlen(c->url) - 1] == '/')
		c->url[strlen(c->url) - 1] = '\0';
	key = provider_key(c->kind);
	c->key = key ? strdup(key) : NULL;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : timeout ? atol(timeout) : 0;
	if (c->timeout_ms <= 0)  /* 0 would tell libcurl to wait forever */
		c->timeout_ms = 120000;
	if (!c->url || !(c->curl = curl_easy_init()))
		return err_set(ERR_SYSTEM, "cannot start libcurl");
	snprintf(c->identity, sizeof(c->identity), "%s:%s", llm_providers[c->kind].name, c->model);
	snprintf(c->description, sizeof(c->description), "%s:%s at %s%s",
		 llm_providers[c->kind].name, c->model, c->url, c->key ? "" : " (no API key set)");
	return llm_ledger_load_prices(c, o->prices_path);
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
	c->attempts = o->attempts > 0 ? o->attempts : LLM_ATTEMPTS;
	c->run_ms = o->run_ms > 0 ? o->run_ms : LLM_RUN_MS;
	c->reply_tokens = o->reply_tokens > 0 ? o->reply_tokens : LLM_REPLY_TOKENS;
	c->temperature = o->temperature;
	c->temperature_set = o->temperature_set;
	c->notice = o->notice;
	c->notice_ctx = o->notice_ctx;
	c->max_tokens = o->max_tokens;
	c->jitter = (unsigned int)getpid() ^ (unsigned int)time(NULL);
	c->owner = (int)getpid();
	rc = llm_pool_open(c, o->concurrency);
	if (rc == 0)
		rc = llm_scrub_collect(&c->keys);
	if (rc == 0 && spec && *spec)
		rc = configure(c, o, spec);
	if (rc == 0 && o->replay_path)
		rc = llm_ledger_load_replay(c, o->replay_path);
	if (rc == 0 && o->record_path && !(c->record = fopen(o->record_path, "a")))
		rc = err_sys("cannot open %s", o->record_path);
	if (rc < 0) {
		rc = llm_scrub_error(&c->keys, rc);
		llm_close(c);
		return rc;
	}
	llm_scrub(&c->keys, c->description);  /* a URL may carry a key */
	llm_scrub(&c->keys, c->identity);
	*out = c;
	return 0;
}

int llm_after_fork(llm_client *c)
{
	CURL *fresh;

	if (!c || !c->curl)
		return 0;
	/* The parent's handle is left as it is, unused: cleaning it up here
	 * could close, or end the TLS session of, a connection the parent
	 * still has. The process that forked keeps it; this one exits soon. */
	if (!(fresh = curl_easy_init()))
		return err_set(ERR_SYSTEM, "cannot start libcurl");
	c->curl = fresh;
	c->jitter ^= (unsigned int)getpid();
	return 0;
}

void llm_unset_keys(void)
{
	int kind, v;

	for (kind = 0; kind < LLM_N_PROVIDERS; kind++)
		for (v = 0; v < 2; v++)
			if (llm_providers[kind].key_vars[v])
				unsetenv(llm_providers[kind].key_vars[v]);
}

long llm_run_ms(const llm_client *c)
{
	return c ? c->run_ms : 0;
}

void llm_set_abort(llm_client *c, int (*abort)(void *ctx), void *ctx)
{
	if (!c)
		return;
	c->abort = abort;
	c->abort_ctx = ctx;
}

void llm_set_tag(llm_client *c, const char *tag)
{
	if (c)
		c->tag = tag;
}

double llm_mean_latency(const llm_client *c)
{
	double mean = 0;

	if (c && c->pool)
		llm_pool_replies(c, &mean);
	return mean;
}

const char *llm_model(const llm_client *c)
{
	return !c ? "offline" : c->identity[0] ? c->identity : "replay";
}

const char *llm_describe(const llm_client *c)
{
	return c ? c->description : "offline (no LLM provider)";
}

llm_usage llm_totals(const llm_client *c)
{
	llm_usage none = { 0, 0, 0, 0, 0 };

	return c && c->pool ? llm_pool_totals(c) : none;
}

const char *llm_fatal(const llm_client *c)
{
	return c && c->pool ? llm_pool_fatal(c) : NULL;
}

int llm_exhausted(const llm_client *c)
{
	llm_usage t = llm_totals(c);

	return c && ((c->max_usd > 0 && t.usd >= c->max_usd) ||
		     (c->max_tokens > 0 && t.tokens_in + t.tokens_out >= c->max_tokens) ||
		     (c->pool && llm_pool_refused(c)));
}

void llm_close(llm_client *c)
{
	if (!c)
		return;
	llm_measured_end(c);  /* figures no call took */
	if (c->record)
		fclose(c->record);
	if (c->curl)
		curl_easy_cleanup(c->curl);
	json_decref(c->replay);
	json_decref(c->measured);
	if (c->owner == (int)getpid())  /* a fork leaves the shared state to its owner */
		llm_pool_close(c);
	llm_scrub_free(&c->keys);
	if (c->key)
		memset(c->key, 0, strlen(c->key));
	free(c->key);
	free(c->model);
	free(c->url);
	free(c);
	curl_global_cleanup();
}

/* Answers from the record, charged as the recorded exchange was. Its
 * prompts are first set aside within the caps, as a request's are, so
 * that a replay under the recorded caps refuses the calls the recorded
 * run refused. */
static int call_replay(llm_client *c, const char *system_prompt, const char *user, char **text,
		       llm_usage *used)
{
	llm_exchange x = { system_prompt, user, NULL, 0, -1, -1, 0, 0, NULL, 0, 1 };
	llm_usage estimate, none = { 0, 0, 0, 0, 0 };
	double start = os_now_ms();
	int rc;

	llm_ledger_estimate(c, strlen(system_prompt) + strlen(user), &estimate);
	if ((rc = llm_pool_set_aside(c, &estimate)) < 0)
		return rc;
	if ((rc = llm_ledger_replay(c, &x)) < 0) {
		llm_pool_settle(c, &estimate, &none, 0);
		return rc;
	}
	x.seconds = (os_now_ms() - start) / 1000.0;
	llm_ledger_charge(c, &x, &estimate, used);
	*text = x.reply;
	return 0;
}

int llm_chat(llm_client *c, const char *system_prompt, const char *user_prompt,
	     double deadline_ms, char **reply, llm_usage *used)
{
	char *sys, *user;
	int rc;

	*reply = NULL;
	if (c->remote)  /* the host's client charges it, and keeps the caps */
		return llm_remote_chat(c, system_prompt, user_prompt, deadline_ms, reply, used);
	if (llm_exhausted(c)) {
		llm_usage t = llm_totals(c);
		return err_set(LLM_ERR_BUDGET, "the LLM budget is spent ($%.4f of $%.4f, %ld tokens)",
			       t.usd, c->max_usd, t.tokens_in + t.tokens_out);
	}
	if (llm_fatal(c))
		return err_set(LLM_ERR_FATAL, "%s", llm_fatal(c));
	/* a key in a prompt reaches neither the provider nor the record */
	sys = llm_scrub_copy(&c->keys, system_prompt);
	user = llm_scrub_copy(&c->keys, user_prompt);
	if (!sys || !user)
		rc = err_set(ERR_SYSTEM, "out of memory");
	else if (c->replay)
		rc = call_replay(c, sys, user, reply, used);
	else
		rc = llm_call_network(c, sys, user, deadline_ms, reply, used);
	if (rc < 0) {
		rc = llm_scrub_error(&c->keys, rc);
		if (rc == LLM_ERR_FATAL)
			llm_pool_set_fatal(c, err_last());
	}
	free(sys);
	free(user);
	return rc;
}

void llm_describe_env(char *out, unsigned long size)
{
	const char *spec = getenv("HOST_LLM"), *url = getenv("HOST_LLM_URL");
	llm_keys keys = { NULL, 0 };

	if (!spec || !*spec)
		snprintf(out, size, "offline (no LLM provider; set HOST_LLM or pass --llm)");
	else
		snprintf(out, size, "%s%s%s (from HOST_LLM)", spec, url ? " at " : "", url ? url : "");
	if (llm_scrub_collect(&keys) == 0)  /* a URL may carry a key */
		llm_scrub(&keys, out);
	llm_scrub_free(&keys);
}
