/*
 * test_timing.c - speed as a score: tasks/sort and the CPU time the host
 * measures from outside the solution's process.
 *
 * A faster algorithm scores better on held-out inputs; a wrong result
 * fails whatever its speed; and the solutions in tests/timing/, which
 * attack the measurement from inside the sandbox (time spent in a signal
 * handler, a forged clock mark, a forged result claiming a small time, a
 * forged final frame with the correct transcript, saying the driver
 * returned early, the driver's state patched so that it does less work),
 * cannot lower
 * the time they are scored on. Each of them burns a known amount of CPU
 * time by its own clock first, so the assertions are lower bounds, not
 * timings.
 */
#include "harness.h"
#include "lab_fixture.h"

#include "buf.h"
#include "error.h"
#include "eval.h"
#include "os.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPIN_NS 100000000.0  /* as in tests/timing/raw.h */

/* tests/timing/FILE with raw.h before it. */
static char *timing_source(const char *file)
{
	char path[128], *raw = harness_read("tests/timing/raw.h"), *text;
	buf source = BUF_INIT;

	snprintf(path, sizeof(path), "tests/timing/%s", file);
	text = harness_read(path);
	buf_printf(&source, "%s\n%s", raw, text);
	free(raw);
	free(text);
	return buf_detach(&source);
}

static void evaluate(eval_result *r, const char *task_name, const char *file, eval_split split)
{
	task *t = harness_task(task_name);
	char *source = strncmp(file, "tests/", 6) == 0 ? harness_read(file) : timing_source(file);

	assert_int_equal(eval_solution(r, t, file, source, split), 0);
	free(source);
	task_free(t);
}

/* `host bench sort FILE --holdout --json`: the held-out score. */
static double bench_holdout(const char *file)
{
	json_t *out;
	run_result r;
	double score;

	HOST(&r, "bench", "sort", (char *)file, "--holdout", "--json");
	assert_int_equal(r.status, 0);
	out = json_loads(r.out, 0, NULL);
	assert_non_null(out);
	assert_string_equal(json_string_value(json_object_get(out, "holdout_status")), "ok");
	assert_int_equal(json_integer_value(json_object_get(out, "runs")), 5);
	assert_true(json_number_value(json_object_get(out, "cpu_ms")) > 0);
	score = json_number_value(json_object_get(out, "holdout_score"));
	json_decref(out);
	run_result_free(&r);
	return score;
}

static void test_quicksort_beats_insertion_sort_on_held_out(void **state)
{
	double quick = bench_holdout("tests/solutions/sort_quick.c");
	double insertion = bench_holdout("tests/solutions/sort_insertion.c");

	(void)state;
	/* n log n against n^2 on arrays of thousands: far apart, not a race */
	if (!(quick > 0 && quick * 2 < insertion))
		fail_msg("quicksort %g ns per element, insertion sort %g", quick, insertion);
}

static void expect_wrong(const char *code, const char *why)
{
	char *path = harness_scratch("wrong_sort.c");
	run_result r;

	assert_int_equal(os_write_file(path, code, strlen(code)), 0);
	HOST(&r, "bench", "sort", path);
	assert_int_equal(r.status, 1);
	assert_contains(r.out, "status    bad_output");
	assert_contains(r.out, why);
	run_result_free(&r);
	unlink(path);
	free(path);
}

static void test_a_wrong_result_fails_however_fast(void **state)
{
	(void)state;
	expect_wrong("#include \"sort.h\"\nvoid sort_ints(int *a, int n) { (void)a; (void)n; }\n",
		     "case 1 (3000 1 random): the result is not in ascending order");
	expect_wrong("#include \"sort.h\"\n"
		     "void sort_ints(int *a, int n) { for (int i = 0; i < n; i++) a[i] = i; }\n",
		     "case 1 (3000 1 random): the result is in order but is not the input's "
		     "elements");
}

/* glibc's qsort asks the kernel for the machine's memory on its first
 * large sort, a call the sandbox forbids: the sandbox asks first. */
static void test_a_solution_may_use_qsort(void **state)
{
	static const char code[] =
		"#include \"sort.h\"\n#include <stdlib.h>\n"
		"static int cmp(const void *x, const void *y)\n"
		"{ int a = *(const int *)x, b = *(const int *)y; return (a > b) - (a < b); }\n"
		"void sort_ints(int *a, int n) { qsort(a, (size_t)n, sizeof(*a), cmp); }\n";
	task *t = harness_task("sort");
	eval_result r;

	(void)state;
	assert_int_equal(eval_solution(&r, t, "qsort.c", code, EVAL_HOLDOUT), 0);
	assert_int_equal(r.status, SANDBOX_OK);
	assert_int_equal(r.runs, 5);
	assert_true(r.cpu_ns > 0 && r.score > 0);
	eval_result_free(&r);
	task_free(t);
}

