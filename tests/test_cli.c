/*
 * test_cli.c - bin/host as a user runs it: help, version, every usage
 * error (exit 2, one line and a hint), failures (exit 1) and bench output.
 */
#include "harness.h"
#include "lab_fixture.h"

#include "agents.h"
#include "os.h"

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	RUN(&r, "help", "bench");  /* the manual page; test_docs.c has the rest */
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "SYNOPSIS\n       host bench TASK [FILE]");
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
	expect_usage_error("host: unknown command 'frobnicate'\n", "Try 'host --help'.", "frobnicate", NULL, NULL, NULL);
	expect_usage_error("host: unknown option '--frob'", "Try 'host --help'.", "--frob", NULL, NULL, NULL);
	expect_usage_error("host help: no manual page for 'nope'", "Try 'host help help'.", "help", "nope", NULL, NULL);
	expect_usage_error("host: unknown command 'evolv'; did you mean 'evolve'?", "", "evolv", NULL, NULL, NULL);
	expect_usage_error("host evolve: unknown option '--gen'; did you mean '--gens'?", "", "evolve", "--gen", "3", NULL);
	expect_usage_error("host help: expects one command name", "Try 'host help help'.", "help", "a", "b", NULL);
	expect_usage_error("host bench: missing TASK", "Try 'host help bench'.", "bench", NULL, NULL, NULL);
	expect_usage_error("host bench: unknown option '--frob'\n", "Try 'host help bench'.", "bench", "snake", "--frob", NULL);
	expect_usage_error("host bench: --repeat expects an integer from 1 to 1000000, got 'many'",
			   "Try 'host help bench'.", "bench", "--repeat", "many", NULL);
	expect_usage_error("host bench: --repeat expects an integer from 1 to 1000000, got '0'",
			   "Try 'host help bench'.", "bench", "snake", "--repeat=0", NULL);
	expect_usage_error("host bench: --repeat needs a value", "Try 'host help bench'.", "bench", "snake", "--repeat", NULL);
	expect_usage_error("host bench: --json takes no value", "Try 'host help bench'.", "bench", "snake", "--json=yes", NULL);
	expect_usage_error("host bench: unexpected argument 'c.c'", "Try 'host help bench'.", "bench", "snake", "b.c", "c.c");
}

/* Every numeric option refuses a value outside the range of the arithmetic
 * it feeds, naming the option and the range; nothing runs. */
static void test_numeric_options_are_range_checked(void **state)
{
	static const struct { const char *cmd, *opt, *value, *message; } cases[] = {
		{ "evolve", "--budget", "1073742",
		  "--budget expects an integer from 1 to 1000000, got '1073742'" },
		{ "init", "--budget", "1073742",
		  "--budget expects an integer from 1 to 1000000, got '1073742'" },
		{ "improve", "--budget", "2147483648",
		  "--budget expects an integer from 1 to 1000000, got '2147483648'" },
		{ "evolve", "--gens", "1000000", "--gens expects an integer from 1 to 999999" },
		{ "evolve", "--seed", "18446744073709551615",
		  "--seed expects an integer from 0 to 9223372036854775807" },
		{ "init", "--seed", "9223372036854775808",
		  "--seed expects an integer from 0 to 9223372036854775807" },
		{ "rewrite", "--seed", "-1", "--seed expects an integer from 0 to 9223372036854775807" },
		{ "evolve", "-j", "65", "-j expects an integer from 1 to 64, got '65'" },
		{ "evolve", "--jobs", "0", "--jobs expects an integer from 1 to 64, got '0'" },
		{ "evolve", "--parallel", "0", "--parallel expects an integer from 1 to 64, got '0'" },
		{ "evolve", "--parallel", "many", "--parallel expects an integer from 1 to 64" },
		{ "init", "--llm-concurrency", "65",
		  "--llm-concurrency expects an integer from 1 to 64, got '65'" },
		{ "bench", "--repeat", "1000001", "--repeat expects an integer from 1 to 1000000" },
		{ "evolve", "--max-usd", "nan", "--max-usd expects a number from 0 to 1000000, got 'nan'" },
		{ "improve", "--max-usd", "-1", "--max-usd expects a number from 0 to 1000000, got '-1'" },
		{ "rewrite", "--max-usd", "inf", "--max-usd expects a number from 0 to 1000000" },
		{ "evolve", "--max-tokens", "0", "--max-tokens expects an integer from 1 to 1000000000" },
		{ "improve", "--llm-calls", "10001", "--llm-calls expects an integer from 1 to 10000" },
		{ "evolve", "--utility", "time=nan",
		  "--utility weights are numbers from 0 to 1000, got 'time=nan'" },
		{ "init", "--utility", "score=-1",
		  "--utility weights are numbers from 0 to 1000, got 'score=-1'" },
		{ "evolve", "--utility", "cost", "--utility expects NAME=NUMBER pairs, got 'cost'" },
	};
	char hint[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(hint, sizeof(hint), "Try 'host help %s'.", cases[i].cmd);
		expect_usage_error(cases[i].message, hint, cases[i].cmd, cases[i].opt,
				   cases[i].value, NULL);
	}
}

