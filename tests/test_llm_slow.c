/*
 * test_llm_slow.c - slow and silent models. Time an agent spends waiting
 * for the model is not the agent's: the model has limits of its own. A
 * call whose agent is gone, or whose run is stopping, is abandoned and
 * never retried. Scored work outlives the agent that did it.
 *
 * The broker is tested directly where the timing is the point, and host's
 * commands against the scripted server (tests/llm_server.py) where the
 * user sees it.
 */
#include "llm_fixture.h"

#include "broker.h"
#include "error.h"
#include "os.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char llm_request[] = "{\"op\": \"llm\", \"system\": \"s\", \"user\": \"u\"}";

/* A client for the server at `s` with model time `run_ms` per run. */
static llm_client *slow_client(const llm_server *s, const char *prices, long timeout_ms,
			       int attempts, long run_ms)
{
	char url[128];
	llm_options o = { .provider = "openai:test-model", .url = url, .prices_path = prices,
			  .timeout_ms = timeout_ms, .attempts = attempts, .run_ms = run_ms };
	llm_client *c = NULL;

	snprintf(url, sizeof(url), "%s/v1", s->url);
	assert_int_equal(llm_open(&c, &o), 0);
	return c;
}

/* One "llm" request through the broker; returns the reply's error, or
 * NULL when the model answered (the reply is freed). */
static char *ask(broker *b, sandbox_request *req)
{
	json_t *request = json_loads(llm_request, 0, NULL), *reply = NULL;
	const char *error;
	char *copy;

	assert_int_equal(broker_serve(b, request, &reply, req), 0);
	error = json_string_value(json_object_get(reply, "error"));
	copy = error ? strdup(error) : NULL;
	if (!error)
		assert_non_null(json_string_value(json_object_get(reply, "text")));
	json_decref(reply);
	json_decref(request);
	return copy;
}

static size_t requests_seen(const llm_server *s)
{
	json_t *requests = llm_fixture_requests(s);
	size_t n = json_array_size(requests);

	json_decref(requests);
	return n;
}

static void test_model_time_is_not_the_agents(void **state)
{
	json_t *reply = llm_fixture_reply("hello", 5, 5);
	char *prices = llm_fixture_prices(), *error;
	sandbox_request req = { .channel = -1, .excused_ms = 0 };
	int pair[2];
	llm_server s;
	llm_client *c;
	broker b;

	(void)state;
	json_object_set_new(reply, "delay", json_integer(1));
	llm_fixture_start(&s, llm_fixture_script(json_pack("[o]", reply)), "model_time");
	c = slow_client(&s, prices, 5000, 1, 2500);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	req.channel = pair[0];
	/* the agent has 0.5 s of its own; each reply takes 1 s */
	broker_init(&b, NULL, NULL, 0, 0.5);
	broker_offer_llm(&b, c, 10);
	assert_null(ask(&b, &req));
	assert_true(req.excused_ms >= 1000);
	assert_true(b.budget.deadline_ms > os_now_ms());  /* the agent's time is still there */
	assert_null(ask(&b, &req));
	assert_true(b.budget.model_ms >= 2000);
	/* the third call has what is left of the 2.5 s of model time */
	error = ask(&b, &req);
	assert_non_null(error);
	assert_contains(error, "the deadline ended the call after 1 attempt");
	assert_contains(error, "its replies took 1.");
	free(error);
	/* and then there is none: refused without a request */
	error = ask(&b, &req);
	assert_string_equal(error, "the model time of this run is spent (2.5 s)");
	free(error);
	assert_int_equal(requests_seen(&s), 3);
	broker_free(&b);
	close(pair[0]);
	close(pair[1]);
	llm_close(c);
	llm_fixture_stop(&s);
	unlink(prices);
	free(prices);
}

static void test_a_call_is_abandoned_when_its_agent_is_gone(void **state)
{
	char *prices = llm_fixture_prices(), *error;
	sandbox_request req = { .channel = -1, .excused_ms = 0 };
	double start;
	int pair[2];
	llm_server s;
	llm_client *c;
	pid_t agent;
	broker b;

	(void)state;
	llm_fixture_start(&s, llm_fixture_script(json_pack("[{s:i}]", "hang", 60)), "gone");
	/* 20 s a request and 5 attempts: without the abandon, 100 s */
	c = slow_client(&s, prices, 20000, 5, 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	agent = fork();  /* an agent that dies while its call waits */
	assert_true(agent >= 0);
	if (agent == 0) {
		close(pair[0]);
		sleep(1);
		_exit(0);
	}
	close(pair[1]);
	req.channel = pair[0];
	broker_init(&b, NULL, NULL, 0, 60);
	broker_offer_llm(&b, c, 4);
	start = os_now_ms();
	error = ask(&b, &req);
	assert_non_null(error);
	assert_contains(error, "the call was abandoned after 1 attempt, as the agent that made it "
			"no longer waits");
	assert_true(os_now_ms() - start < 15000);
	free(error);
	assert_int_equal(waitpid(agent, NULL, 0), agent);
	sleep(2);  /* no retry comes later either */
	assert_int_equal(requests_seen(&s), 1);
	assert_false(b.stopped);
	broker_free(&b);
	close(pair[0]);
	llm_close(c);
	llm_fixture_stop(&s);
	unlink(prices);
	free(prices);
}

static volatile sig_atomic_t stop_flag;

static void on_alarm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void test_a_stop_abandons_the_call_and_refuses_more(void **state)
{
	struct sigaction sa, old;
	char *prices = llm_fixture_prices(), *error;
	llm_server s;
	llm_client *c;
	broker b;

	(void)state;
	llm_fixture_start(&s, llm_fixture_script(json_pack("[{s:i}]", "hang", 60)), "stop");
	c = slow_client(&s, prices, 20000, 5, 0);
	broker_init(&b, NULL, NULL, 0, 60);
	broker_offer_llm(&b, c, 4);
	stop_flag = 0;
	b.stop = &stop_flag;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;  /* as SIGTERM sets evolve's flag */
	sigaction(SIGALRM, &sa, &old);
	alarm(1);
	error = ask(&b, NULL);
	sigaction(SIGALRM, &old, NULL);
	assert_non_null(error);
	assert_contains(error, "the call was abandoned after 1 attempt");
	free(error);
	assert_true(b.stopped);
	error = ask(&b, NULL);
	assert_string_equal(error, "the run is stopping: no more model calls");
	free(error);
	sleep(2);
	assert_int_equal(requests_seen(&s), 1);
	broker_free(&b);
	llm_close(c);
	llm_fixture_stop(&s);
	unlink(prices);
	free(prices);
}

void test_group_llm_slow(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_time_is_not_the_agents),
		cmocka_unit_test(test_a_call_is_abandoned_when_its_agent_is_gone),
		cmocka_unit_test(test_a_stop_abandons_the_call_and_refuses_more),
	};

	HARNESS_GROUP(t, "llm_slow", tests);
}
