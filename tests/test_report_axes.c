/*
 * test_report_axes.c - the report of a long run, read in the browser:
 * a lab of 60 generations, most of them rejected children of gen_000,
 * whose email scores went from 0.9297 to 0.9346, written here record by
 * record (a run would take minutes to make them). Its task chart has an
 * axis in accuracy fitted to those scores, at round ticks, and says
 * where initial.c (0.65) is; the generations run along x at a regular
 * step; the family tree counts the dead ends beside their parent instead
 * of a fan of 57 edges; the spend is drawn in dollars; and every link
 * opens what it points at (tests/check_report.py, with chromium).
 */
#include "harness.h"

#include "evolve.h"
#include "lab.h"
#include "os.h"
#include "settings.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GENS 60
#define FIRST_ACCEPTED 20      /* a child of gen_000 */
#define LIVE 45                /* a child of gen_020; 51..59 are its children */
#define FAILED_TRAIN 10
#define FAILED_HOLDOUT 11

/* Generation n's parent in the test's lab. */
static int parent_of(int n)
{
	return n == 0 ? -1 : n == LIVE ? FIRST_ACCEPTED : n > 50 ? LIVE : 0;
}

/* Generation n's record: its email scores climb from 0.9297 at gen_000
 * to 0.9346 at the live one, each dead end near its parent's. Some
 * called a model, `priced` (else one whose price is not known). */
static record generation(int n, int priced)
{
	static const double accepted[] = { 0.9297, 0.9321, 0.9346 };
	int parent = parent_of(n), step = n == 0 ? 0 : n == FIRST_ACCEPTED ? 1 : n == LIVE ? 2 : -1;
	double train = step >= 0 ? accepted[step] : parent == LIVE ? 0.9346 - 0.0001 * (n % 3)
		       : 0.9297 + 0.0001 * (n % 3);
	record_task t = { .name = "email", .agent = "ok", .train = train, .holdout = train,
			  .holdout_status = "ok", .fitness = train, .holdout_fitness = train,
			  .evals = 3 };
	record_task start = { .name = "email", .train = 0.65, .holdout = 0.6119,
			      .holdout_status = "ok", .fitness = 0.3, .holdout_fitness = 0.22 };
	record r;

	assert_int_equal(record_init(&r, n, parent, step >= 0 ? RECORD_ACCEPTED : RECORD_REJECTED,
				     step >= 0 ? "better" : "not better", 1), 0);
	if (n == FAILED_TRAIN)
		t.train_failed = "bad_output: its output was wrong or missing";
	if (n == FAILED_HOLDOUT)
		t.holdout_status = "timeout";
	assert_int_equal(record_add_task(&r, &t), 0);
	if (n == 0)
		assert_int_equal(record_add_initial(&r, &start), 0);
	r.fitness = t.train_failed ? 0 : train;
	r.holdout = t.holdout;
	r.has_budget = 1;
	r.budget.evals_per_task = 3;
	r.budget.usd = priced ? 0.0125 * (n % 4) : 0;
	r.budget.llm_calls = n % 4;
	r.budget.tokens_in = 1000 * (n % 4);
	return r;
}

/* $TMPDIR/name: the test's lab of `gens` generations, its tasks the
 * checkout's. */
static char *long_lab(const char *name, int gens, int priced)
{
	char *dir = harness_scratch(name), tasks[PATH_MAX];
	settings keep = { .tasks = "email", .tasks_dir = tasks, .budget = 3 };
	agent_files files;
	lab l;
	int n;

	os_remove_tree(dir);
	assert_non_null(realpath("tasks", tasks));
	assert_int_equal(agents_load(&files, "seed"), 0);
	assert_int_equal(lab_create(&l, dir), 0);
	assert_int_equal(settings_write(&l, &keep), 0);
	for (n = 0; n < gens; n++) {
		record r = generation(n, priced);

		assert_int_equal(evolve_commit(&l, &r, &files, -1, NULL), 0);
		record_free(&r);
	}
	lab_close(&l);
	agents_free(&files);
	return dir;
}

static long number(const json_t *chart, const char *what)
{
	return (long)json_integer_value(json_object_get(chart, what));
}

