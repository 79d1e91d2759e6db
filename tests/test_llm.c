/*
 * test_llm.c - the LLM client and the runs that use it, against a real
 * HTTP server on 127.0.0.1 (tests/llm_server.py) that speaks all three
 * providers' wire formats and replies as each test scripts it.
 */
#include "harness.h"

#include "broker.h"
#include "buf.h"
#include "error.h"
#include "llm.h"
#include "os.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <git2.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TEST_KEY "sk-test-key-must-not-leak-7f3a9"

typedef struct {
	pid_t pid;
	char url[64], dir[4096];
} llm_server;

static char *server_file(const llm_server *s, const char *name)
{
	return os_path_join(s->dir, name);
}

/* Starts the server with `script` (consumed) in a new scratch folder. */
static void server_start(llm_server *s, json_t *script, const char *name)
{
	char *script_path, *port_path, *log_path, *port = NULL;
	int i;

	snprintf(s->dir, sizeof(s->dir), "%s/%s", getenv("TMPDIR"), name);
	os_remove_tree(s->dir);
	mkdir(s->dir, 0755);
	script_path = server_file(s, "script.json");
	port_path = server_file(s, "port");
	log_path = server_file(s, "requests.jsonl");
	assert_int_equal(json_dump_file(script, script_path, 0), 0);
	json_decref(script);
	s->pid = fork();
	if (s->pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execlp("python3", "python3", "tests/llm_server.py", script_path, port_path,
		       log_path, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && os_read_file(&port, NULL, port_path) != 0; i++) {
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
	assert_non_null(port);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", atoi(port));
	free(port);
	free(script_path);
	free(port_path);
	free(log_path);
}

static void server_stop(llm_server *s)
{
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	os_remove_tree(s->dir);
}

/* The requests the server received, as a JSON array. */
static json_t *server_requests(const llm_server *s)
{
	char *path = server_file(s, "requests.jsonl"), *text = NULL, *line, *save = NULL;
	json_t *list = json_array();

	if (os_read_file(&text, NULL, path) == 0)
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			json_array_append_new(list, json_loads(line, 0, NULL));
	free(text);
	free(path);
	return list;
}

static json_t *text_reply(const char *text, int in, int out)
{
	return json_pack("{s:s, s:i, s:i}", "text", text, "tokens_in", in, "tokens_out", out);
}

/* A script with one rule matching everything. Consumes `replies`. */
static json_t *script_of(json_t *replies)
{
	return json_pack("{s:[{s:s, s:o}]}", "rules", "match", "", "replies", replies);
}

static char *write_prices(void)
{
	char *path = os_path_join(getenv("TMPDIR"), "prices.json");
	const char *prices = "{\"openai:test-model\": {\"input_per_mtok\": 1000, \"output_per_mtok\": 2000},"
			     " \"anthropic:*\": {\"input_per_mtok\": 0, \"output_per_mtok\": 0},"
			     " \"gemini:*\": {\"input_per_mtok\": 0, \"output_per_mtok\": 0}}";

	assert_int_equal(os_write_file(path, prices, strlen(prices)), 0);
	return path;
}

static llm_client *open_client(const char *provider, const char *url, const char *prices,
			       long timeout_ms, double max_usd)
{
	llm_options o = { provider, url, NULL, NULL, prices, max_usd, 0, timeout_ms };
	llm_client *c = NULL;

	assert_int_equal(llm_open(&c, &o), 0);
	assert_non_null(c);
	return c;
}

static void test_wire_formats(void **state)
{
	static const char *const specs[] = { "openai:test-model", "anthropic:claude-test",
					     "gemini:gemini-test" };
	static const char *const paths[] = { "/v1/chat/completions", "/v1/messages",
					     "/v1beta/models/gemini-test:generateContent" };
	static const char *const auth[] = { ("Bearer " TEST_KEY), TEST_KEY, TEST_KEY };
	static const char *const header[] = { "Authorization", "x-api-key", "x-goog-api-key" };
	char *prices = write_prices();
	size_t i;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	setenv("ANTHROPIC_API_KEY", TEST_KEY, 1);
	setenv("GEMINI_API_KEY", TEST_KEY, 1);
	for (i = 0; i < 3; i++) {
		llm_server s;
		llm_usage used = { 0, 0, 0, 0, 0 };
		char url[128], *reply;
		json_t *requests, *req;
		llm_client *c;

		server_start(&s, script_of(json_pack("[o]", text_reply("hello from the model", 11, 7))),
			     "wire");
		snprintf(url, sizeof(url), "%s%s", s.url, i == 0 ? "/v1" : "");
		c = open_client(specs[i], url, prices, 5000, 0);
		assert_int_equal(llm_chat(c, "be brief", "say hello", 0, &reply, &used), 0);
		assert_string_equal(reply, "hello from the model");
		assert_int_equal(used.tokens_in, 11);
		assert_int_equal(used.tokens_out, 7);
		requests = server_requests(&s);
		req = json_array_get(requests, 0);
		assert_string_equal(json_string_value(json_object_get(req, "path")), paths[i]);
		assert_string_equal(json_string_value(json_object_get(req, "system")), "be brief");
		assert_string_equal(json_string_value(json_object_get(req, "user")), "say hello");
		assert_string_equal(json_string_value(json_object_get(json_object_get(req, "headers"),
								      header[i])), auth[i]);
		assert_null(strstr(json_string_value(json_object_get(req, "path")), TEST_KEY));
		json_decref(requests);
		free(reply);
		llm_close(c);
		server_stop(&s);
	}
	unlink(prices);
	free(prices);
}

static void test_retries_and_backoff(void **state)
{
	char *prices = write_prices(), *reply, url[128];
	json_t *replies = json_pack("[{s:i, s:i}, {s:i}, {s:s}, {s:b, s:s}, o]",
				    "status", 429, "retry_after", 1, "status", 500, "raw", "{not json",
				    "truncate", 1, "text", "cut short", text_reply("finally", 5, 5));
	llm_server s;
	json_t *requests;
	llm_client *c;
	double start;

	(void)state;
	server_start(&s, script_of(replies), "retries");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	c = open_client("openai:test-model", url, prices, 5000, 0);
	start = os_now_ms();
	assert_int_equal(llm_chat(c, "s", "u", 0, &reply, NULL), 0);
	assert_string_equal(reply, "finally");
	assert_true(os_now_ms() - start >= 1000);  /* Retry-After: 1 was honoured */
	requests = server_requests(&s);
	assert_int_equal(json_array_size(requests), 5);
	json_decref(requests);
	free(reply);
	llm_close(c);
	server_stop(&s);
	/* a server that hangs past the timeout, every time */
	server_start(&s, script_of(json_pack("[{s:i}]", "hang", 3)), "hang");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	c = open_client("openai:test-model", url, prices, 200, 0);
	assert_true(llm_chat(c, "s", "u", 0, &reply, NULL) < 0);
	assert_contains(err_last(), "no usable reply after 5 attempts");
	assert_contains(err_last(), "imeout");
	assert_null(reply);
	llm_close(c);
	server_stop(&s);
	unlink(prices);
	free(prices);
}

static void test_fatal_and_budget(void **state)
{
	char *prices = write_prices(), *reply, url[128];
	llm_server s;
	json_t *requests;
	llm_client *c;

	(void)state;
	server_start(&s, script_of(json_pack("[{s:i}]", "status", 401)), "fatal");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	c = open_client("openai:test-model", url, prices, 5000, 0);
	assert_int_equal(llm_chat(c, "s", "u", 0, &reply, NULL), LLM_ERR_FATAL);
	assert_contains(err_last(), "refused the request (HTTP 401): check the API key in OPENAI_API_KEY");
	assert_int_equal(llm_chat(c, "s", "u", 0, &reply, NULL), LLM_ERR_FATAL);
	requests = server_requests(&s);
	assert_int_equal(json_array_size(requests), 1);  /* no retries, no second try */
	json_decref(requests);
	llm_close(c);
	server_stop(&s);
	/* 10 tokens in at $1000/M and 5 out at $2000/M: $0.02, above a $0.01 cap */
	server_start(&s, script_of(json_pack("[o]", text_reply("ok", 10, 5))), "budget");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	c = open_client("openai:test-model", url, prices, 5000, 0.01);
	assert_int_equal(llm_chat(c, "s", "u", 0, &reply, NULL), 0);
	free(reply);
	assert_true(llm_totals(c).usd > 0.0199 && llm_totals(c).usd < 0.0201);
	assert_true(llm_exhausted(c));
	assert_int_equal(llm_chat(c, "s", "u", 0, &reply, NULL), LLM_ERR_BUDGET);
	assert_contains(err_last(), "the LLM budget is spent");
	requests = server_requests(&s);
	assert_int_equal(json_array_size(requests), 1);  /* checked before calling */
	json_decref(requests);
	llm_close(c);
	server_stop(&s);
	unlink(prices);
	free(prices);
}

static void test_record_and_replay(void **state)
{
	char *prices = write_prices(), *record = os_path_join(getenv("TMPDIR"), "record.jsonl");
	char *reply, *text, url[128];
	llm_options o;
	llm_server s;
	llm_client *c;

	(void)state;
	unlink(record);
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	server_start(&s, script_of(json_pack("[o, o]", text_reply("first", 3, 4),
					     text_reply("second", 5, 6))), "record");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	memset(&o, 0, sizeof(o));
	o.provider = "openai:test-model";
	o.url = url;
	o.prices_path = prices;
	o.record_path = record;
	assert_int_equal(llm_open(&c, &o), 0);
	assert_int_equal(llm_chat(c, "sys", "one", 0, &reply, NULL), 0);
	free(reply);
	assert_int_equal(llm_chat(c, "sys", "two", 0, &reply, NULL), 0);
	free(reply);
	llm_close(c);
	server_stop(&s);
	text = harness_read(record);
	assert_null(strstr(text, TEST_KEY));
	assert_contains(text, "\"reply\":\"first\"");
	free(text);
	/* the server is gone: replay answers from the record */
	memset(&o, 0, sizeof(o));
	o.replay_path = record;
	assert_int_equal(llm_open(&c, &o), 0);
	assert_contains(llm_describe(c), "replay of");
	assert_int_equal(llm_chat(c, "sys", "one", 0, &reply, NULL), 0);
	assert_string_equal(reply, "first");
	free(reply);
	assert_int_equal(llm_chat(c, "sys", "three", 0, &reply, NULL), LLM_ERR_FATAL);
	assert_contains(err_last(), "replay: call 2 does not match any recorded exchange");
	llm_close(c);
	unlink(record);
	free(record);
	unlink(prices);
	free(prices);
}

/* A key with long segments, as real keys have, to be caught whole and in
 * parts: "sk-test-" and three random-looking runs of 16 to 18 characters. */
#define LEAK_KEY "sk-test-Q7mZp4Rk2Lw9Xv3N-b8Tc6Yd1Hf5Ja0Ks7U-e4Wg2Pi9Oq3Rt5Ys8A"
#define KEY_PART 8

/* Fails if data[0..len) holds any KEY_PART letters and digits in a row of
 * LEAK_KEY: no part of the key, not only the whole of it or its segments. */
static void assert_no_key_part(const char *where, const void *data, size_t len)
{
	const char *key = LEAK_KEY;
	size_t i, n;

	for (i = 0; key[i + KEY_PART - 1]; i++) {
		for (n = 0; n < KEY_PART && isalnum((unsigned char)key[i + n]); n++)
			;
		if (n == KEY_PART && data && memmem(data, len, key + i, KEY_PART))
			fail_msg("%s holds \"%.*s\", a part of the API key", where, KEY_PART, key + i);
	}
}

static void assert_no_key_in(const char *where, const char *text)
{
	assert_no_key_part(where, text, text ? strlen(text) : 0);
}

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
	llm_options o = { prices ? "openai:test-model" : NULL, "http://127.0.0.1:9", NULL, replay,
			  prices, 0, 0, 0 };
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
	char *prices = write_prices(), *record = record_path("usage.jsonl"), *reply, url[128];
	json_t *replies = json_pack("[{s:s, s:I, s:i}, {s:s, s:s, s:i}, {s:s, s:I, s:i},"
				    " {s:s, s:n, s:i}, {s:s, s:i, s:i}, {s:s, s:i, s:i}]",
				    "text", "a", "tokens_in", (json_int_t)-1000000000000000LL, "tokens_out", 7,
				    "text", "b", "tokens_in", "many", "tokens_out", 7,
				    "text", "c", "tokens_in", (json_int_t)1000000000000000LL, "tokens_out", 7,
				    "text", "d", "tokens_in", "tokens_out", 7,
				    "text", "zero out", "tokens_in", 9, "tokens_out", 0,
				    "text", "e", "tokens_in", 9, "tokens_out", 7);
	llm_options o = { "openai:test-model", url, record, NULL, prices, 0, 0, 5000 };
	llm_usage used = { 0, 0, 0, 0, 0 };
	static const long want_in[] = { 5, 5, 5, 5, 9, 9 }, want_out[] = { 7, 7, 7, 7, 2, 7 };
	llm_server s;
	llm_client *c;
	int i;

	(void)state;
	server_start(&s, script_of(replies), "usage");
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
	server_stop(&s);
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
	char *prices = write_prices(), *reply, url[128];
	size_t i;

	(void)state;
	setenv("OPENAI_API_KEY", LEAK_KEY, 1);
	for (i = 0; i < 4; i++) {
		llm_server s;
		llm_client *c;
		json_t *requests;

		server_start(&s, script_of(json_pack("[{s:i, s:s}]", "status", 400, "body", bodies[i])),
			     "refusal");
		snprintf(url, sizeof(url), "%s/v1", s.url);
		c = open_client("openai:test-model", url, prices, 5000, 0);
		assert_int_equal(llm_chat(c, "s", "u", 0, &reply, NULL), ERR_GENERIC);
		assert_null(reply);
		assert_string_equal(err_last(), shown[i]);
		requests = server_requests(&s);
		assert_int_equal(json_array_size(requests), 1);  /* a 400 is not retried */
		assert_contains(json_string_value(json_object_get(json_object_get(
			json_array_get(requests, 0), "headers"), "Authorization")), LEAK_KEY);
		json_decref(requests);
		llm_close(c);
		server_stop(&s);
	}
	unlink(prices);
	free(prices);
}

static void test_retries_stop_at_the_deadline(void **state)
{
	/* 1 s a reply: 5 attempts would take 5 s and more; the deadline is 1.6 s */
	json_t *request = json_pack("{s:s, s:s, s:s}", "op", "llm", "system", "s", "user", "u");
	char *prices = write_prices(), *reply, url[128], expected[64];
	llm_server s;
	llm_client *c;
	json_t *requests, *answer;
	broker b;
	int attempts, first;

	(void)state;
	server_start(&s, script_of(json_pack("[{s:i, s:i}]", "status", 500, "delay", 1)), "deadline");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	c = open_client("openai:test-model", url, prices, 5000, 0);
	assert_int_equal(llm_chat(c, "s", "u", os_now_ms() + 1600, &reply, NULL), ERR_GENERIC);
	assert_null(reply);
	assert_contains(err_last(), "the deadline ended the call after ");
	attempts = atoi(err_last() + strlen("the deadline ended the call after "));
	assert_true(attempts >= 1 && attempts <= 2);  /* the second one is cut short */
	requests = server_requests(&s);
	assert_int_equal(json_array_size(requests), attempts);
	json_decref(requests);
	/* a deadline already gone: no request at all */
	assert_int_equal(llm_chat(c, "s", "u", os_now_ms() - 1, &reply, NULL), ERR_GENERIC);
	assert_string_equal(err_last(), "the deadline passed before the call was made");
	requests = server_requests(&s);
	assert_int_equal(json_array_size(requests), attempts);
	json_decref(requests);
	first = attempts;
	/* the broker passes the agent run's own deadline */
	broker_init(&b, NULL, NULL, 0, 1.6);
	broker_offer_llm(&b, c, 4);
	assert_int_equal(broker_serve(&b, request, &answer), 0);
	assert_contains(json_string_value(json_object_get(answer, "error")),
			"the deadline ended the call after ");
	attempts = atoi(json_string_value(json_object_get(answer, "error")) +
			strlen("the deadline ended the call after "));
	assert_true(attempts >= 1 && attempts <= 2);
	snprintf(expected, sizeof(expected), "the deadline ended the call after %d", attempts);
	assert_contains(json_string_value(json_object_get(json_array_get(b.trace, 0), "status")),
			expected);
	assert_int_equal(b.llm_used.calls, 0);
	requests = server_requests(&s);
	assert_int_equal(json_array_size(requests), first + attempts);
	json_decref(requests);
	json_decref(answer);
	json_decref(request);
	broker_free(&b);
	llm_close(c);
	server_stop(&s);
	unlink(prices);
	free(prices);
}

static const char meta_edit[] =
	"FILE: task_agent.c\n<<<<<<< SEARCH\n#define CANDIDATES 6              /* candidates per round */\n"
	"=======\n#define CANDIDATES 4              /* candidates per round */\n>>>>>>> REPLACE\n";

/* Scripted replies for an evolution run: the meta agent's edit, and good
 * solutions for snake and email. */
static json_t *evolution_script(void)
{
	char *snake = harness_read("tests/llm/snake_good.c");
	char *email = harness_read("tests/solutions/email_reference.c");
	buf a = BUF_INIT, b = BUF_INIT;
	json_t *script;

	buf_printf(&a, "Here is a better one:\n```c\n%s```\n", snake);
	buf_printf(&b, "```c\n%s```", email);
	script = json_pack("{s:[{s:s, s:[o]}, {s:s, s:[o]}, {s:s, s:[o]}]}", "rules",
			   "match", "FILE: task_agent.c", "replies", text_reply(meta_edit, 3000, 80),
			   "match", "Interface (snake)", "replies", text_reply(a.data, 1500, 900),
			   "match", "Interface (email)", "replies", text_reply(b.data, 1200, 700));
	buf_free(&a);
	buf_free(&b);
	free(snake);
	free(email);
	return script;
}

static char *new_lab(const char *name)
{
	char *dir = os_path_join(getenv("TMPDIR"), name);
	char *argv[] = { "host", "init", "--dir", dir, NULL };
	run_result r;

	os_remove_tree(dir);
	run_host_with(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	return dir;
}

static void git_out(run_result *r, const char *dir, const char *a, const char *b, const char *c)
{
	char gen[4096];
	char *argv[] = { "/usr/bin/git", "-C", gen, (char *)a, (char *)b, (char *)c, NULL };

	snprintf(gen, sizeof(gen), "%s/generations", dir);
	run_command(r, NULL, argv);
}

static void assert_no_key_in_lab(const char *dir)
{
	run_result r;

	git_out(&r, dir, "log", "-p", "--all");
	assert_null(strstr(r.out, TEST_KEY));
	assert_null(strstr(r.out, "sk-test"));
	run_result_free(&r);
	git_out(&r, dir, "notes", "list", NULL);
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
		char note[64];
		run_result n;
		snprintf(note, sizeof(note), "%.40s", line);
		git_out(&n, dir, "cat-file", "-p", note);
		assert_null(strstr(n.out, "sk-test"));
		run_result_free(&n);
	}
	run_result_free(&r);
}

static void test_evolve_with_a_model(void **state)
{
	char *prices = write_prices(), *record = os_path_join(getenv("TMPDIR"), "run.jsonl");
	char *lab_a = new_lab("llm_lab_a"), *lab_b = new_lab("llm_lab_b"), *text, url[128];
	run_result r, a, b;
	llm_server s;
	int g;

	(void)state;
	unlink(record);
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	server_start(&s, evolution_script(), "evolve");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	{
		char *argv[] = { "host", "evolve", "--dir", lab_a, "--gens", "3", "--llm",
				 "openai:test-model", "--llm-url", url, "--llm-prices", prices,
				 "--record", record, NULL };
		run_host_with(&r, NULL, argv);
	}
	server_stop(&s);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "openai:test-model at http://127.0.0.1:");
	assert_contains(r.out, "gen_001  parent gen_000  accepted");
	assert_contains(r.out, "LLM: ");
	assert_null(strstr(r.out, TEST_KEY));
	assert_null(strstr(r.err, TEST_KEY));
	run_result_free(&r);
	/* an LLM-written generation with a real code change, its spend recorded */
	git_out(&r, lab_a, "diff", "gen_000", "gen_001");
	assert_contains(r.out, "-#define CANDIDATES 6");
	assert_contains(r.out, "+#define CANDIDATES 4");
	run_result_free(&r);
	git_out(&r, lab_a, "notes", "show", "gen_001");
	{
		json_t *note = json_loads(r.out, 0, NULL), *budget = json_object_get(note, "budget");
		assert_true(json_integer_value(json_object_get(budget, "llm_calls")) > 0);
		assert_true(json_integer_value(json_object_get(budget, "tokens_in")) > 0);
		assert_true(json_number_value(json_object_get(budget, "usd")) > 0);
		json_decref(note);
	}
	run_result_free(&r);
	text = harness_read(record);
	assert_null(strstr(text, TEST_KEY));
	free(text);
	assert_no_key_in_lab(lab_a);
	/* the record replays the run with no server at all */
	{
		char *argv[] = { "host", "evolve", "--dir", lab_b, "--gens", "3", "--replay", record, NULL };
		run_host_with(&r, NULL, argv);
	}
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "replay of");
	run_result_free(&r);
	for (g = 1; g <= 3; g++) {
		char rev[32];
		snprintf(rev, sizeof(rev), "gen_%03d^{tree}", g);
		git_out(&a, lab_a, "rev-parse", rev, NULL);
		git_out(&b, lab_b, "rev-parse", rev, NULL);
		assert_string_equal(a.out, b.out);
		run_result_free(&a);
		run_result_free(&b);
		snprintf(rev, sizeof(rev), "gen_%03d", g);
		git_out(&a, lab_a, "show", "--format=%s", rev);
		git_out(&b, lab_b, "show", "--format=%s", rev);
		assert_string_equal(a.out, b.out);  /* status, fitness and the change */
		run_result_free(&a);
		run_result_free(&b);
	}
	os_remove_tree(lab_a);
	os_remove_tree(lab_b);
	unlink(record);
	free(lab_a);
	free(lab_b);
	free(record);
	unlink(prices);
	free(prices);
}

