/*
 * test_sandbox.c - hostile solutions are contained with the right outcome,
 * the host carries on, and nothing outside the sandbox changes.
 *
 * The cases are files in tests/hostile/; raw_*.c ones make system calls
 * with the syscall instruction (x86-64), which no link-time check sees,
 * and get tests/hostile/raw.h prepended.
 */
#include "harness.h"

#include "eval.h"
#include "error.h"
#include "os.h"
#include "sandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files outside any sandbox that the cases try to create (@CANARY@) or
 * delete (@VICTIM@); the test puts them in its own scratch directory. */
static char canary[4096], victim[4096];

typedef struct {
	const char *file;
	sandbox_status status;
	const char *expect;  /* in the diagnostics (compile errors) or the detail */
} hostile_case;

static const hostile_case hostile_cases[] = {
	{ "infinite_loop.c", SANDBOX_TIMEOUT, "deadline" },
	{ "fork_loop.c", SANDBOX_COMPILE_ERROR, "fork_loop.c:2: error: forbidden symbol 'fork'" },
	{ "socket_connect.c", SANDBOX_COMPILE_ERROR, "forbidden symbol 'socket'" },
	{ "execve_sh.c", SANDBOX_COMPILE_ERROR, "forbidden symbol 'execve'" },
	{ "files.c", SANDBOX_COMPILE_ERROR, "forbidden symbol 'fopen'" },
	{ "getenv_key.c", SANDBOX_COMPILE_ERROR, "forbidden symbol 'getenv'" },
	{ "environ.c", SANDBOX_COMPILE_ERROR, "forbidden symbol 'environ'" },
	{ "exit_half.c", SANDBOX_COMPILE_ERROR, "forbidden symbol 'exit'" },
	{ "fake_score.c", SANDBOX_COMPILE_ERROR, "forbidden symbol 'printf'" },
	{ "memory_bomb.c", SANDBOX_MEMORY, "memory limit" },
	{ "stack_overflow.c", SANDBOX_CRASH, "SIGSEGV" },
	{ "segfault.c", SANDBOX_CRASH, "SIGSEGV" },
	{ "abort.c", SANDBOX_CRASH, "SIGABRT" },
	{ "env_scan.c", SANDBOX_CRASH, "SIGSEGV" },
#if defined(__x86_64__)
	{ "raw_open.c", SANDBOX_FORBIDDEN, "forbidden system call open" },
	{ "raw_create.c", SANDBOX_FORBIDDEN, "forbidden system call creat" },
	{ "raw_unlink.c", SANDBOX_FORBIDDEN, "forbidden system call unlink" },
	{ "raw_fork.c", SANDBOX_FORBIDDEN, "forbidden system call fork" },
	{ "raw_socket.c", SANDBOX_FORBIDDEN, "forbidden system call socket" },
	{ "raw_execve.c", SANDBOX_FORBIDDEN, "forbidden system call execve" },
	{ "raw_kill.c", SANDBOX_FORBIDDEN, "forbidden system call kill" },
	{ "raw_exit.c", SANDBOX_BAD_OUTPUT, "without a result" },
	{ "raw_end_early.c", SANDBOX_BAD_OUTPUT,
	  "the solution ended the run before the driver returned" },
	{ "raw_flood.c", SANDBOX_FORBIDDEN, "forbidden system call write" },
	{ "raw_fake_score.c", SANDBOX_OK, "ok" },
#endif
};

/* Appends `text` with the @CANARY@ and @VICTIM@ placeholders filled in. */
static void fill_paths(buf *out, const char *text)
{
	const char *p;

	while ((p = strchr(text, '@')) != NULL) {
		buf_append(out, text, (size_t)(p - text));
		if (strncmp(p, "@CANARY@", 8) == 0 || strncmp(p, "@VICTIM@", 8) == 0) {
			buf_puts(out, p[1] == 'C' ? canary : victim);
			text = p + 8;
		} else {
			buf_append(out, p, 1);
			text = p + 1;
		}
	}
	buf_puts(out, text);
}

