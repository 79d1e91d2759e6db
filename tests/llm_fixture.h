/*
 * llm_fixture.h - what the language-model tests share: the scripted
 * server (tests/llm_server.py) on 127.0.0.1, started and stopped around a
 * test, its scripts and the requests it received; a price table and a
 * client for it; labs to run `host evolve` in, with their git output; and
 * `host rewrite` runs of the seed meta agent, with its requests.
 *
 * test_llm.c, test_llm_runs.c, test_llm_hostile.c and the meta agent's
 * tests use them, so that each starts the server, and makes a lab, the
 * same way.
 */
#ifndef TESTS_LLM_FIXTURE_H
#define TESTS_LLM_FIXTURE_H

#include "harness.h"

#include "llm.h"

#include <jansson.h>
#include <sys/types.h>

/* The API key the tests set; no output, record or lab may hold it. */
#define TEST_KEY "sk-test-key-must-not-leak-7f3a9"

typedef struct {
	pid_t pid;
	char url[64], dir[4096];
	int events;    /* the server's pipe: a byte for each request */
	size_t heard;  /* the requests read from it so far */
} llm_server;

/* Starts the server with `script` (consumed) in a new scratch folder
 * $TMPDIR/NAME, waiting until it listens; s->url is then
 * "http://127.0.0.1:PORT". */
void llm_fixture_start(llm_server *s, json_t *script, const char *name);

/* Waits until the server has received `n` requests since it started;
 * returns 0, or -1 after a minute or when the server is gone. One process
 * only may wait on a server. */
int llm_fixture_wait(llm_server *s, size_t n);

/* Waits until the server has received `n` requests and then none for
 * `quiet_ms`: what was going to finish has. */
void llm_fixture_wait_quiet(llm_server *s, size_t n, int quiet_ms);

/* Stops the server and removes its folder. */
void llm_fixture_stop(llm_server *s);

/* The requests the server received, as a JSON array. */
json_t *llm_fixture_requests(const llm_server *s);

/* Runs `argv` (argv[0] is ignored) against a server scripted with
 * `script` (consumed), in $TMPDIR/NAME, an argument "@URL@" standing for
 * its URL; returns the requests the server received. */
json_t *llm_fixture_run(run_result *r, json_t *script, const char *name, char *const argv[]);

/* `code` as a model's reply: in a ```c block, 500 tokens in, 300 out. */
json_t *llm_fixture_code_reply(const char *code);
/* The email task's initial solution with MIN_TLD_LENGTH 2: it scores 0.7.
 * free() it. */
char *llm_fixture_better_email(void);
/* A scripted reply with this text and token counts. */
json_t *llm_fixture_reply(const char *text, int in, int out);

/* `script` (returned) with every reply `seconds` late, as a slow model's. */
json_t *llm_fixture_late(json_t *script, double seconds);

/* `script` (returned) with the replies of the rule matching `match` only
 * `seconds` late. */
json_t *llm_fixture_late_rule(json_t *script, const char *match, double seconds);

/* A script with one rule matching everything. Consumes `replies`. */
json_t *llm_fixture_script(json_t *replies);

/* Writes $TMPDIR/prices.json, with openai:test-model at $1000 and $2000 a
 * million tokens, and returns its path (free() it). */
char *llm_fixture_prices(void);

/* Starts the server with one rule answering `replies` (consumed) in order,
 * and opens an openai:test-model client for it; or fails the test. */
llm_client *llm_fixture_serve(llm_server *s, json_t *replies, const char *name,
			      const char *prices, long timeout_ms, double max_usd);

/* Opens a client or fails the test. */
llm_client *llm_fixture_client(const char *provider, const char *url, const char *prices,
			       long timeout_ms, double max_usd);

/* The meta agent's edit in llm_fixture_evolution's script. */
extern const char llm_fixture_meta_edit[];

/* Words of the seed task agent's reviewer's system prompt: a rule that
 * matches them gets the reviews, unless an earlier rule matches the
 * review's user prompt, which holds every attempt's code and feedback. */
#define LLM_FIXTURE_REVIEWER "You review attempts"

/* A structured review, as the seed task agent's reviewer asks for. */
extern const char llm_fixture_review[];

/* Scripted replies for an evolution run: the meta agent's edit, good
 * solutions for snake and email, and llm_fixture_review for the task
 * agent's reviewer (the last rule: the meta agent's prompt quotes the
 * reviewer's, and matches the first). */
json_t *llm_fixture_evolution(void);

/* `host init --dir $TMPDIR/NAME`, or fails the test; returns the lab's path. */
char *llm_fixture_lab(const char *name);

/* Runs `git -C DIR/generations A B C` (C may be NULL). */
void llm_fixture_git(run_result *r, const char *dir, const char *a, const char *b, const char *c);

/* Generation `g`'s note in the lab `dir`, parsed; or fails the test. */
json_t *llm_fixture_note(const char *dir, int g);

/* Generation `g`'s status, from its note, which *note keeps (json_decref
 * it). */
const char *llm_fixture_status(const char *dir, int g, json_t **note);

/* How many requests the server has received so far. */
size_t llm_fixture_count(const llm_server *s);

/* The most requests the server had open at once. */
int llm_fixture_most_open(const llm_server *s);

/* Generations 1 to `gens` of the two labs hold the same files (the same
 * git trees) and have the same subjects (status, fitness, the change). */
void llm_fixture_same_generations(const char *lab_a, const char *lab_b, int gens);

/* The seed meta agent's requests among `requests` (its system prompt
 * asks for edit blocks), in order, as a new array. */
json_t *llm_fixture_meta_requests(const json_t *requests);

/* The user prompt of request `i`. */
const char *llm_fixture_user(const json_t *requests, size_t i);

/* Runs `host rewrite` of the seed agents with `archive` (JSON text, may
 * be NULL) and the scripted replies (consumed), or fails the test when it
 * does not exit 0 (the candidate is valid); returns the meta agent's
 * requests. *out is the candidate's directory. */
json_t *llm_fixture_rewrite(run_result *r, const char *archive, json_t *replies, char **out,
			    const char *name);

/* The same with the agent files of `agent`, a folder. */
json_t *llm_fixture_rewrite_agent(run_result *r, const char *agent, const char *archive,
				  json_t *replies, char **out, const char *name);

/* The line of the seed's task_agent.c where `text` starts. */
int llm_fixture_seed_line(const char *text);

/* Asserts that DIR/NAME, a file a rewrite wrote, holds `needle`. */
void llm_fixture_file_has(const char *dir, const char *name, const char *needle);

#endif
