/*
 * test_gi.c - genetic improvement in the seed task agent, offline: it
 * fixes bugs that no tuning of numbers can (tests/gi/: an operator slip,
 * a wrong variable, an off-by-one boundary), each on its held-out cases
 * too; the records say what it searched and which patch it kept; its
 * edits keep variants compiling; and a seed gives the same search.
 */
#include "harness.h"
#include "llm_fixture.h"

#include "os.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The log lines of task `name`'s run in gen_000's record, one a line. */
static char *logged(const json_t *note, const char *name)
{
	const json_t *trace = json_object_get(json_object_get(json_object_get(note, "tasks"), name),
					      "trace"), *event;
	char *out = strdup(""), *more;
	size_t i;

	json_array_foreach(trace, i, event) {
		const char *line = json_string_value(json_object_get(event, "line"));
		if (!line)
			continue;
		more = malloc(strlen(out) + strlen(line) + 2);
		sprintf(more, "%s%s\n", out, line);
		free(out);
		out = more;
	}
	return out;
}

/* What GI says of task `name` in the record: the patch it kept, and most
 * variants it scored compiled, since edits keep the code well formed. */
static void expect_patch(const json_t *note, const char *name, const char *kept)
{
	char *log = logged(note, name);
	const char *at = strstr(log, " variants scored in ");
	int variants = 0, compiled = -1;

	while (at && at > log && at[-1] != '\n')
		at--;
	if (!at || sscanf(at, "GI: %d variants scored in %*f s (%*d a second): %d compiled",
			  &variants, &compiled) != 2)
		fail_msg("task %s: no summary of the search in its log:\n%s", name, log);
	assert_true(variants > 0);
	assert_true(compiled >= variants * 9 / 10);
	assert_contains(log, kept);
	free(log);
}

/* Offline, gen_000 of a lab on the three buggy programs reaches training
 * 1.0 on each, and their held-out cases pass: the seed task agent's GI
 * finds the one edit each needs, and minimises its patch to it. Without
 * GI the tuner has nothing to tune: fitness would stay 0.4583. */
static void test_bugs_that_numbers_cannot_fix_are_fixed(void **state)
{
	char *lab = harness_scratch("gi_bugs"), *text, *fixed;
	json_t *note;
	run_result r;

	(void)state;
	HOST(&r, "init", "--dir", lab, "--tasks-dir", "tests/gi", "--tasks", "slip,variable,boundary",
	     "--budget", "1000", "--seed", "0", "-j", "2");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_000  fitness 1.0000  held-out 1.0000");
	run_result_free(&r);
	HOST(&r, "show", "gen_000", "--dir", lab);
	assert_contains(r.out, "slip     train 1  held-out 1  (");
	assert_contains(r.out, "variable train 1  held-out 1  (");
	assert_contains(r.out, "boundary train 1  held-out 1  (");
	run_result_free(&r);
	note = llm_fixture_note(lab, 0);
	expect_patch(note, "slip", "GI: kept 0.3125 -> 1, a patch of 1 edit (of 1 before "
		     "minimising); line 12: '-' -> '+'\n");
	expect_patch(note, "variable", "GI: kept 0.375 -> 1, a patch of 1 edit (of 2 before "
		     "minimising); line 14: 'lo' -> 'hi'\n");
	expect_patch(note, "boundary", "GI: kept 0.6875 -> 1, a patch of 1 edit (of 2 before "
		     "minimising); line 11: 2 -> 1\n");
	json_decref(note);
	HOST(&r, "solution", "variable", "--dir", lab);
	assert_int_equal(r.status, 0);
	text = harness_read("tests/gi/variable/initial.c");
	fixed = harness_subst(text, "a[i] > lo", "a[i] > hi", NULL);
	assert_string_equal(r.out, fixed);
	free(fixed);
	free(text);
	run_result_free(&r);
	os_remove_tree(lab);
	free(lab);
}

