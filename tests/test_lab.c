/*
 * test_lab.c - the generation store and the lab: round trips, what the
 * stock git CLI sees, revert, the lock, hand edits, bad labs, a read-only
 * lab, a full disk, and kill -9 at random moments.
 *
 * Labs are made in the test's scratch directory with small budgets; the
 * email task alone keeps most of them fast.
 */
#include "harness.h"

#include "error.h"
#include "evolve.h"
#include "lab.h"
#include "os.h"
#include "store.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *scratch(const char *name)
{
	char *path = os_path_join(getenv("TMPDIR"), name);

	os_remove_tree(path);
	return path;
}

#define HOST(r, ...) do { \
	char *argv_[] = { "host", __VA_ARGS__, NULL }; \
	run_host_with((r), NULL, argv_); \
} while (0)

/* A lab in $TMPDIR/name with gen_000 (email, 3 evaluations). */
static char *make_lab(const char *name, const char *tasks)
{
	char *dir = scratch(name);
	run_result r;

	HOST(&r, "init", "--dir", dir, "--tasks", (char *)tasks, "--budget", "3");
	if (r.status != 0)
		fail_msg("init failed: %s", r.err);
	run_result_free(&r);
	return dir;
}

static int tag_count(const char *dir)
{
	lab l;
	int *numbers = NULL;
	size_t n = 0;

	assert_int_equal(lab_open(&l, dir, 0), 0);
	assert_int_equal(store_numbers(l.store, &numbers, &n), 0);
	free(numbers);
	lab_close(&l);
	return (int)n;
}

/* Runs git with up to four arguments on the lab's repository. */
static void git(run_result *r, const char *dir, const char *a, const char *b, const char *c,
		const char *d)
{
	char gen[4096];
	char *argv[] = { "/usr/bin/git", "-C", gen, (char *)a, (char *)b, (char *)c, (char *)d, NULL };

	snprintf(gen, sizeof(gen), "%s/generations", dir);
	run_command(r, NULL, argv);
}

static void assert_fsck_clean(const char *dir)
{
	run_result r;

	git(&r, dir, "fsck", "--strict", NULL, NULL);
	if (r.status != 0 || strstr(r.err, "error") || strstr(r.out, "error"))
		fail_msg("git fsck: %s%s", r.out, r.err);
	run_result_free(&r);
}

static void assert_agent_code_is_main(const char *dir)
{
	buf changes = BUF_INIT;
	lab l;

	assert_int_equal(lab_open(&l, dir, 0), 0);
	if (lab_hand_edits(&l, &changes) != 0)
		fail_msg("agent_code/ differs from main: %s", changes.data);
	buf_free(&changes);
	lab_close(&l);
}

/* After a fault: the repository is valid, no generation was lost or added,
 * main is still `live` and agent_code/ is still its checkout. */
static void assert_lab_intact(const char *dir, int tags, int live)
{
	int main_gen = -1;
	lab l;

	assert_int_equal(tag_count(dir), tags);
	assert_fsck_clean(dir);
	assert_agent_code_is_main(dir);
	assert_int_equal(lab_open(&l, dir, 0), 0);
	assert_int_equal(store_main(l.store, &main_gen), 0);
	assert_int_equal(main_gen, live);
	lab_close(&l);
}

