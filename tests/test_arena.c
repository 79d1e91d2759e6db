/*
 * test_arena.c - host evolve --arena, what its acceptance asks: test
 * agents grow email's training cases, every grown case carries the
 * oracle's label and the grown set's history is in git; proposals the
 * oracle refuses, contradicts or cannot label are discarded and counted;
 * a test agent that reaches for the oracle or the held-out cases fails
 * like any sandbox escape; populations replace their worst; the report
 * draws the arms race. test_arena_runs.c has the rest.
 */
#include "harness.h"
#include "arena_fixture.h"
#include "lab_fixture.h"

#include "oracle.h"
#include "os.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	assert_contains(r.out, "  arena round 2: c1; +8 cases (0 rejected), grown set 16\n");
	run_result_free(&r);
	cases = arena_grown_cases(dir);
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
	/* the tuner's answer to round 1 lost on email's own cases: not taken */
	git(&r, dir, "notes", "show", "gen_001", NULL);
	assert_contains(r.out, "kept its solution: the task agent's scored 0.6 on the task's own "
			"cases, worse than its 0.7");
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
	char *dir = arena_lab("arena_liar", NULL, "tests/arena/liar.c"), *log;
	json_t *cases;

	(void)state;
	log = arena_rounds_log(dir, "1");
	/* two labelled proposals, each run on the one code agent's solution */
	/* one case is "+1 case", in the log's round line and the record's reason */
	assert_contains(log, "arena round 1, code agent 1: +1 case, 2 rejected, 3 malformed"
			", 1 passed, 0 over the cap (2 checks); grown set 1\n");
	assert_contains(log, "arena round 1: c1; +1 case (2 rejected), grown set 1\n");
	free(log);
	cases = arena_grown_cases(dir);
	assert_int_equal(json_array_size(cases), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 0), "input")),
			    "user name@example.org");
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
	char *dir = make_lab("arena_include", "email"), *text, *source, *path, *log;
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
	dir = arena_lab("arena_open", NULL, "tests/arena/open_holdout.c");
	log = arena_rounds_log(dir, "1");
	assert_contains(log, "+0 cases");
	assert_contains(log, "t1: the agent made a forbidden call (");
	free(log);
	cases = arena_grown_cases(dir);
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
	char *dir = arena_lab("arena_crash", tasks, "tests/arena/two.c"), *log;
	json_t *cases;

	(void)state;
	log = arena_rounds_log(dir, "1");
	assert_contains(log, "arena round 1, code agent 1: +1 case, 1 rejected");
	free(log);
	cases = arena_grown_cases(dir);
	assert_int_equal(json_array_size(cases), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 0), "input")),
			    "user name@example.org");
	json_decref(cases);
	assert_int_equal(os_remove_tree(dir), 0);
	assert_int_equal(os_remove_tree(tasks), 0);
	free(dir);
	free(tasks);
}

/* `text` as a C string literal: quotes, backslashes and every byte
 * outside printable ASCII escaped (free() it). */
