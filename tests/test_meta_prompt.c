/*
 * test_meta_prompt.c - what the seed meta agent's prompt tells the model,
 * against a scripted model 1 s late: each task's description, its
 * evaluations' times against their limit, the best solution's code,
 * generations named as host names them (gen_000 with no parent), a long
 * summary cut after a word; and, in a small budget, the solutions' code
 * left out before what matters more, saying so. The archive the host
 * builds holds them, and no held-out case reaches it or a prompt.
 */
#include "lab_fixture.h"
#include "llm_fixture.h"

#include "buf.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LATE 1.0   /* seconds each meta agent's reply takes */

/* The model's first summary, over the 200 bytes the host keeps of one,
 * and what is kept of it: up to the last word that fits, then "…". */
#define LONG_SUMMARY "fewer candidates per round, so that more rounds fit the budget " \
	"of evaluations that each task agent is given, which should let the search " \
	"shrink its steps before the budget is spent and reach better solutions on " \
	"the harder cases of every task"
#define KEPT_SUMMARY "fewer candidates per round, so that more rounds fit the budget " \
	"of evaluations that each task agent is given, which should let the search " \
	"shrink its steps before the budget is spent and reach better\xe2\x80\xa6"

static const char first_edit[] =
	"FILE: task_agent.c\n<<<<<<< SEARCH\n"
	"#define CANDIDATES 6              /* candidates per round */\n"
	"=======\n#define CANDIDATES 4              /* candidates per round */\n>>>>>>> REPLACE\n"
	"SUMMARY: " LONG_SUMMARY "\n";
/* Applies whether or not the first was accepted. */
static const char second_edit[] =
	"FILE: task_agent.c\n<<<<<<< SEARCH\n#define MIN_STEP 0.02             /* below this the "
	"search restarts */\n=======\n#define MIN_STEP 0.03             /* below this the "
	"search restarts */\n>>>>>>> REPLACE\nSUMMARY: restart the search a little earlier\n";

/* Nonzero when `input` is part of one of `cases`' inputs. */
static int within(const json_t *cases, const char *input)
{
	const json_t *c;
	size_t i;

	json_array_foreach(cases, i, c)
		if (strstr(json_string_value(json_object_get(c, "input")), input))
			return 1;
	return 0;
}

/* Fails when `user` holds an input of one of tasks/email's held-out
 * cases, but those that are part of a training input (such as "a@b"),
 * which the training feedback may quote. */
static void assert_no_held_out_case(const char *user)
{
	char *text = harness_read("tasks/email/holdout.json");
	char *task = harness_read("tasks/email/task.json");
	json_t *cases = json_loads(text, 0, NULL), *train = json_loads(task, 0, NULL), *c;
	size_t i;

	assert_true(json_array_size(cases) > 0);
	json_array_foreach(cases, i, c) {
		const char *input = json_string_value(json_object_get(c, "input"));
		if (input && *input && !within(json_object_get(train, "train"), input) &&
		    strstr(user, input))
			fail_msg("a meta prompt holds the held-out case \"%s\"", input);
	}
	json_decref(cases);
	json_decref(train);
	free(text);
	free(task);
}

/* The script: the two edits, 1 s late; tasks/email's reference solution
 * for the task agents. */
static json_t *script(void)
{
	char *email = harness_read("tests/solutions/email_reference.c");
	buf code = BUF_INIT;
	json_t *s;

	buf_printf(&code, "```c\n%s```\n", email);
	s = json_pack("{s:[{s:s, s:[o, o]}, {s:s, s:[o, o, o]}]}", "rules",
		      "match", "FILE: task_agent.c", "replies",
		      llm_fixture_reply(first_edit, 3000, 80), llm_fixture_reply(second_edit, 3000, 80),
		      "match", "Interface (email)", "replies", llm_fixture_reply(code.data, 1000, 500),
		      llm_fixture_reply(code.data, 1000, 500), llm_fixture_reply(code.data, 1000, 500));
	buf_free(&code);
	free(email);
	return llm_fixture_late_rule(s, "FILE: task_agent.c", LATE);
}

/* Two generations of email with the model, one call per agent run: the
 * second meta prompt holds the description, the parent's longest
 * evaluation against the 2 s limit, the best solution's code (the
 * model's, gen_001's on: the offline gen_000 is measured again first),
 * gen_000 with no parent, and the first rewrite's summary cut after a
 * word. Five calls: three task agents' and two meta agents'. */
