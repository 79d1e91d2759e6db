/*
 * test_initial.c - the starting point: each task's initial.c as the host
 * scores it, kept once per measure of the lab (by host init in gen_000,
 * by evolve in a parent it measures again) and shown by host log, host
 * show and the report; a lab made before host kept it shows none, never
 * a wrong number. The figures are checked against the task's own
 * evaluation of its initial.c, made here.
 */
#include "lab_fixture.h"

#include "buf.h"
#include "eval.h"
#include "os.h"
#include "print.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "initial.c 0.65 (held-out 0.6119)": email's initial.c scored here, as
 * the commands print it. */
static void email_initial(char *out, size_t size)
{
	task *t = harness_task("email");
	eval_result train, holdout;
	char a[32], b[32];

	assert_int_equal(eval_solution(&train, t, "solution.c", t->initial_text, EVAL_TRAIN), 0);
	assert_int_equal(eval_solution(&holdout, t, "solution.c", t->initial_text, EVAL_HOLDOUT), 0);
	assert_int_equal(train.status, SANDBOX_OK);
	assert_int_equal(holdout.status, SANDBOX_OK);
	snprintf(out, size, "%s (held-out %s)", cli_score(a, train.score),
		 cli_score(b, holdout.score));
	eval_result_free(&train);
	eval_result_free(&holdout);
	task_free(t);
}

/* Runs host with `argv` (argv[0] ignored) and returns its stdout, after
 * checking that it exited 0. */
static char *host_out(char *const argv[])
{
	run_result r;
	char *out;

	run_host_with(&r, NULL, argv);
	if (r.status != 0)
		fail_msg("host %s: exit %d: %s", argv[1], r.status, r.err);
	out = strdup(r.out);
	run_result_free(&r);
	return out;
}

/* Whether generation `gen`'s note holds initial.c's scores. */
static int note_has_initial(const char *dir, const char *gen)
{
	run_result r;
	json_t *note;
	int has;

	git(&r, dir, "notes", "show", gen, NULL);
	assert_int_equal(r.status, 0);
	note = json_loads(r.out, 0, NULL);
	assert_non_null(note);
	has = json_object_get(note, "initial") != NULL;
	json_decref(note);
	run_result_free(&r);
	return has;
}

/* Writes gen_000's note again without initial.c's scores: a lab made
 * before host kept them. */
