/*
 * arena_fixture.c - what the arena's tests share; see arena_fixture.h.
 */
#include "arena_fixture.h"

#include "lab_fixture.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *arena_git_show(const char *dir, const char *rev, const char *path)
{
	char spec[300];
	run_result r;
	char *text;

	snprintf(spec, sizeof(spec), "%s:%s", rev, path);
	git(&r, dir, "show", spec, NULL, NULL);
	if (r.status != 0)
		fail_msg("git show %s: %s", spec, r.err);
	text = strdup(r.out);
	run_result_free(&r);
	return text;
}

json_t *arena_grown_cases(const char *dir)
{
	char *text = arena_git_show(dir, "main", "arena/email.json");
	json_t *json = json_loads(text, 0, NULL), *cases;

	free(text);
	assert_non_null(json);
	cases = json_incref(json_object_get(json, "cases"));
	json_decref(json);
	assert_true(json_is_array(cases));
	return cases;
}

void arena_set_agent(const char *dir, const char *file, const char *source)
{
	char *code = os_path_join(dir, "agent_code"), *path = os_path_join(code, file);
	char message[200];
	run_result r;

	snprintf(message, sizeof(message), "%s of the test's", file);
	assert_int_equal(os_write_file(path, source, strlen(source)), 0);
	HOST(&r, "commit", "--dir", (char *)dir, "-m", message);
	if (r.status != 0)
		fail_msg("commit: %s%s", r.out, r.err);
	run_result_free(&r);
	free(path);
	free(code);
}

void arena_set_test_agent(const char *dir, const char *source)
{
	arena_set_agent(dir, "test_agent.c", source);
}

char *arena_lab(const char *lab_name, const char *tasks_dir, const char *file)
{
	char *dir = tasks_dir ? scratch(lab_name) : make_lab(lab_name, "email");
	char *text, *source;
	task *t;
	run_result r;

	if (tasks_dir) {
		HOST(&r, "init", "--dir", dir, "--tasks", "email", "--budget", "3", "--tasks-dir",
		     (char *)tasks_dir);
		assert_int_equal(r.status, 0);
		run_result_free(&r);
	}
	if (!file)
		return dir;
	t = harness_task("email");
	text = harness_read(file);
	source = harness_subst(text, "@TASKDIR@", t->dir, NULL);
	arena_set_test_agent(dir, source);
	free(source);
	free(text);
	task_free(t);
	return dir;
}

void arena_rounds(const char *dir, const char *gens)
{
	run_result r;

	HOST(&r, "evolve", "--dir", (char *)dir, "--arena", "--gens", (char *)gens);
	if (r.status != 0)
		fail_msg("evolve --arena --gens %s: %s%s", gens, r.out, r.err);
	run_result_free(&r);
}

char *arena_rounds_log(const char *dir, const char *gens)
{
	run_result r;
	char *log;

	arena_rounds(dir, gens);
	HOST(&r, "log", "--dir", (char *)dir);
	assert_int_equal(r.status, 0);
	log = strdup(r.out);
	run_result_free(&r);
	return log;
}

void arena_expect_refused(const char *dir, const char *message, char *const argv[])
{
	int tags = tag_count(dir);

	expect_failure(message, argv);
	assert_lab_intact(dir, tags, tags - 1);
}
