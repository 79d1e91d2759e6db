/*
 * test_arena_runs.c - host evolve --arena as a user runs it, again and
 * again: a run resumes, a round cut short is made again, the arena keeps
 * its tasks, plain evolve re-measures what the arena measured, a slow
 * scripted model's proposals are judged like any and its prompt holds no
 * held-out case, and what a user can get wrong is refused with a
 * message, the lab intact.
 */
#include "harness.h"
#include "arena_fixture.h"
#include "lab_fixture.h"
#include "llm_fixture.h"

#include "arena.h"
#include "buf.h"
#include "os.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_the_arena_resumes(void **state)
{
	char *dir = make_lab("arena_resume", "email");
	json_t *before, *after;
	run_result r;
	size_t i;

	(void)state;
	arena_rounds(dir, "2");
	before = arena_grown_cases(dir);
	HOST(&r, "evolve", "--dir", dir, "--arena", "--gens", "1");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_003  parent gen_002  accepted");
	run_result_free(&r);
	HOST(&r, "show", "gen_003", "--dir", dir);
	assert_contains(r.out, "arena round 3, code agent 1:");
	run_result_free(&r);
	after = arena_grown_cases(dir);
	assert_true(json_array_size(after) >= json_array_size(before));
	for (i = 0; i < json_array_size(before); i++)
		assert_true(json_equal(json_array_get(before, i), json_array_get(after, i)));
	/* plain evolve compares nothing with a fitness the grown cases counted in */
	HOST(&r, "evolve", "--dir", dir, "--gens", "1");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "re-measured gen_003: the tasks' own cases (was with the arena's ");
	run_result_free(&r);
	json_decref(before);
	json_decref(after);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

/* A round whose commit was cut short (here: its second generation lost,
 * as a kill between the two would leave it) is made again from the
 * round before. */
