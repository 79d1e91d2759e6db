/*
 * test_llm_pool.c - one model client shared by forked processes, as
 * evolve --parallel's candidates and workers share it: slots bound the
 * work at once, the server sees at most --llm-concurrency requests open,
 * a 429 slows every process down, one budget holds for all, and a replay
 * tells apart calls that ask the very same prompts.
 */
#include "harness.h"
#include "llm_fixture.h"

#include "os.h"
#include "slots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* `n` forked processes each run `body(c, i)`; each must exit 0. */
static void in_processes(int n, llm_client *c, void (*body)(llm_client *c, int i))
{
	pid_t pids[8];
	int i, status;

	fflush(NULL);
	for (i = 0; i < n; i++) {
		if ((pids[i] = fork()) == 0) {
			body(c, i);
			_exit(0);
		}
		assert_true(pids[i] > 0);
	}
	for (i = 0; i < n; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

/* Four processes, two slots: never more than two hold one at once. */
static void test_slots_bound_the_holders_of_every_process(void **state)
{
	int *shared = mmap(NULL, 2 * sizeof(int), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pids[4];
	slots *s;
	int i;

	(void)state;
	assert_true(shared != MAP_FAILED);
	shared[0] = shared[1] = 0;  /* holders now, most holders seen */
	assert_int_equal(slots_open(&s, 2), 0);
	assert_int_equal(slots_size(s), 2);
	for (i = 0; i < 4; i++)
		if ((pids[i] = fork()) == 0) {
			int k, now;
			for (k = 0; k < 5; k++) {
				if (slots_take(s, 0, NULL, NULL) < 0)
					_exit(1);
				now = __atomic_add_fetch(&shared[0], 1, __ATOMIC_SEQ_CST);
				if (now > __atomic_load_n(&shared[1], __ATOMIC_SEQ_CST))
					__atomic_store_n(&shared[1], now, __ATOMIC_SEQ_CST);
				usleep(20000);
				__atomic_sub_fetch(&shared[0], 1, __ATOMIC_SEQ_CST);
				slots_give(s);
			}
			_exit(0);
		}
	for (i = 0; i < 4; i++) {
		int status;
		waitpid(pids[i], &status, 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(shared[1], 2);
	/* a deadline that has passed ends a wait for a slot nobody gives */
	assert_int_equal(slots_take(s, 0, NULL, NULL), 0);
	assert_int_equal(slots_take(s, 0, NULL, NULL), 0);
	assert_true(slots_take(s, os_now_ms() + 200, NULL, NULL) < 0);
	assert_contains(err_last(), "the deadline passed while waiting for one of 2 slots");
	slots_close(s);
	assert_int_equal(slots_open(&s, 0), 0);  /* unbounded */
	assert_null(s);
	assert_int_equal(slots_take(s, 0, NULL, NULL), 0);
	munmap(shared, 2 * sizeof(int));
}

static llm_client *pool_client(const llm_server *s, const char *prices, int concurrency,
			       double max_usd, const char *record, const char *replay)
{
	char url[128];
	llm_options o = { .provider = "openai:test-model", .url = url, .prices_path = prices,
			  .timeout_ms = 20000, .concurrency = concurrency, .max_usd = max_usd,
			  .record_path = record, .replay_path = replay };
	llm_client *c = NULL;

	snprintf(url, sizeof(url), "%s/v1", s ? s->url : "http://127.0.0.1:9");
	assert_int_equal(llm_open(&c, &o), 0);
	return c;
}

static void one_call(llm_client *c, int i)
{
	char prompt[32], *reply = NULL;

	snprintf(prompt, sizeof(prompt), "process %d", i);
	if (llm_after_fork(c) < 0 || llm_chat(c, "sys", prompt, 0, &reply, NULL) < 0)
		_exit(1);
	free(reply);
}

/* Four processes, one client of concurrency 2, replies a second late:
 * the server never has more than two requests open, and all are served. */
static void test_concurrency_holds_across_processes(void **state)
{
	json_t *reply = llm_fixture_reply("hello", 5, 5);
	char *prices = llm_fixture_prices();
	llm_server s;
	llm_client *c;

	(void)state;
	json_object_set_new(reply, "delay", json_integer(1));
	llm_fixture_start(&s, llm_fixture_script(json_pack("[o]", reply)), "pool_open");
	c = pool_client(&s, prices, 2, 0, NULL, NULL);
	in_processes(4, c, one_call);
	assert_int_equal(llm_fixture_count(&s), 4);
	assert_int_equal(llm_fixture_most_open(&s), 2);
	assert_int_equal(llm_totals(c).calls, 4);  /* the forks' calls count here too */
	llm_close(c);
	llm_fixture_stop(&s);
	unlink(prices);
	free(prices);
}

static void late_call(llm_client *c, int i)
{
	if (i == 1)
		usleep(300000);  /* after the first process met the 429 */
	one_call(c, i);
}

/* The first request meets a 429 asking for 2 s: no process sends another
 * request before those 2 s are over. */
static void test_a_429_slows_every_process(void **state)
{
	char *prices = llm_fixture_prices();
	json_t *requests;
	llm_server s;
	llm_client *c;
	double first;
	size_t i;

	(void)state;
	llm_fixture_start(&s, llm_fixture_script(json_pack("[{s:i, s:i}, o]", "status", 429,
					"retry_after", 2, llm_fixture_reply("hello", 5, 5))),
			  "pool_429");
	c = pool_client(&s, prices, 0, 0, NULL, NULL);
	in_processes(2, c, late_call);
	requests = llm_fixture_requests(&s);
	assert_int_equal(json_array_size(requests), 3);  /* the 429, its retry, the other call */
	first = json_real_value(json_object_get(json_array_get(requests, 0), "t"));
	for (i = 1; i < 3; i++)
		assert_true(json_real_value(json_object_get(json_array_get(requests, i), "t")) >=
			    first + 1.9);
	json_decref(requests);
	llm_close(c);
	llm_fixture_stop(&s);
	unlink(prices);
	free(prices);
}

static void spend(llm_client *c, int i)
{
	char *reply = NULL;
	int rc;

	(void)i;
	if (llm_after_fork(c) < 0)
		_exit(1);
	rc = llm_chat(c, "sys", "spend", 0, &reply, NULL);
	free(reply);
	_exit(rc == 0 ? 0 : rc == LLM_ERR_BUDGET ? 2 : 1);
}

/* One budget for every process: $3.01 a call against a $5 cap, the calls
 * made one process after another: the third is refused. */
static void test_the_budget_holds_across_processes(void **state)
{
	char *prices = llm_fixture_prices();
	llm_server s;
	llm_client *c;
	int i, status;

	(void)state;
	llm_fixture_start(&s, llm_fixture_script(json_pack("[o]", llm_fixture_reply("x", 3000, 5))),
			  "pool_budget");
	c = pool_client(&s, prices, 0, 5, NULL, NULL);
	for (i = 0; i < 3; i++) {
		pid_t pid = fork();
		if (pid == 0)
			spend(c, i);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_int_equal(WEXITSTATUS(status), i < 2 ? 0 : 2);
	}
	assert_int_equal(llm_fixture_count(&s), 2);
	assert_true(llm_exhausted(c));
	assert_int_equal(llm_totals(c).calls, 2);
	llm_close(c);
	llm_fixture_stop(&s);
	unlink(prices);
	free(prices);
}

static void ask(llm_client *c, const char *tag, const char *expected)
{
	char *reply = NULL;

	llm_set_tag(c, tag);
	assert_int_equal(llm_chat(c, "sys", "the same prompt", 0, &reply, NULL), 0);
	assert_string_equal(reply, expected);
	free(reply);
	llm_set_tag(c, NULL);
}

/* Two calls ask the very same prompt and get different replies; the
 * record names them, and a replay asked in the other order answers each
 * with its own. */
static void test_a_replay_tells_the_calls_apart(void **state)
{
	char *prices = llm_fixture_prices(), *record = os_path_join(getenv("TMPDIR"), "tags.jsonl");
	llm_server s;
	llm_client *c;

	(void)state;
	unlink(record);
	llm_fixture_start(&s, llm_fixture_script(json_pack("[o, o]", llm_fixture_reply("first", 5, 5),
					llm_fixture_reply("second", 5, 5))), "pool_tags");
	c = pool_client(&s, prices, 0, 0, record, NULL);
	ask(c, "gen_002 meta call 1", "first");
	ask(c, "gen_003 meta call 1", "second");
	llm_close(c);
	llm_fixture_stop(&s);
	{
		char *text = harness_read(record);
		assert_contains(text, "\"call\":\"gen_003 meta call 1\"");
		free(text);
	}
	c = pool_client(NULL, prices, 0, 0, NULL, record);
	ask(c, "gen_003 meta call 1", "second");
	ask(c, "gen_002 meta call 1", "first");
	llm_close(c);
	unlink(record);
	free(record);
	unlink(prices);
	free(prices);
}

void test_group_llm_pool(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots_bound_the_holders_of_every_process),
		cmocka_unit_test(test_concurrency_holds_across_processes),
		cmocka_unit_test(test_a_429_slows_every_process),
		cmocka_unit_test(test_the_budget_holds_across_processes),
		cmocka_unit_test(test_a_replay_tells_the_calls_apart),
	};

	HARNESS_GROUP(t, "llm_pool", tests);
}