static void test_time_in_a_signal_handler_counts(void **state)
{
	eval_result r;

	(void)state;
	evaluate(&r, "sort", "signal_spin.c", EVAL_TRAIN);
	assert_int_equal(r.status, SANDBOX_OK);
	if (r.cpu_ns < SPIN_NS || r.score < SPIN_NS / 18000)
		fail_msg("measured %.0f ns (score %g) for a run that burned %.0f", r.cpu_ns,
			 r.score, SPIN_NS);
	eval_result_free(&r);
}

static void test_a_forged_clock_mark_is_refused(void **state)
{
	eval_result r;

	(void)state;
	evaluate(&r, "sort", "forged_mark.c", EVAL_TRAIN);
	assert_int_equal(r.status, SANDBOX_PROTOCOL_ERROR);
	assert_contains(r.detail, "bad request: the clock was marked twice");
	eval_result_free(&r);
}

/* After lockdown the solution's process writes the host single bytes:
 * a frame of its own, a result claiming a small time, is a forbidden
 * write, and no result. */
static void test_a_forged_result_is_forbidden(void **state)
{
	eval_result r;

	(void)state;
	evaluate(&r, "sort", "forged_result.c", EVAL_TRAIN);
	assert_int_equal(r.status, SANDBOX_FORBIDDEN);
	assert_contains(r.detail, "forbidden system call write");
	assert_true(r.cpu_ns < 0);
	eval_result_free(&r);
}

/* The correct transcript of every case, sent as a final frame on the
 * first call, used to stop the clock there: 1.7 ns an element. */
static void test_a_forged_transcript_is_no_result(void **state)
{
	eval_result r;

	(void)state;
	evaluate(&r, "sort", "forged_transcript.c", EVAL_TRAIN);
	if (r.status != SANDBOX_FORBIDDEN)
		fail_msg("%s (%.0f ns measured): %s", sandbox_status_name(r.status), r.cpu_ns,
			 r.detail);
	assert_contains(r.detail, "forbidden system call write");
	eval_result_free(&r);
}

/* Saying the driver returned, as the runner does, does not end the run
 * with what the transcript holds: the page says the driver never did. */
static void test_ending_early_is_no_result(void **state)
{
	eval_result r;

	(void)state;
	evaluate(&r, "sort", "end_early.c", EVAL_TRAIN);
	assert_int_equal(r.status, SANDBOX_BAD_OUTPUT);
	assert_contains(r.detail, "the solution ended the run before the driver returned");
	eval_result_free(&r);
}

static void test_patching_the_drivers_cases_fails(void **state)
{
	eval_result r;

	(void)state;
	evaluate(&r, "sort", "patch_driver.c", EVAL_HOLDOUT);
	assert_int_equal(r.status, SANDBOX_BAD_OUTPUT);
	eval_result_free(&r);
	evaluate(&r, "sort", "patch_driver.c", EVAL_TRAIN);
	assert_int_equal(r.status, SANDBOX_BAD_OUTPUT);
	assert_contains(r.detail, "case 2 (2000 2 random): the result is in order but is not "
			"the input's elements");
	eval_result_free(&r);
}

/* An untimed task measures nothing, and offers no clock to mark. */
static void test_an_untimed_task_has_no_clock(void **state)
{
	static const char marks[] = "int validate_email(const char *s)\n"
				    "{ (void)s; send_byte('M'); return 0; }\n";
	char *raw = harness_read("tests/timing/raw.h");
	char *code = harness_subst("@RAW@\n#include \"email.h\"\n@MARKS@", "@RAW@", raw,
				   "@MARKS@", marks, NULL);
	task *t = harness_task("email");
	eval_result r;

	(void)state;
	assert_int_equal(eval_solution(&r, t, "initial.c", t->initial_text, EVAL_TRAIN), 0);
	assert_int_equal(r.status, SANDBOX_OK);
	assert_true(r.cpu_ns < 0);
	eval_result_free(&r);
	assert_int_equal(eval_solution(&r, t, "marks.c", code, EVAL_TRAIN), 0);
	assert_int_equal(r.status, SANDBOX_PROTOCOL_ERROR);
	assert_contains(r.detail, "bad request: this job has no clock");
	eval_result_free(&r);
	task_free(t);
	free(code);
	free(raw);
}

