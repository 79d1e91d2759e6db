/*
 * harness.h - shared helpers for host's test suite (cmocka).
 *
 * Each test file exposes one group runner, named after its module
 * (test_llm_slow.c: test_group_llm_slow, group "llm_slow"); main.c runs
 * each group in a process of its own and ends with "N passed, N failed"
 * for CI.
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

#include "task.h"

typedef struct {
	int status;   /* exit status, or 128 + signal */
	char *out;    /* stdout */
	char *err;    /* stderr */
	long max_rss_kb;  /* the command's peak resident memory */
} run_result;

/* Runs bin/host with the NULL-terminated arguments (not counting argv[0]). */
void run_host(run_result *r, const char *arg, ...);

/* How to run a command: as another user, with a file-size limit (to
 * simulate a full disk), or without waiting (pid returned in r->status). */
typedef struct {
	int no_dac;         /* drop the capabilities that bypass file permissions */
	long fsize_limit;   /* RLIMIT_FSIZE in bytes when > 0; SIGXFSZ ignored */
	int no_wait;        /* start it and return its pid in r->status */
	const char *cwd;    /* the folder to run it in; NULL: the suite's own */
} run_options;

/* Runs `argv[0]` (a path) with `argv`, capturing output unless no_wait. */
void run_command(run_result *r, const run_options *o, char *const argv[]);

/* Runs bin/host with `argv` (argv[0] is ignored) under `o`, in the
 * host's folder (harness_home_make) unless o->cwd says otherwise. */
void run_host_with(run_result *r, const run_options *o, char *const argv[]);
void run_result_free(run_result *r);

/* Waits at most `ms` for the child `pid` to end, its status in *status;
 * returns 0, or -1 when it did not end in time (it is then killed). */
int harness_wait_exit(pid_t pid, int *status, int ms);

/* Runs bin/host with the arguments after `r`: HOST(&r, "log", "--dir", dir). */
#define HOST(r, ...) do { \
	char *argv_[] = { "host", __VA_ARGS__, NULL }; \
	run_host_with((r), NULL, argv_); \
} while (0)

/* The directory holding bin/host (HOST_BIN, default "bin"); absolute
 * once harness_home_make ran. */
const char *harness_bin(void);

/*
 * The folder bin/host runs in: `dir`, made with links to the checkout's
 * tasks and tests and a copy of its seed (host takes no link for an
 * agent folder), and nothing else. A command finds there what it
 * would in the checkout, but never a lab made in the checkout (make demo
 * makes one), whose kept tasks folder and agent_code/ would change what
 * it does. Makes HOST_BIN absolute. Returns 0, or -1 with the reason on
 * stderr. main makes it first and removes it last.
 */
int harness_home_make(const char *dir);
void harness_home_remove(void);

/* Loads tasks/NAME or fails the test. */
task *harness_task(const char *name);

/* Reads a file below tests/ or fails the test (free() it). */
char *harness_read(const char *path);

/* The strings of object[`member`], an array, joined by spaces into `out`
 * (cut at `size`): a chart's "ticks" or "legend", say. */
struct json_t;
void harness_json_texts(char *out, size_t size, const struct json_t *object,
			const char *member);

/* Asserts that `haystack` contains `needle`, printing both if not. */
#define assert_contains(haystack, needle) \
	harness_assert_contains((haystack), (needle), __FILE__, __LINE__)
void harness_assert_contains(const char *haystack, const char *needle,
			     const char *file, int line);

/* "$TMPDIR/name" (free() it). */
char *harness_scratch(const char *name);

/* A meta agent that proposes a rewrite (a note in memory.md) and does
 * nothing else: it passes validation's smoke stage. */
extern const char harness_meta_agent[];

/* `text` with placeholders replaced: (placeholder, value) pairs, then
 * NULL. free() it. */
char *harness_subst(const char *text, ...);

typedef struct {
	int passed, failed;
} harness_totals;

/* Runs the group's tests that HOST_TEST_FILTER picks (all when it is
 * unset, or names the group) and counts those only; returns how many
 * failed. */
int harness_run_group(harness_totals *t, const char *name,
		      const struct CMUnitTest *tests, size_t n);

#define HARNESS_GROUP(totals, name, tests) \
	harness_run_group((totals), (name), (tests), sizeof(tests) / sizeof((tests)[0]))

void test_group_compile(harness_totals *t);
void test_group_sandbox(harness_totals *t);
void test_group_snake(harness_totals *t);
void test_group_email(harness_totals *t);
void test_group_circles(harness_totals *t);
void test_group_task(harness_totals *t);
void test_group_cli(harness_totals *t);
void test_group_agents(harness_totals *t);
void test_group_edits(harness_totals *t);
void test_group_store(harness_totals *t);
void test_group_lab(harness_totals *t);
void test_group_lab_faults(harness_totals *t);
void test_group_archive(harness_totals *t);
void test_group_llm(harness_totals *t);
void test_group_llm_runs(harness_totals *t);
void test_group_llm_agent(harness_totals *t);
void test_group_llm_hostile(harness_totals *t);
void test_group_llm_slow(harness_totals *t);
void test_group_kept(harness_totals *t);
void test_group_llm_meta(harness_totals *t);
void test_group_meta_prompt(harness_totals *t);
void test_group_llm_edits(harness_totals *t);
void test_group_llm_repair(harness_totals *t);
void test_group_report(harness_totals *t);
void test_group_parallel(harness_totals *t);
void test_group_llm_pool(harness_totals *t);
void test_group_llm_spend(harness_totals *t);
void test_group_solutions(harness_totals *t);
void test_group_user_tasks(harness_totals *t);
void test_group_hostile(harness_totals *t);
void test_group_text(harness_totals *t);
void test_group_confine(harness_totals *t);
void test_group_timing(harness_totals *t);
void test_group_reports(harness_totals *t);
void test_group_oracle(harness_totals *t);
void test_group_arena(harness_totals *t);
void test_group_slurm(harness_totals *t);
void test_group_arena_runs(harness_totals *t);
void test_group_arena_spend(harness_totals *t);
void test_group_arena_history(harness_totals *t);
void test_group_lab_hostile(harness_totals *t);
void test_group_noise(harness_totals *t);
void test_group_layers(harness_totals *t);
void test_group_docs(harness_totals *t);
void test_group_holdout(harness_totals *t);
void test_group_workers(harness_totals *t);
void test_group_carry(harness_totals *t);
void test_group_solution_model(harness_totals *t);
void test_group_rubric(harness_totals *t);
void test_group_support(harness_totals *t);
void test_group_judge(harness_totals *t);
void test_group_initial(harness_totals *t);
void test_group_report_axes(harness_totals *t);
void test_group_gi(harness_totals *t);
void test_group_meta_gi(harness_totals *t);

#endif
