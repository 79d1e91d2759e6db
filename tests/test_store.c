/*
 * test_store.c - what a lab records and how: the generation store's round
 * trip, what the stock git CLI sees, revert, the lock that keeps to one
 * writer, and agent_code/: hand edits recorded or discarded, links in it
 * refused.
 */
#include "lab_fixture.h"

#include "error.h"
#include "evolve.h"
#include "lab.h"
#include "os.h"
#include "store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_store_round_trip(void **state)
{
	char *path = scratch("store");
	agent_files files = { NULL, 0 }, back;
	record g, read;
	buf diff = BUF_INIT;
	store *s;
	int main_gen, next;

	(void)state;
	assert_int_equal(store_create(&s, path), 0);
	assert_int_equal(store_next_number(s, &next), 0);
	assert_int_equal(next, 0);
	assert_int_equal(store_main(s, &main_gen), ERR_NOTFOUND);
	assert_int_equal(agents_set(&files, "task_agent.c", "int a;\n"), 0);
	assert_int_equal(agents_set(&files, "memory.md", "notes\n"), 0);
	assert_int_equal(record_init(&g, 0, -1, RECORD_ACCEPTED, "first", 1), 0);
	g.fitness = 0.25;
	assert_int_equal(store_record(s, &g, &files, -1), 0);
	assert_int_equal(store_set_main(s, 0), 0);
	record_free(&g);
	assert_int_equal(agents_set(&files, "task_agent.c", "int b;\n"), 0);
	assert_int_equal(record_init(&g, 1, 0, RECORD_REJECTED, "worse", 1), 0);
	g.fitness = 0.2;
	g.summary = strdup("task_agent.c: fewer candidates");
	assert_int_equal(store_record(s, &g, &files, -1), 0);
	record_free(&g);
	assert_int_equal(store_next_number(s, &next), 0);
	assert_int_equal(next, 2);
	assert_int_equal(store_main(s, &main_gen), 0);
	assert_int_equal(main_gen, 0);
	assert_int_equal(store_read(s, 1, &read, &back), 0);
	assert_int_equal(read.parent, 0);
	assert_int_equal(read.status, RECORD_REJECTED);
	assert_string_equal(read.reason, "worse");
	assert_string_equal(read.summary, "task_agent.c: fewer candidates");
	assert_string_equal(agents_get(&back, "task_agent.c"), "int b;\n");
	assert_string_equal(agents_get(&back, "memory.md"), "notes\n");
	assert_int_equal(back.count, 2);
	assert_int_equal(store_diff(s, 0, 1, &diff), 0);
	assert_contains(diff.data, "-int a;\n+int b;\n");
	record_free(&read);
	assert_int_equal(store_read(s, 7, &read, NULL), ERR_NOTFOUND);
	assert_int_equal(store_parse_name("gen_007"), 7);
	assert_int_equal(store_parse_name("12"), 12);
	assert_int_equal(store_parse_name("nonsense"), -1);
	agents_free(&back);
	agents_free(&files);
	buf_free(&diff);
	store_free(s);
	os_remove_tree(path);
	free(path);
}

static void test_git_cli_reads_the_lab(void **state)
{
	char *dir = make_lab("gitlab", "email,snake"), summary[512];
	run_result r;

	(void)state;
	HOST(&r, "evolve", "--dir", dir, "--gens", "5", "--quiet");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_fsck_clean(dir);
	git(&r, dir, "tag", NULL, NULL, NULL);
	assert_string_equal(r.out, "gen_000\ngen_001\ngen_002\ngen_003\ngen_004\ngen_005\n");
	run_result_free(&r);
	/* diffs hold agent sources and notes only */
	git(&r, dir, "diff", "--name-only", "gen_000", "gen_005");
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"))
		if (!agents_valid_name(line))
			fail_msg("git diff shows a file that is not an agent file: %s", line);
	run_result_free(&r);
	git(&r, dir, "log", "--graph", "--oneline", "--all");
	assert_contains(r.out, "* ");
	assert_contains(r.out, "gen_000: accepted");
	assert_contains(r.out, "gen_005: ");
	run_result_free(&r);
	/* the message: subject, what the rewrite changed (the note's summary), trailers */
	git(&r, dir, "notes", "show", "gen_003", NULL);
	{
		json_t *note = json_loads(r.out, 0, NULL);
		snprintf(summary, sizeof(summary), ", fitness %.4f\n\n%s\n\nGeneration: 3\n",
			 json_number_value(json_object_get(note, "fitness")),
			 json_string_value(json_object_get(note, "summary")));
		assert_non_null(json_string_value(json_object_get(note, "summary")));
		json_decref(note);
	}
	run_result_free(&r);
	git(&r, dir, "log", "-1", "--format=%B", "gen_003");
	assert_contains(r.out, summary);
	assert_contains(r.out, "Generation: 3\nParent: gen_");
	assert_contains(r.out, "Status: ");
	assert_contains(r.out, "Fitness: ");
	assert_contains(r.out, "Reason: ");
	run_result_free(&r);
	git(&r, dir, "notes", "show", "gen_003", NULL);
	assert_contains(r.out, "\"generation\": 3");
	assert_contains(r.out, "\"holdout\"");
	assert_contains(r.out, "\"validation\"");
	run_result_free(&r);
	os_remove_tree(dir);
	free(dir);
}

