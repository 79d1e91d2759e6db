/*
 * test_reports.c - what generated code can make the host believe about a
 * run: nothing but its own failure.
 *
 * A solution's process can write the host single bytes only once its
 * code may run (test_timing.c), so it cannot send a result, a time or a
 * failure of the runner's; an agent shares its process with the channel,
 * so the reports only the runner makes (its own failure, a build's) count
 * only until its code starts. And whatever a
 * held-out run produces besides its status and score stays in eval.c,
 * where a message, an exit status or feedback could carry the held-out
 * inputs out to records, archives and prompts.
 */
#include "harness.h"
#include "lab_fixture.h"

#include "agent_run.h"
#include "agents.h"
#include "broker.h"
#include "error.h"
#include "eval.h"
#include "os.h"
#include "evolve_internal.h"
#include "record.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The system call instruction, and a frame written with it to the channel
 * (fd 3): no allowlist sees either. */
static const char raw_calls[] =
	"#include <string.h>\n"
	"static long raw(long nr, long a, long b, long c)\n"
	"{ long r; __asm__ volatile(\"syscall\" : \"=a\"(r) : \"a\"(nr), \"D\"(a), \"S\"(b), \"d\"(c)\n"
	"  : \"rcx\", \"r11\", \"memory\"); return r; }\n"
	"static void send_frame(const char *text)\n"
	"{ unsigned char head[4]; long n = (long)strlen(text);\n"
	"  head[0] = 0; head[1] = (unsigned char)(n >> 16); head[2] = (unsigned char)(n >> 8);\n"
	"  head[3] = (unsigned char)n; raw(1, 3, (long)head, 4); raw(1, 3, (long)text, n); }\n";

/* An email solution right on no case, which on a first call whose input
 * is not the first training case (so only in a held-out run) ends its
 * process with the first byte of the input as its exit status: a held-out
 * input's byte, in the host's "exited with status N". */
static const char leaking_solution[] =
	"#include \"email.h\"\n#include <string.h>\n"
	"static int calls;\n"
	"int validate_email(const char *s)\n"
	"{ if (++calls == 1 && strcmp(s, \"user@example.com\") != 0)\n"
	"    raw(231, (unsigned char)s[0], 0, 0);\n"
	"  return 0; }\n";

static char *with_raw(const char *code)
{
	return harness_subst("@RAW@\n@CODE@", "@RAW@", raw_calls, "@CODE@", code, NULL);
}

/* The held-out run failed, and said nothing but that. */
static void assert_sealed(const eval_result *r, const task *t)
{
	char leaked[64];

	snprintf(leaked, sizeof(leaked), "status %d", (unsigned char)t->holdout[0].input[0]);
	assert_int_equal(r->status, SANDBOX_BAD_OUTPUT);
	assert_string_equal(r->detail, "its output was wrong or missing");
	assert_string_equal(r->feedback, "");
	assert_null(r->diagnostics);
	assert_null(strstr(r->detail, leaked));
}

static void test_a_held_out_run_keeps_only_status_and_score(void **state)
{
	task *t = harness_task("email");
	char *code = with_raw(leaking_solution);
	record_task rt;
	eval_result r;

	(void)state;
	assert_string_equal(t->train[0].input, "user@example.com");
	/* the training run is what the solution's author sees: all of it */
	assert_int_equal(eval_solution(&r, t, "leak.c", code, EVAL_TRAIN), 0);
	assert_int_equal(r.status, SANDBOX_OK);
	eval_result_free(&r);
	assert_int_equal(eval_solution(&r, t, "leak.c", code, EVAL_HOLDOUT), 0);
	assert_sealed(&r, t);
	eval_result_free(&r);

	/* the record, which the archive hands to every later meta agent */
	memset(&rt, 0, sizeof(rt));
	assert_int_equal(evolve_score_solution(&rt, t, code, 1, NULL), 0);
	assert_string_equal(rt.problem, "the solution failed the host's run on the held-out "
			    "cases: its output was wrong or missing");
	assert_true(rt.holdout_fitness == 0);
	record_task_free(&rt);
	free(code);
	task_free(t);
}

/* The same through the command line: bench says how the held-out run
 * ended in the host's words, never the run's. */
