/*
 * test_lab_faults.c - a lab under faults, and its recovery: labs that are
 * not labs, a read-only lab, a full disk, kill -9 at random moments,
 * SIGTERM, and a lab that lost its main branch, a commit or a record.
 * Each time the command says what is wrong and what to do, and nothing is
 * lost: once the cause is gone, the lab is as it was.
 */
#include "lab_fixture.h"

#include "lab.h"
#include "os.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void test_bad_labs(void **state)
{
	char *dir = make_lab("badlab", "email"), *empty = scratch("nolab"), *foreign = scratch("foreign");
	char *head = os_path_join(dir, "generations/HEAD"), *objects = os_path_join(dir, "generations/objects");
	char *gens = os_path_join(foreign, "generations");
	run_result r;

	(void)state;
	HOST(&r, "init", "--dir", dir);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "already holds a lab; nothing was changed");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 1);
	HOST(&r, "init", "--dir", empty, "--from", "tests/no-such-seed");
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "no seed agents at tests/no-such-seed; give --from DIR");
	run_result_free(&r);
	assert_false(lab_exists(empty));
	HOST(&r, "evolve", "--dir", empty);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "no generations repository here (run 'host init')");
	run_result_free(&r);
	/* a repository host did not make */
	mkdir(foreign, 0755);
	{
		char *argv[] = { "/usr/bin/git", "init", "-q", "--bare", gens, NULL };
		run_command(&r, NULL, argv);
		run_result_free(&r);
	}
	HOST(&r, "evolve", "--dir", foreign);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "is a git repository host did not create; refusing to change it");
	run_result_free(&r);
	/* a damaged one */
	assert_int_equal(os_write_file(head, "garbage", 7), 0);
	os_remove_tree(objects);
	HOST(&r, "log", "--dir", dir);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "not a git repository (damaged, or not made by host)");
	run_result_free(&r);
	free(head);
	free(objects);
	free(gens);
	os_remove_tree(dir);
	os_remove_tree(empty);
	os_remove_tree(foreign);
	free(dir);
	free(empty);
	free(foreign);
}

/* A lab whose directory cannot be written: clear message, nothing lost. */
static void test_read_only_lab(void **state)
{
	char *dir = make_lab("rolab", "email");
	char *argv[] = { "host", "evolve", "--dir", dir, NULL };
	char *chmod_ro[] = { "/bin/chmod", "-R", "a-w", dir, NULL };
	char *chmod_rw[] = { "/bin/chmod", "-R", "u+w", dir, NULL };
	run_options ro = { .no_dac = 1 };
	run_result r;

	(void)state;
	run_command(&r, NULL, chmod_ro);
	run_result_free(&r);
	run_host_with(&r, &ro, argv);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "host evolve: cannot create");
	assert_contains(r.err, "Permission denied");
	run_result_free(&r);
	run_command(&r, NULL, chmod_rw);
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 1);
	assert_fsck_clean(dir);
	assert_agent_code_is_main(dir);
	os_remove_tree(dir);
	free(dir);
}

/* A full disk, simulated with a file-size limit: the generation fails
 * with the cause and what to do, and the lab is as it was. An init that
 * fails leaves no half-made lab behind, so it can be run again. */
static void test_full_disk(void **state)
{
	char *dir = make_bulky_lab("fulllab", "fullseed"), *fresh = scratch("freshlab"), expect[4096];
	char *argv[] = { "host", "evolve", "--dir", dir, NULL };
	char *init[] = { "host", "init", "--dir", fresh, "--tasks", "email", "--budget", "3", NULL };
	run_options full = { .fsize_limit = 3072 };  /* room for the headers: gi.h is 2990 bytes */
	run_result r;

	(void)state;
	run_host_with(&r, &full, argv);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "host evolve: cannot write gen_001's ");
	snprintf(expect, sizeof(expect), " in %s/generations: File too large; raise the file-size "
		 "limit (ulimit -f) and run the command again\n", dir);
	assert_contains(r.err, expect);
	run_result_free(&r);
	assert_lab_intact(dir, 1, 0);
	run_host_with(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 2);
	run_host_with(&r, &full, init);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "host init: cannot write gen_000's ");
	assert_contains(r.err, "File too large");
	run_result_free(&r);
	assert_false(lab_exists(fresh));
	run_host_with(&r, NULL, init);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_lab_intact(fresh, 1, 0);
	os_remove_tree(dir);
	os_remove_tree(fresh);
	free(dir);
	free(fresh);
}

/* A really full disk: a 1 MB tmpfs, mounted in a mount namespace of its
 * own, filled up to the last 4 KB. libgit2 then reported a lookup's stale
 * "object not found - failed to find pack entry"; host names the cause.
 * Skipped where mounting is not permitted. */
