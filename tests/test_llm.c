/*
 * test_llm.c - the LLM client against a real HTTP server on 127.0.0.1
 * (tests/llm_server.py) that speaks all three providers' wire formats and
 * replies as each test scripts it: the formats, retries and backoff, fatal
 * refusals and budgets, record and replay, and deadlines.
 *
 * The runs that use a model are in test_llm_runs.c, hostile servers and
 * models in test_llm_hostile.c; the server's helpers in llm_fixture.c.
 */
#include "llm_fixture.h"

#include "broker.h"
#include "error.h"
#include "llm.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_wire_formats(void **state)
{
	static const char *const specs[] = { "openai:test-model", "anthropic:claude-test",
					     "gemini:gemini-test" };
	static const char *const paths[] = { "/v1/chat/completions", "/v1/messages",
					     "/v1beta/models/gemini-test:generateContent" };
	static const char *const auth[] = { ("Bearer " TEST_KEY), TEST_KEY, TEST_KEY };
	static const char *const header[] = { "Authorization", "x-api-key", "x-goog-api-key" };
	char *prices = llm_fixture_prices();
	size_t i;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	setenv("ANTHROPIC_API_KEY", TEST_KEY, 1);
	setenv("GEMINI_API_KEY", TEST_KEY, 1);
	for (i = 0; i < 3; i++) {
		llm_server s;
		llm_usage used = { 0, 0, 0, 0, 0 };
		char url[128], *reply;
		json_t *requests, *req, *settings;
		llm_options o = { .provider = specs[i], .url = url, .prices_path = prices,
				  .timeout_ms = 5000, .reply_tokens = 321, .temperature = 0.25,
				  .temperature_set = 1 };
		llm_client *c;

		llm_fixture_start(&s, llm_fixture_script(json_pack("[o]", llm_fixture_reply(
			"hello from the model", 11, 7))), "wire");
		snprintf(url, sizeof(url), "%s%s", s.url, i == 0 ? "/v1" : "");
		assert_int_equal(llm_open(&c, &o), 0);
		assert_int_equal(llm_chat(c, "be brief", "say hello", 0, &reply, &used), 0);
		assert_string_equal(reply, "hello from the model");
		assert_int_equal(used.tokens_in, 11);
		assert_int_equal(used.tokens_out, 7);
		requests = llm_fixture_requests(&s);
		req = json_array_get(requests, 0);
		assert_string_equal(json_string_value(json_object_get(req, "path")), paths[i]);
		assert_string_equal(json_string_value(json_object_get(req, "system")), "be brief");
		assert_string_equal(json_string_value(json_object_get(req, "user")), "say hello");
		assert_string_equal(json_string_value(json_object_get(json_object_get(req, "headers"),
								      header[i])), auth[i]);
		assert_null(strstr(json_string_value(json_object_get(req, "path")), TEST_KEY));
		/* the reply's limits, in each provider's own words */
		settings = json_object_get(req, "settings");
		assert_int_equal(json_integer_value(json_object_get(settings, "max_tokens")), 321);
		assert_true(json_real_value(json_object_get(settings, "temperature")) == 0.25);
		json_decref(requests);
		free(reply);
		llm_close(c);
		/* by default: a bounded reply, and the server's own temperature */
		c = llm_fixture_client(specs[i], url, prices, 5000, 0);
		assert_int_equal(llm_chat(c, "be brief", "say hello", 0, &reply, NULL), 0);
		requests = llm_fixture_requests(&s);
		settings = json_object_get(json_array_get(requests, 1), "settings");
		assert_int_equal(json_integer_value(json_object_get(settings, "max_tokens")), 4096);
		assert_true(json_is_null(json_object_get(settings, "temperature")));
		json_decref(requests);
		free(reply);
		llm_close(c);
		llm_fixture_stop(&s);
	}
	unlink(prices);
	free(prices);
}

