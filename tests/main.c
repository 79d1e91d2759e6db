/*
 * main.c - runs the test groups, several at once, and ends with
 * "N passed, N failed".
 *
 * Most of the suite waits: on scripted models, on deadlines, on the
 * processes it starts. So each group runs in a process of its own,
 * HOST_TEST_JOBS of them at a time (default: three per CPU), the costliest
 * first, and each prints into a file that is shown, in the groups' order,
 * once the group is over. A process per group keeps the groups apart
 * whatever order they run in: each has its own TMPDIR, its own folder for
 * bin/host, its own environment and its own sandbox zygote.
 *
 * The suite runs from the repository root (make test): tasks are read
 * from ./tasks and the binaries from HOST_BIN (default bin/). A group's
 * scratch files go to its private TMPDIR, which must be empty at the end:
 * sandboxes remove their working directories. bin/host runs in a folder
 * of the group's own beside it, which holds the checkout's tasks, seed
 * and tests only: a lab in the checkout (make demo makes one) is not the
 * tests' business.
 *
 * HOST_TEST_FILTER (make test T=...), a shell pattern, runs the groups it
 * names and the tests whose names it matches: T=sandbox, or
 * T=test_cpu_limit_is_a_timeout, or T='*sigterm*'. The last line counts
 * the tests that ran, and the check that no group left files behind.
 */
#include "harness.h"

#include "compile.h"
#include "error.h"
#include "os.h"
#include "sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
	const char *name;
	void (*run)(harness_totals *t);
	int cost;  /* seconds it took, two at a time on two CPUs: the costliest go first */
} test_group;

#define GROUP(name, cost) { #name, test_group_##name, cost }

/* In the order they are shown. */
static const test_group groups[] = {
	GROUP(compile, 0), GROUP(task, 0), GROUP(snake, 0), GROUP(email, 0),
	GROUP(circles, 0),
	GROUP(sandbox, 2), GROUP(confine, 11), GROUP(hostile, 3), GROUP(text, 1),
	GROUP(agents, 3), GROUP(edits, 0), GROUP(store, 2), GROUP(lab, 5),
	GROUP(lab_faults, 14), GROUP(lab_hostile, 2), GROUP(archive, 9), GROUP(llm, 12),
	GROUP(llm_runs, 5), GROUP(llm_agent, 1), GROUP(llm_hostile, 9),
	GROUP(llm_slow, 46), GROUP(llm_pool, 5), GROUP(llm_spend, 8), GROUP(kept, 13),
	GROUP(llm_meta, 2), GROUP(meta_prompt, 6), GROUP(llm_edits, 2), GROUP(llm_repair, 14),
	GROUP(parallel, 27), GROUP(workers, 2),
	GROUP(solutions, 2), GROUP(user_tasks, 5), GROUP(timing, 2), GROUP(noise, 1),
	GROUP(reports, 0), GROUP(holdout, 4), GROUP(oracle, 0), GROUP(arena, 5),
	GROUP(arena_runs, 15), GROUP(arena_spend, 3), GROUP(arena_history, 6), GROUP(report, 5),
	GROUP(cli, 1), GROUP(layers, 1), GROUP(carry, 6), GROUP(rubric, 0), GROUP(support, 7),
	GROUP(judge, 7), GROUP(solution_model, 4),
	GROUP(initial, 2), GROUP(report_axes, 5), GROUP(gi, 5), GROUP(docs, 4), GROUP(meta_gi, 3),
	GROUP(slurm, 17),
};

#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

/* What a group's process reports, in memory shared with this one. */
typedef struct {
	int passed, failed;
	int done;  /* the group ran to its end */
} group_report;

/* What this process knows of a group. */
typedef struct {
	pid_t pid;
	int over;          /* its process has ended */
	int status;        /* how, from waitpid */
	int leftovers;     /* files it left in its TMPDIR */
	double started, seconds;
	double cpu;        /* seconds of CPU time, its processes' and theirs */
} group_state;

static char root[] = "/tmp/host-tests-XXXXXX";  /* every group's folders */

