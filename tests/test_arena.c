/*
 * test_arena.c - host evolve --arena: test agents grow email's training
 * cases, every grown case carries the oracle's label, and the grown set's
 * history is in git; proposals the oracle refuses or contradicts are
 * discarded and counted; a test agent that reaches for the oracle or the
 * held-out cases fails like any sandbox escape; populations replace
 * their worst; a run resumes; the report draws the arms race; and what a
 * user can get wrong is refused with a message, the lab intact.
 */
#include "harness.h"
#include "lab_fixture.h"
#include "llm_fixture.h"

#include "buf.h"
#include "oracle.h"
#include "os.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* `git show REV:PATH` of the lab's repository (free() it). */
static char *git_show(const char *dir, const char *rev, const char *path)
{
	char spec[300];
	run_result r;
	char *text;

	snprintf(spec, sizeof(spec), "%s:%s", rev, path);
	git(&r, dir, "show", spec, NULL, NULL);
	if (r.status != 0)
		fail_msg("git show %s: %s", spec, r.err);
	text = strdup(r.out);
	run_result_free(&r);
	return text;
}

/* main's arena/email.json, parsed: its "cases". */
static json_t *grown_cases(const char *dir)
{
	char *text = git_show(dir, "main", "arena/email.json");
	json_t *json = json_loads(text, 0, NULL), *cases;

	free(text);
	assert_non_null(json);
	cases = json_incref(json_object_get(json, "cases"));
	json_decref(json);
	assert_true(json_is_array(cases));
	return cases;
}

/* A lab on email (from the tasks folder `tasks_dir`, NULL: ./tasks) whose
 * agent_code/test_agent.c is tests/arena/NAME, recorded with host
 * commit. */
static char *lab_in(const char *lab_name, const char *tasks_dir, const char *file)
{
	char *dir = tasks_dir ? scratch(lab_name) : make_lab(lab_name, "email");
	char *text, *source, *path;
	task *t = harness_task("email");
	run_result r;

	if (tasks_dir) {
		HOST(&r, "init", "--dir", dir, "--tasks", "email", "--budget", "3", "--tasks-dir",
		     (char *)tasks_dir);
		assert_int_equal(r.status, 0);
		run_result_free(&r);
	}

	text = harness_read(file);
	source = harness_subst(text, "@TASKDIR@", t->dir, NULL);
	path = os_path_join(dir, "agent_code/test_agent.c");
	assert_int_equal(os_write_file(path, source, strlen(source)), 0);
	HOST(&r, "commit", "--dir", dir, "-m", "a test agent of the test's");
	if (r.status != 0)
		fail_msg("commit: %s%s", r.out, r.err);
	run_result_free(&r);
	free(path);
	free(source);
	free(text);
	task_free(t);
	return dir;
}

static char *lab_with_test_agent(const char *lab_name, const char *file)
{
	return lab_in(lab_name, NULL, file);
}

/* The live generation's held-out fitness. */
static double live_holdout(const char *dir)
{
	double holdout;
	run_result r;
	json_t *list;

	HOST(&r, "log", "--dir", (char *)dir, "--json");
	assert_int_equal(r.status, 0);
	list = json_loads(r.out, 0, NULL);
	holdout = json_number_value(json_object_get(json_array_get(list, 0), "holdout"));
	json_decref(list);
	run_result_free(&r);
	return holdout;
}

/* Plain evolve's best held-out fitness on email after `gens` generations. */
static double plain_holdout(int gens)
{
	char *dir = make_lab("arena_plain", "email"), n[16];
	double holdout;
	run_result r;

	snprintf(n, sizeof(n), "%d", gens);
	HOST(&r, "evolve", "--dir", dir, "--gens", n);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	holdout = live_holdout(dir);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
	return holdout;
}

