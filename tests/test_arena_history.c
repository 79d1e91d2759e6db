/*
 * test_arena_history.c - the test agents learn from their rounds: each
 * request carries the earlier rounds' proposals and what became of each
 * (agent.h's "history"), kept across a resume, bounded, and never
 * showing a held-out case; the seed test agent shows it to its model and
 * does not propose again what was proposed. The model is scripted, each
 * reply a second late, and the code agent's task agent asks it nothing,
 * so that the test agents' calls are all there are.
 */
#include "harness.h"
#include "arena_fixture.h"
#include "lab_fixture.h"
#include "llm_fixture.h"

#include "arena.h"
#include "os.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HELD_OUT "o'brien@example.com"  /* a held-out case of email, and no training one */

/* A lab on email whose task agent keeps its solution (with a meta agent
 * that has nothing to tune in it) and whose test agent is
 * tests/arena/FILE (NULL: the seed's). */
static char *history_lab(const char *name, const char *file)
{
	char *dir = arena_lab(name, NULL, file), *keep = harness_read("tests/arena/keep.c");
	char *meta = os_path_join(dir, "agent_code/meta_agent.c");

	assert_int_equal(os_write_file(meta, harness_meta_agent, strlen(harness_meta_agent)), 0);
	arena_set_agent(dir, "task_agent.c", keep);
	free(meta);
	free(keep);
	return dir;
}

/* Runs `gens` rounds with the scripted model; returns its requests. */
static json_t *rounds_with_model(const char *dir, const char *gens, json_t *script,
				 const char *server)
{
	char *argv[] = { "host", "evolve", "--dir", (char *)dir, "--arena", "--gens", (char *)gens,
			 "--llm", "openai:test-model", "--llm-url", "@URL@", NULL };
	json_t *requests;
	run_result r;

	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	requests = llm_fixture_run(&r, llm_fixture_late(script, 1), server, argv);
	if (r.status != 0)
		fail_msg("evolve --arena --gens %s with a model: %s%s", gens, r.out, r.err);
	run_result_free(&r);
	return requests;
}

/* The "history" of the request that request i of the echo agent sent. */
static json_t *echoed_history(const json_t *requests, size_t i)
{
	json_t *request = json_loads(llm_fixture_user(requests, i), 0, NULL), *history;

	assert_non_null(request);
	history = json_incref(json_object_get(request, "history"));
	json_decref(request);
	assert_true(json_is_array(history));
	return history;
}

/* arena/email.json's "history" at `rev`. */
static json_t *kept_history(const char *dir, const char *rev)
{
	char *text = arena_git_show(dir, rev, "arena/email.json");
	json_t *json = json_loads(text, 0, NULL), *history;

	free(text);
	history = json_incref(json_object_get(json, "history"));
	json_decref(json);
	assert_true(json_is_array(history));
	return history;
}

/* What round 1 of tests/arena/echo.c comes to, in the order shown. */
static json_t *echo_outcomes(void)
{
	return json_pack("[{s:i, s:s, s:s, s:s, s:s, s:s}, {s:i, s:s, s:s, s:s, s:s, s:s},"
			 " {s:i, s:s, s:s, s:s, s:s, s:s}, {s:i, s:s, s:s, s:s},"
			 " {s:i, s:s, s:s, s:i}, {s:i, s:s, s:s, s:i}]",
			 "round", 1, "test_agent", "t1", "outcome", "added",
			 "input", "user name@example.org", "guess", "0", "label", "0",
			 "round", 1, "test_agent", "t1", "outcome", "passed",
			 "input", "@example.com", "guess", "0", "label", "0",
			 "round", 1, "test_agent", "t1", "outcome", "contradicted",
			 "input", "a@b.c", "guess", "1", "label", "0",
			 "round", 1, "test_agent", "t1", "outcome", "duplicate",
			 "input", "alice.bob@company.org",
			 "round", 1, "test_agent", "t1", "outcome", "refused", "count", 2,
			 "round", 1, "test_agent", "t1", "outcome", "malformed", "count", 1);
}