static void test_runs_stop_at_the_cap_and_on_401(void **state)
{
	char *prices = write_prices(), *lab = new_lab("llm_cap"), url[128];
	run_result r;
	llm_server s;

	(void)state;
	server_start(&s, evolution_script(), "cap");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	{
		char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "10", "--llm",
				 "openai:test-model", "--llm-url", url, "--llm-prices", prices,
				 "--max-usd", "0.001", NULL };
		run_host_with(&r, NULL, argv);
	}
	server_stop(&s);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "the LLM budget is reached: stopped after gen_001");
	assert_null(strstr(r.out, "gen_002"));
	run_result_free(&r);
	os_remove_tree(lab);
	free(lab);
	lab = new_lab("llm_401");
	server_start(&s, script_of(json_pack("[{s:i}]", "status", 401)), "unauthorized");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	{
		char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "10", "--llm",
				 "openai:test-model", "--llm-url", url, NULL };
		run_host_with(&r, NULL, argv);
	}
	server_stop(&s);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "stopped after gen_001: openai refused the request (HTTP 401)");
	assert_null(strstr(r.out, "gen_002"));
	run_result_free(&r);
	os_remove_tree(lab);
	free(lab);
	unlink(prices);
	free(prices);
}

static void test_compile_errors_go_back_for_repair(void **state)
{
	char *snake = harness_read("tests/llm/snake_good.c"), *out = os_path_join(getenv("TMPDIR"), "fixed.c");
	char url[128];
	buf good = BUF_INIT;
	json_t *requests;
	run_result r;
	llm_server s;

	(void)state;
	buf_printf(&good, "```c\n%s```", snake);
	server_start(&s, script_of(json_pack("[o, o]",
		text_reply("```c\nint next_move(const snake_cell *b, int l, snake_cell f, int w, int h)\n"
			   "{ return SNAKE_UP }\n```", 100, 20),
		text_reply(good.data, 200, 900))), "repair");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	{
		char *argv[] = { "host", "improve", "snake", "--agent", "seed", "--budget", "4",
				 "--llm", "openai:test-model",
				 "--llm-url", url, "--llm-calls", "2", "-o", out, NULL };
		run_host_with(&r, NULL, argv);
	}
	requests = server_requests(&s);
	server_stop(&s);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "improved  train 32.75");
	assert_contains(r.out, "llm       2 calls");
	assert_int_equal(json_array_size(requests), 2);
	assert_contains(json_string_value(json_object_get(json_array_get(requests, 1), "user")),
			"does not compile");
	assert_contains(json_string_value(json_object_get(json_array_get(requests, 1), "user")),
			"solution.c:2: error:");
	json_decref(requests);
	run_result_free(&r);
	unlink(out);
	free(out);
	free(snake);
	buf_free(&good);
}