static void test_the_arena_grows_email_with_oracle_labels(void **state)
{
	char *dir = make_lab("arena_grow", "email");
	task *t = harness_task("email");
	json_t *cases, *item;
	const char **inputs;
	char **labels;
	run_result r;
	size_t i, n;

	(void)state;
	HOST(&r, "evolve", "--dir", dir, "--arena", "--gens", "10");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "evolve --arena: 10 rounds, tasks email");
	assert_contains(r.out, "  arena round 2: c1; +8 cases (0 rejected by the oracle), grown set 16\n");
	run_result_free(&r);
	cases = grown_cases(dir);
	n = json_array_size(cases);
	assert_true(n >= 20);  /* up to 8 a round; the naive validator fails plenty */
	inputs = calloc(n, sizeof(*inputs));
	labels = calloc(n, sizeof(*labels));
	json_array_foreach(cases, i, item) {
		inputs[i] = json_string_value(json_object_get(item, "input"));
		assert_non_null(inputs[i]);
		assert_string_equal(json_string_value(json_object_get(item, "test_agent")), "t1");
		assert_true(json_integer_value(json_object_get(item, "round")) >= 1);
		assert_true(json_integer_value(json_object_get(item, "round")) <= 10);
	}
	/* every grown case carries exactly the oracle's label */
	assert_int_equal(oracle_label(t, inputs, n, labels), 0);
	json_array_foreach(cases, i, item) {
		assert_non_null(labels[i]);
		assert_string_equal(json_string_value(json_object_get(item, "label")), labels[i]);
		free(labels[i]);
	}
	/* the grown set's history: one commit a round on main */
	git(&r, dir, "log", "--oneline", "--", "arena/email.json");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_001: accepted");
	assert_contains(r.out, "gen_010: accepted");
	run_result_free(&r);
	HOST(&r, "log", "--dir", dir);
	assert_contains(r.out, "arena round 10, code agent 1: +");
	assert_contains(r.out, "  email: original ");
	run_result_free(&r);
	assert_fsck_clean(dir);
	/* and its solution does no worse held-out than plain evolve's, on the
	 * same budget */
	assert_true(live_holdout(dir) >= plain_holdout(10) - 1e-9);
	free(inputs);
	free(labels);
	json_decref(cases);
	task_free(t);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

static void test_wrong_labels_are_discarded_and_counted(void **state)
{
	char *dir = lab_with_test_agent("arena_liar", "tests/arena/liar.c");
	json_t *cases;
	run_result r;

	(void)state;
	HOST(&r, "evolve", "--dir", dir, "--arena", "--gens", "1");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "log", "--dir", dir);
	/* two labelled proposals, each run on the one code agent's solution */
	assert_contains(r.out, "arena round 1, code agent 1: +1 cases, 2 rejected by the "
			"oracle, 3 malformed, 1 passed, 0 over the cap (2 checks); grown set 1\n");
	run_result_free(&r);
	cases = grown_cases(dir);
	assert_int_equal(json_array_size(cases), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 0), "input")),
			    "user name@example.com");
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 0), "label")),
			    "0");
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 0), "reason")),
			    "a space");
	json_decref(cases);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

static void test_a_test_agent_cannot_read_the_oracle_or_held_out(void **state)
{
	char *dir = make_lab("arena_include", "email"), *text, *source, *path;
	task *t = harness_task("email");
	run_result r;
	json_t *cases;

	(void)state;
	/* compiling it: the includes are refused, and validation says so */
	text = harness_read("tests/arena/include_oracle.c");
	source = harness_subst(text, "@TASKDIR@", t->dir, NULL);
	path = os_path_join(dir, "agent_code/test_agent.c");
	assert_int_equal(os_write_file(path, source, strlen(source)), 0);
	free(path);
	path = os_path_join(dir, "agent_code");
	HOST(&r, "validate", path);
	assert_int_equal(r.status, 1);
	assert_contains(r.out, "compile     fail\n  test_agent.c:3: error: include file '");
	assert_contains(r.out, "/oracle.c' not found\n");
	assert_contains(r.out, "not valid (stopped at compile)");
	run_result_free(&r);
	free(path);
	free(source);
	free(text);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
	/* running it: its raw open is killed, the round goes on without it */
	dir = lab_with_test_agent("arena_open", "tests/arena/open_holdout.c");
	HOST(&r, "evolve", "--dir", dir, "--arena", "--gens", "1");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "log", "--dir", dir);
	assert_contains(r.out, "+0 cases");
	assert_contains(r.out, "t1: the agent made a forbidden call (");
	run_result_free(&r);
	cases = grown_cases(dir);
	assert_int_equal(json_array_size(cases), 0);
	json_decref(cases);
	assert_int_equal(tag_count(dir), 3);
	task_free(t);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