static void test_meta_prompt_informs(void **state)
{
	char *lab = harness_scratch("informs_lab"), *prices = llm_fixture_prices();
	char *description = NULL, *reference = harness_read("tests/solutions/email_reference.c");
	char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "2",
			 "--llm", "openai:test-model", "--llm-url", "@URL@", "--llm-prices", prices,
			 "--llm-calls", "1", NULL };
	char *task_json = harness_read("tasks/email/task.json");
	json_t *task = json_loads(task_json, 0, NULL), *requests, *meta;
	const char *user;
	run_result r;

	(void)state;
	os_remove_tree(lab);
	HOST(&r, "init", "--dir", lab, "--tasks", "email");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	requests = llm_fixture_run(&r, script(), "informs", argv);
	if (r.status != 0)
		fail_msg("evolve: %s%s", r.out, r.err);
	assert_contains(r.out, "gen_003");
	run_result_free(&r);
	assert_int_equal(json_array_size(requests), 5);
	meta = llm_fixture_meta_requests(requests);
	assert_int_equal(json_array_size(meta), 2);
	assert_contains(llm_fixture_user(meta, 0), "gen_001, the one you are rewriting (parent "
			"gen_000): accepted");
	user = llm_fixture_user(meta, 1);
	description = strdup(json_string_value(json_object_get(task, "description")));
	description[120] = '\0';  /* its start, which no cut reaches */
	assert_contains(user, "What each task asks, as its task agent is told:\n- email: ");
	assert_contains(user, description);
	assert_contains(user, " failed; longest evaluation ");
	assert_contains(user, " ms of 2000 ms); model calls: 1\n");
	assert_contains(user, "The best solution so far of each task: ");
	assert_contains(user, ", training score 1:\n```c\n");
	assert_contains(user, reference);
	assert_contains(user, "gen_000 (no parent): accepted, fitness ");
	assert_contains(user, "What it changed: " KEPT_SUMMARY "\n");
	assert_null(strstr(user, "the harder cases"));
	assert_null(strstr(user, "(parent 0)"));
	assert_no_held_out_case(llm_fixture_user(meta, 0));
	assert_no_held_out_case(user);
	json_decref(meta);
	json_decref(requests);
	json_decref(task);
	free(task_json);
	free(description);
	free(reference);
	os_remove_tree(lab);
	unlink(prices);
	free(prices);
	free(lab);
}

/* An archive: gen_001, whose task agent's longest evaluation took 412 ms
 * of 2000, is the parent; gen_000 has no parent; email's best solution,
 * `code_lines` long, is gen_001's. */
static char *archive(long prompt_max, int code_lines)
{
	buf code = BUF_INIT;
	json_t *a;
	char *text;
	int i;

	buf_puts(&code, "#include \"email.h\"\n\nint validate_email(const char *s)\n{\n");
	for (i = 0; i < code_lines; i++)
		buf_printf(&code, "\tif (s[%d] == '#')  /* rule %d of the best solution */\n"
			   "\t\treturn 0;\n", i, i);
	buf_puts(&code, "\treturn 1;\n}\n");
	a = json_pack("{s:i, s:{s:i, s:i, s:i, s:I}, s:[{s:s, s:s, s:b, s:f, s:f, s:s, "
		      "s:{s:i, s:f, s:s}}], s:[{s:i, s:i, s:s, s:f, s:s, s:[]}, {s:i, s:i, s:s, s:f, "
		      "s:s, s:[{s:s, s:f, s:f, s:f, s:i, s:[s]}]}]}",
		      "parent", 1, "limits", "evals_per_task", 12, "llm_calls_per_run", 4,
		      "meta_seconds", 60, "prompt_max_chars", (json_int_t)prompt_max,
		      "tasks", "name", "email", "metric", "accuracy", "higher_is_better", 1,
		      "baseline", 0.5, "target", 1.0, "description",
		      "Write validate_email(s): nonzero when s is a valid address.",
		      "best", "generation", 1, "train", 0.9, "code", code.data,
		      "generations", "generation", 0, "parent", 0, "status", "accepted",
		      "fitness", 0.5, "summary", "the seed", "tasks",
		      "generation", 1, "parent", 0, "status", "accepted", "fitness", 0.8,
		      "summary", "more candidates", "tasks", "name", "email", "train", 0.9,
		      "longest_eval_ms", 412.0, "evals", 12.0, "eval_limit_ms", 2000,
		      "trace", "eval 1: ok, score 0.9, 0.412 s of 2.000 s wall, the first: ok");
	text = json_dumps(a, 0);
	json_decref(a);
	buf_free(&code);
	return text;
}

/* A budget with room for task_agent.c, agent.h and the parent's detail
 * but not for the best solution's 15,000 characters: the code is left
 * out, and the prompt says so; all else that matters more is there. */
