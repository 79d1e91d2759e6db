/*
 * test_task.c - loading task folders: a good one loads, and each kind of
 * mistake in task.json or the folder is reported with file and field.
 */
#include "harness.h"

#include "error.h"
#include "nearest.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char good_json[] =
	"{\"name\": \"t\", \"description\": \"d\", \"metric\": \"accuracy\",\n"
	" \"direction\": \"higher\", \"header\": \"email.h\", \"entry\": [\"validate_email\"],\n"
	" \"baseline\": 0.5, \"target\": 1,\n"
	" \"budget\": {\"wall_ms\": 1000, \"cpu_ms\": 1000, \"memory_mb\": 32},\n"
	" \"train\": [{\"input\": \"a@b.cc\", \"label\": true}, \"x\"],\n"
	" \"holdout\": {\"range\": [1, 3]}}\n";

/* Makes $TMPDIR/tasks/t from the email task's files and `json`, without
 * `skip` (a file name or NULL). Returns the tasks root. */
static char *make_task(const char *json, const char *skip)
{
	static const char *const files[] = { "email.h", "initial.c", "driver.c", "score.c" };
	char *root = os_path_join(getenv("TMPDIR"), "tasks");
	char *dir = os_path_join(root, "t");
	size_t i;

	mkdir(root, 0700);
	mkdir(dir, 0700);
	for (i = 0; i < 4; i++) {
		char from[256], *to = os_path_join(dir, files[i]), *text;
		snprintf(from, sizeof(from), "tasks/email/%s", files[i]);
		text = harness_read(from);
		if (!skip || strcmp(skip, files[i]) != 0)
			assert_int_equal(os_write_file(to, text, strlen(text)), 0);
		free(text);
		free(to);
	}
	{
		char *path = os_path_join(dir, "task.json");
		assert_int_equal(os_write_file(path, json, strlen(json)), 0);
		free(path);
	}
	free(dir);
	return root;
}

/* Loading must fail with a message containing `expect`. */
static void expect_error(const char *json, const char *skip, const char *expect)
{
	char *root = make_task(json, skip);
	task *t = (task *)1;

	assert_true(task_load(&t, root, "t") < 0);
	assert_null(t);
	assert_contains(err_last(), expect);
	os_remove_tree(root);
	free(root);
}

/* good_json with `from` replaced by `to`. */
static char *edited(const char *from, const char *to)
{
	const char *at = strstr(good_json, from);
	buf out = BUF_INIT;

	assert_non_null(at);
	buf_append(&out, good_json, (size_t)(at - good_json));
	buf_printf(&out, "%s%s", to, at + strlen(from));
	return buf_detach(&out);
}

static void test_good_task_loads(void **state)
{
	char *root = make_task(good_json, NULL), *json;
	task *t;

	(void)state;
	assert_int_equal(task_load(&t, root, "t"), 0);
	assert_string_equal(t->name, "t");
	assert_int_equal(t->n_train, 2);
	assert_string_equal(t->train[0].label, "1");
	assert_null(t->train[1].label);
	assert_int_equal(t->n_holdout, 3);
	assert_string_equal(t->holdout[2].input, "3");
	assert_int_equal(t->budget.memory_mb, 32);
	assert_true(t->higher_is_better);
	assert_int_equal(t->model_calls, 0);  /* its solutions ask no model */
	task_free(t);
	os_remove_tree(root);
	free(root);
	json = edited("\"target\": 1", "\"target\": 1, \"model\": {\"calls_per_case\": 2}");
	root = make_task(json, NULL);
	assert_int_equal(task_load(&t, root, "t"), 0);
	assert_int_equal(t->model_calls, 2);
	task_free(t);
	os_remove_tree(root);
	free(root);
	free(json);
}

