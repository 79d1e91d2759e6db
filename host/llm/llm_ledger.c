/*
 * llm_ledger.c - what the language-model client's calls cost and said:
 * the price table, the token counts a server or a record reports and
 * their checks, estimates for the counts that cannot be right, the record
 * of every exchange and its replay.
 *
 * Usage is never a credit, whoever reports it: a negative price is
 * refused, a server's absurd count is replaced by the text's size, and a
 * record edited to hold negative or absurd usage does not load.
 */
#include "llm_internal.h"

#include "error.h"
#include "os.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The most tokens one call may report, in or out: five times the largest
 * context window offered today (2 million tokens), yet small enough that
 * sums of millions of calls neither overflow a long nor lose precision in
 * a double. A larger count is a lie, or a bug; either way it is not spent. */
#define LLM_MAX_TOKENS 10000000L
#define LLM_BYTES_PER_TOKEN 4       /* how a call is counted when its usage is not */

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
int llm_ledger_load_prices(llm_client *c, const char *path)
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
	snprintf(name, sizeof(name), "%s:%s", llm_providers[c->kind].name, c->model);
	entry = json_object_get(table, name);
	if (!entry) {
		snprintf(name, sizeof(name), "%s:*", llm_providers[c->kind].name);
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
long llm_ledger_count(const json_t *v)
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
		if (llm_ledger_count(json_object_get(e, counts[i])) < 0)
			return err_set(ERR_INVALID, "%s: line %d: %s is not a whole number from 0 to %ld",
				       path, line, counts[i], LLM_MAX_TOKENS);
	if (!is_spend(json_object_get(e, "usd")))
		return err_set(ERR_INVALID, "%s: line %d: usd is not a non-negative number", path, line);
	return 0;
}

/* A replay answers as the recorded model did, so it measures as that
 * model: its identity is the first exchange's, unless --llm names one.
 * (A line of measured figures alone names no model.) */
static void replayed_model(llm_client *c)
{
	const json_t *e;
	size_t i;

	json_array_foreach(c->replay, i, e) {
		const char *provider = json_string_value(json_object_get(e, "provider"));
		const char *model = json_string_value(json_object_get(e, "model"));
		if (!provider)
			continue;
		if (!c->identity[0] && model && *model)
			snprintf(c->identity, sizeof(c->identity), "%.40s:%.200s", provider, model);
		return;
	}
}

/* The recorded exchanges a replay can answer with: those with a reply,
 * not the requests that got none. */
static size_t replies_recorded(const llm_client *c)
{
	const json_t *e;
	size_t i, n = 0;

	json_array_foreach(c->replay, i, e)
		n += json_is_string(json_object_get(e, "reply"));
	return n;
}

int llm_ledger_load_replay(llm_client *c, const char *path)
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
		 path, replies_recorded(c));
	replayed_model(c);
	return 0;
}

/* Adds `u` to `to`. A negative or non-finite part adds nothing: usage is
 * never a credit, whoever reports it. */
void llm_ledger_add(llm_usage *to, const llm_usage *u)
{
	to->calls += u->calls > 0 ? u->calls : 0;
	to->tokens_in += u->tokens_in > 0 ? u->tokens_in : 0;
	to->tokens_out += u->tokens_out > 0 ? u->tokens_out : 0;
	to->usd += is_finite_spend(u->usd) ? u->usd : 0;
	to->seconds += is_finite_spend(u->seconds) ? u->seconds : 0;
}

/* Nonzero when recorded exchange `e` answers this request: the same
 * prompts, and the same call when both are named. Processes running at
 * once ask in another order than the recording did, and siblings may ask
 * the very same prompts; the call's name tells them apart. */
static int answers(const json_t *e, const llm_client *c, const char *system_prompt,
		   const char *user)
{
	const char *rs = json_string_value(json_object_get(e, "system"));
	const char *ru = json_string_value(json_object_get(e, "user"));
	const char *call = json_string_value(json_object_get(e, "call"));

	return !json_is_true(json_object_get(e, "replayed")) && rs && ru &&
	       json_is_string(json_object_get(e, "reply")) && strcmp(rs, system_prompt) == 0 &&
	       strcmp(ru, user) == 0 && (!call || !c->tag || strcmp(call, c->tag) == 0);
}

