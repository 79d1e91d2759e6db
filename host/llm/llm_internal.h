/*
 * llm_internal.h - what the language-model client's files share, and
 * nothing else includes: the client object, the providers' table, and the
 * calls between llm.c (the client and its caps), llm_call.c (one call's
 * attempts, retries and deadline), llm_wire.c (the providers' formats),
 * llm_ledger.c (prices, usage, record and replay), llm_pool.c (what forked
 * processes share) and llm_scrub.c (keys out of text). The public
 * interface is llm.h.
 */
#ifndef HOST_LLM_INTERNAL_H
#define HOST_LLM_INTERNAL_H

#include "error.h"

#include "buf.h"
#include "llm.h"
#include "slots.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

typedef enum { LLM_PROVIDER_OPENAI, LLM_PROVIDER_ANTHROPIC, LLM_PROVIDER_GEMINI } llm_provider_kind;

#define LLM_N_PROVIDERS 3

/* Each provider's name, default URL and model, and the variables that may
 * hold its key, in the order they are tried; indexed by llm_provider_kind. */
typedef struct {
	const char *name, *url, *model, *key_vars[2];
} llm_provider;

extern const llm_provider llm_providers[LLM_N_PROVIDERS];

/* The strings llm_scrub replaces, longest first. */
typedef struct {
	char **items;
	size_t count;
} llm_keys;

struct llm_client {
	llm_provider_kind kind;
	char *model, *url, *key;
	char description[600];
	char identity[300];       /* "provider:model", see llm_model */
	long timeout_ms, run_ms, reply_tokens;
	int attempts;
	double temperature;
	int temperature_set;
	int (*abort)(void *ctx);  /* see llm_set_abort */
	void *abort_ctx;
	double max_usd, price_in, price_out;  /* dollars per million tokens */
	long max_tokens;
	FILE *record;
	json_t *replay;
	size_t replay_next;
	struct llm_pool *pool;    /* shared with forked processes: totals, fatal, backoff */
	slots *open_calls;        /* requests open at once, across those processes */
	const char *tag;          /* see llm_set_tag */
	char measured_for[200];   /* the call the figures in `measured` are for */
	json_t *measured;         /* see llm_measured; NULL: none yet */
	size_t n_measured;        /* of them, for a replay, which has no array */
	int measured_kept;        /* they went into that call's exchange */
	int owner;                /* the pid that opened it, and closes what it shares */
	CURL *curl;
	unsigned int jitter;
	llm_keys keys;
	int usage_warned;  /* the user was told that a server's counts were replaced */
	void (*notice)(void *ctx, const char *message);
	void *notice_ctx;
	/* A client on a Slurm node (llm_open_remote): every call goes to the
	 * host over these descriptors, and no request leaves from here. */
	int remote, remote_in, remote_out;
};

/* llm_scrub.c */

/* The value of every provider's key variable that is set, and each long
 * run of letters and digits in it, longest first; on failure *k is empty. */
HOST_MUST_CHECK int llm_scrub_collect(llm_keys *k);

void llm_scrub_free(llm_keys *k);

/* Replaces, in place, each of `k` in `text` (may be NULL) with a marker,
 * and returns `text`. */
char *llm_scrub(const llm_keys *k, char *text);

/* A scrubbed copy of `text` (free() it), or NULL when memory runs out. */
char *llm_scrub_copy(const llm_keys *k, const char *text);

/* Scrubs the last error message; returns `code`. */
int llm_scrub_error(const llm_keys *k, int code);

/* llm_pool.c: what every process forked from the one that opened the
 * client shares, so that a run's candidates and workers spend one budget,
 * keep one bound on the requests open and slow down together. */

/* Maps the shared state; `concurrency` requests open at once (0: any). */
HOST_MUST_CHECK int llm_pool_open(llm_client *c, int concurrency);

/* Unmaps it (the opening process only; forks just exit). */
void llm_pool_close(llm_client *c);

/* Sets `estimate` (a prompt's cost) aside before its request is sent: 0,
 * or LLM_ERR_BUDGET when it would take what is spent and set aside past a
 * cap, which then counts as reached (llm_pool_refused). */
HOST_MUST_CHECK int llm_pool_set_aside(llm_client *c, const llm_usage *estimate);

/* Ends a request: gives back what was set aside for it (`estimate`; NULL:
 * nothing, a replay) and adds what it cost, `spent`, to the shared totals;
 * `replied` counts its time in llm_pool_replies. */
void llm_pool_settle(llm_client *c, const llm_usage *estimate, const llm_usage *spent,
		     int replied);

/* How many requests got a reply, and the mean time they took in seconds. */
long llm_pool_replies(const llm_client *c, double *mean_seconds);