static char *hostile_source(const char *file)
{
	char path[256];
	char *text, *raw = NULL;
	buf source = BUF_INIT;

	snprintf(path, sizeof(path), "tests/hostile/%s", file);
	text = harness_read(path);
	if (strncmp(file, "raw_", 4) == 0) {
		raw = harness_read("tests/hostile/raw.h");
		buf_puts(&source, raw);
	}
	fill_paths(&source, text);
	free(raw);
	free(text);
	return buf_detach(&source);
}

static void check_case(task *t, const hostile_case *c)
{
	/* CPU time can never outrun wall time: the deadline decides timeouts */
	sandbox_limits limits = { 1000, 3000, 64 };
	char *source = hostile_source(c->file);
	eval_result r;

	assert_int_equal(eval_solution_limits(&r, t, c->file, source, EVAL_TRAIN, &limits), 0);
	if (r.status != c->status)
		fail_msg("%s: expected %s, got %s (%s)", c->file, sandbox_status_name(c->status),
			 sandbox_status_name(r.status), r.detail);
	if (c->status == SANDBOX_COMPILE_ERROR)
		assert_contains(r.diagnostics, c->expect);
	else
		assert_contains(r.detail, c->expect);
	if (c->status == SANDBOX_OK)  /* printed fake scores change nothing */
		assert_true(r.score == 0.05);
	eval_result_free(&r);
	free(source);
}

static void test_hostile_corpus_is_contained(void **state)
{
	task *t = harness_task("snake");
	struct stat before, after;
	eval_result r;
	size_t i;

	(void)state;
	snprintf(canary, sizeof(canary), "%s/canary", getenv("TMPDIR"));
	snprintf(victim, sizeof(victim), "%s/victim", getenv("TMPDIR"));
	assert_int_equal(os_write_file(victim, "keep", 4), 0);
	assert_int_equal(stat(victim, &before), 0);
	setenv("HOST_TEST_SECRET", "sk-test-must-not-leak", 1);
	setenv("OPENAI_API_KEY", "sk-test-must-not-leak", 1);
	sandbox_stop();  /* the next sandbox starts from this environment */
	for (i = 0; i < sizeof(hostile_cases) / sizeof(hostile_cases[0]); i++)
		check_case(t, &hostile_cases[i]);
	unsetenv("HOST_TEST_SECRET");
	unsetenv("OPENAI_API_KEY");
	/* nothing outside the sandbox changed */
	assert_int_equal(access(canary, F_OK), -1);
	assert_int_equal(stat(victim, &after), 0);
	assert_true(before.st_mtime == after.st_mtime && after.st_size == 4);
	unlink(victim);
	/* and the host carries on */
	assert_int_equal(eval_solution(&r, t, "initial.c", t->initial_text, EVAL_TRAIN), 0);
	assert_int_equal(r.status, SANDBOX_OK);
	assert_true(r.score > 1.0);
	eval_result_free(&r);
	task_free(t);
}

static void test_cpu_limit_is_a_timeout(void **state)
{
	task *t = harness_task("snake");
	sandbox_limits limits = { 10000, 1000, 64 };
	char *source = hostile_source("infinite_loop.c");
	eval_result r;

	(void)state;
	assert_int_equal(eval_solution_limits(&r, t, "loop.c", source, EVAL_TRAIN, &limits), 0);
	assert_int_equal(r.status, SANDBOX_TIMEOUT);
	assert_contains(r.detail, "CPU time limit");
	eval_result_free(&r);
	free(source);
	task_free(t);
}

static void set_driver(task *t, const char *text)
{
	free(t->driver_text);
	t->driver_text = strdup(text);
	assert_non_null(t->driver_text);
}

/* The zygote compiles a task's driver once; every child still starts
 * from the driver as compiled, and a driver that does not compile is
 * reported like any compile error without harming later evaluations. */