static void test_retries_and_backoff(void **state)
{
	char *prices = llm_fixture_prices(), *reply;
	json_t *replies = json_pack("[{s:i, s:i}, {s:i}, {s:s}, {s:b, s:s}, o]",
				    "status", 429, "retry_after", 1, "status", 500, "raw", "{not json",
				    "truncate", 1, "text", "cut short", llm_fixture_reply("finally", 5, 5));
	llm_server s;
	json_t *requests;
	llm_client *c;
	double start;

	(void)state;
	c = llm_fixture_serve(&s, replies, "retries", prices, 5000, 0);
	start = os_now_ms();
	assert_int_equal(llm_chat(c, "s", "u", 0, &reply, NULL), 0);
	assert_string_equal(reply, "finally");
	assert_true(os_now_ms() - start >= 1000);  /* Retry-After: 1 was honoured */
	requests = llm_fixture_requests(&s);
	assert_int_equal(json_array_size(requests), 5);
	json_decref(requests);
	free(reply);
	llm_close(c);
	llm_fixture_stop(&s);
	/* a server that hangs past the timeout, every time */
	c = llm_fixture_serve(&s, json_pack("[{s:i}]", "hang", 3), "hang", prices, 200, 0);
	assert_true(llm_chat(c, "s", "u", 0, &reply, NULL) < 0);
	assert_contains(err_last(), "no usable reply after 5 attempts");
	assert_contains(err_last(), "imeout");
	assert_null(reply);
	llm_close(c);
	llm_fixture_stop(&s);
	unlink(prices);
	free(prices);
}

static void test_fatal_and_budget(void **state)
{
	char *prices = llm_fixture_prices(), *reply;
	llm_server s;
	json_t *requests;
	llm_client *c;

	(void)state;
	c = llm_fixture_serve(&s, json_pack("[{s:i}]", "status", 401), "fatal", prices, 5000, 0);
	assert_int_equal(llm_chat(c, "s", "u", 0, &reply, NULL), LLM_ERR_FATAL);
	assert_contains(err_last(), "refused the request (HTTP 401): check the API key in OPENAI_API_KEY");
	assert_int_equal(llm_chat(c, "s", "u", 0, &reply, NULL), LLM_ERR_FATAL);
	requests = llm_fixture_requests(&s);
	assert_int_equal(json_array_size(requests), 1);  /* no retries, no second try */
	json_decref(requests);
	llm_close(c);
	llm_fixture_stop(&s);
	/* 10 tokens in at $1000/M and 5 out at $2000/M: $0.02, above a $0.01 cap */
	c = llm_fixture_serve(&s, json_pack("[o]", llm_fixture_reply("ok", 10, 5)), "budget", prices,
			      5000, 0.01);
	assert_int_equal(llm_chat(c, "s", "u", 0, &reply, NULL), 0);
	free(reply);
	assert_true(llm_totals(c).usd > 0.0199 && llm_totals(c).usd < 0.0201);
	assert_true(llm_exhausted(c));
	assert_int_equal(llm_chat(c, "s", "u", 0, &reply, NULL), LLM_ERR_BUDGET);
	assert_contains(err_last(), "the LLM budget is spent");
	requests = llm_fixture_requests(&s);
	assert_int_equal(json_array_size(requests), 1);  /* checked before calling */
	json_decref(requests);
	llm_close(c);
	llm_fixture_stop(&s);
	unlink(prices);
	free(prices);
}

