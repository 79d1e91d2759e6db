/*
 * test_llm_spend.c - what a request to the model costs, whatever becomes
 * of it. A provider bills the prompts it received, read or not: a request
 * that met an error, timed out, was retried, or was abandoned because its
 * agent ended is charged (its prompts at 4 bytes a token when the server
 * said nothing), counted against --max-usd and --max-tokens, and kept in
 * the record and the generation's note. A prompt is counted against the
 * caps before it is sent, with those under way in every process, so that
 * callers asking at once cannot all find the budget unspent.
 *
 * The scripted server (tests/llm_server.py) stands in for the model; the
 * prices are llm_fixture_prices(): $1000 a million tokens in, $2000 out.
 */
#include "llm_fixture.h"

#include "agents.h"
#include "buf.h"
#include "error.h"
#include "os.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BIG 40000          /* bytes of a big prompt: with "s", 10001 tokens, $10.001 */
#define BIG_USD 10.001

/* `n` bytes of 'x' (free() it). */
static char *prompt_of(size_t n)
{
	char *p = malloc(n + 1);

	assert_non_null(p);
	memset(p, 'x', n);
	p[n] = '\0';
	return p;
}

/* The record's lines, parsed. */
static json_t *record_lines(const char *path)
{
	char *text = NULL, *line, *save = NULL;
	json_t *lines = json_array();

	if (os_read_file(&text, NULL, path) == 0)
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			json_array_append_new(lines, json_loads(line, 0, NULL));
	free(text);
	return lines;
}

static long count_of(const json_t *obj, const char *name)
{
	return (long)json_integer_value(json_object_get(obj, name));
}

/* A line for a request that got no reply: its prompts at their size,
 * said to be estimated, the error, and no reply a replay could take. */
static void assert_charged_line(const json_t *line, const char *error, long tokens_in)
{
	assert_int_equal(count_of(line, "tokens_in"), tokens_in);
	assert_int_equal(count_of(line, "tokens_out"), 0);
	assert_true(json_is_true(json_object_get(line, "usage_estimated")));
	assert_contains(json_string_value(json_object_get(line, "error")), error);
	assert_null(json_object_get(line, "reply"));
}

/* A 500, a request that times out, then a reply: one call, and every
 * request charged; a connection refused sends nothing and costs nothing. */
static void test_every_request_sent_is_charged(void **state)
{
	char *prices = llm_fixture_prices(), *record = harness_scratch("charged.jsonl");
	char *user = prompt_of(4000), *reply = NULL, url[128];
	llm_options o = { .provider = "openai:test-model", .url = url, .prices_path = prices,
			  .timeout_ms = 1000, .attempts = 3, .record_path = record };
	llm_usage used = { 0, 0, 0, 0, 0 }, t;
	llm_client *c;
	json_t *lines;
	llm_server s;

	(void)state;
	unlink(record);
	llm_fixture_start(&s, llm_fixture_script(json_pack("[{s:i}, {s:i}, o]", "status", 500,
			  "hang", 30, llm_fixture_reply("ok", 10, 5))), "charged");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	assert_int_equal(llm_open(&c, &o), 0);
	assert_int_equal(llm_chat(c, "s", user, 0, &reply, &used), 0);
	assert_string_equal(reply, "ok");
	free(reply);
	/* "s" and 4000 bytes: 1001 tokens for each of the two without a reply */
	t = llm_totals(c);
	assert_int_equal(t.calls, 1);
	assert_int_equal(t.tokens_in, 2 * 1001 + 10);
	assert_int_equal(t.tokens_out, 5);
	assert_true(fabs(t.usd - (2012 * 1000.0 + 5 * 2000.0) / 1e6) < 1e-9);
	assert_int_equal(used.tokens_in, t.tokens_in);
	assert_true(fabs(used.usd - t.usd) < 1e-9);
	lines = record_lines(record);
	assert_int_equal(json_array_size(lines), 3);
	assert_charged_line(json_array_get(lines, 0), "answered HTTP 500", 1001);
	assert_charged_line(json_array_get(lines, 1), "Timeout was reached", 1001);
	assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 2), "reply")),
			    "ok");
	json_decref(lines);
	llm_close(c);
	llm_fixture_stop(&s);
	/* nobody listens there now: no request leaves, none is charged */
	assert_int_equal(llm_open(&c, &o), 0);
	assert_int_equal(llm_chat(c, "s", user, 0, &reply, NULL), ERR_GENERIC);
	assert_contains(err_last(), "no usable reply after 3 attempts");
	assert_int_equal(llm_totals(c).calls, 0);
	assert_int_equal(llm_totals(c).tokens_in, 0);
	llm_close(c);
	lines = record_lines(record);
	assert_int_equal(json_array_size(lines), 3);
	json_decref(lines);
	unlink(record);
	free(record);
	free(user);
	unlink(prices);
	free(prices);
}