static void test_a_small_budget_leaves_out_the_code_first(void **state)
{
	char *text = archive(32000, 120), *dir;
	json_t *meta;
	const char *user;
	run_result r;

	(void)state;
	meta = llm_fixture_rewrite(&r, text, llm_fixture_late(json_pack("[o]",
				   llm_fixture_reply(second_edit, 3000, 80)), LATE), &dir, "small");
	run_result_free(&r);
	assert_int_equal(json_array_size(meta), 1);
	user = llm_fixture_user(meta, 0);
	assert_contains(user, "agent.h:\n```\n");
	assert_contains(user, "task_agent.c:\n```\n");
	assert_contains(user, "- email: Write validate_email(s): nonzero when s is a valid address.\n");
	assert_contains(user, "gen_001, the one you are rewriting (parent gen_000): accepted");
	assert_contains(user, "evaluations: 12 (0 kept, 0 failed; longest evaluation 412 ms of "
			"2000 ms)");
	assert_contains(user, "gen_000 (no parent): accepted, fitness 0.5000: the seed\n");
	assert_contains(user, "Left out for the budget: the best solution of email.\n");
	assert_null(strstr(user, "rule 0 of the best solution"));
	/* the meta agent's own files that did not fit are named, not dropped unseen */
	assert_contains(user, "Left out for the budget: task_model.c, meta_agent.c, gi_search.c, meta_model.c, "
			"meta_edits.c, meta_prompt.c (the prompt's budget, --llm-prompt-max, leaves them out).\n");
	assert_null(strstr(user, "meta_edits.c:\n```\n"));
	assert_true(strlen(user) + strlen(json_string_value(json_object_get(json_array_get(meta, 0),
		    "system"))) <= 32000);
	json_decref(meta);
	os_remove_tree(dir);
	free(dir);
	free(text);
}

/* A meta agent that keeps the archive it was given: in memory.md, on the
 * line after its SUMMARY line. */
#define KEPT_MARK "SUMMARY: kept the archive\n"

static const char archive_keeper[] =
	"#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
	"int meta_agent_rewrite(const char *archive)\n{\n"
	"\tchar *memory = host_read(\"memory.md\"), *out;\n"
	"\tsize_t n = (memory ? strlen(memory) : 0) + strlen(archive) + 64;\n"
	"\tint rc;\n\n"
	"\tout = malloc(n);\n"
	"\tsnprintf(out, n, \"%sSUMMARY: kept the archive\\n%s\\n\", memory ? memory : \"\", archive);\n"
	"\trc = host_emit(\"memory.md\", out);\n"
	"\tfree(out);\n\tfree(memory);\n\treturn rc;\n}\n";

/* The archive gen_002's meta agent was given, offline: each task's
 * description, its best solution (the one the lab keeps), each
 * generation's longest evaluation and its limit; no held-out case. */
static void test_the_archive_holds_what_the_prompt_shows(void **state)
{
	char *from = seed_with_meta_agent("keeper", archive_keeper), *lab = harness_scratch("keeper_lab");
	char *task_json = harness_read("tasks/email/task.json"), solution[64];
	const char *at, *line = NULL;
	json_t *task = json_loads(task_json, 0, NULL), *archive, *email, *best, *g;
	run_result r, kept;
	size_t i;

	(void)state;
	os_remove_tree(lab);
	HOST(&r, "init", "--dir", lab, "--from", from, "--tasks", "email");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", lab, "--gens", "2", "--quiet");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	llm_fixture_git(&r, lab, "show", "gen_002:memory.md", NULL);
	assert_no_held_out_case(r.out);  /* both archives, gen_001's and gen_002's */
	for (at = r.out; (at = strstr(at, KEPT_MARK)) != NULL; at++)
		line = at;  /* the last: gen_002's */
	assert_non_null(line);
	archive = json_loads(line + strlen(KEPT_MARK), JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(archive);
	email = json_array_get(json_object_get(archive, "tasks"), 0);
	assert_non_null(json_object_get(email, "description"));
	assert_string_equal(json_string_value(json_object_get(email, "description")),
			    json_string_value(json_object_get(task, "description")));
	best = json_object_get(email, "best");
	assert_non_null(json_object_get(best, "code"));
	snprintf(solution, sizeof(solution), "gen_%03d:solutions/email.c",
		 (int)json_integer_value(json_object_get(best, "generation")));
	llm_fixture_git(&kept, lab, "show", solution, NULL);
	assert_int_equal(kept.status, 0);
	assert_string_equal(json_string_value(json_object_get(best, "code")), kept.out);
	assert_true(json_number_value(json_object_get(best, "train")) > 0);
	run_result_free(&kept);
	json_array_foreach(json_object_get(archive, "generations"), i, g) {
		json_t *result = json_array_get(json_object_get(g, "tasks"), 0);
		assert_int_equal(json_integer_value(json_object_get(result, "eval_limit_ms")), 2000);
		assert_true(json_number_value(json_object_get(result, "longest_eval_ms")) > 0);
	}
	assert_int_equal(json_array_size(json_object_get(archive, "generations")), 2);
	json_decref(archive);
	run_result_free(&r);
	json_decref(task);
	free(task_json);
	os_remove_tree(lab);
	os_remove_tree(from);
	free(lab);
	free(from);
}

void test_group_meta_prompt(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_prompt_informs),
		cmocka_unit_test(test_a_small_budget_leaves_out_the_code_first),
		cmocka_unit_test(test_the_archive_holds_what_the_prompt_shows),
	};

	HARNESS_GROUP(t, "meta_prompt", tests);
}