static void test_revert_keeps_every_generation(void **state)
{
	char *dir = make_lab("revertlab", "email");
	agent_files gen1, live;
	run_result r;
	lab l;
	record g, invalid;
	int next;

	(void)state;
	HOST(&r, "evolve", "--dir", dir, "--gens", "3", "--quiet");
	run_result_free(&r);
	HOST(&r, "revert", "gen_001", "--dir", dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_004: revert to gen_001");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 5);
	/* what is live already: nothing is made, as git makes no empty commit */
	HOST(&r, "revert", "gen_001", "--dir", dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "nothing to revert: the live generation, gen_004, has gen_001's "
			"agent files already; no generation was made");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 5);
	assert_agent_code_is_main(dir);
	assert_int_equal(lab_open(&l, dir, 0), 0);
	assert_int_equal(store_read(l.store, 1, &g, &gen1), 0);
	record_free(&g);
	assert_int_equal(store_read(l.store, 4, &g, &live), 0);
	assert_int_equal(g.reverted_to, 1);
	assert_int_equal(gen1.count, live.count);
	for (size_t i = 0; i < gen1.count; i++)
		assert_string_equal(gen1.items[i].text, agents_get(&live, gen1.items[i].name));
	record_free(&g);
	agents_free(&gen1);
	agents_free(&live);
	lab_close(&l);
	HOST(&r, "evolve", "--dir", dir, "--gens", "1", "--quiet");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 6);
	/* an invalid generation needs --force */
	assert_int_equal(lab_open(&l, dir, 1), 0);
	assert_int_equal(store_next_number(l.store, &next), 0);
	assert_int_equal(store_read(l.store, 0, &g, &gen1), 0);
	assert_int_equal(record_init(&invalid, next, 0, RECORD_INVALID,
				     "compile: broken on purpose", 1), 0);
	assert_int_equal(evolve_commit(&l, &invalid, &gen1, -1, NULL), 0);
	record_free(&invalid);
	record_free(&g);
	agents_free(&gen1);
	lab_close(&l);
	HOST(&r, "revert", "gen_006", "--dir", dir);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "gen_006 is invalid (compile: broken on purpose); use --force");
	run_result_free(&r);
	HOST(&r, "revert", "gen_006", "--force", "--dir", dir);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	/* unknown names */
	HOST(&r, "revert", "gen_999", "--dir", dir);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "there is no generation gen_999; the nearest: gen_007, gen_006, gen_005");
	run_result_free(&r);
	HOST(&r, "revert", "nonsense", "--dir", dir);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "'nonsense' is not a generation name");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 8);
	assert_fsck_clean(dir);
	os_remove_tree(dir);
	free(dir);
}

static void test_lock_stops_a_second_writer(void **state)
{
	char *dir = make_lab("locklab", "email"), pid[32];
	run_result r;
	lab l;

	(void)state;
	assert_int_equal(lab_open(&l, dir, 1), 0);
	HOST(&r, "evolve", "--dir", dir);
	assert_int_equal(r.status, 1);
	snprintf(pid, sizeof(pid), "(pid %d)", (int)getpid());
	assert_contains(r.err, "another host process");
	assert_contains(r.err, pid);
	run_result_free(&r);
	HOST(&r, "status", "--dir", dir);
	assert_contains(r.out, "lock      held by pid");
	run_result_free(&r);
	lab_close(&l);
	HOST(&r, "status", "--dir", dir);
	assert_contains(r.out, "lock      free");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 1);
	os_remove_tree(dir);
	free(dir);
}