static void forget_initial(const char *dir)
{
	char *path = os_path_join(dir, "note.json"), *gen = os_path_join(dir, "generations"), *text;
	char *argv[] = { "/usr/bin/git", "-C", gen, "notes", "add", "-f", "-F", path, "gen_000",
			 NULL };
	json_t *note;
	run_result r;

	git(&r, dir, "notes", "show", "gen_000", NULL);
	note = json_loads(r.out, 0, NULL);
	run_result_free(&r);
	assert_int_equal(json_object_del(note, "initial"), 0);
	text = json_dumps(note, JSON_SORT_KEYS);
	assert_int_equal(os_write_file(path, text, strlen(text)), 0);
	run_command(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(unlink(path), 0);
	free(text);
	free(path);
	free(gen);
	json_decref(note);
}

/* Ends with `line`, a whole line. */
static void assert_last_line(const char *out, const char *line)
{
	size_t n = strlen(out), m = strlen(line);

	if (n < m || strcmp(out + n - m, line) != 0 || (n > m && out[n - m - 1] != '\n'))
		fail_msg("expected the last line to be:\n%sgot:\n%s", line, out);
}

/* init scores initial.c, and log and show say it, for every generation
 * of its measure; a parent measured again scores it again, and a revert
 * has its target's, not a copy. */
static void test_the_starting_point_is_scored_and_shown(void **state)
{
	char *dir = make_lab("initial", "email"), expect[80], line[200], *out;
	char *log[] = { "host", "log", "--dir", dir, NULL };
	char *show0[] = { "host", "show", "gen_000", "--dir", dir, NULL };
	char *show1[] = { "host", "show", "gen_001", "--dir", dir, NULL };
	char *evolve[] = { "host", "evolve", "--gens", "1", "--dir", dir, "--quiet", NULL };
	char *remeasure[] = { "host", "evolve", "--gens", "1", "--budget", "4", "--dir", dir,
			      "--quiet", NULL };
	char *revert[] = { "host", "revert", "gen_001", "--dir", dir, NULL };

	(void)state;
	email_initial(expect, sizeof(expect));
	snprintf(line, sizeof(line), "initial.c: email %s\n", expect);
	assert_last_line(out = host_out(log), line);
	free(out);
	snprintf(line, sizeof(line), "\n  email    train 0.7  held-out 0.6269  (3 evaluations, "
		 "agent ok)\n           initial.c %s\n", expect);
	assert_contains(out = host_out(show0), line);
	free(out);
	assert_true(note_has_initial(dir, "gen_000"));

	free(host_out(evolve));  /* gen_001: a candidate, of gen_000's measure */
	assert_false(note_has_initial(dir, "gen_001"));
	snprintf(line, sizeof(line), "\n           initial.c %s\n", expect);
	assert_contains(out = host_out(show1), line);
	free(out);

	free(host_out(remeasure));  /* gen_002 measures gen_000 again; gen_003 its child */
	assert_true(note_has_initial(dir, "gen_002"));
	assert_false(note_has_initial(dir, "gen_003"));
	snprintf(line, sizeof(line), "initial.c (scored again at gen_002): email %s\n", expect);
	assert_last_line(out = host_out(log), line);
	free(out);

	free(host_out(revert));  /* gen_004 repeats gen_001, of gen_000's measure */
	assert_false(note_has_initial(dir, "gen_004"));
	snprintf(line, sizeof(line), "initial.c: email %s\n", expect);
	assert_last_line(out = host_out(log), line);
	free(out);
	os_remove_tree(dir);
	free(dir);
}

/* A lab whose notes have no initial.c scores (made before host kept
 * them) shows none: no line in log or show, no mark in the report. */
static void test_a_lab_without_the_starting_point_shows_none(void **state)
{
	char *dir = make_lab("noinitial", "email"), *html = os_path_join(dir, "r.html"), *out;
	char *log[] = { "host", "log", "--dir", dir, NULL };
	char *show[] = { "host", "show", "--dir", dir, NULL };
	char *report[] = { "host", "report", "--dir", dir, "-o", html, NULL };

	(void)state;
	forget_initial(dir);
	assert_false(note_has_initial(dir, "gen_000"));
	out = host_out(log);
	assert_null(strstr(out, "initial.c"));
	assert_contains(out, "LLM spend: 0 calls");
	free(out);
	out = host_out(show);
	assert_null(strstr(out, "           initial.c"));
	assert_contains(out, "  email    train 0.7  held-out 0.6269  (3 evaluations, agent ok)\n");
	free(out);
	free(host_out(report));
	out = harness_read(html);
	assert_null(strstr(out, "class=\"initial"));
	assert_null(strstr(out, ">initial.c</text>"));  /* no legend key for it */
	free(out);
	os_remove_tree(dir);
	free(html);
	free(dir);
}

/* An initial.c that crashes has no score, on training or held-out:
 * log, show and the report say it failed and how, never 0. */
static void test_a_failed_starting_point_reads_as_failed(void **state)
{
	char *tasks = edited_task_copy("crashing", "email", "initial.c",
				       "\tconst char *at = strchr(s, '@');\n",
				       "\tconst char *at = *(const char **)8;\n");
	char *dir = os_path_join(tasks, "lab"), *html = os_path_join(tasks, "r.html"), *out;
	char *init[] = { "host", "init", "--dir", dir, "--tasks-dir", tasks, "--tasks", "email",
			 "--budget", "2", NULL };
	char *log[] = { "host", "log", "--dir", dir, NULL };
	char *show[] = { "host", "show", "--dir", dir, NULL };
	char *report[] = { "host", "report", "--dir", dir, "-o", html, NULL };

	(void)state;
	free(host_out(init));
	out = host_out(log);
	assert_contains(out, "\ninitial.c: email failed (crash: ");
	assert_contains(out, ") (held-out failed: crash)\n");
	free(out);
	out = host_out(show);
	assert_contains(out, "\n           initial.c failed (crash: ");
	free(out);
	free(host_out(report));
	out = harness_read(html);
	assert_contains(out, ">initial.c failed<title>initial.c, as gen_000 scored it: failed "
			"(crash: ");
	free(out);
	os_remove_tree(tasks);
	free(html);
	free(dir);
	free(tasks);
}

void test_group_initial(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_starting_point_is_scored_and_shown),
		cmocka_unit_test(test_a_lab_without_the_starting_point_shows_none),
		cmocka_unit_test(test_a_failed_starting_point_reads_as_failed),
	};

	HARNESS_GROUP(t, "initial", tests);
}