/* An input the oracle crashes on is refused, like one it declines; the
 * round goes on with the others. */
static void test_an_input_the_oracle_cannot_label_is_refused(void **state)
{
	char *tasks = edited_task_copy("arena_crash_tasks", "email", "oracle.c",
				       "\tif (strlen(input) > ORACLE_MAX_INPUT",
				       "\tif (strstr(input, \"crash\"))\n\t\t*(volatile int *)0 = 1;\n"
				       "\tif (strlen(input) > ORACLE_MAX_INPUT");
	char *dir = lab_in("arena_crash", tasks, "tests/arena/two.c");
	json_t *cases;
	run_result r;

	(void)state;
	HOST(&r, "evolve", "--dir", dir, "--arena", "--gens", "1");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "log", "--dir", dir);
	assert_contains(r.out, "arena round 1, code agent 1: +1 cases, 1 rejected by the oracle");
	run_result_free(&r);
	cases = grown_cases(dir);
	assert_int_equal(json_array_size(cases), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 0), "input")),
			    "user name@example.com");
	json_decref(cases);
	assert_int_equal(os_remove_tree(dir), 0);
	assert_int_equal(os_remove_tree(tasks), 0);
	free(dir);
	free(tasks);
}

static void test_populations_replace_their_worst(void **state)
{
	char *dir = make_lab("arena_pop", "email"), *text;
	json_t *arena, *coders, *testers;
	run_result r;

	(void)state;
	HOST(&r, "evolve", "--dir", dir, "--arena", "--gens", "3", "--code-agents", "2",
	     "--test-agents", "2", "--replace-every", "2");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "2 code agents, 2 test agents");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 1 + 3 * 2);
	HOST(&r, "log", "--all", "--dir", dir);
	/* rounds 1 and 2 replace nothing; round 3 does */
	assert_contains(r.out, "arena round 3, code agent 1");
	assert_contains(r.out, "c3 replaced c");
	assert_contains(r.out, "t3 replaced t");
	run_result_free(&r);
	text = git_show(dir, "main", "arena/state.json");
	arena = json_loads(text, 0, NULL);
	coders = json_object_get(arena, "code_agents");
	testers = json_object_get(arena, "test_agents");
	assert_int_equal(json_array_size(coders), 2);
	assert_int_equal(json_array_size(testers), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(coders, 1), "name")),
			    "c3");
	assert_string_equal(json_string_value(json_object_get(json_array_get(testers, 1), "name")),
			    "t3");
	assert_int_equal(json_integer_value(json_object_get(arena, "round")), 3);
	free(text);
	text = git_show(dir, "main", "arena/t3.c");
	assert_contains(text, "test_agent_propose");
	free(text);
	json_decref(arena);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

static void test_the_arena_resumes(void **state)
{
	char *dir = make_lab("arena_resume", "email");
	json_t *before, *after;
	run_result r;
	size_t i;

	(void)state;
	HOST(&r, "evolve", "--dir", dir, "--arena", "--gens", "2");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	before = grown_cases(dir);
	HOST(&r, "evolve", "--dir", dir, "--arena", "--gens", "1");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_003  parent gen_002  accepted");
	run_result_free(&r);
	HOST(&r, "show", "gen_003", "--dir", dir);
	assert_contains(r.out, "arena round 3, code agent 1:");
	run_result_free(&r);
	after = grown_cases(dir);
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

static void expect_refused(const char *dir, const char *message, char *const argv[]);

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

/* The arena resumes on its own tasks only: with another set, a grown set
 * and the solutions of a task left out would be lost. */
static void test_the_arena_keeps_its_tasks(void **state)
{
	char *tasks = edited_task_copy("arena_two_tasks", "email", "task.json", "\"metric\"",
				       "\"metric\"");
	char *dir = scratch("arena_tasks");
	run_result r;

	(void)state;
	HOST(&r, "new-task", "mail", "--like", "email", "--tasks-dir", tasks);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "init", "--dir", dir, "--tasks", "email", "--budget", "3", "--tasks-dir", tasks);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", dir, "--arena");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	expect_refused(dir, "the arena in this lab runs on email (gen_001); run it with --tasks "
		       "email", (char *[]){ "host", "evolve", "--dir", dir, "--arena", "--tasks",
		       "email,mail", NULL });
	assert_int_equal(os_remove_tree(dir), 0);
	assert_int_equal(os_remove_tree(tasks), 0);
	free(dir);
	free(tasks);
}