static void assert_same_json(const json_t *got, const json_t *want)
{
	char *a, *b;

	if (json_equal((json_t *)got, (json_t *)want))
		return;
	a = json_dumps(got, JSON_INDENT(1) | JSON_SORT_KEYS);
	b = json_dumps(want, JSON_INDENT(1) | JSON_SORT_KEYS);
	fprintf(stderr, "got %s\nwant %s\n", a, b);
	free(a);
	free(b);
	fail();
}

/* Round 1's request has no history; round 2's, from an arena resumed in
 * another run, has each of round 1's proposals with its outcome, the
 * refused ones only counted, as the lab keeps them: neither the held-out
 * case nor the input the oracle refused is in it. */
static void test_the_request_carries_the_history(void **state)
{
	char *dir = history_lab("arena_history", "tests/arena/echo.c");
	json_t *first, *second, *history, *want = echo_outcomes(), *kept;

	(void)state;
	first = rounds_with_model(dir, "1", llm_fixture_script(json_pack("[o]",
				  llm_fixture_reply("[]", 10, 1))), "history_server");
	assert_int_equal(json_array_size(first), 1);  /* the test agent's, once */
	history = echoed_history(first, 0);
	assert_int_equal(json_array_size(history), 0);
	json_decref(history);
	kept = kept_history(dir, "main");
	second = rounds_with_model(dir, "1", llm_fixture_script(json_pack("[o]",
				   llm_fixture_reply("[]", 10, 1))), "history_server");
	assert_int_equal(json_array_size(second), 1);
	assert_null(strstr(llm_fixture_user(second, 0), HELD_OUT));
	assert_null(strstr(llm_fixture_user(second, 0), "aaaaaaaaaa@aaaa"));
	history = echoed_history(second, 0);
	assert_same_json(kept, want);
	assert_same_json(history, want);  /* resumed, as round 1 left it */
	json_decref(history);
	json_decref(kept);
	/* round 2's outcomes come first: the added input is a case now */
	kept = kept_history(dir, "main");
	assert_int_equal(json_array_size(kept), 2 * json_array_size(want));
	assert_string_equal(json_string_value(json_object_get(json_array_get(kept, 0),
			    "outcome")), "passed");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(kept, 0), "round")), 2);
	json_decref(kept);
	json_decref(want);
	json_decref(first);
	json_decref(second);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

/* The scripted model's proposals for the seed test agent's first round:
 * one of each outcome, then none. */
static json_t *seed_replies(void)
{
	static const char proposals[] =
		"```json\n[{\"input\": \"user name@example.org\", \"label\": false, \"reason\": "
		"\"a space\"},\n {\"input\": \"a@b.c\", \"label\": true, \"reason\": \"a short "
		"domain\"},\n {\"input\": \"" HELD_OUT "\", \"label\": true, \"reason\": \"an "
		"apostrophe\"}]\n```\n";

	return json_pack("{s:[{s:s, s:[o, o]}]}", "rules", "match", "You write test cases",
			 "replies", llm_fixture_reply(proposals, 900, 120),
			 llm_fixture_reply("[]", 900, 1));
}

/* The inputs of round `round`'s entries in `history`. */
static json_t *inputs_of(const json_t *history, int round)
{
	json_t *out = json_object();
	const json_t *e;
	size_t i;

	json_array_foreach(history, i, e)
		if (json_integer_value(json_object_get(e, "round")) == round &&
		    json_object_get(e, "input"))
			json_object_set_new(out, json_string_value(json_object_get(e, "input")),
					    json_true());
	return out;
}

/* The seed test agent: its first prompt shows no history, its second
 * round 1's proposals and what became of them, and its offline
 * mutations in round 2 are none of round 1's inputs. */
