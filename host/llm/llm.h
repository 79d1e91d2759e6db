/*
 * llm.h - the language-model client: OpenAI-compatible chat completions,
 * Anthropic Messages and Gemini generateContent over libcurl, with
 * timeouts, retries, hard budgets, a cost ledger and record/replay.
 *
 * A client is shared with the processes forked from the one that opened
 * it (evolve's candidates and workers): they spend one budget, keep at
 * most `concurrency` requests open and slow down together after a 429.
 *
 * It runs in the host only (the broker calls it for agents), so API keys
 * never enter a sandbox. Keys are read from the providers' usual variables
 * and never written anywhere: not in records, logs or generations. As a
 * second line of defence, every text the client hands out (replies, error
 * messages, the record, its description) has each key, and each run of 8
 * or more letters and digits in a key, replaced by "[key]", whichever
 * provider the key belongs to.
 */
#ifndef HOST_LLM_H
#define HOST_LLM_H

#include "error.h"

#include <jansson.h>

typedef struct llm_client llm_client;

typedef struct {
	const char *provider;      /* "openai[:model]", "anthropic[:model]",
	                              "gemini[:model]"; NULL: $HOST_LLM */
	const char *url;           /* base URL; NULL: $HOST_LLM_URL or the default */
	const char *record_path;   /* append every exchange as JSON lines */
	const char *replay_path;   /* serve exchanges from a record, no network */
	const char *prices_path;   /* NULL: $HOST_LLM_PRICES, else prices.json beside host */
	double max_usd;            /* no request whose prompts, at 4 bytes a token, would
	                              take the spend past it; 0: no cap */
	long max_tokens;           /* the same for tokens in + out; 0: no cap */
	long timeout_ms;           /* whole request; 0: $HOST_LLM_TIMEOUT_MS or 120 s */
	int attempts;              /* tries per call, retries included; 0: 5 */
	long run_ms;               /* model time one agent run may use in all; 0: 600 s */
	long reply_tokens;         /* the most a reply may have (max_tokens); 0: 4096 */
	int concurrency;           /* requests open at once, across forked processes; 0: any */
	double temperature;        /* sent only when temperature_set */
	int temperature_set;
	/* What the user should hear of that is not an error (a server's token
	 * counts replaced by estimates, a record line not written); NULL:
	 * nobody. */
	void (*notice)(void *ctx, const char *message);
	void *notice_ctx;
} llm_options;

typedef struct {
	long calls, tokens_in, tokens_out;
	double usd;
	double seconds;
} llm_usage;

enum {
	LLM_ERR_BUDGET = -20,  /* a cap is reached, or this call's prompts would pass
	                          one: its request was not sent */
	LLM_ERR_FATAL = -21    /* 401, 403, 404, or a replay mismatch: stop the run */
};

/* Opens the client. With no provider configured and no replay, returns 0
 * with *out NULL: the run is offline. */
HOST_MUST_CHECK int llm_open(llm_client **out, const llm_options *o);

/* "openai:gpt-4o-mini at https://api.openai.com/v1", or "replay of FILE". */
const char *llm_describe(const llm_client *c);

/*
 * Sends one exchange and returns the reply text (free() it). Every request
 * of the call that left the host, retries included, is charged whatever
 * became of it (a reply, an error, a timeout, an abandon): added to *used
 * (if not NULL), to the client's totals and to the record. Token counts
 * the server reports that are missing, not whole numbers, negative, zero
 * for a text that is there, or above 10 million, and those of a request
 * that got no reply, are replaced by the text's size at 4 bytes a token:
 * the prompts at least. Before each request its prompts are counted
 * against the caps at that size, with those of the requests under way in
 * every process: LLM_ERR_BUDGET if they would pass one. Retries 429, 5xx,
 * network errors and malformed replies with exponential backoff and
 * jitter, honouring Retry-After; no attempt starts, and no wait lasts,
 * past `deadline_ms` (an os_now_ms() time; <= 0: none), and each
 * attempt's timeout is cut to the time left.
 */
HOST_MUST_CHECK int llm_chat(llm_client *c, const char *system_prompt, const char *user_prompt,
	     double deadline_ms, char **reply, llm_usage *used);