/* The GI lines of an improve --verbose run, without their timing. */
static char *search_lines(const char *err)
{
	char *out = strdup(""), *more;
	const char *line, *next, *in;

	for (line = err; (line = strstr(line, "agent: GI: ")) != NULL; line = next) {
		next = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line);
		in = strstr(line, " scored in ");
		more = malloc(strlen(out) + (size_t)(next - line) + 1);
		sprintf(more, "%s%.*s\n", out, (int)((in && in < next ? in : next - 1) - line), line);
		free(out);
		out = more;
	}
	return out;
}

/* The same seed gives the same search: the same variants kept, the same
 * patch, the same solution; another seed searches otherwise. */
static void test_a_seed_gives_the_same_search(void **state)
{
	char *dir = harness_scratch("gi_seed"), *path[3], *text[3], *lines[3];
	char *seed[3] = { "5", "5", "6" };
	run_result r;
	int i;

	(void)state;
	assert_int_equal(mkdir(dir, 0700), 0);
	for (i = 0; i < 3; i++) {
		char name[32];
		snprintf(name, sizeof(name), "out%d.c", i);
		path[i] = os_path_join(dir, name);
		HOST(&r, "improve", "slip", "--tasks-dir", "tests/gi", "--budget", "120", "--seed",
		     seed[i], "--verbose", "-o", path[i]);
		assert_int_equal(r.status, 0);
		lines[i] = search_lines(r.err);
		assert_contains(lines[i], "agent: GI: up to 119 evaluations; edits can start at 4 "
				"statements, 23 operands, 1 conditions, 8 operators, 6 numbers\n");
		assert_contains(lines[i], "agent: GI: kept 0.3125 -> ");
		text[i] = harness_read(path[i]);
		run_result_free(&r);
	}
	assert_string_equal(lines[0], lines[1]);
	assert_string_equal(text[0], text[1]);
	assert_string_not_equal(lines[0], lines[2]);
	for (i = 0; i < 3; i++) {
		free(lines[i]);
		free(text[i]);
		free(path[i]);
	}
	os_remove_tree(dir);
	free(dir);
}

/* A task agent that evaluates more often than the trace keeps events
 * (1000), then says so: its log line is in the record all the same. */
static const char eval_then_log[] =
	"#include <stdlib.h>\n"
	"\n"
	"char *task_agent_improve(const char *initial)\n"
	"{\n"
	"\thost_eval_result r;\n"
	"\tint n = 0;\n"
	"\n"
	"\t(void)initial;\n"
	"\twhile (host_eval(\"int broken(\", &r) == 0)\n"
	"\t\tn++;\n"
	"\thost_log(\"searched %d variants\", n);\n"
	"\treturn NULL;\n"
	"}\n";

static void test_log_lines_outlive_the_trace_cap(void **state)
{
	char *dir = harness_scratch("gi_trace"), *agent = os_path_join(dir, "agent");
	char *lab = os_path_join(dir, "lab"), *task_agent = os_path_join(agent, "task_agent.c");
	char *meta_agent = os_path_join(agent, "meta_agent.c"), *log;
	json_t *note, *trace;
	run_result r;

	(void)state;
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkdir(agent, 0700), 0);
	assert_int_equal(os_write_file(task_agent, eval_then_log, strlen(eval_then_log)), 0);
	assert_int_equal(os_write_file(meta_agent, harness_meta_agent, strlen(harness_meta_agent)), 0);
	HOST(&r, "init", "--dir", lab, "--from", agent, "--tasks", "email", "--budget", "1001");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	note = llm_fixture_note(lab, 0);
	trace = json_object_get(json_object_get(json_object_get(note, "tasks"), "email"), "trace");
	assert_int_equal(json_array_size(trace), 1001);  /* 1000 evaluations, then the line */
	log = logged(note, "email");
	assert_string_equal(log, "searched 1001 variants\n");
	free(log);
	json_decref(note);
	os_remove_tree(dir);
	free(meta_agent);
	free(task_agent);
	free(lab);
	free(agent);
	free(dir);
}

void test_group_gi(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bugs_that_numbers_cannot_fix_are_fixed),
		cmocka_unit_test(test_a_seed_gives_the_same_search),
		cmocka_unit_test(test_log_lines_outlive_the_trace_cap),
	};

	HARNESS_GROUP(t, "gi", tests);
}