static void expect_task_error(const char *name, const char *from, const char *to,
			      const char *message)
{
	char *root = edited_task_copy(name, "sort", "task.json", from, to);
	char *dir = os_path_join(root, "sort");
	task *t = NULL;

	assert_int_equal(task_load_dir(&t, dir), ERR_INVALID);
	assert_contains(err_last(), message);
	free(dir);
	os_remove_tree(root);
	free(root);
}

static void test_timing_errors_name_the_field(void **state)
{
	(void)state;
	expect_task_error("timing_zero", "\"repeats\": 5", "\"repeats\": 0",
			  "task.json: field 'timing.repeats' must be an integer from 1 to 16");
	expect_task_error("timing_many", "\"repeats\": 5", "\"repeats\": 17",
			  "task.json: field 'timing.repeats' must be an integer from 1 to 16");
	expect_task_error("timing_flag", "\"timing\": {\n  \"repeats\": 5\n }",
			  "\"timing\": true", "task.json: field 'timing' must be an object such "
			  "as {\"repeats\": 5}");
}

/* The time is the host's to give, to score.c only: a driver that asks
 * for it does not build, which is the task's fault; a scorer of a task
 * that is not timed is told there is no time. */
static void test_only_the_scorer_of_a_timed_task_gets_the_time(void **state)
{
	char *root = edited_task_copy("driver_clock", "sort", "driver.c", "return 0;\n}",
				      "return (int)transcript_cpu_ns();\n}");
	char *dir = os_path_join(root, "sort");
	task *t;
	eval_result r;

	(void)state;
	assert_int_equal(task_load_dir(&t, dir), 0);
	assert_int_equal(eval_solution(&r, t, "initial.c", t->initial_text, EVAL_TRAIN), 0);
	assert_int_equal(r.status, SANDBOX_TASK_ERROR);
	assert_contains(r.diagnostics, "transcript_cpu_ns");
	eval_result_free(&r);
	task_free(t);
	free(dir);
	os_remove_tree(root);
	free(root);

	root = edited_task_copy("untimed", "sort", "task.json",
				"\"timing\": {\n  \"repeats\": 5\n },", "");
	dir = os_path_join(root, "sort");
	assert_int_equal(task_load_dir(&t, dir), 0);
	assert_int_equal(eval_solution(&r, t, "initial.c", t->initial_text, EVAL_TRAIN), 0);
	assert_int_equal(r.status, SANDBOX_BAD_OUTPUT);
	assert_contains(r.detail, "the run was not timed (task.json needs \"timing\")");
	assert_int_equal(r.runs, 1);
	eval_result_free(&r);
	task_free(t);
	free(dir);
	os_remove_tree(root);
	free(root);
}

static void test_check_task_says_the_task_is_timed(void **state)
{
	run_result r;

	(void)state;
	HOST(&r, "check-task", "tasks/sort");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "task      sort: ns of CPU time per element, lower is better; "
			"8 training and 8 held-out cases\n");
	assert_contains(r.out, "timing    the host measures each run's CPU time; an "
			"evaluation keeps the best of 5 runs\n");
	assert_contains(r.out, " ms of CPU time\n");
	assert_contains(r.out, "tasks/sort is sound\n");
	run_result_free(&r);
}

/* A task whose initial.c does not run is not sound: a misspelt "timing"
 * is refused by name, and without "timing" at all the runs fail. */
static void test_check_task_refuses_a_task_that_cannot_run(void **state)
{
	char *root = edited_task_copy("timng", "sort", "task.json", "\"timing\"", "\"timng\"");
	char *dir = os_path_join(root, "sort");
	run_result r;

	(void)state;
	HOST(&r, "check-task", dir);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "sort/task.json: unknown field 'timng'; did you mean 'timing'?");
	assert_null(strstr(r.out, "is sound"));
	run_result_free(&r);
	free(dir);
	os_remove_tree(root);
	free(root);

	root = edited_task_copy("untimed_check", "sort", "task.json",
				"\"timing\": {\n  \"repeats\": 5\n },", "");
	dir = os_path_join(root, "sort");
	HOST(&r, "check-task", dir);
	assert_int_equal(r.status, 1);
	assert_contains(r.out, "training  initial.c on 8 cases: bad_output (malformed "
			"transcript: the run was not timed");
	assert_contains(r.out, "held-out  initial.c on 8 cases: bad_output");
	assert_contains(r.err, "sort is not sound: initial.c does not run ok on the training "
			"and held-out cases");
	assert_null(strstr(r.out, "is sound"));
	run_result_free(&r);
	free(dir);
	os_remove_tree(root);
	free(root);
}