static void test_bench_says_only_how_a_held_out_run_ended(void **state)
{
	char *code = with_raw(leaking_solution), *path = harness_scratch("leak.c");
	json_t *out;
	run_result r;

	(void)state;
	assert_int_equal(os_write_file(path, code, strlen(code)), 0);
	HOST(&r, "bench", "email", path, "--holdout", "--json");
	assert_int_equal(r.status, 1);  /* the held-out run failed */
	out = json_loads(r.out, 0, NULL);
	assert_non_null(out);
	assert_string_equal(json_string_value(json_object_get(out, "holdout_status")),
			    "bad_output");
	assert_string_equal(json_string_value(json_object_get(out, "holdout_detail")),
			    "its output was wrong or missing");
	json_decref(out);
	run_result_free(&r);
	HOST(&r, "bench", "email", path, "--holdout");
	assert_int_equal(r.status, 1);
	assert_contains(r.out, "held-out  failed, bad_output: its output was wrong or missing\n");
	run_result_free(&r);
	unlink(path);
	free(path);
	free(code);
}

/* A task agent that sends the runner's own reports, then ends. */
static void run_forger(agent_run_result *run, const char *report)
{
	char *agent = harness_subst("char *task_agent_improve(const char *s)\n"
				    "{ (void)s; send_frame(\"@REPORT@\"); raw(231, 0, 0, 0); return 0; }\n",
				    "@REPORT@", report, NULL);
	char *source = with_raw(agent);
	sandbox_limits limits = { 20000, 20000, 256 };
	task *t = harness_task("email");
	agent_files f = { NULL, 0 };
	broker b;

	assert_int_equal(agents_set(&f, "task_agent.c", source), 0);
	assert_int_equal(agents_set(&f, "meta_agent.c", harness_meta_agent), 0);
	broker_init(&b, t, NULL, 3, 20);
	/* the host's own errors are negative: this is the agent's failure */
	if (agent_run(run, &f, "task_agent_improve", t->initial_text, &b, &limits, 1) < 0)
		fail_msg("the agent's report was taken for the host's: %s", err_last());
	broker_free(&b);
	agents_free(&f);
	task_free(t);
	free(source);
	free(agent);
}

static void test_an_agents_runner_reports_are_its_own_failure(void **state)
{
	static const struct {
		const char *report, *outcome;
	} forged[] = {
		{ "{\\\"outcome\\\":\\\"error\\\",\\\"message\\\":\\\"sandbox: out of disk\\\"}",
		  "error" },
		{ "{\\\"outcome\\\":\\\"compile_error\\\",\\\"stage\\\":\\\"driver\\\","
		  "\\\"diagnostics_text\\\":\\\"driver.c:1: error: x\\\"}", "compile_error" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		agent_run_result run;
		char expect[128];

		run_forger(&run, forged[i].report);
		assert_int_equal(run.outcome.status, SANDBOX_PROTOCOL_ERROR);
		snprintf(expect, sizeof(expect), "the code sent a report only the runner makes "
			 "(outcome '%s')", forged[i].outcome);
		assert_contains(run.outcome.detail, expect);
		agent_run_result_free(&run);
	}
}

/* A meta agent that passes smoke (an empty archive) and, live, sends the
 * runner's failure on every rewrite: each is an invalid candidate, and
 * the run goes on. */
static const char forging_meta_agent[] =
	"int meta_agent_rewrite(const char *archive)\n"
	"{\n"
	"  if (archive[0] == '{') {\n"
	"    send_frame(\"{\\\"outcome\\\":\\\"error\\\",\\\"message\\\":\\\"sandbox: stop\\\"}\");\n"
	"    raw(231, 0, 0, 0);\n"
	"  }\n"
	"  host_emit(\"memory.md\", \"a note\\n\");\n"
	"  return 0;\n"
	"}\n";

static void test_a_meta_agents_forged_failure_does_not_stop_evolve(void **state)
{
	char *meta = with_raw(forging_meta_agent);
	char *agents = seed_with_meta_agent("forging_seed", meta);
	char *lab = scratch("forging_lab");
	run_result r;

	(void)state;
	HOST(&r, "init", "--dir", lab, "--from", agents, "--tasks", "email", "--budget", "2");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", lab, "--gens", "2");
	if (r.status != 0)
		fail_msg("evolve stopped: %s", r.err);
	assert_contains(r.out, "the code sent a report only the runner makes (outcome 'error')");
	assert_contains(r.out, "2 generations");
	run_result_free(&r);
	assert_int_equal(tag_count(lab), 3);
	os_remove_tree(lab);
	os_remove_tree(agents);
	free(lab);
	free(agents);
	free(meta);
}

void test_group_reports(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_held_out_run_keeps_only_status_and_score),
		cmocka_unit_test(test_bench_says_only_how_a_held_out_run_ended),
		cmocka_unit_test(test_an_agents_runner_reports_are_its_own_failure),
		cmocka_unit_test(test_a_meta_agents_forged_failure_does_not_stop_evolve),
	};

	HARNESS_GROUP(t, "reports", tests);
}