static void test_the_seed_shows_the_model_its_history(void **state)
{
	char *dir = history_lab("arena_seed_history", NULL);
	json_t *requests = rounds_with_model(dir, "2", seed_replies(), "seed_history_server");
	json_t *kept, *one, *two;
	const char *first, *second, *input;
	json_t *value;

	(void)state;
	assert_int_equal(json_array_size(requests), 2);  /* one a round */
	first = llm_fixture_user(requests, 0);
	second = llm_fixture_user(requests, 1);
	assert_null(strstr(first, "Earlier proposals"));
	assert_contains(second, "Earlier proposals, newest first, and what became of each:\n");
	assert_contains(second, "- round 1, \"user name@example.org\": added: a solution got it "
			"wrong, it is a case now (the oracle's label 0, yours 0)\n");
	assert_contains(second, "- round 1, \"a@b.c\": contradicted: the oracle's label is not "
			"yours (the oracle's label 0, yours 1)\n");
	assert_null(strstr(second, HELD_OUT));
	assert_contains(second, " refused by the oracle (their inputs are not shown)\n");
	assert_contains(second, ": passed: every solution got it right (the oracle's label ");
	kept = kept_history(dir, "main");
	one = inputs_of(kept, 1);
	two = inputs_of(kept, 2);
	assert_true(json_object_size(two) >= 8);  /* the mutations of round 2 */
	json_object_foreach(two, input, value)
		if (json_object_get(one, input))
			fail_msg("round 2 proposed %s again", input);
	json_decref(one);
	json_decref(two);
	json_decref(kept);
	json_decref(requests);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

/* The JSON bytes of the entries of `history`, as the arena bounds them. */
static size_t entry_bytes(const json_t *history)
{
	const json_t *e;
	size_t i, n = 0;

	json_array_foreach(history, i, e)
		n += json_dumpb(e, NULL, 0, JSON_COMPACT);
	return n;
}

/* A history keeps the newest entries within its bounds: after 70 short
 * proposals, 64 of them; after 20 long ones of the next round, those
 * that fit its bytes, and older short ones in the bytes left. */
static void test_the_history_is_bounded(void **state)
{
	char *dir = arena_lab("arena_history_bounds", NULL, "tests/arena/many.c");
	char *argv[] = { "host", "evolve", "--dir", dir, "--arena", "--gens", "1",
			 "--proposals", "70", NULL };
	json_t *kept, *e;
	run_result r;
	size_t i, long_ones = 0;

	(void)state;
	run_host_with(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	kept = kept_history(dir, "main");
	assert_int_equal(json_array_size(kept), ARENA_HISTORY_MAX);
	assert_string_equal(json_string_value(json_object_get(json_array_get(kept, 0), "input")),
			    "u00@example.com");  /* the first proposed, of the newest round */
	json_decref(kept);
	run_host_with(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	kept = kept_history(dir, "main");
	assert_true(entry_bytes(kept) <= ARENA_HISTORY_BYTES);
	json_array_foreach(kept, i, e)
		long_ones += strlen(json_string_value(json_object_get(e, "input"))) > 900;
	assert_true(long_ones >= 8 && long_ones < 20);  /* the round's added ones first */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(kept, 0), "round")), 2);
	e = json_array_get(kept, json_array_size(kept) - 1);
	assert_int_equal(json_integer_value(json_object_get(e, "round")), 1);
	json_decref(kept);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

/* A history that is not one the arena wrote is not resumed from. */
static void test_a_damaged_history_is_not_resumed(void **state)
{
	char *dir = make_lab("arena_history_damaged", "email");
	char *file = harness_scratch("arena_history_email.json");
	char *damage[] = { "/bin/sh", "tests/arena/damage_state.sh", dir, "arena/email.json",
			   file, NULL };
	json_t *set;
	run_result r;

	(void)state;
	arena_rounds(dir, "1");
	set = json_pack("{s:s, s:[], s:[{s:i, s:s, s:s, s:s, s:i}]}", "task", "email", "cases",
			"history", "round", 1, "test_agent", "t1", "outcome", "refused",
			"input", HELD_OUT, "count", 1);
	assert_int_equal(json_dump_file(set, file, JSON_COMPACT), 0);
	json_decref(set);
	run_command(&r, NULL, damage);
	if (r.status != 0)
		fail_msg("damage_state.sh: %s", r.err);
	run_result_free(&r);
	arena_expect_refused(dir, "gen_001: arena/email.json holds a history whose entry 1 is not "
			     "one the arena writes; the arena cannot resume from it",
			     (char *[]){ "host", "evolve", "--dir", dir, "--arena", NULL });
	unlink(file);
	free(file);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

void test_group_arena_history(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_request_carries_the_history),
		cmocka_unit_test(test_the_seed_shows_the_model_its_history),
		cmocka_unit_test(test_the_history_is_bounded),
		cmocka_unit_test(test_a_damaged_history_is_not_resumed),
	};

	HARNESS_GROUP(t, "arena_history", tests);
}
