/*
 * test_arena_spend.c - what an arena run spends on the model is in its
 * records and under its caps, as in plain evolve: every call the
 * scripted server received is in some generation's budget (the test
 * agents' and the replacements' in the round's first), in host log's and
 * host status's totals, and --max-usd ends the run after the round that
 * spent it.
 */
#include "harness.h"
#include "lab_fixture.h"
#include "llm_fixture.h"

#include "os.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_AGENT "You write test cases"
#define META_AGENT "You improve the agents"

/* The scripted model of llm_fixture_evolution, with a test agent that
 * proposes two inputs, every reply a little late. */
static json_t *arena_script(void)
{
	static const char proposals[] =
		"```json\n[{\"input\": \"user name@example.org\", \"label\": false},\n"
		" {\"input\": \"x@y..com\", \"label\": false}]\n```\n";
	json_t *script = llm_fixture_evolution();

	json_array_insert_new(json_object_get(script, "rules"), 0, json_pack("{s:s, s:[o]}",
			      "match", TEST_AGENT, "replies",
			      llm_fixture_reply(proposals, 900, 120)));
	return llm_fixture_late(script, 0.2);
}

/* Requests whose system prompt starts with `who`. */
static long requests_of(const json_t *requests, const char *who)
{
	const json_t *req;
	size_t i;
	long n = 0;

	json_array_foreach(requests, i, req)
		n += strncmp(json_string_value(json_object_get(req, "system")), who,
			     strlen(who)) == 0;
	return n;
}

/* Whether some request of `who` has `text` in its user prompt. */
static int asked(const json_t *requests, const char *who, const char *text)
{
	const json_t *req;
	size_t i;

	json_array_foreach(requests, i, req)
		if (strncmp(json_string_value(json_object_get(req, "system")), who,
			    strlen(who)) == 0 &&
		    strstr(json_string_value(json_object_get(req, "user")), text))
			return 1;
	return 0;
}

/* Generation g's budget's model calls, and its round's own in *round. */
static long note_calls(const char *dir, int g, long *round)
{
	json_t *note = llm_fixture_note(dir, g);
	long calls = (long)json_integer_value(json_object_get(json_object_get(note, "budget"),
							     "llm_calls"));

	*round = (long)json_integer_value(json_object_get(json_object_get(note, "arena"),
							 "llm_calls"));
	json_decref(note);
	return calls;
}

/* The totals host log and host status print hold `calls`. */
static void expect_totals(const char *dir, long calls)
{
	char log[64], status[64];
	run_result r;

	snprintf(log, sizeof(log), "LLM spend: %ld calls,", calls);
	snprintf(status, sizeof(status), "spend     %ld LLM calls,", calls);
	HOST(&r, "log", "--dir", (char *)dir);
	assert_contains(r.out, log);
	run_result_free(&r);
	HOST(&r, "status", "--dir", (char *)dir);
	assert_contains(r.out, status);
	run_result_free(&r);
}

/* Two rounds of two code agents and two test agents, with a replacement
 * in the second: the server's every request is in a note. */
static void test_every_arena_call_is_in_a_record(void **state)
{
	char *dir = make_lab("arena_spend", "email"), *prices = llm_fixture_prices();
	char *argv[] = { "host", "evolve", "--dir", dir, "--arena", "--gens", "2",
			 "--code-agents", "2", "--test-agents", "2", "--replace-every", "1",
			 "--llm", "openai:test-model", "--llm-url", "@URL@", "--llm-prices", prices,
			 NULL };
	long calls = 0, round = 0, own, first, total;
	json_t *requests;
	run_result r;
	int g;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	requests = llm_fixture_run(&r, arena_script(), "arena_spend_server", argv);
	if (r.status != 0)
		fail_msg("evolve --arena with a model: %s%s", r.out, r.err);
	run_result_free(&r);
	total = (long)json_array_size(requests);
	assert_true(requests_of(requests, TEST_AGENT) >= 4);  /* 2 test agents, 2 rounds */
	/* the code agent's mutation (the seed mutates a test agent offline) */
	assert_true(requests_of(requests, META_AGENT) >= 1);
	assert_true(asked(requests, TEST_AGENT, "int validate_email(const char *s)"));
	for (g = 1; g <= 4; g++) {
		calls += note_calls(dir, g, &own);
		round += own;
		if (g % 2 == 0)  /* a round's second generation: its code agent's own */
			assert_int_equal(own, 0);
	}
	assert_int_equal(calls, total);
	assert_int_equal(round, requests_of(requests, TEST_AGENT) +
			 requests_of(requests, META_AGENT));
	/* the first generation's budget holds its round's calls and its own */
	assert_true(note_calls(dir, 1, &first) > first && first >= 2);
	expect_totals(dir, total);
	HOST(&r, "log", "--dir", dir);
	assert_contains(r.out, "c3 replaced c2, a ");  /* the round's replacements ran */
	assert_contains(r.out, "t3 replaced t2, a ");
	assert_contains(r.out, "the round's test agents and replacements: ");
	run_result_free(&r);
	json_decref(requests);
	unlink(prices);
	free(prices);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

/* --max-usd: the round that spends it is kept, interrupted, and no
 * other is run; what it spent is in its record. */
static void test_the_budget_ends_an_arena_run(void **state)
{
	char *dir = make_lab("arena_cap", "email"), *prices = llm_fixture_prices();
	char *argv[] = { "host", "evolve", "--dir", dir, "--arena", "--gens", "3",
			 "--max-usd", "3", "--llm", "openai:test-model", "--llm-url", "@URL@",
			 "--llm-prices", prices, NULL };
	json_t *requests, *note;
	run_result r;
	long own;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	requests = llm_fixture_run(&r, arena_script(), "arena_cap_server", argv);
	if (r.status != 0)
		fail_msg("evolve --arena --max-usd: %s%s", r.out, r.err);
	/* the test agent's $1.14, then the task agent's $2.60, then no more */
	assert_contains(r.out, "the LLM budget is reached: stopped after gen_001");
	run_result_free(&r);
	assert_int_equal(json_array_size(requests), 2);
	assert_int_equal(tag_count(dir), 2);
	assert_int_equal(note_calls(dir, 1, &own), (long)json_array_size(requests));
	assert_int_equal(own, requests_of(requests, TEST_AGENT));
	note = llm_fixture_note(dir, 1);
	assert_string_equal(json_string_value(json_object_get(note, "status")), "interrupted");
	json_decref(note);
	expect_totals(dir, (long)json_array_size(requests));
	json_decref(requests);
	unlink(prices);
	free(prices);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

void test_group_arena_spend(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_arena_call_is_in_a_record),
		cmocka_unit_test(test_the_budget_ends_an_arena_run),
	};

	HARNESS_GROUP(t, "arena_spend", tests);
}
