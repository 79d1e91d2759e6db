/*
 * test_workers.c - evolve's forked workers (evolve_workers.c), which the
 * -j evaluations and a round's candidates share: at most so many at once,
 * each heard in order and done exactly once, with what it sent back or
 * why nothing came; a stop reaches every one; and a host killed outright
 * leaves none of them behind.
 */
#include "harness.h"
#include "llm_fixture.h"

#include "buf.h"
#include "evolve_workers.h"
#include "os.h"

#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the workers count together, in memory shared with them. */
typedef struct {
	int running, most;
} tally;

/* What this process heard, in order. */
typedef struct {
	tally *shared;
	buf heard;
} hearing;

/* Counts this worker in while it works, keeping the most at once. */
static void count_in(tally *t)
{
	int now = __atomic_add_fetch(&t->running, 1, __ATOMIC_SEQ_CST), most;

	do
		most = __atomic_load_n(&t->most, __ATOMIC_SEQ_CST);
	while (now > most && !__atomic_compare_exchange_n(&t->most, &most, now, 0,
							  __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
}

/* Worker i says "step i", then ends well, fails (3) or dies (4). */
static int work(json_t **out, void *ctx, evolve_worker *w)
{
	hearing *h = ctx;

	count_in(h->shared);
	usleep(20000);  /* long enough for the others to be started, if they may */
	evolve_workers_say(w, json_pack("{s:i}", "step", (int)w->index));
	__atomic_sub_fetch(&h->shared->running, 1, __ATOMIC_SEQ_CST);
	if (w->index == 4)
		_exit(7);
	*out = json_pack("{s:i}", "worker", (int)w->index);
	return w->index == 3 ? err_set(ERR_GENERIC, "worker 3 gives up") : 0;
}

static void said(void *ctx, size_t i, const json_t *msg)
{
	hearing *h = ctx;

	buf_printf(&h->heard, "%zu said %d; ", i, (int)json_integer_value(json_object_get(msg, "step")));
}

static int done(void *ctx, size_t i, const json_t *out, const char *error, int status)
{
	hearing *h = ctx;

	buf_printf(&h->heard, "%zu done (%d, %s, exit %d); ", i,
		   (int)json_integer_value(json_object_get(out, "worker")),
		   error ? error : "nothing came", WEXITSTATUS(status));
	return 0;
}

/* Five workers, two at a time, heard in order: each is heard to its end
 * before the next, is done once, with what it sent back even when it
 * failed, or, dead, with nothing; never more than two run at once. */
static void test_workers_are_bounded_and_heard_in_order(void **state)
{
	tally *shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	hearing h = { shared, BUF_INIT };
	evolve_workers_job job = {
		.what = "a worker", .n = 5, .at_once = 2, .in_order = 1, .work = work,
		.said = said, .done = done, .ctx = &h,
	};

	(void)state;
	assert_true(shared != MAP_FAILED);
	memset(shared, 0, sizeof(*shared));
	assert_int_equal(evolve_workers_run(&job), 0);
	assert_string_equal(buf_cstr(&h.heard),
			    "0 said 0; 0 done (0, , exit 0); 1 said 1; 1 done (1, , exit 0); "
			    "2 said 2; 2 done (2, , exit 0); "
			    "3 said 3; 3 done (3, worker 3 gives up, exit 1); "
			    "4 said 4; 4 done (0, nothing came, exit 7); ");
	assert_true(shared->most >= 1 && shared->most <= 2);
	assert_int_equal(shared->running, 0);
	job.n = EVOLVE_WORKERS_MAX + 1;
	assert_int_equal(evolve_workers_run(&job), ERR_INVALID);
	assert_string_equal(err_last(), "at most 64 workers can run at once");
	buf_free(&h.heard);
	munmap(shared, sizeof(*shared));
}

/* Waits for the stop, which a signal sends this process, not its forks. */
static int wait_for_stop(json_t **out, void *ctx, evolve_worker *w)
{
	int i;

	(void)ctx;
	for (i = 0; i < 1000 && !*w->stop; i++)
		usleep(10000);
	*out = json_pack("{s:b}", "stopped", *w->stop != 0);
	return 0;
}

static int stopped(void *ctx, size_t i, const json_t *out, const char *error, int status)
{
	(void)ctx;
	(void)status;
	assert_string_equal(error, "");
	assert_true(json_is_true(json_object_get(out, "stopped")));
	return i == 1 ? err_set(ERR_GENERIC, "worker 1 was stopped") : 0;
}

static int always(void *ctx)
{
	(void)ctx;
	return 1;
}

/* A stop seen here reaches every worker, all at once; the first error
 * done returns is the run's, after every worker was heard. */
static void test_a_stop_reaches_every_worker(void **state)
{
	evolve_workers_job job = {
		.what = "a worker", .n = 3, .work = wait_for_stop, .done = stopped,
		.stopping = always,
	};

	(void)state;
	assert_int_equal(evolve_workers_run(&job), ERR_GENERIC);
	assert_string_equal(err_last(), "worker 1 was stopped");
}

/* The processes whose command line names `dir`, zombies aside. */
static int processes_naming(const char *dir)
{
	DIR *proc = opendir("/proc");
	struct dirent *ent;
	int n = 0;

	assert_non_null(proc);
	while ((ent = readdir(proc)) != NULL) {
		char path[300], *cmdline = NULL;
		size_t len = 0, at;
		if (!isdigit((unsigned char)ent->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", ent->d_name);
		if (os_read_file(&cmdline, &len, path) < 0)
			continue;  /* gone meanwhile */
		for (at = 0; at < len; at += strlen(cmdline + at) + 1)
			if (strcmp(cmdline + at, dir) == 0) {
				n++;
				break;
			}
		free(cmdline);
	}
	closedir(proc);
	return n;
}

/* kill -9 while both -j workers' task agents wait for the model: the
 * workers die with the host, nothing of the run is left, and the next run
 * goes on. */
static void test_workers_die_with_the_host(void **state)
{
	char *prices = llm_fixture_prices(), *lab = llm_fixture_lab("workers_kill"), url[128];
	char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "1", "-j", "2",
			 "--llm", "openai:test-model", "--llm-url", url, "--llm-prices", prices,
			 "--llm-timeout", "60", "--llm-concurrency", "2", NULL };
	run_options no_wait = { .no_wait = 1 };
	llm_server s;
	run_result r;
	int i;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	llm_fixture_start(&s, json_pack("{s:[{s:s, s:[{s:i}]}, {s:s, s:[{s:i}]}]}", "rules",
					"match", "Interface (snake)", "replies", "hang", 120,
					"match", "Interface (email)", "replies", "hang", 120),
			  "workers_kill_server");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	run_host_with(&r, &no_wait, argv);  /* gen_000 measured again, with the model */
	for (i = 0; i < 300 && llm_fixture_count(&s) < 2; i++)
		usleep(100000);
	assert_int_equal(llm_fixture_count(&s), 2);  /* both tasks' agents wait */
	kill(r.status, SIGKILL);
	waitpid(r.status, NULL, 0);
	for (i = 0; i < 100 && processes_naming(lab) > 0; i++)
		usleep(100000);
	assert_int_equal(processes_naming(lab), 0);
	run_result_free(&r);
	llm_fixture_stop(&s);
	/* nothing holds the lab: the next run goes on, offline */
	HOST(&r, "evolve", "--dir", lab, "--gens", "1", "-j", "2");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_001  parent gen_000");
	run_result_free(&r);
	os_remove_tree(lab);
	free(lab);
	unlink(prices);
	free(prices);
}

void test_group_workers(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workers_are_bounded_and_heard_in_order),
		cmocka_unit_test(test_a_stop_reaches_every_worker),
		cmocka_unit_test(test_workers_die_with_the_host),
	};

	HARNESS_GROUP(t, "workers", tests);
}