static void test_hand_edits(void **state)
{
	char *dir = make_lab("editlab", "email"), *file, *text, *edited;
	run_result r;

	(void)state;
	file = os_path_join(dir, "agent_code/task_agent.c");
	text = harness_read(file);
	edited = strdup(text);
	*strstr(edited, "#define CANDIDATES 6") = '\0';
	{
		buf b = BUF_INIT;
		buf_printf(&b, "%s#define CANDIDATES 3%s", edited,
			   strstr(text, "#define CANDIDATES 6") + strlen("#define CANDIDATES 6"));
		assert_int_equal(os_write_file(file, b.data, b.len), 0);
		buf_free(&b);
	}
	HOST(&r, "evolve", "--dir", dir);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "agent_code/ has edits that are not a generation:\nmodified task_agent.c\n");
	assert_contains(r.err, "'host commit -m MSG'");
	assert_contains(r.err, "'host checkout'");
	run_result_free(&r);
	HOST(&r, "status", "--dir", dir);
	assert_contains(r.out, "modified task_agent.c");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 1);
	HOST(&r, "commit", "-m", "three candidates", "--dir", dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_001: three candidates");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 2);
	assert_agent_code_is_main(dir);
	/* invalid edits are not recorded; checkout discards them */
	assert_int_equal(os_write_file(file, "int broken(\n", 12), 0);
	HOST(&r, "commit", "-m", "broken", "--dir", dir);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "the edits are not valid; nothing was recorded");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 2);
	HOST(&r, "checkout", "--dir", dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "discarded:\nmodified task_agent.c");
	run_result_free(&r);
	assert_agent_code_is_main(dir);
	HOST(&r, "commit", "-m", "nothing", "--dir", dir);
	assert_contains(r.out, "nothing to commit");
	run_result_free(&r);
	free(text);
	free(edited);
	free(file);
	os_remove_tree(dir);
	free(dir);
}

static int is_symlink(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

/* agent_code/ is a link to a directory of the user's: no command follows
 * it, so checkout no longer deletes that directory's *.c files; once it
 * is a real directory again, checkout writes the live agent there. */
static void test_symlinked_agent_code(void **state)
{
	char *dir = make_lab("linklab", "email"), *target = scratch("linktarget");
	char *code = os_path_join(dir, "agent_code"), *mine = os_path_join(target, "mine.c");
	char *checkout[] = { "host", "checkout", "--dir", dir, NULL };
	char *evolve[] = { "host", "evolve", "--dir", dir, NULL };
	agent_files files = agent_code(dir), after;
	char message[4096];
	run_result r;

	(void)state;
	assert_int_equal(agents_set(&files, "mine.c", "int mine(void) { return 1; }\n"), 0);
	assert_int_equal(agents_write(&files, target), 0);
	os_remove_tree(code);
	assert_int_equal(symlink(target, code), 0);
	snprintf(message, sizeof(message), "%s is a symbolic link (to %s); host follows no links in "
		 "agent directories: replace it with a real directory", code, target);
	expect_failure(message, checkout);
	expect_failure(message, evolve);
	assert_int_equal(agents_load(&after, target), 0);
	assert_same_files(&files, &after);
	agents_free(&after);
	assert_true(is_symlink(code));
	assert_int_equal(tag_count(dir), 1);
	assert_fsck_clean(dir);
	assert_int_equal(unlink(code), 0);
	run_host_with(&r, NULL, checkout);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_lab_intact(dir, 1, 0);
	assert_true(os_is_file(mine));
	agents_free(&files);
	os_remove_tree(dir);
	os_remove_tree(target);
	free(mine);
	free(code);
	free(target);
	free(dir);
}

/* An agent file that is a link: its target is neither committed nor
 * written; checkout replaces the link itself with the live file. */
static void test_symlinked_agent_file(void **state)
{
	char *dir = make_lab("filelinklab", "email"), *outside = scratch("outside.c");
	char *file = os_path_join(dir, "agent_code/task_agent.c"), *text = harness_read(file);
	char *commit[] = { "host", "commit", "-m", "through a link", "--dir", dir, NULL };
	char *evolve[] = { "host", "evolve", "--dir", dir, NULL };
	char *checkout[] = { "host", "checkout", "--dir", dir, NULL };
	char message[4096], *edited = strdup(text), *now;
	run_result r;

	(void)state;
	memcpy(strstr(edited, "#define CANDIDATES 6"), "#define CANDIDATES 3", 20);
	assert_int_equal(os_write_file(outside, edited, strlen(edited)), 0);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(symlink(outside, file), 0);
	snprintf(message, sizeof(message), "%s/agent_code: 'task_agent.c' is a symbolic link; host "
		 "follows no links in agent directories: replace it with the file itself", dir);
	expect_failure(message, commit);
	expect_failure(message, evolve);
	assert_int_equal(tag_count(dir), 1);
	assert_true(is_symlink(file));
	run_host_with(&r, NULL, checkout);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_false(is_symlink(file));
	assert_lab_intact(dir, 1, 0);
	now = harness_read(outside);
	assert_string_equal(now, edited);
	free(now);
	now = harness_read(file);
	assert_string_equal(now, text);
	free(now);
	unlink(outside);
	os_remove_tree(dir);
	free(edited);
	free(text);
	free(file);
	free(outside);
	free(dir);
}

void test_group_store(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_round_trip),
		cmocka_unit_test(test_git_cli_reads_the_lab),
		cmocka_unit_test(test_revert_keeps_every_generation),
		cmocka_unit_test(test_lock_stops_a_second_writer),
		cmocka_unit_test(test_hand_edits),
		cmocka_unit_test(test_symlinked_agent_code),
		cmocka_unit_test(test_symlinked_agent_file),
	};

	HARNESS_GROUP(t, "store", tests);
}