static void test_bench_failures_exit_1(void **state)
{
	run_result r;

	(void)state;
	RUN(&r, "bench", "nope");
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "host bench: no task 'nope' in tasks (tasks: circles, email, snake, "
			"sort, support)");
	run_result_free(&r);
	RUN(&r, "bench", "snake", "tests/solutions/missing.c");
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "tests/solutions/missing.c: no such file");
	run_result_free(&r);
	RUN(&r, "bench", "snake", "--tasks-dir", "tests/no-such-dir");
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "the tasks folder tests/no-such-dir does not exist");
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
	/* scores print as log and show print them: four decimals, no more */
	assert_contains(r.out, "held-out  0.6119\n");
	run_result_free(&r);
	RUN(&r, "bench", "circles");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "score     2.3309 (sum of radii, higher is better)");
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

/* Writes the seed, with `name` replaced by `text` when given, to
 * $TMPDIR/NAME and returns that path (free() it). */
static char *agent_dir(const char *dir_name, const char *name, const char *text)
{
	char *dir = os_path_join(getenv("TMPDIR"), dir_name);
	agent_files f;

	assert_int_equal(agents_load(&f, "seed"), 0);
	if (name)
		assert_int_equal(agents_set(&f, name, text), 0);
	assert_int_equal(agents_write(&f, dir), 0);
	agents_free(&f);
	return dir;
}

static void test_validate_command(void **state)
{
	char *broken = agent_dir("broken", "task_agent.c", "char *task_agent_improve(const char *s) { return 0 }\n");
	char *odd = agent_dir("odd", NULL, NULL), *odd_file = os_path_join(odd, "Notes.txt");
	json_t *obj;
	run_result r;

	(void)state;
	RUN(&r, "validate", "seed");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "compile     pass\nsymbols     pass  (exports: gi_same, gi_is_name, "
			"gi_operator_at, gi_ops, gi_draw, gi_apply, gi_describe, gi_free, gi_parse, "
			"gi_places, gi_improve, meta_generations, meta_gi_rewrite, meta_note, "
			"meta_agent_rewrite, meta_model_rewrite, meta_cut, meta_shorten, meta_append, meta_use_reply, "
			"meta_prompt, task_agent_improve, task_model_improve, test_agent_propose)\n"
			"signatures  pass\nsmoke       pass\nseed: valid\n");
	run_result_free(&r);
	RUN(&r, "validate", broken);
	assert_int_equal(r.status, 1);
	assert_contains(r.out, "compile     fail\n  task_agent.c:1: error:");
	assert_contains(r.out, "symbols     skipped");
	assert_contains(r.out, "not valid (stopped at compile)");
	run_result_free(&r);
	RUN(&r, "validate", broken, "--json");
	obj = json_loads(r.out, 0, NULL);
	assert_non_null(obj);
	assert_true(json_is_false(json_object_get(obj, "valid")));
	assert_string_equal(json_string_value(json_object_get(obj, "failed_stage")), "compile");
	json_decref(obj);
	run_result_free(&r);
	assert_int_equal(os_write_file(odd_file, "x", 1), 0);
	RUN(&r, "validate", odd);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "'Notes.txt' is not an agent file");
	run_result_free(&r);
	RUN(&r, "validate", "tests/no-such-agent");
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "host validate: tests/no-such-agent: no such agent directory");
	run_result_free(&r);
	expect_usage_error("host validate: unexpected argument 'b'", "Try 'host help validate'.",
			   "validate", "a", "b", NULL);
	os_remove_tree(broken);
	os_remove_tree(odd);
	free(broken);
	free(odd);
	free(odd_file);
}

