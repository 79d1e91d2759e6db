/*
 * test_solutions.c - the solutions a lab finds are kept: each generation's
 * tree holds its tasks' solutions under solutions/, plain git shows them
 * evolving, host solution writes the best and host bench scores it as
 * recorded, a revert brings them back, and agent_code/ holds only the
 * agent.
 */
#include "harness.h"
#include "lab_fixture.h"
#include "llm_fixture.h"

#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_solutions_are_kept_in_git(void **state)
{
	char *lab = llm_fixture_lab("solutions_lab"), *best, *code, *agent_code;
	run_result r;

	(void)state;
	HOST(&r, "evolve", "--dir", lab, "--gens", "6", "--parallel", "2", "-j", "2");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_003  parent gen_000  accepted  fitness 0.5992");
	run_result_free(&r);
	llm_fixture_git(&r, lab, "ls-tree", "--name-only", "gen_000:solutions");
	assert_string_equal(r.out, "email.c\nsnake.c\n");
	run_result_free(&r);
	/* plain git shows the solution evolving beside the agent's change */
	llm_fixture_git(&r, lab, "diff", "gen_000", "gen_003");
	assert_contains(r.out, "diff --git a/solutions/snake.c b/solutions/snake.c");
	assert_contains(r.out, "diff --git a/task_agent.c b/task_agent.c");
	run_result_free(&r);
	agent_code = os_path_join(lab, "agent_code/solutions");
	assert_false(os_is_dir(agent_code));
	free(agent_code);
	/* the best on training, written and scored again as recorded */
	best = os_path_join(lab, "best.c");
	HOST(&r, "solution", "snake", "-o", best, "--dir", lab);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "wrote ");
	assert_contains(r.out, "gen_003's snake solution: training 31.95, held-out 30.2");
	run_result_free(&r);
	HOST(&r, "bench", "snake", best);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "score     31.95 ");
	run_result_free(&r);
	code = harness_read(best);
	HOST(&r, "solution", "snake", "gen_003", "--dir", lab);
	assert_string_equal(r.out, code);  /* printed, the same text */
	assert_contains(r.err, "gen_003's snake solution: training 31.95");
	run_result_free(&r);
	free(code);
	HOST(&r, "show", "gen_003", "--dir", lab);
	assert_contains(r.out, "solution  snake: solutions/snake.c (host solution snake gen_003)");
	run_result_free(&r);
	/* a revert brings back the solutions with the agent */
	HOST(&r, "revert", "gen_000", "--dir", lab);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	llm_fixture_git(&r, lab, "diff", "gen_000", "gen_007");
	assert_string_equal(r.out, "");
	run_result_free(&r);
	unlink(best);
	free(best);
	os_remove_tree(lab);
	free(lab);
}

/* What a user can get wrong, each error naming what would fix it. */
static void test_solution_errors(void **state)
{
	char *lab = llm_fixture_lab("solutions_errors"), *path;
	run_result r;

	(void)state;
	HOST(&r, "solution", "--dir", lab);
	assert_int_equal(r.status, 2);
	assert_contains(r.err, "missing TASK (for example: host solution snake)");
	run_result_free(&r);
	HOST(&r, "solution", "tsp", "--dir", lab);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "no generation of this lab was measured on a task named 'tsp' "
			"(its tasks: email, snake)");
	run_result_free(&r);
	HOST(&r, "solution", "snake", "gen_009", "--dir", lab);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "there is no generation gen_009");
	run_result_free(&r);
	HOST(&r, "solution", "tsp", "gen_000", "--dir", lab);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "gen_000 has no tsp solution");
	run_result_free(&r);
	path = os_path_join(lab, "missing/dir/best.c");
	HOST(&r, "solution", "snake", "-o", path, "--dir", lab);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "missing/dir/best.c");
	assert_false(os_is_file(path));
	run_result_free(&r);
	free(path);
	os_remove_tree(lab);
	free(lab);
}

/* A task agent that returns its initial solution with a 2 MB comment. */
static const char padding_agent[] =
	"#include <stdlib.h>\n#include <string.h>\n\n"
	"/* ---- strategy (rewritten by the meta agent) ---- */\n"
	"#define PAD 2097152                 /* bytes of comment added */\n\n"
	"char *task_agent_improve(const char *initial)\n{\n"
	"\tsize_t n = strlen(initial);\n"
	"\tchar *out = malloc(n + PAD + 8);\n\n"
	"\tmemcpy(out, initial, n);\n\tmemcpy(out + n, \"\\n/*\", 3);\n"
	"\tmemset(out + n + 3, 'x', PAD);\n\tstrcpy(out + n + 3 + PAD, \"*/\\n\");\n"
	"\treturn out;\n}\n";

/* A solution larger than the host takes (1 MB, or the initial one's
 * size) is neither kept nor scored: it would go into the arena's next
 * jobs. The initial solution is scored in its place, with no fitness. */
static void test_a_solution_too_large_is_not_taken(void **state)
{
	char *agents = seed_with_task_agent("padding_seed", padding_agent);
	char *lab = harness_scratch("padding_lab"), *text, expected[200];
	const json_t *email;
	json_t *note;
	run_result r;

	(void)state;
	os_remove_tree(lab);
	HOST(&r, "init", "--dir", lab, "--from", agents, "--tasks", "email", "--budget", "3");
	if (r.status != 0)
		fail_msg("init: %s%s", r.out, r.err);
	run_result_free(&r);
	llm_fixture_git(&r, lab, "notes", "show", "gen_000");
	note = json_loads(r.out, 0, NULL);
	run_result_free(&r);
	email = json_object_get(json_object_get(note, "tasks"), "email");
	text = harness_read("tasks/email/initial.c");
	snprintf(expected, sizeof(expected), "the agent's solution is %zu bytes, above the "
		 "1048576 the host takes; the initial solution was scored instead",
		 strlen(text) + (2u << 20) + 6);
	assert_contains(json_string_value(json_object_get(email, "problem")), expected);
	assert_true(json_number_value(json_object_get(email, "fitness")) == 0);
	HOST(&r, "solution", "email", "gen_000", "--dir", lab);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, text);
	free(text);
	run_result_free(&r);
	json_decref(note);
	os_remove_tree(lab);
	free(lab);
	os_remove_tree(agents);
	free(agents);
}

void test_group_solutions(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_solutions_are_kept_in_git),
		cmocka_unit_test(test_solution_errors),
		cmocka_unit_test(test_a_solution_too_large_is_not_taken),
	};

	HARNESS_GROUP(t, "solutions", tests);
}