static char *c_literal(const char *text)
{
	char *out = malloc(4 * strlen(text) + 3), *at = out;

	*at++ = '"';
	for (; *text; text++) {
		unsigned char c = (unsigned char)*text;
		if (c == '"' || c == '\\')
			at += sprintf(at, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			at += sprintf(at, "\\%03o", c);
		else
			*at++ = (char)c;
	}
	strcpy(at, "\"");
	return out;
}

/* The JSON text of an item proposing `input` spelled in \u escapes,
 * which read back as `input` itself; NULL when it is not ASCII. */
static char *escaped_item(const char *input)
{
	char *out = malloc(6 * strlen(input) + 32), *at = out;

	at += sprintf(at, "{\"input\": \"");
	for (; *input; input++) {
		if ((unsigned char)*input >= 0x80) {
			free(out);
			return NULL;
		}
		at += sprintf(at, "\\u%04x", (unsigned char)*input);
	}
	strcpy(at, "\"}");
	return out;
}

/* Every held-out input of `t` as a proposal, as it is, with whitespace
 * around it and in JSON escapes, then one case that breaks the naive
 * solution; *n counts the held-out ones (JSON text, free() it). */
static char *holdout_proposals(const task *t, int *n)
{
	json_t *list = json_array();
	char *text, *items, *item, *all;
	size_t i, len;

	*n = 0;
	for (i = 0; i < t->n_holdout; i++) {
		json_array_append_new(list, json_pack("{s:s}", "input", t->holdout[i].input));
		json_array_append_new(list, json_pack("{s:s++}", "input", " ",
						      t->holdout[i].input, "\n"));
		*n += 2;
	}
	json_array_append_new(list, json_pack("{s:s, s:s}", "input", "user name@example.org",
					      "reason", "a space"));
	text = json_dumps(list, JSON_COMPACT);
	len = strlen(text);
	items = calloc(1, 1);
	for (i = 0; i < t->n_holdout; i++) {
		if (!(item = escaped_item(t->holdout[i].input)))
			continue;
		items = realloc(items, strlen(items) + strlen(item) + 2);
		strcat(strcat(items, item), ",");
		free(item);
		++*n;
	}
	all = malloc(len + strlen(items) + 1);  /* the escaped items first */
	sprintf(all, "[%s%s", items, text + 1);
	free(items);
	free(text);
	json_decref(list);
	return all;
}

/* A held-out input, or one a driver would take as the same case, is
 * refused before the oracle labels it, counted like any refusal, and
 * never joins the grown set. */
static void test_held_out_inputs_are_refused(void **state)
{
	char *dir = make_lab("arena_holdout", "email"), *text = harness_read("tests/arena/holdout.c");
	task *t = harness_task("email");
	char *proposals, *literal, *source, expected[200];
	json_t *cases;
	run_result r;
	int n;

	(void)state;
	proposals = holdout_proposals(t, &n);
	literal = c_literal(proposals);
	source = harness_subst(text, "@PROPOSALS@", literal, NULL);
	arena_set_test_agent(dir, source);
	HOST(&r, "evolve", "--dir", dir, "--arena", "--gens", "1", "--proposals", "1000",
	     "--arena-cap", "1000");
	if (r.status != 0)
		fail_msg("evolve --arena: %s%s", r.out, r.err);
	run_result_free(&r);
	HOST(&r, "log", "--dir", dir);
	snprintf(expected, sizeof(expected), "arena round 1, code agent 1: +1 case, %d rejected, "
		 "0 malformed, 0 passed, 0 over the cap (1 check); grown set 1\n", n);
	assert_contains(r.out, expected);
	run_result_free(&r);
	cases = arena_grown_cases(dir);
	assert_int_equal(json_array_size(cases), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 0), "input")),
			    "user name@example.org");
	json_decref(cases);
	free(source);
	free(literal);
	free(proposals);
	free(text);
	task_free(t);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
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
	text = arena_git_show(dir, "main", "arena/state.json");
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
	text = arena_git_show(dir, "main", "arena/t3.c");
	assert_contains(text, "test_agent_propose");
	free(text);
	json_decref(arena);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

static void test_the_report_draws_the_arms_race(void **state)
{
	char *dir = make_lab("arena_report", "email"), *html = harness_scratch("arena_report.html");
	char *check[] = { "/usr/bin/python3", "tests/check_report.py", html, NULL };
	json_t *summary, *chart;
	run_result r;

	(void)state;
	arena_rounds(dir, "3");
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

void test_group_arena(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_arena_grows_email_with_oracle_labels),
		cmocka_unit_test(test_wrong_labels_are_discarded_and_counted),
		cmocka_unit_test(test_a_test_agent_cannot_read_the_oracle_or_held_out),
		cmocka_unit_test(test_an_input_the_oracle_cannot_label_is_refused),
		cmocka_unit_test(test_held_out_inputs_are_refused),
		cmocka_unit_test(test_populations_replace_their_worst),
		cmocka_unit_test(test_the_report_draws_the_arms_race),
	};

	HARNESS_GROUP(t, "arena", tests);
}