/* In a child: one call with a big prompt; exits 0 (a reply), 2 (refused
 * by the budget) or 1. */
static void ask_big(llm_client *c)
{
	char *user = prompt_of(BIG), *reply = NULL;
	int rc = llm_after_fork(c) < 0 ? -1 : llm_chat(c, "s", user, 0, &reply, NULL);

	free(reply);
	free(user);
	_exit(rc == 0 ? 0 : rc == LLM_ERR_BUDGET ? 2 : 1);
}

/* Four processes ask at once, each with a $10 prompt, under a $15 cap: one
 * request leaves, and the others are refused before they are sent, as are
 * the calls after. A prompt that alone would pass the cap never leaves. */
static void test_prompts_count_against_the_caps_before_they_leave(void **state)
{
	char *prices = llm_fixture_prices(), *user = prompt_of(BIG), *reply = NULL;
	json_t *answer = llm_fixture_reply("ok", 10001, 1);
	int i, status, replies = 0, refused = 0;
	pid_t pids[4];
	llm_server s;
	llm_client *c;

	(void)state;
	json_object_set_new(answer, "delay", json_integer(1));
	c = llm_fixture_serve(&s, json_pack("[o]", answer), "caps_first", prices, 10000, 15);
	for (i = 0; i < 4; i++)
		if ((pids[i] = fork()) == 0)
			ask_big(c);
	for (i = 0; i < 4; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		replies += WEXITSTATUS(status) == 0;
		refused += WEXITSTATUS(status) == 2;
	}
	assert_int_equal(replies, 1);
	assert_int_equal(refused, 3);
	assert_int_equal(llm_fixture_count(&s), 1);
	assert_true(fabs(llm_totals(c).usd - (BIG_USD + 0.002)) < 1e-9);
	assert_true(llm_exhausted(c));
	assert_int_equal(llm_chat(c, "s", "a small one", 0, &reply, NULL), LLM_ERR_BUDGET);
	assert_contains(err_last(), "the LLM budget is spent");
	llm_close(c);
	llm_fixture_stop(&s);
	/* $10 of prompt under a $5 cap: refused before it is sent, and why */
	c = llm_fixture_serve(&s, json_pack("[o]", llm_fixture_reply("ok", 1, 1)), "caps_alone",
			      prices, 10000, 5);
	assert_int_equal(llm_chat(c, "s", user, 0, &reply, NULL), LLM_ERR_BUDGET);
	assert_string_equal(err_last(), "the LLM budget is spent: this prompt (about 10001 tokens, "
			    "$10.0010) would take the spend past $5.0000 ($0.0000 spent, $0.0000 in "
			    "calls under way)");
	assert_int_equal(llm_fixture_count(&s), 0);
	assert_int_equal(llm_totals(c).calls, 0);
	llm_close(c);
	llm_fixture_stop(&s);
	free(user);
	unlink(prices);
	free(prices);
}

/* Each retry is a request of its own, checked against the caps before it
 * is sent: a call whose requests keep failing stops at the cap. */
static void test_retries_stop_at_the_cap(void **state)
{
	char *prices = llm_fixture_prices(), *user = prompt_of(BIG), *reply = NULL, url[128];
	llm_options o = { .provider = "openai:test-model", .url = url, .prices_path = prices,
			  .timeout_ms = 10000, .attempts = 5, .max_usd = 25 };
	llm_client *c;
	llm_server s;

	(void)state;
	llm_fixture_start(&s, llm_fixture_script(json_pack("[{s:i}]", "status", 500)), "retry_cap");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	assert_int_equal(llm_open(&c, &o), 0);
	assert_int_equal(llm_chat(c, "s", user, 0, &reply, NULL), LLM_ERR_BUDGET);
	assert_string_equal(err_last(), "the LLM budget is spent: this prompt (about 10001 tokens, "
			    "$10.0010) would take the spend past $25.0000 ($20.0020 spent, $0.0000 in "
			    "calls under way)");
	assert_int_equal(llm_fixture_count(&s), 2);
	assert_int_equal(llm_totals(c).calls, 1);
	assert_int_equal(llm_totals(c).tokens_in, 2 * 10001);
	assert_true(llm_exhausted(c));
	llm_close(c);
	llm_fixture_stop(&s);
	free(user);
	unlink(prices);
	free(prices);
}

/* The four numbers after `label` in `text`: calls, tokens in, out, dollars. */
static llm_usage spend_after(const char *text, const char *label, const char *format)
{
	const char *at = strstr(text, label);
	llm_usage u = { 0, 0, 0, 0, 0 };

	assert_non_null(at);
	assert_int_equal(sscanf(at + strlen(label), format, &u.calls, &u.tokens_in,
				&u.tokens_out, &u.usd), 4);
	return u;
}