static void test_a_round_cut_short_is_made_again(void **state)
{
	char *dir = make_lab("arena_cut", "email");
	run_result r;

	(void)state;
	HOST(&r, "evolve", "--dir", dir, "--arena", "--gens", "2", "--code-agents", "2");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	git(&r, dir, "tag", "-d", "gen_004", NULL);  /* round 2's second code agent */
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", dir, "--arena", "--gens", "1");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "arena round 2: c1");
	run_result_free(&r);
	HOST(&r, "show", "gen_005", "--dir", dir);
	assert_contains(r.out, "arena round 2, code agent 2:");
	run_result_free(&r);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

/* A damaged arena state is never resumed from a guess: the error names
 * the generation and the file, and nothing changes. */
static void test_a_damaged_arena_is_not_resumed(void **state)
{
	char *dir = make_lab("arena_damaged", "email");
	char *damage[] = { "/bin/sh", "tests/arena/damage_state.sh", dir, NULL };
	run_result r;

	(void)state;
	arena_rounds(dir, "1");
	run_command(&r, NULL, damage);
	if (r.status != 0)
		fail_msg("damage_state.sh: %s", r.err);
	run_result_free(&r);
	arena_expect_refused(dir, "gen_001: arena/state.json is missing or not the arena's state; "
			     "the arena cannot resume from it",
			     (char *[]){ "host", "evolve", "--dir", dir, "--arena", NULL });
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

/* The arena resumes on its own tasks only: with another set, a grown set
 * and the solutions of a task left out would be lost. */
static void test_the_arena_keeps_its_tasks(void **state)
{
	char *tasks = edited_task_copy("arena_two_tasks", "email", "task.json", "\"metric\"",
				       "\"metric\"");
	char *dir;
	run_result r;

	(void)state;
	HOST(&r, "new-task", "mail", "--like", "email", "--tasks-dir", tasks);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	dir = arena_lab("arena_tasks", tasks, NULL);
	HOST(&r, "evolve", "--dir", dir, "--arena", "--tasks", "email,mail");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	/* the same set in another order resumes it */
	HOST(&r, "evolve", "--dir", dir, "--arena", "--tasks", "mail,email");
	if (r.status != 0)
		fail_msg("the arena did not resume on its tasks in another order: %s", r.err);
	assert_contains(r.out, "arena round 2: c1");
	run_result_free(&r);
	arena_expect_refused(dir, "the arena in this lab runs on email,mail (gen_002); run it with "
		       "--tasks email,mail", (char *[]){ "host", "evolve", "--dir", dir, "--arena",
		       "--tasks", "email", NULL });
	assert_int_equal(os_remove_tree(dir), 0);
	assert_int_equal(os_remove_tree(tasks), 0);
	free(dir);
	free(tasks);
}

/* The scripted model's test agent replies: three proposals in prose and
 * a fence, one with a label the oracle contradicts; then no proposals. */
static json_t *test_agent_replies(void)
{
	static const char proposals[] =
		"Here are three inputs this validator accepts wrongly:\n```json\n"
		"[{\"input\": \"user name@example.org\", \"label\": false, \"reason\": \"a space "
		"in the local part\"},\n {\"input\": \"a@b.c\", \"label\": true, \"reason\": "
		"\"a one-letter top-level domain\"},\n {\"input\": \"x@y..com\", \"label\": 0, "
		"\"reason\": \"two dots in a row\"}]\n```\n";

	return json_pack("[o, o]", llm_fixture_reply(proposals, 900, 120),
			 llm_fixture_reply("I would rather not.", 900, 5));
}

/* The test agent's request among those the server received. */
static const char *test_agent_prompt(const json_t *requests)
{
	const json_t *req;
	size_t i;

	json_array_foreach(requests, i, req)
		if (strstr(json_string_value(json_object_get(req, "system")), "You write test cases"))
			return json_string_value(json_object_get(req, "user"));
	fail_msg("the test agent asked the model nothing");
	return NULL;
}

/* Whether `prompt` shows `input` as a case, {"input":"...", */
static int shows_case(const char *prompt, const char *input)
{
	json_t *string = json_string(input);
	char *text = json_dumps(string, JSON_ENCODE_ANY);
	buf needle = BUF_INIT;
	int found;

	buf_printf(&needle, "{\"input\":%s,", text);
	found = strstr(prompt, buf_cstr(&needle)) != NULL;
	buf_free(&needle);
	free(text);
	json_decref(string);
	return found;
}

/* Whether `input` is a training case of `t` or one the arena grew. */
static int is_training(const task *t, const json_t *grown, const char *input)
{
	const json_t *item;
	size_t i;

	for (i = 0; i < t->n_train; i++)
		if (strcmp(t->train[i].input, input) == 0)
			return 1;
	json_array_foreach(grown, i, item)
		if (strcmp(json_string_value(json_object_get(item, "input")), input) == 0)
			return 1;
	return 0;
}

/* With a model: its proposals are labelled by the oracle, its wrong label
 * is discarded, the code agent's model answers, and the test agent's
 * prompt holds the task, the solution and the cases, never held-out. */
static void test_the_arena_with_a_model(void **state)
{
	char *dir = make_lab("arena_llm", "email"), *prices = llm_fixture_prices();
	task *t = harness_task("email");
	json_t *script = llm_fixture_evolution(), *requests, *cases;
	char *argv[] = { "host", "evolve", "--dir", dir, "--arena", "--gens", "2", "--llm",
			 "openai:test-model", "--llm-url", "@URL@", "--llm-prices", prices, NULL };
	const char *prompt;
	run_result r;
	size_t i;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	json_array_insert_new(json_object_get(script, "rules"), 0, json_pack("{s:s, s:o}",
			      "match", "You write test cases", "replies", test_agent_replies()));
	requests = llm_fixture_run(&r, llm_fixture_late(script, 1), "arena_llm_server", argv);
	if (r.status != 0)
		fail_msg("evolve --arena with a model: %s%s", r.out, r.err);
	assert_null(strstr(r.out, TEST_KEY));
	run_result_free(&r);
	prompt = test_agent_prompt(requests);
	assert_contains(prompt, "contains exactly one '@'");        /* the task */
	assert_contains(prompt, "int validate_email(const char *s)"); /* the solution */
	assert_contains(prompt, "{\"input\":\"user@example.com\",\"label\":\"1\"}");
	assert_contains(prompt, "Propose 12 inputs.");
	cases = arena_grown_cases(dir);
	for (i = 0; i < t->n_holdout; i++)
		assert_false(shows_case(prompt, t->holdout[i].input) &&
			     !is_training(t, cases, t->holdout[i].input));
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 0), "input")),
			    "user name@example.org");
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 0), "reason")),
			    "a space in the local part");
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 1), "input")),
			    "x@y..com");
	HOST(&r, "log", "--dir", dir);
	assert_contains(r.out, "arena round 1, code agent 1: +");
	assert_contains(r.out, ", 1 rejected, ");
	/* the naive solution fails every new case; the model's answer none */
	assert_contains(r.out, "email: original 1.0000  grown 0.0000 -> 1.0000");
	assert_null(strstr(r.out, TEST_KEY));
	run_result_free(&r);
	json_decref(cases);
	json_decref(requests);
	task_free(t);
	unlink(prices);
	free(prices);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

