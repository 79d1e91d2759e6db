/*
 * test_meta_gi.c - the offline meta agent's GI edits of the task agent's
 * strategy code (seed/meta_gi.c): a generation whose diff changes code,
 * not numbers, validated, measured and named in its summary, the same
 * for a seed; and rewrites that break, rejected with their reason while
 * nothing is lost.
 */
#include "harness.h"
#include "llm_fixture.h"

#include "agents.h"
#include "os.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The seed agents with a meta agent that makes `edits` GI edits in every
 * offline rewrite, each rewrite checked (host_check) `checks` times at
 * most ("0": the first is proposed unchecked), in $TMPDIR/name. */
static char *gi_agent(const char *name, const char *edits, const char *checks)
{
	char *dir = harness_scratch(name), *meta, *check = NULL, *edit = NULL;
	agent_files f;

	assert_int_equal(agents_load(&f, "seed"), 0);
	assert_true(asprintf(&check, "#define GI_CODE_CHECKS %s ", checks) > 0);
	assert_true(asprintf(&edit, "#define GI_CODE_EDITS %s ", edits) > 0);
	meta = harness_subst(agents_get(&f, "meta_agent.c"),
			     "#define GI_CODE_PERCENT 30 ", "#define GI_CODE_PERCENT 100",
			     "#define GI_CODE_CHECKS 4 ", check, "#define GI_CODE_EDITS 1 ", edit,
			     NULL);
	assert_non_null(strstr(meta, "#define GI_CODE_PERCENT 100"));
	assert_non_null(strstr(meta, check));
	assert_non_null(strstr(meta, edit));
	free(edit);
	assert_int_equal(agents_set(&f, "meta_agent.c", meta), 0);
	assert_int_equal(agents_write(&f, dir), 0);
	agents_free(&f);
	free(meta);
	free(check);
	return dir;
}

/* A lab from `agent` on email, `gens` generations evolved with `seed`. */
static char *gi_lab(const char *name, char *agent, char *seed, char *gens)
{
	char *lab = harness_scratch(name);
	run_result r;

	HOST(&r, "init", "--dir", lab, "--from", agent, "--tasks", "email", "--seed", seed);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", lab, "--gens", gens, "--quiet");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	return lab;
}

/* The file a GI summary names ("offline GI: task_agent.c:12: ..."). */
static void edited_file(char *out, size_t size, const json_t *note)
{
	const char *summary = json_string_value(json_object_get(note, "summary"));

	assert_non_null(summary);
	assert_contains(summary, "offline GI: ");
	snprintf(out, size, "%.*s", (int)strcspn(summary + 12, ":"), summary + 12);
	assert_true(strcmp(out, "task_agent.c") == 0 || strcmp(out, "gi_search.c") == 0);
}

/* Whether generation `g` changes a line of `file` that is not a #define,
 * against its parent: code, not only numbers. */
static int changes_code(const char *lab, int g, const char *file)
{
	char range[40], header[128];
	const char *line;
	run_result r;
	int in = 0, code = 0;

	snprintf(range, sizeof(range), "gen_%03d^!", g);
	snprintf(header, sizeof(header), "diff --git a/%s ", file);
	llm_fixture_git(&r, lab, "diff", range, NULL);
	for (line = r.out; line && *line; line = (line = strchr(line, '\n')) ? line + 1 : NULL) {
		if (strncmp(line, "diff --git ", 11) == 0)
			in = strncmp(line, header, strlen(header)) == 0;
		else if (in && (*line == '+' || *line == '-') && strncmp(line, "+++", 3) != 0 &&
			 strncmp(line, "---", 3) != 0 && strncmp(line + 1, "#define", 7) != 0)
			code = 1;
	}
	run_result_free(&r);
	return code;
}

/* Every rewrite makes GI edits; with seed 1 both generations' edits are
 * to the tuner's code in task_agent.c: each passes validation and is
 * measured (and found no better), its diff changes code, and its summary
 * and memory.md say which edit. The same seed gives the same
 * generations. */