static void test_a_long_run_reads_well_in_the_browser(void **state)
{
	char *dir, *html, text[512];
	char *check[] = { "/usr/bin/env", "python3", "tests/check_report.py", NULL, "--browser",
			  "/usr/bin/chromium", NULL };
	json_t *summary, *charts, *email, *tree;
	run_result r;

	(void)state;
	if (access("/usr/bin/chromium", X_OK) != 0)
		skip();  /* scripts/deps.sh --tests installs it */
	dir = long_lab("axeslab", GENS, 1);
	html = os_path_join(dir, "report.html");
	HOST(&r, "report", "--dir", dir, "-o", html);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	check[3] = html;
	run_command(&r, NULL, check);
	if (r.status != 0)
		fail_msg("check_report.py: %s%s", r.out, r.err);
	summary = json_loads(r.out, 0, NULL);
	charts = json_object_get(summary, "charts");
	email = json_object_get(charts, "chart-task-email");
	tree = json_object_get(charts, "chart-tree");

	harness_json_texts(text, sizeof(text), email, "ticks");  /* a regular step along x */
	assert_string_equal(text, "0 10 20 30 40 50");
	harness_json_texts(text, sizeof(text), email, "y_labels");  /* fitted to 0.9297 .. 0.9346 */
	assert_string_equal(text, "0.929 0.930 0.931 0.932 0.933 0.934 0.935");
	assert_string_equal(json_string_value(json_object_get(email, "title")),
			    "email (accuracy, higher is better)");
	harness_json_texts(text, sizeof(text), email, "initial_notes");  /* far below: said, not drawn */
	assert_string_equal(text, "initial.c 0.65, below the axis");
	harness_json_texts(text, sizeof(text), email, "legend");
	assert_string_equal(text, "training held-out initial.c");
	assert_int_equal(number(email, "task_points"), GENS);

	/* gen_000 and the two accepted drawn; 48 + 9 dead ends counted */
	assert_int_equal(number(tree, "nodes"), 3);
	assert_int_equal(number(tree, "edges"), 2);
	assert_int_equal(number(tree, "counted"), GENS - 3);

	harness_json_texts(text, sizeof(text), json_object_get(charts, "chart-spend"), "y_labels");
	assert_string_equal(text, "0.00 0.01 0.02 0.03 0.04");  /* dollars, to $0.0375 */
	assert_int_equal(number(json_object_get(charts, "chart-spend"), "bars"), GENS);
	assert_string_equal(json_string_value(json_object_get(summary, "spend")), "chart");

	/* every link resolves (checked), and one of each kind opens */
	assert_true(number(summary, "links") > 4 * GENS);
	assert_true(json_is_true(json_object_get(json_object_get(json_object_get(summary, "browser"),
		"opened"), "diff-0")));
	assert_int_equal(json_object_size(json_object_get(json_object_get(summary, "browser"),
							  "opened")), 4);
	json_decref(summary);
	run_result_free(&r);
	os_remove_tree(dir);
	free(html);
	free(dir);
}

/* A model whose price is not known spent tokens, not dollars: the spend
 * is drawn in tokens, not as an empty chart of $0. */
static void test_spend_without_a_price_is_in_tokens(void **state)
{
	char *dir = long_lab("tokenlab", 6, 0), *html = os_path_join(dir, "report.html"), text[256];
	char *check[] = { "/usr/bin/env", "python3", "tests/check_report.py", html, NULL };
	json_t *summary, *spend;
	run_result r;

	(void)state;
	HOST(&r, "report", "--dir", dir, "-o", html);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	run_command(&r, NULL, check);
	if (r.status != 0)
		fail_msg("check_report.py: %s%s", r.out, r.err);
	summary = json_loads(r.out, 0, NULL);
	spend = json_object_get(json_object_get(summary, "charts"), "chart-spend");
	assert_string_equal(json_string_value(json_object_get(spend, "title")),
			    "spend per generation (tokens; the model's price is not known)");
	harness_json_texts(text, sizeof(text), spend, "y_labels");
	assert_string_equal(text, "0 1000 2000 3000");
	assert_int_equal(number(spend, "bars"), 6);
	json_decref(summary);
	run_result_free(&r);
	os_remove_tree(dir);
	free(html);
	free(dir);
}

void test_group_report_axes(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_long_run_reads_well_in_the_browser),
		cmocka_unit_test(test_spend_without_a_price_is_in_tokens),
	};

	HARNESS_GROUP(t, "report_axes", tests);
}
