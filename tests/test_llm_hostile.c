/*
 * test_llm_hostile.c - the LLM client and the runs that use it against
 * hostile servers and models (tests/llm_server.py, scripted): token counts
 * that cannot be right, records and price tables that would credit, caps
 * that must hold all the same, and keys echoed back by a proxy or handed
 * back by a model, which must reach no output, record, lab or prompt.
 */
#include "leak_fixture.h"

#include "buf.h"
#include "error.h"
#include "llm.h"
#include "os.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A key with long segments, as real keys have, to be caught whole and in
 * parts: "sk-test-" and three random-looking runs of 16 to 18 characters. */
#define LEAK_KEY "sk-test-Q7mZp4Rk2Lw9Xv3N-b8Tc6Yd1Hf5Ja0Ks7U-e4Wg2Pi9Oq3Rt5Ys8A"

static const char *const leak_secrets[] = { LEAK_KEY, NULL };

static char *record_path(const char *name)
{
	char *path = os_path_join(getenv("TMPDIR"), name);

	unlink(path);
	return path;
}

/* The lines of a record file that carry "usage_estimated": true. */
static int estimated_lines(const char *record)
{
	char *text = harness_read(record), *line, *save = NULL;
	int n = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(line, 0, NULL);
		assert_non_null(e);
		n += json_is_true(json_object_get(e, "usage_estimated"));
		json_decref(e);
	}
	free(text);
	return n;
}

/* A replay or price file holding `text`, which llm_open must refuse with `message`. */
static void assert_open_refuses(const char *replay, const char *prices, const char *text,
				const char *message)
{
	const char *path = replay ? replay : prices;
	llm_options o = { .provider = prices ? "openai:test-model" : NULL,
			  .url = "http://127.0.0.1:9", .replay_path = replay, .prices_path = prices };
	llm_client *c = NULL;

	assert_int_equal(os_write_file(path, text, strlen(text)), 0);
	assert_int_equal(llm_open(&c, &o), ERR_INVALID);
	assert_null(c);
	assert_contains(err_last(), message);
	unlink(path);
}

static void test_usage_that_cannot_be_right(void **state)
{
	/* 19 bytes of prompt: 5 tokens at 4 bytes a token, rounded up */
	static const char sys[] = "be brief", user[] = "count this!";
	char *prices = llm_fixture_prices(), *record = record_path("usage.jsonl"), *reply, url[128];
	json_t *replies = json_pack("[{s:s, s:I, s:i}, {s:s, s:s, s:i}, {s:s, s:I, s:i},"
				    " {s:s, s:n, s:i}, {s:s, s:i, s:i}, {s:s, s:i, s:i}]",
				    "text", "a", "tokens_in", (json_int_t)-1000000000000000LL, "tokens_out", 7,
				    "text", "b", "tokens_in", "many", "tokens_out", 7,
				    "text", "c", "tokens_in", (json_int_t)1000000000000000LL, "tokens_out", 7,
				    "text", "d", "tokens_in", "tokens_out", 7,
				    "text", "zero out", "tokens_in", 9, "tokens_out", 0,
				    "text", "e", "tokens_in", 9, "tokens_out", 7);
	llm_options o = { .provider = "openai:test-model", .url = url, .record_path = record,
			  .prices_path = prices, .timeout_ms = 5000 };
	llm_usage used = { 0, 0, 0, 0, 0 };
	static const long want_in[] = { 5, 5, 5, 5, 9, 9 }, want_out[] = { 7, 7, 7, 7, 2, 7 };
	llm_server s;
	llm_client *c;
	int i;

	(void)state;
	llm_fixture_start(&s, llm_fixture_script(replies), "usage");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	assert_int_equal(llm_open(&c, &o), 0);
	for (i = 0; i < 6; i++) {
		llm_usage one = { 0, 0, 0, 0, 0 };
		assert_int_equal(llm_chat(c, sys, user, 0, &reply, &one), 0);
		free(reply);
		assert_int_equal(one.tokens_in, want_in[i]);
		assert_int_equal(one.tokens_out, want_out[i]);
		assert_true(one.usd > 0);
		used.tokens_in += one.tokens_in;
		used.tokens_out += one.tokens_out;
	}
	/* $1000 and $2000 a million tokens: 38 in and 37 out cost $0.112 */
	assert_int_equal(llm_totals(c).tokens_in, used.tokens_in);
	assert_int_equal(llm_totals(c).tokens_out, used.tokens_out);
	assert_true(llm_totals(c).usd > 0.1119 && llm_totals(c).usd < 0.1121);
	llm_close(c);
	llm_fixture_stop(&s);
	assert_int_equal(estimated_lines(record), 5);
	unlink(record);
	free(record);
	unlink(prices);
	free(prices);
}

