/*
 * test_report.c - the HTML report of a real run: well formed, its SVG
 * parses, one chart point per generation, initial.c's line on each
 * task's chart, "offline" for the spend, and headless Chromium renders
 * the charts (a screenshot is kept in tests/artifacts/). Also: -j 2
 * commits the same generations as -j 1. A long run's report is
 * test_report_axes.c.
 */
#include "harness.h"

#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *lab_with_generations(const char *name, const char *gens, const char *jobs)
{
	char *dir = os_path_join(getenv("TMPDIR"), name);
	run_result r;

	os_remove_tree(dir);
	HOST(&r, "init", "--dir", dir, "--budget", "3");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", dir, "--gens", (char *)gens, "-j", (char *)jobs, "--quiet");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	return dir;
}

/* Every chart has the generation numbers along x and a legend; the
 * family tree's depth runs from 0 at the top (gen_000) down. */
static void assert_chart_frames(const json_t *charts)
{
	const char *name;
	const json_t *chart;
	char text[256];

	json_object_foreach((json_t *)charts, name, chart) {
		harness_json_texts(text, sizeof(text), chart, "ticks");
		assert_string_equal(text, "0 1 2 3 4");
		harness_json_texts(text, sizeof(text), chart, "legend");
		assert_true(strlen(text) > 0);
	}
	harness_json_texts(text, sizeof(text), json_object_get(charts, "chart-tree"), "y_labels");
	assert_string_equal(text, "0 1");  /* gen_000 at the top, its children below */
	harness_json_texts(text, sizeof(text), json_object_get(charts, "chart-fitness"), "legend");
	assert_string_equal(text, "accepted rejected invalid interrupted best accepted so far");
	harness_json_texts(text, sizeof(text), json_object_get(charts, "chart-tree"), "legend");
	assert_contains(text, "live a round's siblings");
	harness_json_texts(text, sizeof(text), json_object_get(charts, "chart-task-email"), "legend");
	assert_string_equal(text, "training held-out initial.c");
}

static void test_report_is_well_formed(void **state)
{
	char *dir = lab_with_generations("reportlab", "4", "1");
	char *html = os_path_join(dir, "report.html");
	char *argv[] = { "/usr/bin/env", "python3", "tests/check_report.py", html, NULL };
	json_t *summary, *charts;
	run_result r;

	(void)state;
	HOST(&r, "report", "--dir", dir, "-o", html);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "wrote ");
	run_result_free(&r);
	run_command(&r, NULL, argv);
	if (r.status != 0)
		fail_msg("check_report.py: %s%s", r.out, r.err);
	summary = json_loads(r.out, 0, NULL);
	charts = json_object_get(summary, "charts");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(charts, "chart-fitness"), "points")), 5);
	/* gen_000's four rejected children are counted beside it, not drawn */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(charts, "chart-tree"), "nodes")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(charts, "chart-tree"), "counted")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(charts, "chart-tree"), "edges")), 0);
	/* offline: a line says so, and there is no empty chart */
	assert_null(json_object_get(charts, "chart-spend"));
	assert_string_equal(json_string_value(json_object_get(summary, "spend")), "offline");
	assert_non_null(json_object_get(charts, "chart-task-snake"));
	/* initial.c's level line, where the measure began (gen_000) */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(charts, "chart-task-email"), "initial_lines")), 1);
	assert_int_equal(json_integer_value(json_object_get(summary, "rows")), 5);
	assert_chart_frames(charts);
	json_decref(summary);
	run_result_free(&r);
	/* bad input: no lab, and a file that cannot be written */
	HOST(&r, "report", "--dir", "tests", "-o", html);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "no generations repository here");
	run_result_free(&r);
	HOST(&r, "report", "--dir", dir, "-o", "/nonexistent/dir/report.html");
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "host report: cannot create /nonexistent/dir/report.html");
	run_result_free(&r);
	os_remove_tree(dir);
	free(html);
	free(dir);
}

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* The generations the family tree counts beside their parents ("+4"). */
static int counted(const char *text)
{
	int n = 0, k;

	for (const char *p = text; (p = strstr(p, "<text class=\"counted\"")) != NULL; p++)
		if (sscanf(strchr(p, '>'), ">+%d", &k) == 1)
			n += k;
	return n;
}

static void test_report_renders_in_chromium(void **state)
{
	char *dir, *html, url[4200], shot[64] = "--screenshot=tests/artifacts/report.png";
	char *dump[] = { "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
			 "--dump-dom", url, NULL };
	char *picture[] = { "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
			    "--window-size=1100,1600", shot, url, NULL };
	run_result r;

	(void)state;
	if (access("/usr/bin/chromium", X_OK) != 0)
		skip();  /* scripts/deps.sh --tests installs it */
	dir = lab_with_generations("chromelab", "6", "2");
	html = os_path_join(dir, "report.html");
	HOST(&r, "report", "--dir", dir, "-o", html);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	snprintf(url, sizeof(url), "file://%s", html);
	run_command(&r, NULL, dump);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "id=\"chart-fitness\"");
	assert_contains(r.out, "id=\"chart-task-snake\"");
	assert_contains(r.out, "id=\"chart-task-email\"");
	assert_contains(r.out, "id=\"chart-tree\"");
	assert_contains(r.out, "Spend: none, offline: no generation called a model.");
	assert_null(strstr(r.out, "id=\"chart-spend\""));
	assert_int_equal(count(r.out, "<circle class=\"pt "), 7);
	assert_int_equal(count(r.out, "<circle class=\"node ") + counted(r.out), 7);
	run_result_free(&r);
	mkdir("tests/artifacts", 0755);
	run_command(&r, NULL, picture);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_true(os_is_file("tests/artifacts/report.png"));
	os_remove_tree(dir);
	free(html);
	free(dir);
}

static void test_two_workers_give_the_same_results(void **state)
{
	char *one = lab_with_generations("jobs1", "4", "1"), *two = lab_with_generations("jobs2", "4", "2");
	int g;

	(void)state;
	for (g = 0; g <= 4; g++) {
		char dir[4200], rev[32];
		run_result a, b;
		snprintf(rev, sizeof(rev), "gen_%03d", g);
		snprintf(dir, sizeof(dir), "%s/generations", one);
		{
			char *argv[] = { "/usr/bin/git", "-C", dir, "show", "--format=%s", rev, NULL };
			run_command(&a, NULL, argv);
		}
		snprintf(dir, sizeof(dir), "%s/generations", two);
		{
			char *argv[] = { "/usr/bin/git", "-C", dir, "show", "--format=%s", rev, NULL };
			run_command(&b, NULL, argv);
		}
		assert_int_equal(a.status, 0);
		assert_string_equal(a.out, b.out);  /* status, fitness and the change */
		run_result_free(&a);
		run_result_free(&b);
	}
	os_remove_tree(one);
	os_remove_tree(two);
	free(one);
	free(two);
}

void test_group_report(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_is_well_formed),
		cmocka_unit_test(test_report_renders_in_chromium),
		cmocka_unit_test(test_two_workers_give_the_same_results),
	};

	HARNESS_GROUP(t, "report", tests);
}