/* The first unused recorded exchange that answers this request. Its
 * usage was checked by llm_ledger_load_replay. */
int llm_ledger_replay(llm_client *c, llm_exchange *r)
{
	size_t i, n = json_array_size(c->replay);

	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(c->replay, i);
		if (!answers(e, c, r->system, r->user))
			continue;
		json_object_set_new(e, "replayed", json_true());
		c->replay_next++;
		r->reply = strdup(json_string_value(json_object_get(e, "reply")));
		r->reply_bytes = r->reply ? strlen(r->reply) : 0;
		r->tokens_in = llm_ledger_count(json_object_get(e, "tokens_in"));
		r->tokens_out = llm_ledger_count(json_object_get(e, "tokens_out"));
		r->usd = json_number_value(json_object_get(e, "usd"));
		return r->reply ? 0 : err_set(ERR_SYSTEM, "out of memory");
	}
	return err_set(LLM_ERR_FATAL, "replay: call %zu does not match any recorded exchange "
		       "(%zu recorded); the run is not the recorded one", c->replay_next + 1,
		       replies_recorded(c));
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

/* Tells the client's owner something that is not an error. */
static void notice(llm_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void notice(llm_client *c, const char *fmt, ...)
{
	char message[512];
	va_list ap;

	if (!c->notice)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	c->notice(c->notice_ctx, message);
}

void llm_ledger_estimate(const llm_client *c, size_t prompt_bytes, llm_usage *out)
{
	memset(out, 0, sizeof(*out));
	settle_count(&out->tokens_in, prompt_bytes);
	out->usd = (double)out->tokens_in * c->price_in / 1e6;
}

/* Settles a request's tokens and prices them. Returns 1 if any count was
 * estimated: a server cannot make a call free, or a credit, by reporting
 * negative, absurd or no usage, nor a request that got no reply go
 * uncounted. */
static int price(llm_client *c, const llm_exchange *r, llm_usage *u)
{
	/* `|`, not `||`: both counts are settled */
	int estimated = settle_count(&u->tokens_in, strlen(r->system) + strlen(r->user)) |
			settle_count(&u->tokens_out, r->reply_bytes);

	u->usd = ((double)u->tokens_in * c->price_in + (double)u->tokens_out * c->price_out) / 1e6;
	if (estimated && r->reply && !c->usage_warned) {  /* the server's fault, not ours */
		c->usage_warned = 1;
		notice(c, "%s reported token counts that cannot be right; such calls are "
		       "counted at their size (%d bytes a token) and marked \"usage_estimated\" "
		       "in the record", llm_providers[c->kind].name, LLM_BYTES_PER_TOKEN);
	}
	return estimated;
}

/* Appends `e` (consumed) to the record as one JSON line, scrubbed as a
 * whole. */
static void record_line(llm_client *c, json_t *e)
{
	char *line = e ? llm_scrub(&c->keys, json_dumps(e, JSON_COMPACT)) : NULL;
	buf text = BUF_INIT;

	json_decref(e);
	if (!line)
		return;
	/* one write() per line: parallel workers append whole lines */
	buf_printf(&text, "%s\n", line);
	if (write(fileno(c->record), text.data, text.len) != (ssize_t)text.len)
		notice(c, "cannot write the LLM record: %s", strerror(errno));
	buf_free(&text);
	free(line);
}

/* Appends the exchange as one JSON line, with the figures measured for
 * it (llm_measured). One with no reply has none, so that a replay never
 * answers with it. */
static void record_exchange(llm_client *c, const llm_exchange *r, const llm_usage *u,
			    int estimated)
{
	json_t *e;

	if (!c->record)
		return;
	e = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:f, s:f}", "provider",
		      llm_providers[c->kind].name, "model", c->model ? c->model : "", "system",
		      r->system, "user", r->user, "tokens_in", (json_int_t)u->tokens_in,
		      "tokens_out", (json_int_t)u->tokens_out, "usd", u->usd, "seconds", u->seconds);
	json_object_set_new(e, r->reply ? "reply" : "error",
			    json_string(r->reply ? r->reply : r->error ? r->error : "no reply"));
	if (r->abandoned)
		json_object_set_new(e, "abandoned", json_true());
	if (estimated)
		json_object_set_new(e, "usage_estimated", json_true());
	if (c->tag)
		json_object_set_new(e, "call", json_string(c->tag));
	if (c->tag && json_array_size(c->measured) && strcmp(c->tag, c->measured_for) == 0) {
		json_object_set(e, "measured", c->measured);
		c->measured_kept = 1;
	}
	record_line(c, e);
}