static void test_edits_that_do_not_apply_go_back_once(void **state)
{
	char *out = os_path_join(getenv("TMPDIR"), "candidate"), url[128];
	json_t *requests;
	run_result r;
	llm_server s;

	(void)state;
	os_remove_tree(out);
	server_start(&s, script_of(json_pack("[o, o]",
		text_reply("FILE: task_agent.c\n<<<<<<< SEARCH\n#define CANDIDATES 60\n=======\n"
			   "#define CANDIDATES 5\n>>>>>>> REPLACE\n", 100, 20),
		text_reply(meta_edit, 100, 20))), "edits");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	{
		char *argv[] = { "host", "rewrite", "-o", out, "--agent", "seed", "--llm", "openai:test-model",
				 "--llm-url", url, NULL };
		run_host_with(&r, NULL, argv);
	}
	requests = server_requests(&s);
	server_stop(&s);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "+#define CANDIDATES 4");
	assert_int_equal(json_array_size(requests), 2);
	assert_contains(json_string_value(json_object_get(json_array_get(requests, 1), "user")),
			"did not apply: task_agent.c: block 1: its first line \"#define CANDIDATES 60\"");
	assert_contains(json_string_value(json_object_get(json_array_get(requests, 0), "user")),
			"agent.h:");
	json_decref(requests);
	run_result_free(&r);
	os_remove_tree(out);
	free(out);
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
 * the same, none negative, and the cap reached. */
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
	assert_true(run->tokens_in + run->tokens_out >= max_tokens && run->usd >= max_usd);
	git_out(&r, lab, "notes", "show", "gen_001");
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
	static const char *const caps[][2] = { { "--max-tokens", "5000" }, { "--max-usd", "0.5" },
					       { "--max-tokens", "5000" } };
	char *prices = write_prices(), *record = record_path("hostile.jsonl"), url[128];
	int i;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	for (i = 0; i < 3; i++) {
		char *lab = new_lab("llm_hostile_usage");
		char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "3", "--llm",
				 "openai:test-model", "--llm-url", url, "--llm-prices", prices,
				 (char *)caps[i][0], (char *)caps[i][1], "--record", record, NULL };
		llm_usage run;
		run_result r;
		llm_server s;

		server_start(&s, with_prompt_tokens(evolution_script(), counts[i]), "hostile_usage");
		snprintf(url, sizeof(url), "%s/v1", s.url);
		run_host_with(&r, NULL, argv);
		server_stop(&s);
		assert_int_equal(r.status, 0);
		assert_contains(r.out, "the LLM budget is reached: stopped after gen_001");
		assert_null(strstr(r.out, "gen_002"));
		assert_contains(r.err, "openai reported token counts that cannot be right; such calls "
				"are counted at their size (4 bytes a token)");
		spend_after(r.out, "LLM: ", "%ld calls, %ld tokens in, %ld out, $%lf", &run);
		run_result_free(&r);
		assert_spend_shown(lab, &run, i == 1 ? 0 : 5000, i == 1 ? 0.5 : 0);
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