static const char tmpfs_script[] =
	"D=$1; HOST=$2\n"
	"mount -t tmpfs -o size=1m tmpfs \"$D\" 2>/dev/null || exit 77\n"
	"$HOST init --dir \"$D/lab\" --tasks email --budget 3 >/dev/null || exit 1\n"
	"avail=$(df -k --output=avail \"$D\" | tail -1)\n"
	"dd if=/dev/zero of=\"$D/fill\" bs=1k count=$((avail - 4)) 2>/dev/null\n"
	"$HOST evolve --dir \"$D/lab\" --gens 2 --quiet >/dev/null\n"
	"echo \"evolve $?\"\n"
	"git -C \"$D/lab/generations\" fsck --strict 2>&1 | grep -v '^dangling '\n"
	"git -C \"$D/lab/generations\" tag\n"
	"rm \"$D/fill\"\n"
	"$HOST evolve --dir \"$D/lab\" --quiet >/dev/null\n"
	"echo \"again $?\"\n";

static void test_full_tmpfs(void **state)
{
	char *dir = scratch("tmpfs"), host[4096];
	char *argv[] = { "/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh",
			 "-c", (char *)tmpfs_script, "sh", dir, host, NULL };
	run_result r;

	(void)state;
	snprintf(host, sizeof(host), "%s/host", harness_bin());
	mkdir(dir, 0755);
	run_command(&r, NULL, argv);
	if (r.status != 0 && strstr(r.out, "evolve ") == NULL) {
		printf("  (no tmpfs: cannot mount here, exit %d; the file-size test stands in)\n",
		       r.status);
	} else {
		assert_int_equal(r.status, 0);
		assert_contains(r.err, "host evolve: cannot write gen_001's ");
		assert_contains(r.err, "/lab/generations: No space left on device; free some space "
				"and run the command again\n");
		assert_null(strstr(r.err, "object not found"));
		assert_string_equal(r.out, "evolve 1\ngen_000\nagain 0\n");
	}
	run_result_free(&r);
	os_remove_tree(dir);
	free(dir);
}

/* kill -9 at pseudo-random moments: the repository stays valid, the
 * next writer finishes the interrupted step, and evolve resumes. */
static void test_kill_9_at_random_moments(void **state)
{
	char *dir = make_lab("killlab", "email,snake");
	char *argv[] = { "host", "evolve", "--dir", dir, "--gens", "100", "--quiet", NULL };
	char *resume[] = { "host", "evolve", "--dir", dir, "--gens", "1", "--quiet", NULL };
	run_options background = { .no_wait = 1 };
	unsigned int rnd = 2024;
	int i, before, after;

	(void)state;
	for (i = 0; i < 20; i++) {
		struct timespec pause;
		run_result r;
		int status;

		rnd = rnd * 1103515245u + 12345u;
		pause.tv_sec = 0;
		pause.tv_nsec = (long)(50 + (rnd >> 16) % 600) * 1000000L;
		before = tag_count(dir);
		run_host_with(&r, &background, argv);
		nanosleep(&pause, NULL);
		kill(r.status, SIGKILL);
		waitpid(r.status, &status, 0);
		run_result_free(&r);
		assert_fsck_clean(dir);
		run_host_with(&r, NULL, resume);
		if (r.status != 0)
			fail_msg("round %d: evolve did not resume: %s", i, r.err);
		run_result_free(&r);
		after = tag_count(dir);
		assert_true(after > before);
		assert_agent_code_is_main(dir);
		assert_fsck_clean(dir);
	}
	os_remove_tree(dir);
	free(dir);
}

/* SIGTERM finishes the generation under way and stops cleanly. */
static void test_sigterm_finishes_the_generation(void **state)
{
	char *dir = make_lab("termlab", "email,snake");
	char *argv[] = { "host", "evolve", "--dir", dir, "--gens", "100", NULL };
	struct timespec pause = { 0, 400 * 1000000L };
	run_options background = { .no_wait = 1 };
	run_result r;
	int status;

	(void)state;
	run_host_with(&r, &background, argv);
	nanosleep(&pause, NULL);
	kill(r.status, SIGTERM);
	assert_int_equal(waitpid(r.status, &status, 0), r.status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM);
	run_result_free(&r);
	assert_true(tag_count(dir) < 101);
	assert_fsck_clean(dir);
	assert_agent_code_is_main(dir);
	os_remove_tree(dir);
	free(dir);
}

/* Starts `host evolve` on `dir` with its output in the file `out`, and
 * waits until the file shows a generation; returns its pid. */