void llm_ledger_charge(llm_client *c, llm_exchange *r, const llm_usage *set_aside,
		       llm_usage *used)
{
	llm_usage u = { r->counts_call ? 1 : 0, r->tokens_in, r->tokens_out, r->usd, r->seconds };
	int estimated = 0;

	llm_scrub(&c->keys, r->reply);
	if (!c->replay)
		estimated = price(c, r, &u);
	record_exchange(c, r, &u, estimated);
	llm_pool_settle(c, set_aside, &u, r->reply != NULL);
	if (used)
		llm_ledger_add(used, &u);
}

/* The figure `k` measured before the recorded call named `call`, into
 * *value; left as it is when the record has none. */
static void replay_measured(const llm_client *c, const char *call, size_t k, double *value)
{
	const json_t *e, *v;
	size_t i;

	json_array_foreach(c->replay, i, e) {
		const char *name = json_string_value(json_object_get(e, "call"));
		if (!name || strcmp(name, call) != 0)
			continue;
		v = json_array_get(json_object_get(e, "measured"), k);
		if (json_is_number(v) && isfinite(json_number_value(v))) {
			*value = json_number_value(v);
			return;
		}
	}
}

void llm_measured_end(llm_client *c)
{
	if (c && c->remote) {
		llm_remote_measured_end(c);
		return;
	}
	if (c && c->record && !c->measured_kept && json_array_size(c->measured) > 0)
		record_line(c, json_pack("{s:s, s:O, s:i, s:i, s:f}", "call", c->measured_for,
					 "measured", c->measured, "tokens_in", 0, "tokens_out", 0,
					 "usd", 0.0));
	if (c) {
		c->measured_for[0] = '\0';
		json_array_clear(c->measured);
		c->n_measured = 0;
		c->measured_kept = 0;
	}
}

void llm_measured(llm_client *c, const char *next_call, double *value)
{
	if (!c || !next_call)
		return;
	if (c->remote) {
		llm_remote_measured(c, next_call, value);
		return;
	}
	if (strcmp(c->measured_for, next_call) != 0) {
		llm_measured_end(c);
		snprintf(c->measured_for, sizeof(c->measured_for), "%s", next_call);
	}
	if (c->replay)
		replay_measured(c, next_call, c->n_measured, value);
	c->n_measured++;
	if (c->record && !c->measured)
		c->measured = json_array();
	if (c->record && c->measured)
		json_array_append_new(c->measured, json_real(*value));
}

json_t *llm_usage_to_json(const llm_usage *u)
{
	return json_pack("{s:I, s:I, s:I, s:f, s:f}", "calls", (json_int_t)u->calls,
			 "tokens_in", (json_int_t)u->tokens_in, "tokens_out", (json_int_t)u->tokens_out,
			 "usd", u->usd, "seconds", u->seconds);
}

void llm_usage_from_json(llm_usage *out, const json_t *json)
{
	out->calls = (long)json_integer_value(json_object_get(json, "calls"));
	out->tokens_in = (long)json_integer_value(json_object_get(json, "tokens_in"));
	out->tokens_out = (long)json_integer_value(json_object_get(json, "tokens_out"));
	out->usd = json_number_value(json_object_get(json, "usd"));
	out->seconds = json_number_value(json_object_get(json, "seconds"));
}