static int scan_object(const git_oid *id, void *payload)
{
	git_odb_object *object;
	char where[64];

	assert_int_equal(git_odb_read(&object, payload, id), 0);
	snprintf(where, sizeof(where), "git object %s", git_oid_tostr_s(id));
	assert_no_key_part(where, git_odb_object_data(object), git_odb_object_size(object));
	git_odb_object_free(object);
	return 0;
}

/* Every object of the lab's repository, inflated (packs are compressed):
 * commits, trees, blobs and the notes with their traces. */
static void assert_no_key_in_objects(const char *lab)
{
	char *path = os_path_join(lab, "generations");
	git_repository *repo;
	git_odb *odb;

	git_libgit2_init();
	assert_int_equal(git_repository_open_bare(&repo, path), 0);
	assert_int_equal(git_repository_odb(&odb, repo), 0);
	assert_int_equal(git_odb_foreach(odb, scan_object, odb), 0);
	git_odb_free(odb);
	git_repository_free(repo);
	git_libgit2_shutdown();
	free(path);
}

/* Every file below `dir`, byte for byte: sources, logs, the lab's git files. */
static void assert_no_key_in_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *ent;

	assert_non_null(d);
	while ((ent = readdir(d)) != NULL) {
		char *path, *text;
		size_t len;
		if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
			continue;
		path = os_path_join(dir, ent->d_name);
		if (os_is_dir(path)) {
			assert_no_key_in_files(path);
		} else if (os_read_file(&text, &len, path) == 0) {
			assert_no_key_part(path, text, len);
			free(text);
		}
		free(path);
	}
	closedir(d);
}

