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
	agent_options ao = { .llm = c, .llm_calls = 10 };
	broker_init(&b, NULL, NULL, 0, 0.5);
	broker_use(&b, &ao);
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
	assert_int_equal(llm_fixture_count(&s), 3);
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
	int pair[2], status;
	llm_server s;
	llm_client *c;
	pid_t agent;
	broker b;

	(void)state;
	llm_fixture_start(&s, llm_fixture_script(json_pack("[{s:i}]", "hang", 60)), "gone");
	/* 20 s a request and 5 attempts: without the abandon, 100 s */
	c = slow_client(&s, prices, 20000, 5, 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	agent = fork();  /* an agent that dies while its call waits: once it reached the server */
	assert_true(agent >= 0);
	if (agent == 0) {
		close(pair[0]);
		_exit(llm_fixture_wait(&s, 1) == 0 ? 0 : 1);
	}
	close(pair[1]);
	req.channel = pair[0];
	agent_options ao = { .llm = c, .llm_calls = 4 };
	broker_init(&b, NULL, NULL, 0, 60);
	broker_use(&b, &ao);
	start = os_now_ms();
	error = ask(&b, &req);
	assert_non_null(error);
	assert_contains(error, "the call was abandoned after 1 attempt, as the agent that made it "
			"no longer waits");
	assert_true(os_now_ms() - start < 15000);
	free(error);
	assert_int_equal(waitpid(agent, &status, 0), agent);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);  /* it saw the request */
	sleep(1);  /* no retry comes later either: a retry's first backoff is 0.25 s */
	assert_int_equal(llm_fixture_count(&s), 1);
	assert_false(b.stopped);
	/* the request left: its prompts are paid for, "su" at 4 bytes a token */
	assert_int_equal(b.llm_used.calls, 1);
	assert_int_equal(b.llm_used.tokens_in, 1);
	assert_int_equal(llm_totals(c).tokens_in, 1);
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
	agent_options ao = { .llm = c, .llm_calls = 4, .stop = &stop_flag };
	broker_init(&b, NULL, NULL, 0, 60);
	broker_use(&b, &ao);
	stop_flag = 0;
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
	assert_int_equal(b.llm_used.calls, 1);  /* paid for, though nobody reads it */
	assert_int_equal(b.llm_used.tokens_in, 1);
	error = ask(&b, NULL);
	assert_string_equal(error, "the run is stopping: no more model calls");
	free(error);
	sleep(1);  /* nor later */
	assert_int_equal(llm_fixture_count(&s), 1);
	broker_free(&b);
	llm_close(c);
	llm_fixture_stop(&s);
	unlink(prices);
	free(prices);
}

/* The "llm" events of a trace whose status contains `status`. */
static int llm_events(const json_t *trace, const char *status)
{
	const json_t *e;
	size_t i;
	int n = 0;

	json_array_foreach(trace, i, e)
		n += strcmp(json_string_value(json_object_get(e, "event")), "llm") == 0 &&
		     strstr(json_string_value(json_object_get(e, "status")), status) != NULL;
	return n;
}

/* The same, over a generation's rewrite and every task. */
static int llm_events_in(const json_t *note, const char *status)
{
	const json_t *t;
	const char *name;
	int n = llm_events(json_object_get(note, "rewrite_trace"), status);

	json_object_foreach(json_object_get(note, "tasks"), name, t)
		n += llm_events(json_object_get(t, "trace"), status);
	return n;
}

/* In evolve every reply takes 2.5 s; the meta agent's own limit is 2 s,
 * the task agents' 1 s (7 s with their 3 evaluations, and the task
 * agent's 3 calls on snake take 7.5 s). Waiting is not theirs, so both
 * generations are valid and the model did the work. */
static void test_evolve_with_a_model_slower_than_the_agents(void **state)
{
	char *prices = llm_fixture_prices(), *lab = harness_scratch("slow_lab");
	char *init[] = { "host", "init", "--dir", lab, "--meta-seconds", "2", "--agent-seconds",
			 "1", "--budget", "3", "-j", "2", "--llm", "openai:test-model", "--llm-url",
			 "@URL@", "--llm-prices", prices, "--llm-calls", "3", NULL };
	char *evolve[] = { "host", "evolve", "--dir", lab, "--gens", "2", "-j", "2", "--llm",
			   "openai:test-model", "--llm-url", "@URL@", "--llm-prices", prices,
			   "--llm-calls", "3", NULL };
	json_t *requests, *note;
	run_result r;
	int g;

	(void)state;
	os_remove_tree(lab);
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	/* init measures gen_000 with the model: the server sees the task prompts */
	requests = llm_fixture_run(&r, llm_fixture_evolution(), "slow_init", init);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "openai:test-model)");
	assert_true(json_array_size(requests) >= 2);
	assert_contains(json_string_value(json_object_get(json_array_get(requests, 0), "user")),
			"Interface (");
	json_decref(requests);
	run_result_free(&r);
	note = llm_fixture_note(lab, 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(note, "measured"),
								 "model")), "openai:test-model");
	assert_true(llm_events_in(note, "ok") >= 2);
	json_decref(note);
	/* measured alike: no re-measure, two valid candidates */
	requests = llm_fixture_run(&r, llm_fixture_late(llm_fixture_evolution(), 2.5),
				   "slow_evolve", evolve);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "re-measured"));
	assert_contains(r.out, "gen_002  parent gen_00");
	assert_contains(r.out, " rejected, 0 invalid");
	json_decref(requests);
	run_result_free(&r);
	for (g = 1; g <= 2; g++) {
		const json_t *t;
		const char *name;

		note = llm_fixture_note(lab, g);
		assert_true(llm_events(json_object_get(note, "rewrite_trace"), "ok") >= 1);
		json_object_foreach(json_object_get(note, "tasks"), name, t)
			assert_string_equal(json_string_value(json_object_get(t, "agent")), "ok");
		/* each worker read its own replies: email got the email solution,
		 * though both asked at once after the rewrite's call */
		assert_true(json_number_value(json_object_get(json_object_get(json_object_get(note,
			"tasks"), "email"), "train")) == 1.0);
		assert_true(llm_events_in(note, "ok") >= 3);  /* the rewrite, and each task */
		json_decref(note);
	}
	/* offline is another model: the parent is measured again, and it says so */
	HOST(&r, "evolve", "--dir", lab);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "re-measured gen_00");
	assert_contains(r.out, ": model offline (was openai:test-model)");
	run_result_free(&r);
	os_remove_tree(lab);
	free(lab);
	unlink(prices);
	free(prices);
}

