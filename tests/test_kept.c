/*
 * test_kept.c - nothing scored is lost. A task agent that scored a
 * solution through host_eval and then hung leaves that solution: improve
 * writes it and exits 0, and evolve's record measures it and says why. A
 * model call that never returns costs the agent that call, not the
 * solution the model gave it before.
 */
#include "llm_fixture.h"
#include "lab_fixture.h"

#include "buf.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEPT_MARK "/* scored, then the agent hung */"

/* A task agent that scores the initial solution with a mark added, then
 * spins until the host stops it; on a smoke run's budget of 2 it returns
 * instead, and it has a strategy constant for the offline meta agent to
 * rewrite, so that it validates. */
static const char hanging_agent[] =
	"#include <stdlib.h>\n#include <string.h>\n\n"
	"/* ---- strategy (rewritten by the meta agent) ---- */\n"
	"#define PATIENCE 2                 /* a constant the offline meta agent can change */\n\n"
	"char *task_agent_improve(const char *initial)\n{\n"
	"\tstatic const char mark[] = \"\\n" KEPT_MARK "\\n\";\n"
	"\tsize_t n = strlen(initial);\n"
	"\tchar *kept = malloc(n + sizeof(mark));\n"
	"\thost_eval_result r;\n\thost_budget_info b;\n\n"
	"\tmemcpy(kept, initial, n);\n\tmemcpy(kept + n, mark, sizeof(mark));\n"
	"\tif (host_eval(kept, &r) < 0 || host_budget(&b) < 0 || b.evals_left < PATIENCE)\n"
	"\t\treturn kept;\n"
	"\tfor (;;)\n\t\t;\n}\n";

/* The seed's agents with the task agent above: $TMPDIR/NAME. */
static char *hanging_agents(const char *name)
{
	return seed_with_task_agent(name, hanging_agent);
}

static void test_improve_writes_what_a_hung_agent_scored(void **state)
{
	char *agents = hanging_agents("hanging_agents"), *out = harness_scratch("kept.c"), *text;
	char *argv[] = { "host", "improve", "snake", "--agent", agents, "--budget", "4",
			 "--seconds", "1", "-o", out, NULL };
	run_result r;

	(void)state;
	unlink(out);
	run_host_with(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "agent     the agent timed out (no result within the 1000 ms "
			"deadline); its best scored solution (");
	assert_contains(r.out, ") was kept\n");
	assert_contains(r.out, "written   ");
	run_result_free(&r);
	assert_int_equal(os_read_file(&text, NULL, out), 0);
	assert_contains(text, KEPT_MARK);
	free(text);
	unlink(out);
	free(out);
	os_remove_tree(agents);
	free(agents);
}

static void test_evolve_records_why_a_solution_was_kept(void **state)
{
	char *agents = hanging_agents("hanging_seed"), *lab = harness_scratch("kept_lab");
	char score[64], *text;
	const json_t *snake;
	json_t *note;
	run_result r;

	(void)state;
	os_remove_tree(lab);
	HOST(&r, "init", "--dir", lab, "--from", agents, "--tasks", "snake", "--budget", "3",
	     "--agent-seconds", "1");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	llm_fixture_git(&r, lab, "notes", "show", "gen_000");
	note = json_loads(r.out, 0, NULL);
	run_result_free(&r);
	assert_non_null(note);
	snake = json_object_get(json_object_get(note, "tasks"), "snake");
	assert_string_equal(json_string_value(json_object_get(snake, "agent")), "timeout");
	/* the host's own score of the kept solution is the one it had given it */
	snprintf(score, sizeof(score), "its best scored solution (%g) was kept",
		 json_number_value(json_object_get(snake, "train")));
	text = (char *)json_string_value(json_object_get(snake, "problem"));
	assert_contains(text, "the agent timed out (no result within the 7000 ms deadline); ");
	assert_contains(text, score);
	assert_true(json_number_value(json_object_get(snake, "fitness")) > 0);
	json_decref(note);
	os_remove_tree(lab);
	free(lab);
	os_remove_tree(agents);
	free(agents);
}

/* The seed task agent's second call never returns: the model time of the
 * run ends it, and the first call's solution, scored, is what improve
 * writes. */
static void test_a_call_that_never_returns_costs_only_itself(void **state)
{
	char *snake = harness_read("tests/llm/snake_good.c"), *out = harness_scratch("first.c");
	char *argv[] = { "host", "improve", "snake", "--agent", "seed", "--budget", "6",
			 "--llm", "openai:test-model", "--llm-url", "@URL@", "--llm-calls", "2",
			 "--llm-run-seconds", "4", "-o", out, NULL };
	buf good = BUF_INIT;
	json_t *requests;
	char *text;
	run_result r;

	(void)state;
	buf_printf(&good, "```c\n%s```", snake);
	requests = llm_fixture_run(&r, llm_fixture_script(json_pack("[o, {s:i}]",
		llm_fixture_reply(good.data, 1500, 900), "hang", 60)), "never_returns", argv);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "model     call 2 failed: the deadline ended the call after 1 "
			"attempt");
	assert_contains(r.out, "written   ");
	assert_int_equal(json_array_size(requests), 2);  /* the hung call was not sent again */
	run_result_free(&r);
	assert_int_equal(os_read_file(&text, NULL, out), 0);
	assert_contains(text, "the snake heuristic with tuned weights, as a model might");
	free(text);
	json_decref(requests);
	buf_free(&good);
	unlink(out);
	free(out);
	free(snake);
}

void test_group_kept(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_improve_writes_what_a_hung_agent_scored),
		cmocka_unit_test(test_evolve_records_why_a_solution_was_kept),
		cmocka_unit_test(test_a_call_that_never_returns_costs_only_itself),
	};

	HARNESS_GROUP(t, "kept", tests);
}
