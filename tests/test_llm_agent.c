/*
 * test_llm_agent.c - the seed task agent's conversation with a model, the
 * scripted server (tests/llm_server.py) standing in for it: read from the
 * prompts it recorded, each proposal says how the last attempt scored and
 * whether it was kept, labels feedback with the attempt it is about, and
 * states what is left of the budget and the limits of one evaluation; a
 * reviewer reads every attempt and its advice reaches the next proposal;
 * the model is not asked again once the target is reached.
 *
 * `host improve email` runs the seed agent: email evaluations take
 * milliseconds, the initial validator scores 0.65, and the reference
 * solution scores 1.0, the target.
 */
#include "llm_fixture.h"

#include "buf.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A proposal that compiles and crashes on every case. */
#define CRASHING "int validate_email(const char *s) { return s[100000000] == 'x'; } /* far off */\n"

/* The reviewer's answer, in markdown and other words than it was asked
 * for: the agent reads it all the same. */
static const char lenient_review[] =
	"Here is my review.\n\n**Kind:** crash\n- severity: High\n"
	"**FIX**: check the length of s before reading past its end\nConfidence: 90%\n";

/* Runs `host improve email` with the seed agent, 10 evaluations and
 * `calls` model calls; `proposals` (consumed) answer the proposer in
 * order and `review` the reviewer. Returns the requests the server got. */
static json_t *improve_email(run_result *r, const char *name, json_t *proposals,
			     const char *review, const char *calls)
{
	char *out = harness_scratch("email_improved.c");
	char *argv[] = { "host", "improve", "email", "--agent", "seed", "--budget", "10",
			 "--llm", "openai:test-model", "--llm-url", "@URL@",
			 "--llm-calls", (char *)calls, "-o", out, NULL };
	json_t *script = json_pack("{s:[{s:s, s:[o]}, {s:s, s:o}]}", "rules",
				   "match", LLM_FIXTURE_REVIEWER,
				   "replies", llm_fixture_reply(review, 2000, 40),
				   "match", "", "replies", proposals);
	json_t *requests = llm_fixture_run(r, script, name, argv);

	assert_int_equal(r->status, 0);
	unlink(out);
	free(out);
	return requests;
}

static const char *user_prompt(const json_t *requests, size_t i)
{
	return json_string_value(json_object_get(json_array_get(requests, i), "user"));
}

static int is_review(const json_t *requests, size_t i)
{
	const char *system = json_string_value(json_object_get(json_array_get(requests, i), "system"));

	return system && strstr(system, LLM_FIXTURE_REVIEWER) != NULL;
}

static void test_no_model_call_once_the_target_is_reached(void **state)
{
	char *reference = harness_read("tests/solutions/email_reference.c");
	json_t *requests;
	run_result r;

	(void)state;
	/* four calls allowed; the first proposal reaches the target */
	requests = improve_email(&r, "agent_target", json_pack("[o]", llm_fixture_code_reply(reference)),
				 llm_fixture_review, "4");
	assert_contains(r.out, "improved  train 1");
	assert_contains(r.out, "llm       1 calls");
	assert_int_equal(json_array_size(requests), 1);
	json_decref(requests);
	run_result_free(&r);
	free(reference);
}

static void test_a_prompt_states_what_is_left_and_the_limits(void **state)
{
	json_t *requests;
	run_result r;

	(void)state;
	requests = improve_email(&r, "agent_budget", json_pack("[o]", llm_fixture_code_reply(CRASHING)),
				 llm_fixture_review, "4");
	assert_int_equal(json_array_size(requests), 4);  /* proposal, review, proposal, proposal */
	/* the initial solution took one of the 10 evaluations; tasks/email's
	 * task.json gives the limits */
	assert_contains(user_prompt(requests, 0), "Left: 9 evaluations and 4 model calls, "
			"this one included. One evaluation may take 2000 ms of wall time, 2000 ms "
			"of CPU time and 64 MB of memory.");
	assert_contains(user_prompt(requests, 0), "the target is 1.");
	/* the crashing proposal and the review were spent */
	assert_contains(user_prompt(requests, 2), "Left: 8 evaluations and 2 model calls");
	assert_contains(user_prompt(requests, 3), "Left: 7 evaluations and 1 model call, this one included.");
	json_decref(requests);
	run_result_free(&r);
}