/* A server that never answers: each call ends after its attempts, each
 * attempt reaches the server once, and the run ends. */
static void test_a_silent_model_ends_within_its_limits(void **state)
{
	char *prices = llm_fixture_prices(), *lab = llm_fixture_lab("silent_lab");
	char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "1", "-j", "2", "--llm",
			 "openai:test-model", "--llm-url", "@URL@", "--llm-prices", prices,
			 "--llm-calls", "1", "--llm-timeout", "1", "--llm-attempts", "2", NULL };
	json_t *requests, *remeasure, *candidate;
	int calls;
	run_result r;

	(void)state;
	requests = llm_fixture_run(&r, llm_fixture_script(json_pack("[{s:i}]", "hang", 60)),
				   "silent", argv);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_002  parent gen_001");
	run_result_free(&r);
	remeasure = llm_fixture_note(lab, 1);
	candidate = llm_fixture_note(lab, 2);
	calls = llm_events_in(remeasure, "no usable reply after 2 attempts (none of its replies "
			      "has been usable yet)") +
		llm_events_in(candidate, "no usable reply after 2 attempts (none of its replies "
			      "has been usable yet)");
	assert_int_equal(calls, 5);  /* two tasks twice, and the rewrite */
	assert_int_equal(json_array_size(requests), 2 * calls);
	json_decref(requests);
	json_decref(remeasure);
	json_decref(candidate);
	os_remove_tree(lab);
	free(lab);
	unlink(prices);
	free(prices);
}

/* SIGTERM while both workers' task agents wait on a model that does not
 * answer: the calls end at once, none is retried, the generation is kept
 * as interrupted, and evolve resumes. */
static void test_sigterm_abandons_the_calls_in_flight(void **state)
{
	char *prices = llm_fixture_prices(), *lab = llm_fixture_lab("stopped_lab"), url[128];
	char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "3", "-j", "2", "--llm",
			 "openai:test-model", "--llm-url", url, "--llm-prices", prices,
			 "--llm-timeout", "60", "--llm-concurrency", "2", NULL };
	run_options no_wait = { .no_wait = 1 };
	json_t *note;
	llm_server s;
	run_result r;
	pid_t pid;
	int status = 0;

	(void)state;
	llm_fixture_start(&s, llm_fixture_script(json_pack("[{s:i}]", "hang", 120)), "stopped");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	run_host_with(&r, &no_wait, argv);
	pid = r.status;
	run_result_free(&r);
	assert_int_equal(llm_fixture_wait(&s, 2), 0);
	assert_int_equal(llm_fixture_count(&s), 2);  /* gen_000 measured again, both tasks at once */
	kill(pid, SIGTERM);
	/* without the abandon, 60 s a request */
	assert_int_equal(harness_wait_exit(pid, &status, 20000), 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM);
	sleep(1);  /* no retry comes later */
	assert_int_equal(llm_fixture_count(&s), 2);
	llm_fixture_stop(&s);
	note = llm_fixture_note(lab, 1);
	assert_string_equal(json_string_value(json_object_get(note, "status")), "interrupted");
	assert_contains(json_string_value(json_object_get(note, "reason")),
			"the run was stopped while its agents could call the model");
	/* the two requests it abandoned are in its spend */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(note, "budget"),
							    "llm_calls")), 2);
	assert_true(json_integer_value(json_object_get(json_object_get(note, "budget"),
						       "tokens_in")) > 500);
	json_decref(note);
	/* nothing is left half done: evolve goes on from gen_000, offline */
	HOST(&r, "evolve", "--dir", lab);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_002  parent gen_000");
	run_result_free(&r);
	os_remove_tree(lab);
	free(lab);
	unlink(prices);
	free(prices);
}

void test_group_llm_slow(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_time_is_not_the_agents),
		cmocka_unit_test(test_a_call_is_abandoned_when_its_agent_is_gone),
		cmocka_unit_test(test_a_stop_abandons_the_call_and_refuses_more),
		cmocka_unit_test(test_evolve_with_a_model_slower_than_the_agents),
		cmocka_unit_test(test_a_silent_model_ends_within_its_limits),
		cmocka_unit_test(test_sigterm_abandons_the_calls_in_flight),
	};

	HARNESS_GROUP(t, "llm_slow", tests);
}
