/*
 * llm_call.c - one call of the language-model client over the network:
 * its attempts, with their retries, backoff and deadline, each waiting
 * its turn in the pool (llm_pool.c); and the charge of every request that
 * left the host, whatever became of it.
 *
 * A provider bills a prompt it received whether or not anyone reads the
 * reply, so the ledger cannot wait for a reply to count one: a request
 * whose agent ended, or whose run stopped, while it waited, one that timed
 * out or met an error, and each retry, cost at least their prompts. The
 * single place that knows whether any of a request left is right after
 * libcurl's transfer, which every attempt goes through (finish), and the
 * prompts are set aside against the caps before it starts.
 */
#include "llm_internal.h"

#include "error.h"
#include "os.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LLM_MAX_REPLY (16u << 20)
#define LLM_BACKOFF_MS 250
#define LLM_BACKOFF_CAP_MS 8000
#define LLM_RETRY_AFTER_CAP_S 60   /* a server may not park us for an hour */

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

/* Nonzero once any of the request left the host, its headers or part of
 * its body, whatever became of the transfer after: from then on the
 * provider may have the prompt. A connection refused sends nothing. */
static int request_left(CURL *curl)
{
	curl_off_t body = 0;
	long headers = 0;

	curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &headers);
	curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &body);
	return headers > 0 || body > 0;
}

/* One POST that may take `timeout_ms`. Returns the curl code; *status,
 * *retry_after_s and *sent (see request_left) are set. */
static CURLcode post(llm_client *c, const char *body, long timeout_ms, buf *reply, long *status,
		     long *retry_after_s, int *sent)
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
	*sent = request_left(c->curl);
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

/* Classifies one attempt: 0 done, 1 retry, or a negative error. The
 * reply's text, its size and the counts reported go in *x. */
static int attempt_result(llm_client *c, CURLcode rc, long status, const buf *reply,
			  llm_exchange *x)
{
	int verdict;

	x->reply_bytes = status == 200 ? reply->len : 0;  /* a 200 is the model's work */
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return err_set(ERR_GENERIC, "abandoned while the model worked on it: nobody waits "
			       "for the reply"), 1;
	if (rc != CURLE_OK)
		return err_set(ERR_GENERIC, "%s: %s", c->url, curl_easy_strerror(rc)), 1;
	if (status != 200) {
		verdict = llm_wire_http_error(c, status, reply);
		return status == 429 || status >= 500 ? 1 : verdict;
	}
	if (llm_wire_parse_reply(c, buf_cstr(reply), &x->reply, &x->tokens_in,
				 &x->tokens_out) < 0)
		return 1;
	x->reply_bytes = strlen(x->reply);
	return 0;
}

/* Why a call got no usable reply, with how the model has answered so far:
 * a slow model and a dead one call for different remedies. */
static int call_failed(llm_client *c, int attempts, int out_of_time)
{
	char latency[96], *text = strdup(err_last());
	const char *last = text ? text : "";
	double mean;
	int rc;

	if (llm_pool_replies(c, &mean))
		snprintf(latency, sizeof(latency), "its replies took %.1f s on average", mean);
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

/* One call, as its attempts send it and the ledger charges them. */
typedef struct {
	const char *system, *user;  /* scrubbed */
	char *body;
	llm_usage estimate;  /* the prompts' cost at 4 bytes a token, set aside per attempt */
	llm_usage *used;     /* the caller's sum, or NULL */
	int charged;         /* an attempt has counted the call */
} llm_call;

/* Where every attempt that took a slot ends: one whose request left the
 * host is charged, whatever became of it (a reply, an error, a timeout,
 * an abandon), the prompts at least; what was set aside for it is given
 * back either way. */
static void finish(llm_client *c, llm_call *call, llm_exchange *x, int sent, CURLcode rc)
{
	llm_usage none = { 0, 0, 0, 0, 0 };

	if (!sent && !x->reply) {
		llm_pool_settle(c, &call->estimate, &none, 0);
		return;
	}
	x->error = x->reply ? NULL : err_last();
	x->abandoned = rc == CURLE_ABORTED_BY_CALLBACK;
	x->counts_call = !call->charged;
	call->charged = 1;
	llm_ledger_charge(c, x, &call->estimate, call->used);
}

/* One attempt, once the pool lets it start (its hold-off over, one of the
 * open requests' slots free, its prompts set aside within the caps): 0
 * done, 1 retry, 2 no attempt made as the deadline or an abort came
 * first, or a negative error (LLM_ERR_BUDGET: the prompts would pass a
 * cap). *timed_out is set when the deadline cut the attempt short. */
static int attempt(llm_client *c, llm_call *call, double deadline_ms, int n, char **text,
		   long *retry_after, int *timed_out)
{
	llm_exchange x = { call->system, call->user, NULL, 0, -1, -1, 0, 0, NULL, 0, 0 };
	buf reply = BUF_INIT;
	long status, timeout_ms;
	double start;
	CURLcode rc;
	int verdict, sent;

	if (llm_pool_enter(c, deadline_ms))
		return 2;
	if ((timeout_ms = attempt_timeout_ms(c, deadline_ms)) == 0 || aborted(c)) {
		llm_pool_leave(c);
		return 2;
	}
	if ((verdict = llm_pool_set_aside(c, &call->estimate)) < 0) {
		llm_pool_leave(c);
		return verdict;
	}
	start = os_now_ms();
	rc = post(c, call->body, timeout_ms, &reply, &status, retry_after, &sent);
	llm_pool_leave(c);
	verdict = attempt_result(c, rc, status, &reply, &x);
	x.seconds = (os_now_ms() - start) / 1000.0;
	finish(c, call, &x, sent, rc);
	if (verdict == 0)
		*text = x.reply;
	if (status == 429)
		llm_pool_hold_off(c, hold_off_ms(n, *retry_after));
	buf_free(&reply);
	*timed_out = rc == CURLE_OPERATION_TIMEDOUT && timeout_ms < c->timeout_ms;
	return verdict;
}

int llm_call_network(llm_client *c, const char *system_prompt, const char *user,
		     double deadline_ms, char **text, llm_usage *used)
{
	json_t *request = llm_wire_request(c, system_prompt, user);
	llm_call call = { system_prompt, user, json_dumps(request, JSON_COMPACT), { 0, 0, 0, 0, 0 },
			  used, 0 };
	int attempts = 0, verdict = 1, out_of_time = 0;
	long retry_after = 0;

	json_decref(request);
	if (!call.body)
		return err_set(ERR_SYSTEM, "out of memory");
	llm_ledger_estimate(c, strlen(system_prompt) + strlen(user), &call.estimate);
	while (verdict > 0 && attempts < c->attempts && !aborted(c)) {
		if (attempts > 0 && !backoff(c, attempts - 1, retry_after, deadline_ms)) {
			out_of_time = 1;
			break;
		}
		verdict = attempt(c, &call, deadline_ms, attempts, text, &retry_after, &out_of_time);
		if (verdict == 2) {
			out_of_time = 1;
			break;
		}
		attempts++;
	}
	free(call.body);
	return verdict > 0 ? call_failed(c, attempts, out_of_time) : verdict;
}