static void test_records_and_prices_that_would_credit(void **state)
{
	char *prices = os_path_join(getenv("TMPDIR"), "prices.json"), *record = record_path("usage.jsonl");

	(void)state;
	assert_open_refuses(record, NULL,
			    "{\"system\": \"s\", \"user\": \"u\", \"reply\": \"r\", \"tokens_in\": 3, "
			    "\"tokens_out\": 4, \"usd\": 0.1}\n{\"system\": \"s\", \"user\": \"v\", "
			    "\"reply\": \"r\", \"tokens_in\": -1000000000000000, \"tokens_out\": 4, \"usd\": 0}\n",
			    "usage.jsonl: line 2: tokens_in is not a whole number from 0 to 10000000");
	assert_open_refuses(record, NULL,
			    "{\"system\": \"s\", \"user\": \"u\", \"reply\": \"r\", \"tokens_in\": 3, "
			    "\"tokens_out\": 4, \"usd\": -149999985.75}\n",
			    "usage.jsonl: line 1: usd is not a non-negative number");
	assert_open_refuses(NULL, prices, "{\"openai:*\": {\"input_per_mtok\": 1, \"output_per_mtok\": 1},"
			    " \"openai:test-model\": {\"input_per_mtok\": -5, \"output_per_mtok\": 2}}",
			    "prices.json: entry 'openai:test-model': input_per_mtok is not a "
			    "non-negative number of dollars");
	assert_open_refuses(NULL, prices, "{\"_comment\": \"ok\", \"gemini:*\": "
			    "{\"input_per_mtok\": 1, \"output_per_mtok\": \"cheap\"}}",
			    "prices.json: entry 'gemini:*': output_per_mtok is not a non-negative");
	free(record);
	free(prices);
}

/* An error body that echoes the request's key, as one proxy did in a 400. */
static const char echo_json[] = "{\"error\": {\"message\": \"Invalid header: Authorization: "
				"Bearer @KEY@\", \"type\": \"invalid_request_error\", \"code\": \"@KEY@\"}}";

static void test_refusals_never_copy_the_body(void **state)
{
	static const char *const bodies[] = {
		echo_json,
		"POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer @KEY@\r\n\r\n",
		"{\"error\": \"no access for Bearer @KEY@ \\u0001\\n and more\"}",
		"{\"error\": {\"message\": \"@KEY@\", \"type\": \"@KEY@\"}}",
	};
	static const char *const shown[] = {
		"openai answered HTTP 400 (invalid_request_error: Invalid header: Authorization: Bearer [key])",
		"openai answered HTTP 400",
		"openai answered HTTP 400 (no access for Bearer [key] ?? and more)",
		"openai answered HTTP 400 ([key])",
	};
	char *prices = llm_fixture_prices(), *reply, url[128];
	size_t i;

	(void)state;
	setenv("OPENAI_API_KEY", LEAK_KEY, 1);
	for (i = 0; i < 4; i++) {
		llm_server s;
		llm_client *c;
		json_t *requests;

		llm_fixture_start(&s, llm_fixture_script(json_pack("[{s:i, s:s}]", "status", 400,
								   "body", bodies[i])), "refusal");
		snprintf(url, sizeof(url), "%s/v1", s.url);
		c = llm_fixture_client("openai:test-model", url, prices, 5000, 0);
		assert_int_equal(llm_chat(c, "s", "u", 0, &reply, NULL), ERR_GENERIC);
		assert_null(reply);
		assert_string_equal(err_last(), shown[i]);
		requests = llm_fixture_requests(&s);
		assert_int_equal(json_array_size(requests), 1);  /* a 400 is not retried */
		assert_contains(json_string_value(json_object_get(json_object_get(
			json_array_get(requests, 0), "headers"), "Authorization")), LEAK_KEY);
		json_decref(requests);
		llm_close(c);
		llm_fixture_stop(&s);
	}
	unlink(prices);
	free(prices);
}

/* Sets the prompt token count of every scripted reply to `count` (consumed). */
static json_t *with_prompt_tokens(json_t *script, json_t *count)
{
	json_t *rule, *reply;
	size_t i, j;

	json_array_foreach(json_object_get(script, "rules"), i, rule)
		json_array_foreach(json_object_get(rule, "replies"), j, reply)
			json_object_set(reply, "tokens_in", count);
	json_decref(count);
	return script;
}

