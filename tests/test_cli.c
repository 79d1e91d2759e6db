/*
 * test_cli.c - bin/host as a user runs it: help, version, every usage
 * error (exit 2, one line and a hint), failures (exit 1) and bench output.
 */
#include "harness.h"

#include "os.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define RUN(r, ...) run_host((r), __VA_ARGS__, (const char *)NULL)

/* Runs host with up to four arguments (NULL ends them early). */
static void expect_usage_error(const char *message, const char *hint,
			       const char *a, const char *b, const char *c,
			       const char *d)
{
	run_result r;

	run_host(&r, a, b, c, d, (const char *)NULL);
	assert_int_equal(r.status, 2);
	assert_contains(r.err, message);
	assert_contains(r.err, hint);
	assert_string_equal(r.out, "");
	run_result_free(&r);
}

static void test_help_and_version(void **state)
{
	run_result r;

	(void)state;
	RUN(&r, "--help");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "usage: host COMMAND");
	assert_contains(r.out, "  bench ");
	assert_contains(r.out, "  help ");
	run_result_free(&r);
	RUN(&r, "--version");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "host 0.");
	run_result_free(&r);
	RUN(&r, "help", "bench");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "usage: host bench TASK [FILE]");
	run_result_free(&r);
	RUN(&r, "bench", "--help");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "--repeat N");
	run_result_free(&r);
}

static void test_usage_errors(void **state)
{
	run_result r;

	(void)state;
	run_host(&r, (const char *)NULL);
	assert_int_equal(r.status, 2);
	assert_contains(r.err, "usage: host COMMAND");
	run_result_free(&r);
	expect_usage_error("host: unknown command 'frobnicate'", "Try 'host --help'.", "frobnicate", NULL, NULL, NULL);
	expect_usage_error("host: unknown option '--frob'", "Try 'host --help'.", "--frob", NULL, NULL, NULL);
	expect_usage_error("host: no command 'nope'", "Try 'host --help'.", "help", "nope", NULL, NULL);
	expect_usage_error("host help: expects one command name", "Try 'host help help'.", "help", "a", "b", NULL);
	expect_usage_error("host bench: missing TASK", "Try 'host help bench'.", "bench", NULL, NULL, NULL);
	expect_usage_error("host bench: unknown option '--frob'", "Try 'host help bench'.", "bench", "snake", "--frob", NULL);
	expect_usage_error("host bench: --repeat expects a positive integer, got 'many'",
			   "Try 'host help bench'.", "bench", "--repeat", "many", NULL);
	expect_usage_error("host bench: --repeat expects a positive integer, got '0'",
			   "Try 'host help bench'.", "bench", "snake", "--repeat=0", NULL);
	expect_usage_error("host bench: --repeat needs a value", "Try 'host help bench'.", "bench", "snake", "--repeat", NULL);
	expect_usage_error("host bench: --json takes no value", "Try 'host help bench'.", "bench", "snake", "--json=yes", NULL);
	expect_usage_error("host bench: unexpected argument 'c.c'", "Try 'host help bench'.", "bench", "snake", "b.c", "c.c");
}

static void test_bench_failures_exit_1(void **state)
{
	run_result r;

	(void)state;
	RUN(&r, "bench", "nope");
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "host bench: no task 'nope' in tasks (tasks: email, snake)");
	run_result_free(&r);
	RUN(&r, "bench", "snake", "tests/solutions/missing.c");
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "tests/solutions/missing.c: no such file");
	run_result_free(&r);
	RUN(&r, "bench", "snake", "--tasks", "tests/no-such-dir");
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "no task 'snake' in tests/no-such-dir");
	run_result_free(&r);
	RUN(&r, "bench", "snake", "tests/hostile/fork_loop.c");
	assert_int_equal(r.status, 1);
	assert_contains(r.out, "status    compile_error");
	assert_contains(r.out, "fork_loop.c:2: error: forbidden symbol 'fork'");
	run_result_free(&r);
}

static void test_bench_text_and_json(void **state)
{
	json_t *obj;
	run_result r;

	(void)state;
	RUN(&r, "bench", "email", "--holdout");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "status    ok");
	assert_contains(r.out, "score     0.65 (accuracy, higher is better)");
	assert_contains(r.out, "held-out  ");
	run_result_free(&r);
	RUN(&r, "bench", "snake", "--json", "--holdout", "--repeat", "3");
	assert_int_equal(r.status, 0);
	obj = json_loads(r.out, 0, NULL);
	assert_non_null(obj);
	assert_string_equal(json_string_value(json_object_get(obj, "task")), "snake");
	assert_string_equal(json_string_value(json_object_get(obj, "status")), "ok");
	assert_true(json_real_value(json_object_get(obj, "score")) > 1);
	assert_true(json_real_value(json_object_get(obj, "holdout_score")) > 1);
	assert_true(json_is_string(json_object_get(obj, "feedback")));
	assert_true(json_is_string(json_object_get(obj, "diagnostics")));
	assert_true(json_real_value(json_object_get(obj, "elapsed_ms")) > 0);
	assert_true(json_real_value(json_object_get(obj, "evals_per_s")) > 0);
	assert_int_equal(json_integer_value(json_object_get(obj, "repeat")), 3);
	json_decref(obj);
	run_result_free(&r);
	RUN(&r, "bench", "snake", "--repeat", "2");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "evaluations/s");
	run_result_free(&r);
}

void test_group_cli(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_bench_failures_exit_1),
		cmocka_unit_test(test_bench_text_and_json),
	};

	HARNESS_GROUP(t, "cli", tests);
}
