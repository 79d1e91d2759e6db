/*
 * llm.c - the language-model client; see llm.h. This file holds the
 * client itself: its configuration, the caps, one call's attempts with
 * their retries, backoff and deadline, and llm_chat, which ties them to
 * the providers' formats (llm_wire.c), the ledger of prices, usage, record
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
#define LLM_MAX_REPLY (16u << 20)
#define LLM_BACKOFF_MS 250
#define LLM_BACKOFF_CAP_MS 8000
#define LLM_RETRY_AFTER_CAP_S 60   /* a server may not park us for an hour */

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
	llm_usage totals = llm_totals(c);

	return totals.calls ? totals.seconds / (double)totals.calls : 0;
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
		     (c->max_tokens > 0 && t.tokens_in + t.tokens_out >= c->max_tokens));
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

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	buf *b = ctx;

	if (b->len + size * n > LLM_MAX_REPLY)
		return 0;
	buf_append(b, data, size * n);
	return b->failed ? 0 : size * n;
}

static int aborted(const llm_client *c)
{
	return c->abort && c->abort(c->abort_ctx);
}

/* libcurl's progress callback: a nonzero return aborts the transfer. */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return aborted(ctx);
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

	llm_wire_target(c, &url, &headers);
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url.data);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
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
	for (; ms > 0 && !aborted(c); ms -= 100) {  /* in slices, to hear an abort */
		ts.tv_sec = 0;
		ts.tv_nsec = (ms < 100 ? ms : 100) * 1000000L;
		nanosleep(&ts, NULL);
	}
	return !aborted(c);
}

/* Classifies one attempt: 0 done, 1 retry, or a negative error. */
static int attempt_result(llm_client *c, CURLcode rc, long status, const buf *reply,
			  char **text, llm_usage *u)
{
	int verdict;

	if (rc != CURLE_OK)
		return err_set(ERR_GENERIC, "%s: %s", c->url, curl_easy_strerror(rc)), 1;
	if (status != 200) {
		verdict = llm_wire_http_error(c, status, reply);
		return status == 429 || status >= 500 ? 1 : verdict;
	}
	return llm_wire_parse_reply(c, buf_cstr(reply), text, &u->tokens_in,
				    &u->tokens_out) == 0 ? 0 : 1;
}

/* Why a call got no usable reply, with how the model has answered so far:
 * a slow model and a dead one call for different remedies. */
static int call_failed(llm_client *c, int attempts, int out_of_time)
{
	char latency[96], *text = strdup(err_last());
	const char *last = text ? text : "";
	int rc;

	if (llm_totals(c).calls)
		snprintf(latency, sizeof(latency), "its replies took %.1f s on average",
			 llm_mean_latency(c));
	else
		snprintf(latency, sizeof(latency), "none of its replies has been usable yet");
	if (aborted(c))
		rc = err_set(ERR_GENERIC, "the call was abandoned after %d attempt%s, as the agent "
			     "that made it no longer waits; the model: %s", attempts,
			     attempts == 1 ? "" : "s", latency);
	else if (out_of_time && attempts == 0)
		rc = err_set(ERR_GENERIC, "the deadline passed before the call was made (%s)", latency);
	else if (out_of_time)
		rc = err_set(ERR_GENERIC, "the deadline ended the call after %d attempt%s (%s): %s",
			     attempts, attempts == 1 ? "" : "s", latency, last);
	else
		rc = err_set(ERR_GENERIC, "no usable reply after %d attempt%s (%s): %s", attempts,
			     attempts == 1 ? "" : "s", latency, last);
	free(text);
	return rc;
}

/* How long the whole pool holds off after a 429: what the server asked
 * for, else the caller's own backoff. */
static long hold_off_ms(int attempt, long retry_after_s)
{
	long ms = LLM_BACKOFF_MS << attempt;

	return retry_after_s > 0 ? retry_after_s * 1000 : ms < LLM_BACKOFF_CAP_MS ? ms
		: LLM_BACKOFF_CAP_MS;
}

/* One attempt, once the pool lets it start (its hold-off over, one of the
 * open requests' slots free): 0 done, 1 retry, 2 no attempt made as the
 * deadline or an abort came first, or a negative error. *timed_out is set
 * when the deadline cut the attempt short. */
static int attempt(llm_client *c, const char *body, double deadline_ms, int n, char **text,
		   llm_usage *u, long *retry_after, int *timed_out)
{
	buf reply = BUF_INIT;
	long status, timeout_ms;
	CURLcode rc;
	int verdict;

	if (llm_pool_enter(c, deadline_ms))
		return 2;
	if ((timeout_ms = attempt_timeout_ms(c, deadline_ms)) == 0 || aborted(c)) {
		llm_pool_leave(c);
		return 2;
	}
	rc = post(c, body, timeout_ms, &reply, &status, retry_after);
	llm_pool_leave(c);
	verdict = attempt_result(c, rc, status, &reply, text, u);
	if (status == 429)
		llm_pool_hold_off(c, hold_off_ms(n, *retry_after));
	buf_free(&reply);
	*timed_out = rc == CURLE_OPERATION_TIMEDOUT && timeout_ms < c->timeout_ms;
	return verdict;
}

/* Up to c->attempts attempts, none started or waited for past the
 * deadline: a run's deadline bounds the whole call, retries included. */
static int call_network(llm_client *c, const char *system_prompt, const char *user,
			double deadline_ms, char **text, llm_usage *u)
{
	json_t *request = llm_wire_request(c, system_prompt, user);
	char *body = json_dumps(request, JSON_COMPACT);
	int attempts = 0, verdict = 1, out_of_time = 0;
	long retry_after = 0;

	json_decref(request);
	if (!body)
		return err_set(ERR_SYSTEM, "out of memory");
	while (verdict > 0 && attempts < c->attempts && !aborted(c)) {
		if (attempts > 0 && !backoff(c, attempts - 1, retry_after, deadline_ms)) {
			out_of_time = 1;
			break;
		}
		verdict = attempt(c, body, deadline_ms, attempts, text, u, &retry_after, &out_of_time);
		if (verdict == 2) {
			out_of_time = 1;
			break;
		}
		attempts++;
	}
	free(body);
	return verdict > 0 ? call_failed(c, attempts, out_of_time) : verdict;
}

int llm_chat(llm_client *c, const char *system_prompt, const char *user_prompt,
	     double deadline_ms, char **reply, llm_usage *used)
{
	double start = os_now_ms();
	llm_usage u = { 1, 0, 0, 0, 0 };  /* this call */
	char *sys, *user;
	int rc;

	*reply = NULL;
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
		rc = llm_ledger_replay(c, sys, user, reply, &u);
	else
		rc = call_network(c, sys, user, deadline_ms, reply, &u);
	if (rc == 0) {
		u.seconds = (os_now_ms() - start) / 1000.0;
		llm_ledger_account(c, sys, user, *reply, &u, used);
	} else {
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