/* A usage error: exit 2, the message and where to look, nothing done. */
static void expect_usage(const char *dir, const char *message, char *const argv[])
{
	int tags = tag_count(dir);
	run_result r;

	run_host_with(&r, NULL, argv);
	assert_int_equal(r.status, 2);
	assert_contains(r.err, message);
	assert_contains(r.err, "Try 'host help evolve'.");
	run_result_free(&r);
	assert_lab_intact(dir, tags, tags - 1);
}

static void test_what_the_arena_refuses(void **state)
{
	char *dir = make_lab("arena_refuse", "email"), *path;
	task *snake = harness_task("snake");
	char message[1000];
	run_result r;

	(void)state;
	snprintf(message, sizeof(message), "task snake has no oracle (oracle.c in %s): the arena "
		 "labels every case it grows with one; run it on tasks that have one, e.g. "
		 "--tasks email", snake->dir);
	arena_expect_refused(dir, message, (char *[]){ "host", "evolve", "--dir", dir, "--arena",
		       "--tasks", "snake", NULL });
	expect_usage(dir, "--code-agents, --test-agents, --replace-every, --arena-cap and "
		       "--proposals are for the arena: add --arena",
		       (char *[]){ "host", "evolve", "--dir", dir, "--code-agents", "2", NULL });
	expect_usage(dir, "--parallel and --select are for plain evolve; the arena runs "
		       "--code-agents side by side",
		       (char *[]){ "host", "evolve", "--dir", dir, "--arena", "--parallel", "2",
		       NULL });
	/* agents without a test agent are valid (ABI v1), but cannot hold an arena */
	path = os_path_join(dir, "agent_code/test_agent.c");
	assert_int_equal(unlink(path), 0);
	HOST(&r, "commit", "--dir", dir, "-m", "no test agent");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	arena_expect_refused(dir, "gen_001 has no test agent (test_agent.c): the arena needs one; add "
		       "agent_code/test_agent.c and record it with host commit",
		       (char *[]){ "host", "evolve", "--dir", dir, "--arena", NULL });
	free(path);
	task_free(snake);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

/* The bytes the grown set `cases` takes as the host counts them: each
 * case's input and label as JSON strings. */
static size_t grown_bytes(const json_t *cases)
{
	const json_t *item;
	size_t i, n = 0;

	json_array_foreach(cases, i, item) {
		json_t *both = json_pack("[O, O]", json_object_get(item, "input"),
					 json_object_get(item, "label"));
		n += json_dumpb(both, NULL, 0, JSON_COMPACT);
		json_decref(both);
	}
	return n;
}

/* Cases that would take more than ARENA_GROWN_MAX are over the cap: the
 * jobs a grown set goes into stay within the sandbox's, however long
 * the arena runs. */
static void test_a_grown_set_keeps_within_its_bytes(void **state)
{
	char *tasks = edited_task_copy("arena_long_tasks", "email", "oracle.c",
				       "#define ORACLE_MAX_INPUT 1000",
				       "#define ORACLE_MAX_INPUT 5000");
	char *dir = arena_lab("arena_long", tasks, "tests/arena/long.c"), line[200];
	json_t *cases;
	run_result r;
	size_t n;

	(void)state;
	HOST(&r, "evolve", "--dir", dir, "--arena", "--gens", "1", "--proposals", "200",
	     "--arena-cap", "200");
	if (r.status != 0)
		fail_msg("evolve --arena: %s%s", r.out, r.err);
	run_result_free(&r);
	cases = arena_grown_cases(dir);
	n = json_array_size(cases);
	/* 24 KB a case: the set is full to within one case, and no more */
	assert_true(grown_bytes(cases) <= ARENA_GROWN_MAX);
	assert_true(grown_bytes(cases) > ARENA_GROWN_MAX - 25000);
	HOST(&r, "log", "--dir", dir);
	snprintf(line, sizeof(line), "+%zu cases, 0 rejected, 0 malformed, 0 passed, %zu over "
		 "the cap", n, 200 - n);
	assert_contains(r.out, line);
	run_result_free(&r);
	json_decref(cases);
	assert_int_equal(os_remove_tree(dir), 0);
	assert_int_equal(os_remove_tree(tasks), 0);
	free(dir);
	free(tasks);
}

/* A grown set larger than ARENA_GROWN_MAX in the lab (written by hand,
 * or by an older host) is read cut to it, and the round says so; the
 * arena goes on. */
static void test_a_grown_set_over_its_bytes_is_cut(void **state)
{
	char *dir = make_lab("arena_forged_grown", "email");
	char *file = harness_scratch("arena_forged_email.json"), *input = malloc(1u << 20);
	char *damage[] = { "/bin/sh", "tests/arena/damage_state.sh", dir, "arena/email.json",
			   file, NULL };
	json_t *forged = json_array(), *set, *cases;
	run_result r;
	int i;

	(void)state;
	arena_rounds(dir, "1");
	memset(input, 'a', (1u << 20) - 1);
	input[(1u << 20) - 1] = '\0';
	for (i = 0; i < 80; i++) {  /* 80 MB: more than any job may carry */
		input[0] = (char)('A' + i % 26);
		input[1] = (char)('A' + i / 26);
		json_array_append_new(forged, json_pack("{s:s, s:s, s:i, s:s}", "input", input,
							"label", "0", "round", 1, "test_agent", "t1"));
	}
	set = json_pack("{s:s, s:o}", "task", "email", "cases", forged);
	assert_int_equal(json_dump_file(set, file, JSON_COMPACT), 0);
	json_decref(set);
	run_command(&r, NULL, damage);
	if (r.status != 0)
		fail_msg("damage_state.sh: %s", r.err);
	run_result_free(&r);
	arena_rounds(dir, "1");
	HOST(&r, "log", "--dir", dir);
	assert_contains(r.out, "email: 77 grown cases past the 4 MB a grown set may take were "
			"left out");
	run_result_free(&r);
	cases = arena_grown_cases(dir);
	assert_true(grown_bytes(cases) <= ARENA_GROWN_MAX);
	assert_int_equal(strncmp(json_string_value(json_object_get(json_array_get(cases, 2),
			 "input")), "CA", 2), 0);
	json_decref(cases);
	unlink(file);
	free(file);
	free(input);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

/* A code agent's solution in the lab larger than the host takes from a
 * task agent (70 MB: no job could carry it) is left for the task's
 * initial one, and the round says so. */
static void test_a_solution_too_large_is_not_resumed(void **state)
{
	char *dir = make_lab("arena_forged_solution", "email");
	char *file = harness_scratch("arena_forged_solution.c"), *text = malloc(70u << 20);
	char *damage[] = { "/bin/sh", "tests/arena/damage_state.sh", dir, "solutions/email.c",
			   file, NULL };
	run_result r;

	(void)state;
	arena_rounds(dir, "1");
	memset(text, 'x', 70u << 20);
	memcpy(text, "/*", 2);
	assert_int_equal(os_write_file(file, text, 70u << 20), 0);
	run_command(&r, NULL, damage);
	if (r.status != 0)
		fail_msg("damage_state.sh: %s", r.err);
	run_result_free(&r);
	arena_rounds(dir, "1");
	HOST(&r, "log", "--dir", dir);
	assert_contains(r.out, "c1: 1 solutions too large to take were left for the initial ones");
	run_result_free(&r);
	free(text);
	text = arena_git_show(dir, "main", "solutions/email.c");
	assert_true(strlen(text) < (1u << 20));
	free(text);
	unlink(file);
	free(file);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

void test_group_arena_runs(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_arena_resumes),
		cmocka_unit_test(test_a_round_cut_short_is_made_again),
		cmocka_unit_test(test_the_arena_keeps_its_tasks),
		cmocka_unit_test(test_a_damaged_arena_is_not_resumed),
		cmocka_unit_test(test_the_arena_with_a_model),
		cmocka_unit_test(test_what_the_arena_refuses),
		cmocka_unit_test(test_a_grown_set_keeps_within_its_bytes),
		cmocka_unit_test(test_a_grown_set_over_its_bytes_is_cut),
		cmocka_unit_test(test_a_solution_too_large_is_not_resumed),
	};

	HARNESS_GROUP(t, "arena_runs", tests);
}