static void test_the_next_prompt_says_how_the_last_attempt_did(void **state)
{
	char *better = llm_fixture_better_email(), *reference = harness_read("tests/solutions/email_reference.c");
	const char *second, *third;
	json_t *requests;
	run_result r;

	(void)state;
	requests = improve_email(&r, "agent_attempts", json_pack("[o, o, o]", llm_fixture_code_reply(CRASHING),
				 llm_fixture_code_reply(better), llm_fixture_code_reply(reference)), llm_fixture_review, "4");
	assert_int_equal(json_array_size(requests), 4);
	assert_true(is_review(requests, 1));
	second = user_prompt(requests, 2);
	third = user_prompt(requests, 3);
	/* a rejected attempt: its score or status, and its feedback under its
	 * own number, apart from the best code shown */
	assert_contains(second, "- attempt 1: crash in ");
	assert_contains(second, " s of the 2.000 s wall-time limit, rejected (the best was 0.65)\n");
	assert_contains(second, "The best solution so far, the initial solution, scoring 0.65 in ");
	assert_contains(second, "Feedback on attempt 1, which was rejected (its code is not the "
			"code above): crash: crashed (SIGSEGV)");
	assert_null(strstr(second, "far off"));  /* the proposer's prompt stays small */
	/* a kept attempt becomes the best code, its feedback with it */
	assert_contains(third, " s of the 2.000 s wall-time limit, rejected (the best was 0.65)\n"
			"- attempt 2: scored 0.7 in ");
	assert_contains(third, " s of the 2.000 s wall-time limit, kept as the best\n");
	assert_contains(third, "The best solution so far, attempt 2, scoring 0.7 in ");
	assert_contains(third, " s of the 2.000 s wall-time limit:\n```c\n");
	assert_contains(third, "#define MIN_TLD_LENGTH TUNE(2, 1, 6)");
	assert_null(strstr(third, "which was rejected"));
	assert_contains(r.out, "improved  train 1");
	json_decref(requests);
	run_result_free(&r);
	free(better);
	free(reference);
}

static void test_the_reviewer_reads_every_attempt_and_advises_the_next(void **state)
{
	char *better = llm_fixture_better_email();
	const char *review;
	json_t *requests;
	run_result r;

	(void)state;
	requests = improve_email(&r, "agent_review", json_pack("[o, o]", llm_fixture_code_reply(CRASHING),
				 llm_fixture_code_reply(better)), lenient_review, "5");
	/* --llm-calls counts the reviews: proposal, review, proposal, review, proposal */
	assert_int_equal(json_array_size(requests), 5);
	assert_true(is_review(requests, 1) && is_review(requests, 3));
	assert_false(is_review(requests, 0) || is_review(requests, 2) || is_review(requests, 4));
	/* the reviewer sees each attempt's code, score and feedback */
	review = user_prompt(requests, 3);
	assert_contains(review, "--- the initial solution: scored 0.65 in ");
	assert_contains(review, " s of the 2.000 s wall-time limit\n```c\n");
	assert_contains(review, " s of the 2.000 s wall-time limit, rejected (the best was "
			"0.65)\n```c\n" CRASHING);
	assert_contains(review, "Feedback on attempt 1: crash: crashed (SIGSEGV)");
	assert_contains(review, "--- attempt 2: scored 0.7 in ");
	assert_contains(review, " s of the 2.000 s wall-time limit, kept as the best\n```c\n");
	assert_contains(review, "#define MIN_TLD_LENGTH TUNE(2, 1, 6)");
	/* its answer, read leniently, reaches the next proposal */
	assert_contains(user_prompt(requests, 2), "A reviewer who read the attempts up to attempt 1 "
			"says: kind of problem: crash; severity: High; confidence: 0.90.\n"
			"Suggested fix: check the length of s before reading past its end");
	assert_contains(user_prompt(requests, 4), "up to attempt 2 says:");
	json_decref(requests);
	run_result_free(&r);
	free(better);
}

void test_group_llm_agent(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_model_call_once_the_target_is_reached),
		cmocka_unit_test(test_a_prompt_states_what_is_left_and_the_limits),
		cmocka_unit_test(test_the_next_prompt_says_how_the_last_attempt_did),
		cmocka_unit_test(test_the_reviewer_reads_every_attempt_and_advises_the_next),
	};

	HARNESS_GROUP(t, "llm_agent", tests);
}