static void test_store_round_trip(void **state)
{
	char *path = scratch("store");
	agent_files files = { NULL, 0 }, back;
	store_gen g, read;
	buf diff = BUF_INIT;
	store *s;
	int main_gen, next;

	(void)state;
	assert_int_equal(store_create(&s, path), 0);
	assert_int_equal(store_next_number(s, &next), 0);
	assert_int_equal(next, 0);
	assert_int_equal(store_main(s, &main_gen), ERR_NOTFOUND);
	agents_set(&files, "task_agent.c", "int a;\n");
	agents_set(&files, "memory.md", "notes\n");
	memset(&g, 0, sizeof(g));
	g.number = 0;
	g.parent = -1;
	strcpy(g.status, "accepted");
	g.fitness = 0.25;
	g.reason = "first";
	g.record = json_pack("{s:i, s:n, s:s, s:f, s:s}", "generation", 0, "parent",
			     "status", "accepted", "fitness", 0.25, "reason", "first");
	assert_int_equal(store_record(s, &g, &files, -1), 0);
	assert_int_equal(store_set_main(s, 0), 0);
	json_decref(g.record);
	agents_set(&files, "task_agent.c", "int b;\n");
	g.number = 1;
	g.parent = 0;
	strcpy(g.status, "rejected");
	g.record = json_pack("{s:i, s:i, s:s, s:f, s:s}", "generation", 1, "parent", 0,
			     "status", "rejected", "fitness", 0.2, "reason", "worse");
	assert_int_equal(store_record(s, &g, &files, -1), 0);
	json_decref(g.record);
	assert_int_equal(store_next_number(s, &next), 0);
	assert_int_equal(next, 2);
	assert_int_equal(store_main(s, &main_gen), 0);
	assert_int_equal(main_gen, 0);
	assert_int_equal(store_read(s, 1, &read, &back), 0);
	assert_int_equal(read.parent, 0);
	assert_string_equal(read.status, "rejected");
	assert_string_equal(read.reason, "worse");
	assert_string_equal(agents_get(&back, "task_agent.c"), "int b;\n");
	assert_string_equal(agents_get(&back, "memory.md"), "notes\n");
	assert_int_equal(back.count, 2);
	assert_int_equal(store_diff(s, 0, 1, &diff), 0);
	assert_contains(diff.data, "-int a;\n+int b;\n");
	store_gen_free(&read);
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
	char *dir = make_lab("gitlab", "email,snake");
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
	git(&r, dir, "log", "-1", "--format=%B", "gen_003");
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
	store_gen g;
	json_t *record;
	int next;

	(void)state;
	HOST(&r, "evolve", "--dir", dir, "--gens", "3", "--quiet");
	run_result_free(&r);
	HOST(&r, "revert", "gen_001", "--dir", dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_004: revert to gen_001");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 5);
	assert_agent_code_is_main(dir);
	assert_int_equal(lab_open(&l, dir, 0), 0);
	assert_int_equal(store_read(l.store, 1, &g, &gen1), 0);
	store_gen_free(&g);
	assert_int_equal(store_read(l.store, 4, &g, &live), 0);
	assert_int_equal(json_integer_value(json_object_get(g.record, "reverted_to")), 1);
	assert_int_equal(gen1.count, live.count);
	for (size_t i = 0; i < gen1.count; i++)
		assert_string_equal(gen1.items[i].text, agents_get(&live, gen1.items[i].name));
	store_gen_free(&g);
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
	record = evolve_record(next, 0, "invalid", "compile: broken on purpose", 1);
	assert_int_equal(evolve_commit(&l, record, &gen1, -1), 0);
	json_decref(record);
	store_gen_free(&g);
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
	run_options ro = { 1, 0, 0 };
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
	char *dir = make_lab("fulllab", "email"), *fresh = scratch("freshlab"), expect[4096];
	char *argv[] = { "host", "evolve", "--dir", dir, NULL };
	char *init[] = { "host", "init", "--dir", fresh, "--tasks", "email", "--budget", "3", NULL };
	run_options full = { 0, 600, 0 };  /* room for the task's header copy */
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
	run_options background = { 0, 0, 1 };
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

static void expect_usage(const char *message, char *const argv[])
{
	run_result r;

	run_host_with(&r, NULL, argv);
	if (r.status != 2)
		fail_msg("%s: expected exit 2, got %d (%s)", argv[1], r.status, r.err);
	assert_contains(r.err, message);
	assert_contains(r.err, "Try 'host help ");
	run_result_free(&r);
}

static void test_inspection_commands(void **state)
{
	char *dir = make_lab("looklab", "email");
	json_t *list;
	run_result r;

	(void)state;
	HOST(&r, "evolve", "--dir", dir, "--gens", "3", "--select", "archive", "--json");
	assert_int_equal(r.status, 0);
	list = json_loads(strchr(r.out, '{'), JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(list);
	assert_int_equal(json_integer_value(json_object_get(list, "generation")), 1);
	json_decref(list);
	run_result_free(&r);
	HOST(&r, "log", "--all", "--dir", dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "GEN      PARENT");
	assert_contains(r.out, "gen_003");
	assert_contains(r.out, "gen_000  -         accepted");
	run_result_free(&r);
	HOST(&r, "log", "--json", "--dir", dir);
	list = json_loads(r.out, 0, NULL);
	assert_true(json_array_size(list) >= 1);
	json_decref(list);
	run_result_free(&r);
	HOST(&r, "show", "gen_2", "--dir", dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_002");
	assert_contains(r.out, "status    ");
	assert_contains(r.out, "  email    train ");
	assert_contains(r.out, "diff against gen_");
	run_result_free(&r);
	HOST(&r, "diff", "gen_000", "gen_001", "--dir", dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "diff --git a/");
	run_result_free(&r);
	HOST(&r, "status", "--dir", dir);
	assert_contains(r.out, "live      gen_");
	assert_contains(r.out, "4 generations");
	assert_contains(r.out, "mode      offline");
	assert_contains(r.out, "edits     none");
	run_result_free(&r);
	{
		char *a[] = { "host", "evolve", "--dir", dir, "--select", "random", NULL };
		char *b[] = { "host", "evolve", "--dir", dir, "--utility", "speed=2", NULL };
		char *c[] = { "host", "show", "--dir", dir, NULL };
		char *d[] = { "host", "diff", "gen_000", NULL };
		char *e[] = { "host", "commit", "--dir", dir, NULL };
		char *f[] = { "host", "revert", NULL };
		char *g[] = { "host", "log", "--frob", NULL };
		char *h[] = { "host", "evolve", "--gens", "0", NULL };
		expect_usage("--select takes best or archive, not 'random'", a);
		expect_usage("--utility knows score, cost and time, not 'speed'", b);
		expect_usage("missing gen_N", c);
		expect_usage("expects two generations", d);
		expect_usage("missing -m MSG", e);
		expect_usage("missing gen_N", f);
		expect_usage("unknown option '--frob'", g);
		expect_usage("--gens expects an integer from 1 to 999999, got '0'", h);
	}
	os_remove_tree(dir);
	free(dir);
}

/* Checks a generation's record: its fitness is the utility's score weight
 * times the mean task fitness (cost and time weights are 0 here). */
static void assert_weighted(const json_t *record, double score)
{
	const json_t *email = json_object_get(json_object_get(record, "tasks"), "email");
	double mean = json_number_value(json_object_get(email, "fitness"));

	assert_true(mean > 0);
	assert_true(json_number_value(json_object_get(json_object_get(record, "utility"), "score"))
		    == score);
	assert_true(fabs(json_number_value(json_object_get(record, "fitness")) - score * mean)
		    < 1e-9);
}

/* The JSON record `evolve --json` printed for its one generation. */
static json_t *printed_record(const run_result *r)
{
	json_t *record = json_loads(strchr(r->out, '{'), JSON_DISABLE_EOF_CHECK, NULL);

	assert_non_null(record);
	return record;
}

/* --utility weighs fitness: given to init it is the lab's setting, given to
 * evolve it overrides it for the run; the record says which one was used. */
static void test_utility_takes_effect(void **state)
{
	char *dir = scratch("utilitylab");
	json_t *record;
	store_gen g;
	run_result r;
	lab l;

	(void)state;
	HOST(&r, "init", "--dir", dir, "--tasks", "email", "--budget", "3", "--utility", "score=0.5");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(lab_open(&l, dir, 0), 0);
	assert_int_equal(store_read(l.store, 0, &g, NULL), 0);
	assert_weighted(g.record, 0.5);
	store_gen_free(&g);
	lab_close(&l);
	HOST(&r, "evolve", "--dir", dir, "--json");
	assert_int_equal(r.status, 0);
	record = printed_record(&r);
	assert_weighted(record, 0.5);
	json_decref(record);
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", dir, "--json", "--utility", "score=0");
	assert_int_equal(r.status, 0);
	record = printed_record(&r);
	assert_weighted(record, 0);
	assert_true(json_number_value(json_object_get(record, "fitness")) == 0);
	assert_string_equal(json_string_value(json_object_get(record, "status")), "rejected");
	json_decref(record);
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", dir, "--utility", "score=2,time=0");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "select best, utility score=2,cost=0,time=0, offline");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 4);
	assert_fsck_clean(dir);
	os_remove_tree(dir);
	free(dir);
}

/* The task agent's time limit is the budget times a task's limit per
 * evaluation: with an hour per evaluation, 600 evaluations overflowed an
 * int to a negative limit and the agent got 0 evaluations, silently. */
static void test_budget_does_not_overflow_the_time_limit(void **state)
{
	static const char fast[] = "\"wall_ms\": 2000", slow[] = "\"wall_ms\": 3600000";
	char *tasks = scratch("slowtasks"), *dir = scratch("slowlab"), *json, *text, *at;
	char *cp[] = { "/bin/cp", "-r", "tasks/email", tasks, NULL };
	buf edited = BUF_INIT;
	const json_t *email;
	store_gen g;
	run_result r;
	lab l;

	(void)state;
	mkdir(tasks, 0755);
	run_command(&r, NULL, cp);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	json = os_path_join(tasks, "email/task.json");
	text = harness_read(json);
	at = strstr(text, fast);
	assert_non_null(at);
	/* the most a task may ask for: an hour */
	buf_printf(&edited, "%.*s%s%s", (int)(at - text), text, slow, at + strlen(fast));
	assert_int_equal(os_write_file(json, edited.data, edited.len), 0);
	buf_free(&edited);
	HOST(&r, "init", "--dir", dir, "--tasks-dir", tasks, "--tasks", "email", "--budget", "600");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(lab_open(&l, dir, 0), 0);
	assert_int_equal(store_read(l.store, 0, &g, NULL), 0);
	email = json_object_get(json_object_get(g.record, "tasks"), "email");
	assert_string_equal(json_string_value(json_object_get(email, "agent")), "ok");
	assert_true(json_integer_value(json_object_get(email, "evals")) > 0);
	store_gen_free(&g);
	lab_close(&l);
	os_remove_tree(dir);
	os_remove_tree(tasks);
	free(text);
	free(json);
	free(tasks);
	free(dir);
}

/* A lab whose live generation, gen_003, is a revert to gen_000 after two
 * rejected generations. */
static char *make_reverted_lab(const char *name)
{
	char *dir = make_lab(name, "email");
	run_result r;

	HOST(&r, "evolve", "--dir", dir, "--gens", "2", "--quiet");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "revert", "gen_000", "--dir", dir);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	return dir;
}

/* Runs host and checks that it failed with exactly `message` on stderr
 * (after "host CMD: "), printing nothing on stdout. */
static void expect_failure(const char *message, char *const argv[])
{
	char expect[4096];
	run_result r;

	run_host_with(&r, NULL, argv);
	snprintf(expect, sizeof(expect), "host %s: %s\n", argv[1], message);
	if (r.status != 1 || strcmp(r.err, expect) != 0)
		fail_msg("host %s: exit %d, stderr:\n%sexpected exit 1 and:\n%s", argv[1], r.status,
			 r.err, expect);
	assert_string_equal(r.out, "");
	run_result_free(&r);
}

/* The agent files of DIR/agent_code (free with agents_free). */
static agent_files agent_code(const char *dir)
{
	char *path = os_path_join(dir, "agent_code");
	agent_files files;

	assert_int_equal(agents_load(&files, path), 0);
	free(path);
	return files;
}

static void assert_same_files(const agent_files *a, const agent_files *b)
{
	size_t i;

	assert_int_equal(a->count, b->count);
	for (i = 0; i < a->count; i++)
		assert_string_equal(a->items[i].text, agents_get(b, a->items[i].name));
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

/* SIGTERM finishes the generation under way and stops cleanly. */
static void test_sigterm_finishes_the_generation(void **state)
{
	char *dir = make_lab("termlab", "email,snake");
	char *argv[] = { "host", "evolve", "--dir", dir, "--gens", "100", NULL };
	struct timespec pause = { 0, 400 * 1000000L };
	run_options background = { 0, 0, 1 };
	run_result r;
	int status;

	(void)state;
	run_host_with(&r, &background, argv);
	nanosleep(&pause, NULL);
	kill(r.status, SIGTERM);
	assert_int_equal(waitpid(r.status, &status, 0), r.status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	run_result_free(&r);
	assert_true(tag_count(dir) < 101);
	assert_fsck_clean(dir);
	assert_agent_code_is_main(dir);
	os_remove_tree(dir);
	free(dir);
}

void test_group_lab(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_round_trip),
		cmocka_unit_test(test_git_cli_reads_the_lab),
		cmocka_unit_test(test_revert_keeps_every_generation),
		cmocka_unit_test(test_lock_stops_a_second_writer),
		cmocka_unit_test(test_hand_edits),
		cmocka_unit_test(test_bad_labs),
		cmocka_unit_test(test_read_only_lab),
		cmocka_unit_test(test_full_disk),
		cmocka_unit_test(test_full_tmpfs),
		cmocka_unit_test(test_kill_9_at_random_moments),
		cmocka_unit_test(test_inspection_commands),
		cmocka_unit_test(test_sigterm_finishes_the_generation),
		cmocka_unit_test(test_utility_takes_effect),
		cmocka_unit_test(test_budget_does_not_overflow_the_time_limit),
		cmocka_unit_test(test_missing_main_is_not_a_fresh_start),
		cmocka_unit_test(test_missing_live_commit),
		cmocka_unit_test(test_missing_note_names_the_generation),
		cmocka_unit_test(test_symlinked_agent_code),
		cmocka_unit_test(test_symlinked_agent_file),
	};

	HARNESS_GROUP(t, "lab", tests);
}