/* `u` is `calls` calls of a big prompt each, and nothing else. */
static void assert_big_calls(const llm_usage *u, long calls)
{
	assert_int_equal(u->calls, calls);
	assert_int_equal(u->tokens_in, calls * 10001);
	assert_int_equal(u->tokens_out, 0);
	assert_true(fabs(u->usd - (double)calls * BIG_USD) < 0.0001);
}

/* A lab whose meta agent is tests/agents/abandon_call.c and whose task
 * agent does nothing; returns its path. */
static char *abandoning_lab(void)
{
	char *from = harness_scratch("abandon_agents"), *lab = harness_scratch("abandon_lab");
	char *raw = harness_read("tests/hostile/raw.h"), *meta = harness_read("tests/agents/abandon_call.c");
	agent_files f = { NULL, 0 };
	buf source = BUF_INIT;
	run_result r;

	os_remove_tree(from);
	os_remove_tree(lab);
	buf_printf(&source, "%s%s", raw, meta);
	assert_int_equal(agents_set(&f, "meta_agent.c", source.data), 0);
	assert_int_equal(agents_set(&f, "task_agent.c", "char *task_agent_improve(const char *s)\n"
				    "{ (void)s; return 0; }\n"), 0);
	assert_int_equal(agents_write(&f, from), 0);
	HOST(&r, "init", "--dir", lab, "--from", from, "--tasks", "email");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	agents_free(&f);
	buf_free(&source);
	os_remove_tree(from);
	free(from);
	free(raw);
	free(meta);
	return lab;
}

/* Generation `g`'s note: its rewrite's spend, as the note keeps it. */
static llm_usage note_spend(const char *lab, int g)
{
	json_t *note = llm_fixture_note(lab, g), *budget = json_object_get(note, "budget");
	llm_usage u = { count_of(budget, "llm_calls"), count_of(budget, "tokens_in"),
			count_of(budget, "tokens_out"),
			json_number_value(json_object_get(budget, "usd")), 0 };

	json_decref(note);
	return u;
}

/* The meta agent sends a $10 prompt and ends while the model, slow, still
 * works on it: the host abandons the call, and pays for it all the same.
 * Under a $25 cap two such prompts leave, in gen_002 and gen_003; gen_004's
 * would pass the cap and is not sent, and the run ends there. evolve, host
 * log, host status, the notes and the record all count the two. */
static void test_an_agent_gone_while_its_call_waits_pays_for_it(void **state)
{
	char *prices = llm_fixture_prices(), *lab = abandoning_lab();
	char *record = harness_scratch("abandoned.jsonl"), url[128];
	char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "6", "--llm", "openai:test-model",
			 "--llm-url", url, "--llm-prices", prices, "--max-usd", "25",
			 "--record", record, NULL };
	json_t *late = llm_fixture_reply("too late", 10001, 100), *lines, *line;
	llm_usage u;
	llm_server s;
	run_result r;
	size_t i;

	(void)state;
	unlink(record);
	json_object_set_new(late, "delay", json_integer(30));
	llm_fixture_start(&s, llm_fixture_script(json_pack("[o]", late)), "abandon_server");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	run_host_with(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "the LLM budget is reached: stopped after gen_004");
	assert_null(strstr(r.out, "gen_005"));
	u = spend_after(r.out, "LLM: ", "%ld calls, %ld tokens in, %ld out, $%lf");
	assert_big_calls(&u, 2);
	run_result_free(&r);
	assert_int_equal(llm_fixture_count(&s), 2);  /* the cap let two out, no more */
	llm_fixture_stop(&s);
	HOST(&r, "log", "--dir", lab);
	u = spend_after(r.out, "LLM spend: ", "%ld calls, %ld tokens in, %ld out, $%lf");
	assert_big_calls(&u, 2);
	run_result_free(&r);
	HOST(&r, "status", "--dir", lab);
	u = spend_after(r.out, "spend     ", "%ld LLM calls, %ld tokens in, %ld out, $%lf");
	assert_big_calls(&u, 2);
	run_result_free(&r);
	u = note_spend(lab, 2);
	assert_big_calls(&u, 1);
	u = note_spend(lab, 3);
	assert_big_calls(&u, 1);
	u = note_spend(lab, 4);
	assert_big_calls(&u, 0);
	lines = record_lines(record);
	assert_int_equal(json_array_size(lines), 2);
	json_array_foreach(lines, i, line) {
		assert_charged_line(line, "abandoned while the model worked on it", 10001);
		assert_true(json_is_true(json_object_get(line, "abandoned")));
	}
	json_decref(lines);
	unlink(record);
	free(record);
	os_remove_tree(lab);
	free(lab);
	unlink(prices);
	free(prices);
}

void test_group_llm_spend(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_request_sent_is_charged),
		cmocka_unit_test(test_prompts_count_against_the_caps_before_they_leave),
		cmocka_unit_test(test_retries_stop_at_the_cap),
		cmocka_unit_test(test_an_agent_gone_while_its_call_waits_pays_for_it),
	};

	HARNESS_GROUP(t, "llm_spend", tests);
}