/* The four numbers after `label` in `text`: calls, tokens in, out, dollars. */
static void spend_after(const char *text, const char *label, const char *format, llm_usage *u)
{
	const char *at = strstr(text, label);

	assert_non_null(at);
	memset(u, 0, sizeof(*u));
	assert_int_equal(sscanf(at + strlen(label), format, &u->calls, &u->tokens_in,
				&u->tokens_out, &u->usd), 4);
}

/* What `host log`, `host status` and gen_001's note say was spent: all
 * the same, none negative; and the prompts, every one counted at its size
 * ($1000 a million tokens) before it was sent, within the cap. */
static void assert_spend_shown(const char *lab, const llm_usage *run, long max_tokens, double max_usd)
{
	char *log_argv[] = { "host", "log", "--dir", (char *)lab, NULL };
	char *status_argv[] = { "host", "status", "--dir", (char *)lab, NULL };
	llm_usage log, status;
	run_result r;
	json_t *note, *budget;

	run_host_with(&r, NULL, log_argv);
	spend_after(r.out, "LLM spend: ", "%ld calls, %ld tokens in, %ld out, $%lf", &log);
	run_result_free(&r);
	run_host_with(&r, NULL, status_argv);
	spend_after(r.out, "spend     ", "%ld LLM calls, %ld tokens in, %ld out, $%lf", &status);
	run_result_free(&r);
	assert_int_equal(log.tokens_in, run->tokens_in);
	assert_int_equal(status.tokens_in, run->tokens_in);
	assert_int_equal(log.tokens_out, run->tokens_out);
	assert_true(log.usd >= 0 && status.usd >= 0 && fabs(log.usd - run->usd) < 0.001);
	assert_true(run->tokens_in > 0 && run->tokens_out > 0 && run->usd >= 0);
	assert_true(max_tokens == 0 || run->tokens_in <= max_tokens);
	assert_true(max_usd == 0 || (double)run->tokens_in * 1000 / 1e6 <= max_usd);
	llm_fixture_git(&r, lab, "notes", "show", "gen_001");
	note = json_loads(r.out, 0, NULL);
	budget = json_object_get(note, "budget");
	assert_true(json_integer_value(json_object_get(budget, "tokens_in")) > 0);
	assert_true(json_integer_value(json_object_get(budget, "tokens_out")) > 0);
	assert_true(json_number_value(json_object_get(budget, "usd")) >= 0);
	json_decref(note);
	run_result_free(&r);
}

static void test_caps_hold_against_hostile_usage(void **state)
{
	/* -10**15 let --max-tokens 5000000 run to 19 million tokens out */
	json_t *counts[] = { json_integer(-1000000000000000LL), json_string("many"),
			     json_integer(1000000000000000LL) };
	static const char *const caps[][2] = { { "--max-tokens", "5000" }, { "--max-usd", "3" },
					       { "--max-tokens", "5000" } };
	char *prices = llm_fixture_prices(), *record = record_path("hostile.jsonl"), url[128];
	int i;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	for (i = 0; i < 3; i++) {
		char *lab = llm_fixture_lab("llm_hostile_usage");
		char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "3", "--llm",
				 "openai:test-model", "--llm-url", url, "--llm-prices", prices,
				 (char *)caps[i][0], (char *)caps[i][1], "--record", record, NULL };
		llm_usage run;
		run_result r;
		llm_server s;

		llm_fixture_start(&s, with_prompt_tokens(llm_fixture_evolution(), counts[i]),
				  "hostile_usage");
		snprintf(url, sizeof(url), "%s/v1", s.url);
		run_host_with(&r, NULL, argv);
		llm_fixture_stop(&s);
		assert_int_equal(r.status, 0);
		assert_contains(r.out, "the LLM budget is reached: stopped after gen_001");
		assert_null(strstr(r.out, "gen_002"));
		assert_contains(r.err, "openai reported token counts that cannot be right; such calls "
				"are counted at their size (4 bytes a token)");
		spend_after(r.out, "LLM: ", "%ld calls, %ld tokens in, %ld out, $%lf", &run);
		run_result_free(&r);
		assert_spend_shown(lab, &run, i == 1 ? 0 : 5000, i == 1 ? 3 : 0);
		/* every call was counted at its size, and says so */
		assert_int_equal(estimated_lines(record), run.calls);
		unlink(record);
		os_remove_tree(lab);
		free(lab);
	}
	free(record);
	unlink(prices);
	free(prices);
}