static void test_field_errors_name_the_field(void **state)
{
	static const struct { const char *from, *to, *expect; } cases[] = {
		{ "\"metric\": \"accuracy\",", "", "task.json: field 'metric' is missing" },
		{ "\"wall_ms\": 1000", "\"wall_ms\": \"fast\"",
		  "field 'budget.wall_ms' must be a positive integer" },
		{ "\"memory_mb\": 32", "\"memory_mb\": -1",
		  "field 'budget.memory_mb' must be a positive integer" },
		{ "\"higher\"", "\"up\"", "field 'direction' must be \"higher\" or \"lower\"" },
		{ "[\"validate_email\"]", "[]", "field 'entry' must be a list of 1 to 32" },
		{ "\"target\": 1", "\"target\": 0.5", "field 'target' must be different" },
		{ "\"target\": 1", "\"target\": \"high\"", "field 'target' must be a number" },
		{ "{\"range\": [1, 3]}", "{\"range\": [3, 1]}", "'range' must be [first, last]" },
		{ "{\"range\": [1, 3]}", "{\"file\": \"held.json\"}", "cases file 'held.json' not found" },
		{ "{\"range\": [1, 3]}", "[]", "field 'holdout' must be a non-empty set of cases" },
		{ "\"x\"]", "{\"input\": 5}]", "case 2 must be a string" },
		{ "\"header\": \"email.h\"", "\"header\": \"nothere.h\"", "nothere.h: missing file" },
		{ "\"name\": \"t\",", "\"name\": \"t\",,", "task.json:1:" },
		{ "\"target\": 1", "\"target\": 1, \"default\": \"no\"",
		  "field 'default' must be true or false" },
		{ "\"target\": 1", "\"target\": 1, \"model\": {\"calls_per_case\": 0}",
		  "task.json: field 'model.calls_per_case' must be an integer from 1 to 16" },
		{ "\"target\": 1", "\"target\": 1, \"model\": {\"calls_per_case\": 1.5}",
		  "field 'model.calls_per_case' must be an integer from 1 to 16" },
		{ "\"target\": 1", "\"target\": 1, \"model\": {}",
		  "field 'model.calls_per_case' is missing" },
		{ "\"target\": 1", "\"target\": 1, \"model\": true",
		  "field 'model' must be an object such as {\"calls_per_case\": 1}" },
		{ "\"target\": 1", "\"target\": 1, \"timing\": [5]",
		  "field 'timing' must be an object such as {\"repeats\": 5}" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *json = edited(cases[i].from, cases[i].to);
		expect_error(json, NULL, cases[i].expect);
		free(json);
	}
}

/* A misspelt field is refused, at every level, naming the nearest known
 * one: ignored, "timng" would leave a timed task untimed. */
static void test_unknown_fields_name_the_nearest(void **state)
{
	static const struct { const char *from, *to, *expect; } cases[] = {
		{ "\"baseline\"", "\"timng\": {\"repeats\": 5}, \"baseline\"",
		  "t/task.json: unknown field 'timng'; did you mean 'timing'?" },
		{ "\"metric\"", "\"metirc\"", "unknown field 'metirc'; did you mean 'metric'?" },
		{ "\"wall_ms\"", "\"wal_ms\"",
		  "unknown field 'budget.wal_ms'; did you mean 'budget.wall_ms'?" },
		{ "\"baseline\"", "\"timing\": {\"repeat\": 5}, \"baseline\"",
		  "unknown field 'timing.repeat'; did you mean 'timing.repeats'?" },
		{ "{\"range\": [1, 3]}", "{\"range\": [1, 3], \"fiel\": \"x.json\"}",
		  "unknown field 'holdout.fiel'; did you mean 'holdout.file'?" },
		{ "\"baseline\"", "\"model\": {\"calls_per_cas\": 1}, \"baseline\"",
		  "unknown field 'model.calls_per_cas'; did you mean 'model.calls_per_case'?" },
		{ "\"label\": true}", "\"lable\": true}",
		  "task.json: field 'train': case 1: unknown field 'lable'; did you mean 'label'?" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *json = edited(cases[i].from, cases[i].to);
		expect_error(json, NULL, cases[i].expect);
		free(json);
	}
	assert_int_equal(nearest_distance("timng", "timing"), 1);
	assert_int_equal(nearest_distance("lable", "label"), 1);  /* a swap is one edit */
	assert_int_equal(nearest_distance("kitten", "sitting"), 3);
	assert_int_equal(nearest_distance("", "abc"), 3);
	assert_int_equal(nearest_distance("same", "same"), 0);
	/* a command line's guess: only for a slip */
	{
		const char *const options[] = { "--gens", "--repeat", "--dir", NULL };
		const char *const commands[] = { "status", "show", "evolve", NULL };

		assert_string_equal(nearest_slip("--reapet", options), "--repeat");
		assert_string_equal(nearest_slip("statsu", commands), "status");
		assert_null(nearest_slip("--frob", options));
		assert_null(nearest_slip("xyz", commands));
	}
}

static void test_missing_files_are_named(void **state)
{
	(void)state;
	expect_error(good_json, "driver.c", "t/driver.c: missing file");
	expect_error(good_json, "score.c", "t/score.c: missing file");
	expect_error(good_json, "initial.c", "t/initial.c: missing file");
}

static void test_unknown_task_lists_the_known_ones(void **state)
{
	task *t;

	(void)state;
	assert_int_equal(task_load(&t, "tasks", "nope"), ERR_NOTFOUND);
	assert_contains(err_last(), "no task 'nope' in tasks (tasks: circles, email, snake, sort, "
			"support)");
	assert_true(task_load(&t, "tasks", "../tasks") < 0);
	assert_contains(err_last(), "is not a task name");
}

/* With no tasks named, a run leaves out the timed ones and those marked
 * "default": false, unless nothing would be left. */
static void test_a_default_run_keeps_the_default_tasks(void **state)
{
	static const char *const names[] = { "circles", "email", "sort", "snake" };
	task *tasks[4];
	size_t i, n = 4;

	(void)state;
	for (i = 0; i < n; i++)
		tasks[i] = harness_task(names[i]);
	task_keep_defaults(tasks, &n);
	assert_int_equal(n, 2);
	assert_string_equal(tasks[0]->name, "email");
	assert_string_equal(tasks[1]->name, "snake");
	task_free(tasks[0]);
	task_free(tasks[1]);
	tasks[0] = harness_task("circles");
	tasks[1] = harness_task("sort");
	n = 2;
	task_keep_defaults(tasks, &n);
	assert_int_equal(n, 2);
	task_free(tasks[0]);
	task_free(tasks[1]);
}

/* Inputs a driver takes as the same case: one key, whatever the
 * whitespace around and between words or the spelling of a decimal
 * integer. */
static void test_inputs_compare_as_a_driver_takes_them(void **state)
{
	static const task_case held[] = { { "1042", NULL }, { "0", NULL }, { "-5", NULL },
					  { " a@b.cc\t", NULL }, { "3500 101 random", NULL } };
	static const char *const same[] = { "1042", " +01042\n", "-0", "+0", "-005", "a@b.cc",
					    "\ra@b.cc ", "3500  101 random", "+3500\t0101 random" };
	static const char *const other[] = { "104", "10 42", "1042x", "5", "0x0", "A@b.cc",
					     "a @b.cc", "", "3500 101", "3500 101 randomly" };
	task_inputs set;
	size_t i;
	int has;

	(void)state;
	assert_int_equal(task_inputs_make(&set, held, 5), 0);
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		assert_int_equal(task_inputs_has(&has, &set, same[i]), 0);
		if (!has)
			fail_msg("'%s' should be a held case", same[i]);
	}
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		assert_int_equal(task_inputs_has(&has, &set, other[i]), 0);
		if (has)
			fail_msg("'%s' should not be a held case", other[i]);
	}
	task_inputs_free(&set);
}

void test_group_task(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_task_loads),
		cmocka_unit_test(test_field_errors_name_the_field),
		cmocka_unit_test(test_unknown_fields_name_the_nearest),
		cmocka_unit_test(test_missing_files_are_named),
		cmocka_unit_test(test_unknown_task_lists_the_known_ones),
		cmocka_unit_test(test_a_default_run_keeps_the_default_tasks),
		cmocka_unit_test(test_inputs_compare_as_a_driver_takes_them),
	};

	HARNESS_GROUP(t, "task", tests);
}