static pid_t evolve_into(const char *dir, const char *out)
{
	char cmd[8192], *text = NULL, *bin = realpath(harness_bin(), NULL);
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	run_options background = { .no_wait = 1 };
	run_result r;
	pid_t pid;
	int i;

	assert_non_null(bin);
	snprintf(cmd, sizeof(cmd), "exec '%s/host' evolve --dir '%s' --gens 100 > '%s'",
		 bin, dir, out);
	free(bin);
	run_command(&r, &background, argv);
	for (i = 0; i < 600 && !(text && strstr(text, "  parent gen_")); i++) {
		usleep(50000);
		free(text);
		text = os_is_file(out) ? harness_read(out) : NULL;
	}
	assert_non_null(strstr(text ? text : "", "  parent gen_"));
	free(text);
	pid = r.status;
	run_result_free(&r);
	return pid;
}

/* Ctrl-C stops after the generation under way, says what was kept and
 * exits 130, as make and git do; a second one ends host at once, and what
 * it printed is in its output file, header first, though it is no
 * terminal. */
static void test_interrupts_exit_130_and_lose_no_output(void **state)
{
	char *dir = make_lab("intlab", "email"), *out = harness_scratch("int_out.txt");
	char *text;
	run_result r;
	pid_t pid;
	int status;

	(void)state;
	pid = evolve_into(dir, out);
	kill(pid, SIGINT);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 130);
	text = harness_read(out);
	assert_contains(text, "interrupted: stopped after ");
	free(text);
	pid = evolve_into(dir, out);
	kill(pid, SIGINT);
	usleep(100000);  /* two signals at once would be one */
	kill(pid, SIGINT);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status))  /* the generation under way ended before the second */
		assert_int_equal(WEXITSTATUS(status), 130);
	else
		assert_int_equal(WTERMSIG(status), SIGINT);
	text = harness_read(out);
	assert_true(strncmp(text, "evolve: 100 generations", 23) == 0);
	assert_contains(text, "  parent gen_");
	free(text);
	unlink(out);
	free(out);
	assert_fsck_clean(dir);
	/* the next run goes on, and sweeps the scratch folders the one that
	 * ended at once left (the group's check of leftovers sees it) */
	HOST(&r, "evolve", "--dir", dir, "--gens", "1");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	os_remove_tree(dir);
	free(dir);
}

/* A lab whose live generation, gen_003, is a revert to gen_001, the
 * first of two rejected generations. */
static char *make_reverted_lab(const char *name)
{
	char *dir = make_lab(name, "email");
	run_result r;

	HOST(&r, "evolve", "--dir", dir, "--gens", "2", "--quiet");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "revert", "gen_001", "--dir", dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_003: revert to gen_001");
	run_result_free(&r);
	return dir;
}

/* With main deleted, evolve and log refuse, naming the generation main
 * pointed at and the command that restores it; nothing starts over. */
static void test_missing_main_is_not_a_fresh_start(void **state)
{
	char *dir = make_reverted_lab("nomainlab"), message[4096];
	char *evolve[] = { "host", "evolve", "--dir", dir, NULL };
	char *log[] = { "host", "log", "--dir", dir, NULL };
	agent_files before = agent_code(dir), after;
	run_result r;

	(void)state;
	git(&r, dir, "update-ref", "-d", "refs/heads/main", NULL);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	snprintf(message, sizeof(message), "the lab's main branch (refs/heads/main) is missing from "
		 "%s/generations, so the live generation is unknown and host will not guess it or "
		 "start over. gen_003 is the newest accepted generation, the last one main pointed "
		 "at: restore main with 'git -C %s/generations update-ref refs/heads/main gen_003'",
		 dir, dir);
	expect_failure(message, evolve);
	expect_failure(message, log);
	assert_int_equal(tag_count(dir), 4);
	after = agent_code(dir);
	assert_same_files(&before, &after);
	agents_free(&after);
	git(&r, dir, "update-ref", "refs/heads/main", "gen_003", NULL);
	run_result_free(&r);
	assert_lab_intact(dir, 4, 3);
	run_host_with(&r, NULL, evolve);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_004  parent gen_003");
	run_result_free(&r);
	agents_free(&before);
	os_remove_tree(dir);
	free(dir);
}

/* Generation `name`'s commit id, 40 hex digits. */
static void commit_id(char id[41], const char *dir, const char *name)
{
	run_result r;

	git(&r, dir, "rev-parse", name, NULL, NULL);
	assert_int_equal(r.status, 0);
	snprintf(id, 41, "%s", r.out);
	run_result_free(&r);
}

/* The live generation's commit object is gone: commands say which
 * generation is damaged and how, instead of "there is no generation", and
 * host log fails instead of printing an empty table. */