static void test_gi_rewrite_changes_code_and_is_validated(void **state)
{
	char *agent = gi_agent("meta_gi_agent", "1", "4"), *lab, *again, file[64];
	json_t *note, *stage;
	run_result r;
	size_t i;
	int g;

	(void)state;
	lab = gi_lab("meta_gi_lab", agent, "1", "2");
	again = gi_lab("meta_gi_again", agent, "1", "2");
	for (g = 1; g <= 2; g++) {
		note = llm_fixture_note(lab, g);
		edited_file(file, sizeof(file), note);
		assert_string_equal(file, "task_agent.c");
		assert_string_equal(json_string_value(json_object_get(note, "status")), "rejected");
		assert_int_equal(json_array_size(json_object_get(note, "validation")), 4);
		json_array_foreach(json_object_get(note, "validation"), i, stage)
			assert_string_equal(json_string_value(json_object_get(stage, "status")),
					    "pass");
		assert_true(changes_code(lab, g, file));
		json_decref(note);
	}
	llm_fixture_git(&r, lab, "log", "--format=%B", "gen_001^!");
	assert_contains(r.out, "\n\noffline GI: task_agent.c:");
	run_result_free(&r);
	llm_fixture_git(&r, lab, "show", "gen_001:memory.md", NULL);
	assert_contains(r.out, "\nGI: task_agent.c:");
	run_result_free(&r);
	llm_fixture_same_generations(lab, again, 2);
	os_remove_tree(again);
	os_remove_tree(lab);
	os_remove_tree(agent);
	free(again);
	free(lab);
	free(agent);
}

/* Unchecked, GI rewrites can break: with seed 2 the second, a swap in
 * gi_search.c, crashes in the smoke run. Each generation has its reason; one that broke is
 * committed as invalid with its stage, its broken file kept in its tree,
 * and the live agent is the one that was. */
static void test_broken_gi_rewrite_is_rejected_with_its_reason(void **state)
{
	char *agent = gi_agent("meta_gi_unchecked", "1", "0"), *lab;
	char file[64], rev[128], *text, *path;
	const char *status, *reason;
	json_t *note;
	run_result r, live;
	int g, invalid = 0;

	(void)state;
	lab = gi_lab("meta_gi_broken", agent, "2", "2");
	for (g = 1; g <= 2; g++) {
		note = llm_fixture_note(lab, g);
		edited_file(file, sizeof(file), note);
		status = json_string_value(json_object_get(note, "status"));
		reason = json_string_value(json_object_get(note, "reason"));
		assert_true(reason && *reason);
		if (strcmp(status, "invalid") == 0) {
			assert_true(strncmp(reason, "compile: ", 9) == 0 ||
				    strncmp(reason, "smoke: ", 7) == 0);
			assert_null(strstr(reason, "smoke: smoke"));  /* the stage named once */
			assert_null(strstr(reason, "crashed: crashed"));
			invalid++;
			snprintf(rev, sizeof(rev), "gen_%03d:%s", g, file);
			llm_fixture_git(&r, lab, "show", rev, NULL);
			snprintf(rev, sizeof(rev), "main:%s", file);
			llm_fixture_git(&live, lab, "show", rev, NULL);
			assert_string_not_equal(r.out, live.out);  /* kept in its tree, not live */
			path = harness_subst("LAB/agent_code/FILE", "LAB", lab, "FILE", file, NULL);
			text = harness_read(path);
			assert_string_equal(text, live.out);
			free(text);
			free(path);
			run_result_free(&live);
			run_result_free(&r);
		}
		json_decref(note);
	}
	assert_true(invalid > 0);
	os_remove_tree(lab);
	os_remove_tree(agent);
	free(lab);
	free(agent);
}

/* A rewrite of three GI edits notes each in memory.md, at a place of its
 * own, and its summary names the three. */
static void test_gi_rewrite_notes_each_edit(void **state)
{
	char *agent = gi_agent("meta_gi_three", "3", "4"), *lab;
	const char *summary, *at;
	json_t *note;
	run_result r;
	int lines = 0, parts = 1;

	(void)state;
	lab = gi_lab("meta_gi_three_lab", agent, "1", "1");
	note = llm_fixture_note(lab, 1);
	summary = json_string_value(json_object_get(note, "summary"));
	assert_non_null(summary);
	assert_contains(summary, "offline GI: ");
	for (at = strstr(summary, "; "); at; at = strstr(at + 2, "; "))
		parts++;
	assert_int_equal(parts, 3);
	llm_fixture_git(&r, lab, "show", "gen_001:memory.md", NULL);
	for (at = strstr(r.out, "\nGI: "); at; at = strstr(at + 1, "\nGI: "))
		lines++;
	assert_int_equal(lines, 3);
	run_result_free(&r);
	json_decref(note);
	os_remove_tree(lab);
	os_remove_tree(agent);
	free(lab);
	free(agent);
}

void test_group_meta_gi(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gi_rewrite_changes_code_and_is_validated),
		cmocka_unit_test(test_broken_gi_rewrite_is_rejected_with_its_reason),
		cmocka_unit_test(test_gi_rewrite_notes_each_edit),
	};

	HARNESS_GROUP(t, "meta_gi", tests);
}