static void test_improve_command(void **state)
{
	char *out = os_path_join(getenv("TMPDIR"), "improved.c"), *text;
	run_result r;

	(void)state;
	expect_usage_error("host improve: missing TASK", "Try 'host help improve'.",
			   "improve", NULL, NULL, NULL);
	expect_usage_error("host improve: --budget expects an integer from 1 to 1000000, got '0'",
			   "Try 'host help improve'.", "improve", "snake", "--budget", "0");
	expect_usage_error("host improve: --seed expects an integer from 0 to 9223372036854775807, "
			   "got '-1'",
			   "Try 'host help improve'.", "improve", "snake", "--seed", "-1");
	RUN(&r, "improve", "nope");
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "no task 'nope'");
	run_result_free(&r);
	RUN(&r, "improve", "email", "--agent", "tests/no-such-agent");
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "no such agent directory");
	run_result_free(&r);
	RUN(&r, "improve", "email", "--budget", "4", "--agent", "seed", "-o", out);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "budget    4 evaluations, 4 used");
	assert_contains(r.out, "initial   train 0.65");
	assert_contains(r.out, "improved  train ");
	text = harness_read(out);
	assert_contains(text, "validate_email");
	free(text);
	run_result_free(&r);
	unlink(out);
	free(out);
}

static void test_rewrite_command(void **state)
{
	char *out = os_path_join(getenv("TMPDIR"), "candidate");
	char *full = agent_dir("full", NULL, NULL), *kept, *text, *seed_text;
	run_result r;

	(void)state;
	expect_usage_error("host rewrite: missing -o DIR", "Try 'host help rewrite'.",
			   "rewrite", NULL, NULL, NULL);
	expect_usage_error("host rewrite: unexpected argument 'x'", "Try 'host help rewrite'.",
			   "rewrite", "x", NULL, NULL);
	RUN(&r, "rewrite", "-o", full);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "is not empty; give a new directory");
	run_result_free(&r);
	kept = os_path_join(full, "task_agent.c");
	text = harness_read(kept);
	seed_text = harness_read("seed/task_agent.c");
	assert_string_equal(text, seed_text);  /* untouched */
	free(seed_text);
	free(text);
	RUN(&r, "rewrite", "-o", out, "--archive", "tests/no-such-archive.json");
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "no-such-archive.json: no such file");
	run_result_free(&r);
	RUN(&r, "rewrite", "-o", out, "--agent", "seed", "--seed", "2");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "--- a/task_agent.c\n+++ b/task_agent.c\n@@ ");
	assert_contains(r.out, "+++ b/memory.md");
	assert_contains(r.out, ": valid");
	run_result_free(&r);
	RUN(&r, "validate", out);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	os_remove_tree(out);
	os_remove_tree(full);
	free(out);
	free(full);
	free(kept);
}

/* A meta agent that does not compile: rewrite says where, with the
 * compiler's diagnostics, not only "compile_error"; nothing is written.
 * improve does the same for a task agent. */
static void test_agent_compile_errors_are_shown(void **state)
{
	static const char broken[] = "int meta_agent_rewrite(const char *archive)\n{\n"
				     "\treturn archive + ;\n}\n";
	char *dir = agent_dir("brokenmeta", "meta_agent.c", broken);
	char *task = agent_dir("brokentask", "task_agent.c",
			       "char *task_agent_improve(const char *s) { return s + ; }\n");
	char *out = os_path_join(getenv("TMPDIR"), "nocandidate"), *file, *text;
	run_result r;

	(void)state;
	RUN(&r, "rewrite", "-o", out, "--agent", dir);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "host rewrite: the meta agent failed: compile_error (the code "
			    "does not compile):\n  meta_agent.c:4: error: identifier expected\n");
	assert_string_equal(r.out, "");
	run_result_free(&r);
	assert_false(os_is_dir(out));
	file = os_path_join(dir, "meta_agent.c");
	text = harness_read(file);
	assert_string_equal(text, broken);
	free(text);
	free(file);
	RUN(&r, "improve", "email", "--agent", task, "--budget", "2", "-o", out);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "host improve: the task agent failed: compile_error (the code "
			    "does not compile):\n  task_agent.c:1: error: identifier expected\n");
	run_result_free(&r);
	assert_false(os_is_file(out));
	os_remove_tree(dir);
	os_remove_tree(task);
	free(dir);
	free(task);
	free(out);
}

/* The source walk's "Source layout" (doc/HACKING.md) names every source
 * file of every layer, in the folder it is in. */