static void test_missing_live_commit(void **state)
{
	char *dir = make_reverted_lab("nocommitlab");
	char *log[] = { "host", "log", "--dir", dir, NULL };
	char *evolve[] = { "host", "evolve", "--dir", dir, NULL };
	char *show[] = { "host", "show", "gen_003", "--dir", dir, NULL };
	char id[41], object[4096], saved[4096], message[4096];
	agent_files before = agent_code(dir), after;

	(void)state;
	commit_id(id, dir, "gen_003");
	snprintf(object, sizeof(object), "%s/generations/objects/%.2s/%s", dir, id, id + 2);
	snprintf(saved, sizeof(saved), "%s.saved", dir);
	assert_int_equal(rename(object, saved), 0);
	snprintf(message, sizeof(message), "gen_003 is damaged: its commit %.7s is missing from "
		 "%s/generations ('git -C %s/generations fsck' lists what else is); it is the live "
		 "generation: restore %s/generations from a backup, or make gen_000 live with "
		 "'git -C %s/generations update-ref refs/heads/main gen_000'", id, dir, dir, dir, dir);
	expect_failure(message, log);
	expect_failure(message, evolve);
	expect_failure(message, show);
	assert_int_equal(tag_count(dir), 4);
	after = agent_code(dir);
	assert_same_files(&before, &after);
	agents_free(&after);
	assert_int_equal(rename(saved, object), 0);
	assert_lab_intact(dir, 4, 3);
	agents_free(&before);
	os_remove_tree(dir);
	free(dir);
}

/* Saves generation `name`'s note in DIR/generations/name.note; `arg` is
 * the option that adds it back: --file=PATH. */
static void save_note(char *arg, size_t size, const char *dir, const char *name)
{
	run_result r;

	snprintf(arg, size, "--file=%s/generations/%s.note", dir, name);
	git(&r, dir, "notes", "show", name, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(os_write_file(strchr(arg, '=') + 1, r.out, strlen(r.out)), 0);
	run_result_free(&r);
}

/* A generation whose record (git note) is gone is named; log --all lists
 * the others and fails; once the note is back, nothing was lost. */
static void test_missing_note_names_the_generation(void **state)
{
	char *dir = make_reverted_lab("nonotelab");
	char *evolve[] = { "host", "evolve", "--dir", dir, NULL };
	char *show[] = { "host", "show", "gen_001", "--dir", dir, NULL };
	char *all[] = { "host", "log", "--all", "--dir", dir, NULL };
	char message[4096], note3[4096], note1[4096], id[41];
	run_result r;

	(void)state;
	commit_id(id, dir, "gen_003");
	save_note(note3, sizeof(note3), dir, "gen_003");
	save_note(note1, sizeof(note1), dir, "gen_001");
	git(&r, dir, "notes", "remove", "gen_003", NULL);
	run_result_free(&r);
	git(&r, dir, "notes", "remove", "gen_001", NULL);
	run_result_free(&r);
	snprintf(message, sizeof(message), "gen_003 has no record: refs/notes/commits holds no note "
		 "for its commit %.7s ('git -C %s/generations log -p refs/notes/commits' shows "
		 "when it went)", id, dir);
	expect_failure(message, evolve);
	run_host_with(&r, NULL, show);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "host show: gen_001 has no record: refs/notes/commits holds no note");
	run_result_free(&r);
	run_host_with(&r, NULL, all);
	assert_int_equal(r.status, 1);
	assert_contains(r.out, "  gen_002  gen_000 ");
	assert_contains(r.out, "  gen_000  -  ");
	assert_null(strstr(r.out, "gen_001  gen_000"));
	assert_contains(r.err, "host log: gen_003 has no record: ");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 4);
	git(&r, dir, "notes", "add", note3, "gen_003");
	run_result_free(&r);
	git(&r, dir, "notes", "add", note1, "gen_001");
	run_result_free(&r);
	assert_lab_intact(dir, 4, 3);
	os_remove_tree(dir);
	free(dir);
}

void test_group_lab_faults(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_labs),
		cmocka_unit_test(test_read_only_lab),
		cmocka_unit_test(test_full_disk),
		cmocka_unit_test(test_full_tmpfs),
		cmocka_unit_test(test_kill_9_at_random_moments),
		cmocka_unit_test(test_sigterm_finishes_the_generation),
		cmocka_unit_test(test_interrupts_exit_130_and_lose_no_output),
		cmocka_unit_test(test_missing_main_is_not_a_fresh_start),
		cmocka_unit_test(test_missing_live_commit),
		cmocka_unit_test(test_missing_note_names_the_generation),
	};

	HARNESS_GROUP(t, "lab_faults", tests);
}