static void test_the_report_draws_the_arms_race(void **state)
{
	char *dir = make_lab("arena_report", "email"), *html = harness_scratch("arena_report.html");
	char *check[] = { "/usr/bin/python3", "tests/check_report.py", html, NULL };
	json_t *summary, *chart;
	run_result r;

	(void)state;
	HOST(&r, "evolve", "--dir", dir, "--arena", "--gens", "3");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "report", "--dir", dir, "-o", html);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	run_command(&r, NULL, check);
	assert_int_equal(r.status, 0);
	summary = json_loads(r.out, 0, NULL);
	chart = json_object_get(json_object_get(summary, "charts"), "chart-arena-email");
	assert_non_null(chart);
	/* a round: four scores (the grown set's before and after the round's
	 * answer) and the cases it added */
	assert_int_equal(json_integer_value(json_object_get(chart, "points")), 3 * 4);
	assert_int_equal(json_integer_value(json_object_get(chart, "bars")), 3);
	assert_int_equal(json_array_size(json_object_get(chart, "ticks")), 3);
	assert_string_equal(json_string_value(json_array_get(json_object_get(chart, "legend"), 1)),
			    "grown set");
	json_decref(summary);
	run_result_free(&r);
	unlink(html);
	free(html);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

/* The scripted model's test agent replies: three proposals in prose and
 * a fence, one with a label the oracle contradicts; then no proposals. */
static json_t *test_agent_replies(void)
{
	static const char proposals[] =
		"Here are three inputs this validator accepts wrongly:\n```json\n"
		"[{\"input\": \"user name@example.com\", \"label\": false, \"reason\": \"a space "
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
	cases = grown_cases(dir);
	for (i = 0; i < t->n_holdout; i++)
		assert_false(shows_case(prompt, t->holdout[i].input) &&
			     !is_training(t, cases, t->holdout[i].input));
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 0), "input")),
			    "user name@example.com");
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 0), "reason")),
			    "a space in the local part");
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 1), "input")),
			    "x@y..com");
	HOST(&r, "log", "--dir", dir);
	assert_contains(r.out, "arena round 1, code agent 1: +");
	assert_contains(r.out, ", 1 rejected by the oracle, ");
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

static void expect_refused(const char *dir, const char *message, char *const argv[])
{
	int tags = tag_count(dir);

	expect_failure(message, argv);
	assert_lab_intact(dir, tags, tags - 1);
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
	expect_refused(dir, message, (char *[]){ "host", "evolve", "--dir", dir, "--arena",
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
	expect_refused(dir, "gen_001 has no test agent (test_agent.c): the arena needs one; add "
		       "agent_code/test_agent.c and record it with host commit",
		       (char *[]){ "host", "evolve", "--dir", dir, "--arena", NULL });
	free(path);
	task_free(snake);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

void test_group_arena(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_arena_grows_email_with_oracle_labels),
		cmocka_unit_test(test_wrong_labels_are_discarded_and_counted),
		cmocka_unit_test(test_a_test_agent_cannot_read_the_oracle_or_held_out),
		cmocka_unit_test(test_an_input_the_oracle_cannot_label_is_refused),
		cmocka_unit_test(test_populations_replace_their_worst),
		cmocka_unit_test(test_the_arena_resumes),
		cmocka_unit_test(test_the_arena_keeps_its_tasks),
		cmocka_unit_test(test_a_round_cut_short_is_made_again),
		cmocka_unit_test(test_the_report_draws_the_arms_race),
		cmocka_unit_test(test_the_arena_with_a_model),
		cmocka_unit_test(test_what_the_arena_refuses),
	};

	HARNESS_GROUP(t, "arena", tests);
}