static void test_record_and_replay(void **state)
{
	char *prices = llm_fixture_prices(), *record = os_path_join(getenv("TMPDIR"), "record.jsonl");
	char *reply, *text, url[128];
	llm_options o;
	llm_server s;
	llm_client *c;

	(void)state;
	unlink(record);
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	llm_fixture_start(&s, llm_fixture_script(json_pack("[o, o]", llm_fixture_reply("first", 3, 4),
							   llm_fixture_reply("second", 5, 6))),
			  "record");
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
	llm_fixture_stop(&s);
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

static void test_retries_stop_at_the_deadline(void **state)
{
	/* 1 s a reply: 5 attempts would take 5 s and more; the deadline is 1.6 s */
	json_t *request = json_pack("{s:s, s:s, s:s}", "op", "llm", "system", "s", "user", "u");
	char *prices = llm_fixture_prices(), *reply, url[128], expected[64];
	llm_server s;
	llm_client *c;
	json_t *requests, *answer;
	broker b;
	int attempts, first;

	(void)state;
	c = llm_fixture_serve(&s, json_pack("[{s:i, s:i}]", "status", 500, "delay", 1), "deadline",
			      prices, 5000, 0);
	assert_int_equal(llm_chat(c, "s", "u", os_now_ms() + 1600, &reply, NULL), ERR_GENERIC);
	assert_null(reply);
	assert_contains(err_last(), "the deadline ended the call after ");
	attempts = atoi(err_last() + strlen("the deadline ended the call after "));
	assert_true(attempts >= 1 && attempts <= 2);  /* the second one is cut short */
	requests = llm_fixture_requests(&s);
	assert_int_equal(json_array_size(requests), attempts);
	json_decref(requests);
	/* a deadline already gone: no request at all */
	assert_int_equal(llm_chat(c, "s", "u", os_now_ms() - 1, &reply, NULL), ERR_GENERIC);
	assert_string_equal(err_last(), "the deadline passed before the call was made (none of "
			    "its replies has been usable yet)");
	requests = llm_fixture_requests(&s);
	assert_int_equal(json_array_size(requests), attempts);
	json_decref(requests);
	first = attempts;
	llm_close(c);
	/* the broker bounds the call by the run's model time, 1.6 s here */
	snprintf(url, sizeof(url), "%s/v1", s.url);
	{
		llm_options o = { .provider = "openai:test-model", .url = url,
				  .prices_path = prices, .timeout_ms = 5000, .run_ms = 1600 };
		assert_int_equal(llm_open(&c, &o), 0);
	}
	agent_options ao = { .llm = c, .llm_calls = 4 };
	broker_init(&b, NULL, NULL, 0, 60);
	broker_use(&b, &ao);
	assert_int_equal(broker_serve(&b, request, &answer, NULL), 0);
	assert_contains(json_string_value(json_object_get(answer, "error")),
			"the deadline ended the call after ");
	attempts = atoi(json_string_value(json_object_get(answer, "error")) +
			strlen("the deadline ended the call after "));
	assert_true(attempts >= 1 && attempts <= 2);
	snprintf(expected, sizeof(expected), "the deadline ended the call after %d", attempts);
	assert_contains(json_string_value(json_object_get(json_array_get(b.trace, 0), "status")),
			expected);
	/* no reply, yet every request sent is charged: "su" at 4 bytes a token */
	assert_int_equal(b.llm_used.calls, 1);
	assert_int_equal(b.llm_used.tokens_in, attempts);
	requests = llm_fixture_requests(&s);
	assert_int_equal(json_array_size(requests), first + attempts);
	json_decref(requests);
	json_decref(answer);
	json_decref(request);
	broker_free(&b);
	llm_close(c);
	llm_fixture_stop(&s);
	unlink(prices);
	free(prices);
}

/* A fork (evolve's -j workers) must not share the parent's kept-alive
 * connection: two processes reading one socket take each other's replies.
 * After llm_after_fork the child's request comes on a connection of its
 * own, while the parent's stays usable. */
static void test_a_forked_client_has_connections_of_its_own(void **state)
{
	char *prices = llm_fixture_prices(), *reply;
	json_t *requests;
	llm_server s;
	llm_client *c;
	int status;
	pid_t child;

	(void)state;
	c = llm_fixture_serve(&s, json_pack("[o]", llm_fixture_reply("hi", 1, 1)), "fork", prices,
			      5000, 0);
	assert_int_equal(llm_chat(c, "s", "parent", 0, &reply, NULL), 0);
	free(reply);
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(llm_after_fork(c) == 0 && llm_chat(c, "s", "child", 0, &reply, NULL) == 0 ? 0 : 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(llm_chat(c, "s", "parent again", 0, &reply, NULL), 0);
	free(reply);
	requests = llm_fixture_requests(&s);
	assert_int_equal(json_array_size(requests), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(requests, 1), "user")),
			    "child");
	assert_true(json_integer_value(json_object_get(json_array_get(requests, 0), "port")) !=
		    json_integer_value(json_object_get(json_array_get(requests, 1), "port")));
	json_decref(requests);
	llm_close(c);
	llm_fixture_stop(&s);
	unlink(prices);
	free(prices);
}

void test_group_llm(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_formats),
		cmocka_unit_test(test_retries_and_backoff),
		cmocka_unit_test(test_fatal_and_budget),
		cmocka_unit_test(test_record_and_replay),
		cmocka_unit_test(test_retries_stop_at_the_deadline),
		cmocka_unit_test(test_a_forked_client_has_connections_of_its_own),
	};

	HARNESS_GROUP(t, "llm", tests);
}