/* Nonzero once a request was refused by llm_pool_set_aside. */
int llm_pool_refused(const llm_client *c);

/* The shared totals: every process's calls. */
llm_usage llm_pool_totals(const llm_client *c);

/* Records why the run must stop (the first reason stays); and reads it,
 * or NULL. */
void llm_pool_set_fatal(llm_client *c, const char *why);
const char *llm_pool_fatal(const llm_client *c);

/* No process starts an attempt for the next `ms`: a 429 slows the whole
 * pool down, not only the caller that met it. */
void llm_pool_hold_off(llm_client *c, long ms);

/* Waits until the pool may send again, then takes one of the open
 * requests' slots: 0, or 1 when the deadline (<= 0: none) or an abort
 * came first. llm_pool_leave gives the slot back. */
int llm_pool_enter(llm_client *c, double deadline_ms);
void llm_pool_leave(llm_client *c);

/* llm_remote.c: a remote client's side of llm_chat, llm_measured and
 * llm_measured_end, each asked of the host's client (llm_serve). */
HOST_MUST_CHECK int llm_remote_chat(llm_client *c, const char *system_prompt, const char *user,
				    double deadline_ms, char **reply, llm_usage *used);
void llm_remote_measured(llm_client *c, const char *next_call, double *value);
void llm_remote_measured_end(llm_client *c);

/* llm_call.c */

/* One call over the network, up to c->attempts attempts, none started or
 * waited for past `deadline_ms` (see llm_chat): the reply's text, or a
 * negative error. Every request that left the host is charged to the
 * ledger and to *used (may be NULL), whatever became of it. */
HOST_MUST_CHECK int llm_call_network(llm_client *c, const char *system_prompt, const char *user,
		     double deadline_ms, char **text, llm_usage *used);

/* llm_wire.c */

/* The request body for `c`'s provider. */
json_t *llm_wire_request(const llm_client *c, const char *system_prompt, const char *user);

/* The URL to post to and the headers to send, the key's among them; free
 * the list with curl_slist_free_all. */
void llm_wire_target(const llm_client *c, buf *url, struct curl_slist **headers);

/* The reply's text and token counts (-1 for a count that cannot be right,
 * see llm_ledger_count); ERR_INVALID if it is not what the provider's
 * format promises. */
HOST_MUST_CHECK int llm_wire_parse_reply(const llm_client *c, const char *body, char **text, long *in, long *out);

/* The error for a reply other than 200; LLM_ERR_FATAL for those no retry mends. */
int llm_wire_http_error(const llm_client *c, long status, const buf *reply);

/* llm_ledger.c */

/* Loads the price of `c`'s model from the table at `path` (NULL: the default). */
HOST_MUST_CHECK int llm_ledger_load_prices(llm_client *c, const char *path);

/* Loads the record at `path` for replay, checking its usage. */
HOST_MUST_CHECK int llm_ledger_load_replay(llm_client *c, const char *path);

/* A token count a server or a record reports, or -1 if it cannot be right. */
long llm_ledger_count(const json_t *v);

/* One request as the ledger charges it, whatever became of it: a reply,
 * an error, or abandoned while it waited. */
typedef struct {
	const char *system, *user;   /* the prompts sent, scrubbed */
	char *reply;                 /* the reply's text, or NULL; the ledger scrubs it */
	size_t reply_bytes;          /* the reply's size; with no text, what a 200 brought */
	long tokens_in, tokens_out;  /* as reported; -1: not known */
	double usd;                  /* a replay's recorded cost; else priced by the ledger */
	double seconds;
	const char *error;           /* why there is no reply, or NULL */
	int abandoned;               /* ended by llm_set_abort's callback */
	int counts_call;             /* the call's first request: one more call */
} llm_exchange;

/* Answers from the first unused recorded exchange with these prompts,
 * filling r's reply, counts and cost. */
HOST_MUST_CHECK int llm_ledger_replay(llm_client *c, llm_exchange *r);

/* Adds `u` to `to`; a negative or non-finite part adds nothing. */
void llm_ledger_add(llm_usage *to, const llm_usage *u);

/* What prompts of `prompt_bytes` cost, estimated at 4 bytes a token. */
void llm_ledger_estimate(const llm_client *c, size_t prompt_bytes, llm_usage *out);

/* Charges a request that left the host, whatever became of it: prices it
 * (a count not known, or not right, estimated at 4 bytes a token: the
 * prompts at least), records it, and adds it to the shared totals, giving
 * back `set_aside` (NULL: none), and to *used (may be NULL). */
void llm_ledger_charge(llm_client *c, llm_exchange *r, const llm_usage *set_aside,
		       llm_usage *used);

#endif