static void test_source_layout_matches_the_tree(void **state)
{
	static const char *const layers[] = {
		"host/util", "host/cc", "sandbox", "sandbox/runner", "host/lab", "host/task",
		"host/llm", "host/agent", "host/evolve", "host/cli",
	};
	char *walk = harness_read("doc/HACKING.md"), *section, *end, *folder;
	size_t i;

	(void)state;
	section = strstr(walk, "## Source layout");
	assert_non_null(section);
	end = strstr(section + 1, "\n## ");
	if (end)
		*end = '\0';
	for (i = 0; i < sizeof(layers) / sizeof(layers[0]); i++) {
		DIR *d = opendir(layers[i]);
		struct dirent *ent;
		char heading[64];
		snprintf(heading, sizeof(heading), "    %s/ ", layers[i]);
		folder = strstr(section, heading);
		if (!folder)
			fail_msg("doc/HACKING.md's source layout has no %s/", layers[i]);
		assert_non_null(d);
		while ((ent = readdir(d)) != NULL) {
			size_t len = strlen(ent->d_name);
			char entry[300];
			if (len < 3 || strcmp(ent->d_name + len - 2, ".c") != 0 ||
			    strncmp(ent->d_name, "cmd_", 4) == 0)
				continue;
			snprintf(entry, sizeof(entry), "      %s ", ent->d_name);
			if (!strstr(folder, entry))
				fail_msg("doc/HACKING.md's source layout does not list %s/%s", layers[i],
					 ent->d_name);
		}
		closedir(d);
	}
	free(walk);
}

/* README's set-up names every Debian package make test may install
 * (scripts/deps.sh): none arrives unannounced, chromium's hundred
 * packages least of all. */
static void test_readme_names_what_make_test_installs(void **state)
{
	static const char *const marks[] = { "missing=\"$missing ", "need_pc ", "need_file " };
	char *deps = harness_read("scripts/deps.sh"), *readme = harness_read("README.md");
	char *setup = strstr(readme, "## Set-up"), *end, *at, name[80];
	size_t i, n = 0;

	(void)state;
	assert_non_null(setup);
	if ((end = strstr(setup + 1, "\n## ")) != NULL)
		*end = '\0';
	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		for (at = strstr(deps, marks[i]); at; at = strstr(at + 1, marks[i])) {
			const char *word = at + strlen(marks[i]), *line_end = strchr(word, '\n');
			const char *last = word;
			while (line_end && strchr(last, ' ') && strchr(last, ' ') < line_end)
				last = strchr(last, ' ') + 1;  /* the package is the line's last word */
			snprintf(name, sizeof(name), "`%.*s`", (int)strcspn(last, "\"\n"), last);
			if (*last == '"' || *last == '$')
				continue;  /* the functions' own definitions */
			if (!strstr(setup, name))
				fail_msg("README's set-up does not name %s, which scripts/deps.sh "
					 "installs", name);
			n++;
		}
	assert_true(n >= 10);
	free(deps);
	free(readme);
}

static char suite_cwd[4096];  /* the suite's folder, for the teardown below */

static int back_to_the_suites_folder(void **state)
{
	(void)state;
	return chdir(suite_cwd);
}

/* make demo leaves a lab in the checkout, the folder the suite runs in:
 * host runs in a folder of its own, so that the lab changes nothing the
 * tests see. The suite's folder is a lab here, as after make demo. */
static void test_a_lab_where_the_suite_runs_is_not_seen(void **state)
{
	char *lab;
	run_result r;

	(void)state;
	assert_non_null(getcwd(suite_cwd, sizeof(suite_cwd)));
	lab = make_lab("suite_lab", "email");
	assert_int_equal(chdir(lab), 0);
	RUN(&r, "bench", "nope");
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "host bench: no task 'nope' in tasks (tasks: circles, email, snake, "
			"sort, support)");
	run_result_free(&r);
	RUN(&r, "log");
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "host log: ./generations: no generations repository here");
	run_result_free(&r);
	assert_int_equal(chdir(suite_cwd), 0);
	os_remove_tree(lab);
	free(lab);
}

void test_group_cli(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_numeric_options_are_range_checked),
		cmocka_unit_test(test_bench_failures_exit_1),
		cmocka_unit_test_teardown(test_a_lab_where_the_suite_runs_is_not_seen,
					  back_to_the_suites_folder),
		cmocka_unit_test(test_bench_text_and_json),
		cmocka_unit_test(test_validate_command),
		cmocka_unit_test(test_improve_command),
		cmocka_unit_test(test_rewrite_command),
		cmocka_unit_test(test_agent_compile_errors_are_shown),
		cmocka_unit_test(test_source_layout_matches_the_tree),
		cmocka_unit_test(test_readme_names_what_make_test_installs),
	};

	HARNESS_GROUP(t, "cli", tests);
}