static void test_drivers_are_compiled_once_and_start_fresh(void **state)
{
	static const char stateful[] =
		"#include \"email.h\"\n"
		"static int runs;  /* one evaluation must not see another's */\n"
		"int driver_run(const char *const *inputs, int n)\n"
		"{\n\tint i;\n\n\truns++;\n"
		"\tfor (i = 0; i < n; i++)\n"
		"\t\ttranscript_write((validate_email(inputs[i]) != 0) == (runs == 1) ? \"1\" : \"0\", 1);\n"
		"\treturn 0;\n}\n";
	static const char broken[] =
		"#include \"email.h\"\n"
		"int driver_run(const char *const *inputs, int n)\n"
		"{\n\treturn undeclared_thing;\n}\n";
	task *t = harness_task("email");
	char *good = strdup(t->driver_text);
	eval_result r;
	int i;

	(void)state;
	set_driver(t, stateful);
	for (i = 0; i < 3; i++) {
		assert_int_equal(eval_solution(&r, t, "initial.c", t->initial_text, EVAL_TRAIN), 0);
		assert_int_equal(r.status, SANDBOX_OK);
		assert_true(r.score == 0.65);
		eval_result_free(&r);
	}
	set_driver(t, broken);
	assert_int_equal(eval_solution(&r, t, "initial.c", t->initial_text, EVAL_TRAIN), 0);
	assert_int_equal(r.status, SANDBOX_TASK_ERROR);  /* the task's fault, not the solution's */
	assert_contains(r.diagnostics, "driver.c:4: error:");
	assert_contains(r.diagnostics, "undeclared_thing");
	eval_result_free(&r);
	set_driver(t, good);
	assert_int_equal(eval_solution(&r, t, "initial.c", t->initial_text, EVAL_TRAIN), 0);
	assert_int_equal(r.status, SANDBOX_OK);
	assert_true(r.score == 0.65);
	eval_result_free(&r);
	free(good);
	task_free(t);
}

/* Entry points become macros in the driver, so they must be C names. */
static void test_entry_point_must_be_a_c_name(void **state)
{
	sandbox_limits limits = { 1000, 1000, 16 };
	json_t *job = json_pack("{s:s, s:{s:[{s:s, s:s}], s:[s]}, s:{s:[{s:s, s:s}]},"
				" s:[s], s:i}", "kind", "solution",
				"solution", "sources", "name", "s.c", "text", "int f;",
				"entry", "f) x; (", "driver", "sources", "name", "driver.c",
				"text", "int driver_run(void) { return 0; }", "cases", "a",
				"transcript_max", 100);
	sandbox_outcome out;

	(void)state;
	assert_true(sandbox_run(&out, job, &limits, NULL, NULL) < 0);
	assert_contains(err_last(), "an entry point is not a C name");
	sandbox_outcome_free(&out);
	json_decref(job);
}

static void test_bad_job_is_a_host_error(void **state)
{
	sandbox_limits limits = { 1000, 1000, 16 };
	json_t *job = json_pack("{s:s}", "kind", "nonsense");
	sandbox_outcome out;

	(void)state;
	assert_true(sandbox_run(&out, job, &limits, NULL, NULL) < 0);
	assert_contains(err_last(), "unknown kind");
	sandbox_outcome_free(&out);
	json_decref(job);
}

static void test_missing_runner_is_reported(void **state)
{
	sandbox_limits limits = { 1000, 1000, 16 };
	json_t *job = json_pack("{s:s}", "kind", "solution");
	char path[4096];
	sandbox_outcome out;

	(void)state;
	sandbox_stop();
	assert_int_equal(sandbox_set_runner("/nonexistent/host-sandbox"), 0);
	assert_true(sandbox_run(&out, job, &limits, NULL, NULL) < 0);
	assert_contains(err_last(), "/nonexistent/host-sandbox");
	sandbox_outcome_free(&out);
	json_decref(job);
	snprintf(path, sizeof(path), "%s/host-sandbox", harness_bin());
	assert_int_equal(sandbox_set_runner(path), 0);
}

void test_group_sandbox(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_corpus_is_contained),
		cmocka_unit_test(test_cpu_limit_is_a_timeout),
		cmocka_unit_test(test_drivers_are_compiled_once_and_start_fresh),
		cmocka_unit_test(test_entry_point_must_be_a_c_name),
		cmocka_unit_test(test_bad_job_is_a_host_error),
		cmocka_unit_test(test_missing_runner_is_reported),
	};

	HARNESS_GROUP(t, "sandbox", tests);
}