/* Runs `host evolve --gens 2` against `script` with LEAK_KEY set, checks
 * that nothing it produced holds a part of `secrets`, and returns the first
 * candidate's note, gen_002's: gen_001 measures the offline gen_000 again
 * with the model (and the requests the server got, if `requests`). */
static json_t *evolve_leaking(run_result *r, json_t **requests, const char *lab,
			      json_t *script, const char *const *secrets)
{
	char *prices = llm_fixture_prices(), *record = record_path("leak.jsonl"), url[128];
	char *argv[] = { "host", "evolve", "--dir", (char *)lab, "--gens", "2", "--llm",
			 "openai:test-model", "--llm-url", url, "--llm-prices", prices,
			 "--record", record, NULL };
	run_result note;
	llm_server s;
	json_t *parsed;

	setenv("OPENAI_API_KEY", LEAK_KEY, 1);
	llm_fixture_start(&s, script, "leak");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	run_host_with(r, NULL, argv);
	leak_fixture_run(r, lab, record, &s, LEAK_KEY, secrets);
	if (requests)
		*requests = llm_fixture_requests(&s);
	llm_fixture_stop(&s);
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	llm_fixture_git(&note, lab, "notes", "show", "gen_002");
	parsed = json_loads(note.out, 0, NULL);
	assert_non_null(parsed);
	run_result_free(&note);
	unlink(record);
	free(record);
	unlink(prices);
	free(prices);
	return parsed;
}

static void test_an_echoed_key_reaches_nothing(void **state)
{
	char *lab = llm_fixture_lab("llm_echo");
	json_t *script = json_pack("{s:[{s:s, s:[{s:i, s:s}]}, {s:s, s:[{s:i, s:s}]}],"
				   " s:{s:i, s:s}}", "rules",
				   "match", "FILE: task_agent.c", "replies", "status", 400, "body", echo_json,
				   "match", "Interface (snake)", "replies", "status", 400, "body",
				   "Authorization: Bearer @KEY@\r\n",
				   "default", "status", 400, "body",
				   "{\"error\": \"Authorization: Bearer @KEY@ is not valid here\"}");
	run_result r;
	json_t *note;
	char *text;

	(void)state;
	note = evolve_leaking(&r, NULL, lab, script, leak_secrets);
	/* the run goes on offline; the reason is in gen_002's traces */
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_003");
	text = json_dumps(note, 0);
	assert_contains(text, "openai answered HTTP 400 (invalid_request_error: Invalid header: "
			"Authorization: Bearer [key])");
	assert_contains(text, "openai answered HTTP 400 (Authorization: Bearer [key] is not valid here)");
	free(text);
	json_decref(note);
	run_result_free(&r);
	os_remove_tree(lab);
	free(lab);
}

static void test_a_malicious_model_leaks_nothing(void **state)
{
	char *snake = harness_read("tests/llm/snake_good.c"), *lab = llm_fixture_lab("llm_malicious");
	char *text;
	buf code = BUF_INIT;
	json_t *script = llm_fixture_evolution(), *note;
	run_result r, diff;

	(void)state;
	/* the model hands the key back in its prose, in an edit and in code */
	buf_printf(&code, "My key is @KEY@.\n```c\n/* @KEY@ */\n"
		   "static const char key_text[] = \"@KEY@\";\n%s```\n", snake);
	json_object_set_new(json_array_get(json_object_get(json_array_get(json_object_get(script,
		"rules"), 1), "replies"), 0), "text", json_string(code.data));
	json_object_set_new(json_array_get(json_object_get(json_array_get(json_object_get(script,
		"rules"), 0), "replies"), 0), "text", json_string(
		"Use @KEY@ for speed.\nFILE: task_agent.c\n<<<<<<< SEARCH\n"
		"#define CANDIDATES 6              /* candidates per round */\n=======\n"
		"#define CANDIDATES 4              /* tuned by @KEY@ */\n>>>>>>> REPLACE\n"));
	note = evolve_leaking(&r, NULL, lab, script, leak_secrets);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_002  parent gen_001  ");
	/* scrubbed, not lost: the edit applied, the key replaced by a marker */
	llm_fixture_git(&diff, lab, "diff", "gen_001", "gen_002");
	assert_contains(diff.out, "+#define CANDIDATES 4              /* tuned by [key] */");
	run_result_free(&diff);
	text = json_dumps(note, 0);
	assert_contains(text, "\"tokens_in\"");
	free(text);
	json_decref(note);
	run_result_free(&r);
	os_remove_tree(lab);
	free(lab);
	buf_free(&code);
	free(snake);
}