static char *group_path(const test_group *g, const char *suffix)
{
	char *path = malloc(strlen(root) + strlen(g->name) + strlen(suffix) + 2);

	if (path)
		sprintf(path, "%s/%s%s", root, g->name, suffix);
	return path;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	int n = 0;

	while (d && (ent = readdir(d)) != NULL)
		n += strcmp(ent->d_name, ".") && strcmp(ent->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

/* In the group's process: its output to ROOT/NAME.out, its scratch files
 * to ROOT/NAME, bin/host run in ROOT/NAME-host. Returns -1 with the
 * reason on stderr. */
static int group_enter(const test_group *g)
{
	char *out = group_path(g, ".out"), *tmp = group_path(g, ""), *home = group_path(g, "-host");
	int fd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1, rc = -1;

	if (fd >= 0 && dup2(fd, 1) == 1 && dup2(fd, 2) == 2 && tmp && home &&
	    mkdir(tmp, 0700) == 0 && setenv("TMPDIR", tmp, 1) == 0)
		rc = harness_home_make(home);
	else
		perror("tests: cannot make the group's folders");
	if (fd >= 0)
		close(fd);
	free(out);
	free(tmp);
	free(home);
	return rc;
}

static void group_run(const test_group *g, group_report *report)
{
	harness_totals totals = { 0, 0 };

	if (group_enter(g) == 0) {
		g->run(&totals);
		sandbox_stop();
		report->passed = totals.passed;
		report->failed = totals.failed;
		report->done = 1;
	}
	harness_home_remove();
	fflush(NULL);
}

static int group_start(group_state *st, const test_group *g, group_report *report)
{
	fflush(NULL);  /* nothing buffered here is printed twice */
	st->started = os_now_ms();
	st->pid = fork();
	if (st->pid < 0) {
		perror("tests: fork");
		st->over = 1;  /* shown as a group that did not finish */
		return -1;
	}
	if (st->pid == 0) {
		group_run(g, report);
		exit(report->done ? 0 : 1);  /* not _exit: LeakSanitizer checks at exit */
	}
	return 0;
}

/* Waits for any group's process to end, and sees what it left. */
static int group_wait(group_state *states)
{
	struct rusage usage;
	int status;
	pid_t pid = wait4(-1, &status, 0, &usage);
	size_t i;

	if (pid < 0) {
		perror("tests: wait");
		return -1;
	}
	for (i = 0; i < N_GROUPS; i++)
		if (states[i].pid == pid && !states[i].over) {
			char *tmp = group_path(&groups[i], "");
			states[i].over = 1;
			states[i].status = status;
			states[i].seconds = (os_now_ms() - states[i].started) / 1000;
			states[i].cpu = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
					(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
			states[i].leftovers = tmp ? count_entries(tmp) : 0;
			if (tmp)
				os_remove_tree(tmp);
			free(tmp);
		}
	return 0;
}

/* Prints what group `i` printed, and how it ended if not well; adds its
 * tests to `totals`. */
static void group_show(harness_totals *totals, const group_report *report,
		       const group_state *st, size_t i)
{
	char *out = group_path(&groups[i], ".out"), *text = NULL;

	if (report->passed + report->failed > 0 || !report->done)
		printf("[----------] %s (tests/test_%s.c), %.1f s\n", groups[i].name,
		       groups[i].name, st->seconds);
	if (out && os_read_file(&text, NULL, out) == 0)
		fputs(text, stdout);
	if (out)
		unlink(out);
	free(text);
	free(out);
	totals->passed += report->passed;
	totals->failed += report->failed;
	/* a sanitizer's report at exit, say, or a crash cmocka did not catch */
	if (!report->done || !WIFEXITED(st->status) || WEXITSTATUS(st->status) != 0) {
		printf("[  FAILED  ] group %s %s: its process ended with %s %d\n", groups[i].name,
		       report->done ? "ran its tests" : "did not finish",
		       WIFSIGNALED(st->status) ? "signal" : "status",
		       WIFSIGNALED(st->status) ? WTERMSIG(st->status) : WEXITSTATUS(st->status));
		totals->failed++;
	}
	if (st->leftovers)
		printf("[  FAILED  ] %d files left in group %s's TMPDIR\n", st->leftovers,
		       groups[i].name);
	fflush(stdout);
}

/* The groups' indexes, costliest first. */
static void cost_order(size_t *order)
{
	size_t i, j;

	for (i = 0; i < N_GROUPS; i++) {
		for (j = i; j > 0 && groups[order[j - 1]].cost < groups[i].cost; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
}

/* Runs every group, `jobs` at a time, and shows each in order as soon as
 * it and those before it are over. */
static int run_groups(harness_totals *totals, group_report *reports, group_state *states,
		      int jobs)
{
	size_t order[N_GROUPS], next = 0, shown = 0;
	int running = 0;

	cost_order(order);
	while (shown < N_GROUPS) {
		while (running < jobs && next < N_GROUPS) {
			size_t g = order[next++];
			running += group_start(&states[g], &groups[g], &reports[g]) == 0;
		}
		if (running > 0 && group_wait(states) < 0)
			return -1;
		running -= running > 0;
		for (; shown < N_GROUPS && states[shown].over; shown++)
			group_show(totals, &reports[shown], &states[shown], shown);
	}
	return 0;
}

/* One line on where the time went: the longest groups, which bound the
 * suite's wall time however many run at once. */
static void show_times(const group_report *reports, const group_state *states, int jobs,
		       double seconds)
{
	size_t order[N_GROUPS], i, j, ran = 0;

	for (i = 0; i < N_GROUPS; i++) {
		if (reports[i].passed + reports[i].failed == 0)
			continue;
		for (j = ran++; j > 0 && states[order[j - 1]].seconds < states[i].seconds; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	printf("[==========] %zu group(s), %d at a time, in %.1f s", ran, jobs, seconds);
	for (i = 0; i < ran && i < 3; i++)
		printf("%s %s %.1f s (CPU %.1f s)", i ? "," : "; the longest:",
		       groups[order[i]].name, states[order[i]].seconds, states[order[i]].cpu);
	printf("\n");
}

/* HOST_TEST_JOBS, or three per CPU: most groups wait more than they work
 * (on 2 cores, 6 at a time ran the suite in 92 s against 103 s with 4). */
static int job_count(void)
{
	const char *given = getenv("HOST_TEST_JOBS");
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	char *end;

	if (!given || !*given)
		return n > 0 && n < 32 ? 3 * (int)n : 3;
	n = strtol(given, &end, 10);
	return *end || n < 1 || n > 64 ? -1 : (int)n;
}

/* libc/ and host-sandbox beside HOST_BIN, set before any group starts. */
static int find_binaries(void)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/libc", harness_bin());
	if (compile_set_libc_dir(path) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/host-sandbox", harness_bin());
	return sandbox_set_runner(path);
}

int main(void)
{
	harness_totals totals = { 0, 0 };
	group_report *reports;
	group_state states[N_GROUPS];
	int jobs = job_count(), leftovers = 0, rc;
	double start = os_now_ms();
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);  /* and so in each group: a crash loses nothing printed */
	if (jobs < 0) {
		fprintf(stderr, "tests: HOST_TEST_JOBS expects an integer from 1 to 64\n");
		return 1;
	}
	if (find_binaries() < 0) {
		fprintf(stderr, "tests: %s\n", err_last());
		return 1;
	}
	reports = mmap(NULL, sizeof(*reports) * N_GROUPS, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (reports == MAP_FAILED || !mkdtemp(root)) {
		perror("tests: cannot start");
		return 1;
	}
	memset(reports, 0, sizeof(*reports) * N_GROUPS);
	memset(states, 0, sizeof(states));
	rc = run_groups(&totals, reports, states, jobs);
	if (rc == 0 && totals.passed + totals.failed == 0) {
		/* a filter that picks nothing is a typo, not a pass */
		fprintf(stderr, "tests: no test matches HOST_TEST_FILTER '%s'\n",
			getenv("HOST_TEST_FILTER") ? getenv("HOST_TEST_FILTER") : "");
		rc = 1;
	}
	for (i = 0; i < N_GROUPS; i++)
		leftovers += states[i].leftovers;
	/* no group left files behind: one check */
	totals.passed += rc == 0 && !leftovers;
	totals.failed += rc != 0 || leftovers;
	os_remove_tree(root);
	show_times(reports, states, jobs, (os_now_ms() - start) / 1000);
	munmap(reports, sizeof(*reports) * N_GROUPS);
	printf("%d passed, %d failed\n", totals.passed, totals.failed);
	return totals.failed ? 1 : 0;
}