/* Usage as JSON {"calls", "tokens_in", "tokens_out", "usd", "seconds"},
 * and back: how a worker process reports what it spent for a record. */
json_t *llm_usage_to_json(const llm_usage *u);
void llm_usage_from_json(llm_usage *out, const json_t *json);

/* Which model answers, for records: "provider:model" (for a replay, the
 * recorded one unless --llm names another; "replay" for an empty record),
 * "offline" for NULL. Never a URL or a key. */
const char *llm_model(const llm_client *c);

/* In a forked child, before its first call: gives the client connections
 * of its own. A kept-alive connection inherited from the parent is shared
 * with it, and the two would read each other's replies. */
HOST_MUST_CHECK int llm_after_fork(llm_client *c);

/* The model time one agent run may use in all (llm_options.run_ms). */
long llm_run_ms(const llm_client *c);

/* Names the calls that follow (NULL: none), until set again: the record
 * keeps the name, and a replay answers each request with the recorded
 * exchange of the same name and prompts, so that processes asking at once
 * get each its own reply whatever order they ask in. `tag` must outlive
 * the calls: "gen_005 meta call 1". */
void llm_set_tag(llm_client *c, const char *tag);

/*
 * A figure the host measured that an agent may quote to the model before
 * its next call, such as how long an evaluation took: it differs from run
 * to run, and a replay must send the recorded prompts. `next_call` is the
 * name that call will have (see llm_set_tag). Recording, the figure is
 * kept in that call's exchange ("measured", in order); replaying, *value
 * becomes the figure the recorded run measured at this point, when the
 * record has it. Nothing when `c` or `next_call` is NULL.
 */
void llm_measured(llm_client *c, const char *next_call, double *value);

/* Ends an agent run's figures: those measured for a call that was never
 * made, which a later prompt may still quote (an archive's trace), go
 * into the record on a line of their own, with no reply. llm_close ends
 * them too. */
void llm_measured_end(llm_client *c);

/* Calls `abort` (when not NULL) while a call waits for the model: a
 * nonzero return ends the call at once, with no retry. Set it around a
 * call, for what the call is made for: an agent that may end meanwhile. */
void llm_set_abort(llm_client *c, int (*abort)(void *ctx), void *ctx);

/* The mean time of the replies so far, in seconds; 0 before the first.
 * Requests that got none do not count. */
double llm_mean_latency(const llm_client *c);

/* What the client has spent so far: with every process forked from the
 * one that opened it, whose calls count against the same caps. */
llm_usage llm_totals(const llm_client *c);

/*
 * A client on a Slurm node, in a step of --executor slurm: each call, and
 * each figure measured (llm_measured), is asked of the host's client over
 * `in` and `out` (llm_serve answers it), which alone talks to the model,
 * charges the call and keeps the caps. `about` is llm_remote_about of the
 * host's client. llm_close closes neither descriptor.
 */
HOST_MUST_CHECK int llm_open_remote(llm_client **out, int in, int out_fd, const json_t *about);

/* Unsets every provider's key variable in this process's environment: a
 * child about to run a program that passes its environment on to other
 * machines, as srun does to its steps. */
void llm_unset_keys(void);

/* What a remote client is told of `c`: its model and the model time of an
 * agent run; NULL for an offline run. */
json_t *llm_remote_about(const llm_client *c);

/* The host's answer, with `c`, to a remote client's request: a call made
 * under the agent's name, abandoned as llm_set_abort's `abort` says (may
 * be NULL: the run stopped, the step is gone); or a figure measured. The
 * sender frees it; NULL when out of memory. */
json_t *llm_serve(llm_client *c, const json_t *request, int (*abort)(void *ctx), void *ctx);

/* Why the run must stop (a 401, a replay mismatch ...), or NULL. */
const char *llm_fatal(const llm_client *c);

/* Nonzero once a cap (max_usd, max_tokens) is reached, or a request was
 * refused as its prompts would have passed one. */
int llm_exhausted(const llm_client *c);

void llm_close(llm_client *c);

/* The mode as configured by the environment alone, for `host status`. */
void llm_describe_env(char *out, unsigned long size);

#endif