/* What a model that knows where the host runs writes: solutions that
 * include a file of the user's, the host's environment (where the key is)
 * and the task's held-out labels, to read their text back from the
 * compile errors the task agent sends for repair. tcc stops at the first
 * include that fails, so each probe comes in a reply of its own. */
static const char *const probes[] = {
	"#define TEXT(...) #__VA_ARGS__\n_Static_assert(0, TEXT(\n#include \"@SECRET@\"\n));\n",
	"int environment =\n#include \"/proc/@HOSTPID@/environ\"\n;\n",
	"static const char *labels =\n#include \"@TASKDIR@/holdout.json\"\n;\n",
};

static json_t *probe_replies(const char *secret, const char *taskdir, size_t from, size_t to)
{
	json_t *replies = json_array();
	size_t i;

	for (i = from; i < to; i++) {
		char *code = harness_subst(probes[i], "@SECRET@", secret, "@TASKDIR@", taskdir, NULL);
		buf text = BUF_INIT;
		buf_printf(&text, "```c\n%sint validate_email(const char *s) { (void)s; return 0; }\n```\n",
			   code);
		json_array_append_new(replies, llm_fixture_reply(text.data, 1000, 200));
		buf_free(&text);
		free(code);
	}
	return replies;
}

/* The compile errors of every probe went back to the model: the probes
 * compiled, confined, and found nothing. */
static void assert_probes_failed(const json_t *requests)
{
	static const char *const expect[] = {
		"probe-secret.txt' not found", "/environ' not found", "holdout.json' not found",
	};
	const json_t *request;
	size_t i, k;

	for (k = 0; k < sizeof(expect) / sizeof(expect[0]); k++) {
		int seen = 0;
		json_array_foreach(requests, i, request) {
			const char *user = json_string_value(json_object_get(request, "user"));
			seen |= user && strstr(user, expect[k]) != NULL;
		}
		if (!seen)
			fail_msg("no prompt carried the error \"%s\"", expect[k]);
	}
}

static void test_a_model_probing_the_host_reads_nothing(void **state)
{
	static const char secret_text[] = "probe QX7Z2M9KT4B8W1RJ5N3V end";
	static const char *const secrets[] = { LEAK_KEY, secret_text, NULL };
	char *lab = llm_fixture_lab("llm_probe"), *secret = harness_scratch("probe-secret.txt");
	char *taskdir = realpath("tasks/email", NULL), *text;
	json_t *script = llm_fixture_evolution(), *note, *requests;
	run_result r;

	(void)state;
	assert_int_equal(os_write_file(secret, secret_text, strlen(secret_text)), 0);
	/* the first probe answers the task agent's proposal for email; the
	 * others its requests for repair, which carry the compile error */
	json_object_set_new(json_array_get(json_object_get(script, "rules"), 2), "replies",
			    probe_replies(secret, taskdir, 0, 1));
	json_array_insert_new(json_object_get(script, "rules"), 0, json_pack("{s:s, s:o}",
			      "match", "error: include file", "replies",
			      probe_replies(secret, taskdir, 1, 3)));
	note = evolve_leaking(&r, &requests, lab, script, secrets);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_002");
	assert_probes_failed(requests);
	text = json_dumps(note, 0);
	assert_null(strstr(text, "jane_doe@mail.example.org"));  /* a held-out input */
	free(text);
	json_decref(requests);
	json_decref(note);
	run_result_free(&r);
	unlink(secret);
	free(secret);
	free(taskdir);
	os_remove_tree(lab);
	free(lab);
}

void test_group_llm_hostile(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage_that_cannot_be_right),
		cmocka_unit_test(test_records_and_prices_that_would_credit),
		cmocka_unit_test(test_caps_hold_against_hostile_usage),
		cmocka_unit_test(test_refusals_never_copy_the_body),
		cmocka_unit_test(test_an_echoed_key_reaches_nothing),
		cmocka_unit_test(test_a_malicious_model_leaks_nothing),
		cmocka_unit_test(test_a_model_probing_the_host_reads_nothing),
	};

	HARNESS_GROUP(t, "llm_hostile", tests);
}