/* The record of a failed run, as `host show`, `log`, `solution` and the
 * report give it: failed, and why; never a score of 0. */
static void expect_failed_run_shown(char *lab, const char *why)
{
	char *html = os_path_join(lab, "report.html"), *text;
	run_result r;

	HOST(&r, "show", "gen_000", "--dir", lab);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "  sort     train failed (");
	assert_contains(r.out, why);
	assert_null(strstr(r.out, "train 0 "));
	run_result_free(&r);
	HOST(&r, "log", "--dir", lab);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "sort: training run failed (");
	assert_contains(r.out, why);
	run_result_free(&r);
	HOST(&r, "solution", "sort", "--dir", lab);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "every run of a sort solution on the training cases failed");
	run_result_free(&r);
	HOST(&r, "report", "--dir", lab, "-o", html);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	text = harness_read(html);
	assert_contains(text, "<p class=\"failed\">sort: the training run failed (");
	assert_contains(text, "sort: train failed (");
	assert_contains(text, why);
	assert_null(strstr(text, "train 0,"));
	free(text);
	free(html);
}

/* A failed solution scores 0, the best score of a lower-is-better task:
 * it must get no fitness, and the record must say why. */
static void test_a_failed_solution_earns_no_fitness(void **state)
{
	static const char unsorting_agent[] =
		"#include <stdlib.h>\n#include <string.h>\n\n"
		"/* ---- strategy (rewritten by the meta agent) ---- */\n"
		"#define PATIENCE 2\n\n"
		"char *task_agent_improve(const char *initial)\n{\n"
		"\t(void)initial;\n"
		"\treturn strdup(\"#include \\\"sort.h\\\"\\n"
		"void sort_ints(int *a, int n) { (void)a; (void)n; }\\n\");\n}\n";
	char *agents = seed_with_task_agent("unsorting_seed", unsorting_agent);
	char *lab = scratch("unsorting_lab");
	const json_t *sort;
	json_t *note;
	run_result r;

	(void)state;
	HOST(&r, "init", "--dir", lab, "--from", agents, "--tasks", "sort", "--budget", "2");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	git(&r, lab, "notes", "show", "gen_000", NULL);
	note = json_loads(r.out, 0, NULL);
	run_result_free(&r);
	assert_non_null(note);
	sort = json_object_get(json_object_get(note, "tasks"), "sort");
	assert_true(json_number_value(json_object_get(sort, "fitness")) == 0);
	assert_true(json_number_value(json_object_get(sort, "holdout_fitness")) == 0);
	assert_contains(json_string_value(json_object_get(sort, "problem")),
			"the solution failed the host's run on the training cases: malformed "
			"transcript: case 1 (3000 1 random): the result is not in ascending order");
	assert_contains(json_string_value(json_object_get(sort, "train_failed")),
			"bad_output: malformed transcript: case 1 (3000 1 random): the result is "
			"not in ascending order");
	json_decref(note);
	expect_failed_run_shown(lab, "bad_output: malformed transcript: case 1 (3000 1 random)");
	os_remove_tree(lab);
	free(lab);
	os_remove_tree(agents);
	free(agents);
}

void test_group_timing(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quicksort_beats_insertion_sort_on_held_out),
		cmocka_unit_test(test_a_wrong_result_fails_however_fast),
		cmocka_unit_test(test_a_solution_may_use_qsort),
		cmocka_unit_test(test_time_in_a_signal_handler_counts),
		cmocka_unit_test(test_a_forged_clock_mark_is_refused),
		cmocka_unit_test(test_a_forged_result_is_forbidden),
		cmocka_unit_test(test_a_forged_transcript_is_no_result),
		cmocka_unit_test(test_ending_early_is_no_result),
		cmocka_unit_test(test_patching_the_drivers_cases_fails),
		cmocka_unit_test(test_an_untimed_task_has_no_clock),
		cmocka_unit_test(test_timing_errors_name_the_field),
		cmocka_unit_test(test_only_the_scorer_of_a_timed_task_gets_the_time),
		cmocka_unit_test(test_check_task_says_the_task_is_timed),
		cmocka_unit_test(test_check_task_refuses_a_task_that_cannot_run),
		cmocka_unit_test(test_a_failed_solution_earns_no_fitness),
	};

	HARNESS_GROUP(t, "timing", tests);
}