/* Everything a run produced holds no part of the key: its output, the
 * record, the lab's files and git objects, and every prompt the server got. */
static void assert_run_leaks_no_key(const run_result *r, const char *lab, const char *record,
				    const llm_server *s)
{
	json_t *requests = server_requests(s), *request;
	char *text = harness_read(record);
	size_t i;

	assert_no_key_in("stdout", r->out);
	assert_no_key_in("stderr", r->err);
	assert_no_key_in("the record", text);
	free(text);
	assert_no_key_in_files(lab);
	assert_no_key_in_objects(lab);
	assert_true(json_array_size(requests) > 0);
	json_array_foreach(requests, i, request) {
		assert_contains(json_string_value(json_object_get(json_object_get(request, "headers"),
								  "Authorization")), LEAK_KEY);
		assert_no_key_in("a system prompt the server got",
				 json_string_value(json_object_get(request, "system")));
		assert_no_key_in("a prompt the server got",
				 json_string_value(json_object_get(request, "user")));
	}
	json_decref(requests);
}

/* Runs `host evolve --gens 2` against `script` with LEAK_KEY set, checks
 * that nothing it produced holds the key, and returns gen_001's note. */
static json_t *evolve_leaking(run_result *r, const char *lab, json_t *script)
{
	char *prices = write_prices(), *record = record_path("leak.jsonl"), url[128];
	char *argv[] = { "host", "evolve", "--dir", (char *)lab, "--gens", "2", "--llm",
			 "openai:test-model", "--llm-url", url, "--llm-prices", prices,
			 "--record", record, NULL };
	run_result note;
	llm_server s;
	json_t *parsed;

	setenv("OPENAI_API_KEY", LEAK_KEY, 1);
	server_start(&s, script, "leak");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	run_host_with(r, NULL, argv);
	assert_run_leaks_no_key(r, lab, record, &s);
	server_stop(&s);
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	git_out(&note, lab, "notes", "show", "gen_001");
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
	char *lab = new_lab("llm_echo");
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
	note = evolve_leaking(&r, lab, script);
	/* the run goes on offline; the reason is in gen_001's trace */
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_002");
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
	char *snake = harness_read("tests/llm/snake_good.c"), *lab = new_lab("llm_malicious"), *text;
	buf code = BUF_INIT;
	json_t *script = evolution_script(), *note;
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
	note = evolve_leaking(&r, lab, script);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_001  parent gen_000  accepted");
	/* scrubbed, not lost: the edit applied, the key replaced by a marker */
	git_out(&diff, lab, "diff", "gen_000", "gen_001");
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

void test_group_llm(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_formats),
		cmocka_unit_test(test_retries_and_backoff),
		cmocka_unit_test(test_fatal_and_budget),
		cmocka_unit_test(test_record_and_replay),
		cmocka_unit_test(test_evolve_with_a_model),
		cmocka_unit_test(test_runs_stop_at_the_cap_and_on_401),
		cmocka_unit_test(test_compile_errors_go_back_for_repair),
		cmocka_unit_test(test_edits_that_do_not_apply_go_back_once),
		cmocka_unit_test(test_usage_that_cannot_be_right),
		cmocka_unit_test(test_records_and_prices_that_would_credit),
		cmocka_unit_test(test_caps_hold_against_hostile_usage),
		cmocka_unit_test(test_refusals_never_copy_the_body),
		cmocka_unit_test(test_an_echoed_key_reaches_nothing),
		cmocka_unit_test(test_a_malicious_model_leaks_nothing),
		cmocka_unit_test(test_retries_stop_at_the_deadline),
	};

	HARNESS_GROUP(t, "llm", tests);
}
