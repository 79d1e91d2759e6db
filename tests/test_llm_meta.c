/*
 * test_llm_meta.c - what the meta agent sees and how its edits apply,
 * against the scripted server (tests/llm_server.py): the archive evolve
 * passes (limits, tasks, summaries, scores and traces), the seed meta
 * agent's prompt built from it (per-task scores against baseline and
 * target, the budgets, the last generation's summary, a failed proposal's
 * feedback) and kept within its budget, oldest history first; edit blocks
 * whose whitespace a model mangled, and blocks that match nothing, which
 * go back to the model with the nearest lines, twice at most.
 */
#include "llm_fixture.h"

#include "agents.h"
#include "buf.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t prompt_size(const json_t *requests, size_t i)
{
	return strlen(llm_fixture_user(requests, i)) +
	       strlen(json_string_value(json_object_get(json_array_get(requests, i), "system")));
}

static int occurrences(const char *text, const char *needle)
{
	int n = 0;

	for (; (text = strstr(text, needle)) != NULL; text++)
		n++;
	return n;
}

/* A meta agent that reports what the archive tells it, one log line per
 * part, and adds a SUMMARY line to memory.md. */
static const char archive_reader[] =
	"#include <jansson.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
	"static const char *s(json_t *o, const char *k)\n"
	"{ const char *v = json_string_value(json_object_get(o, k)); return v ? v : \"-\"; }\n"
	"static double d(json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }\n"
	"int meta_agent_rewrite(const char *text)\n{\n"
	"\tjson_t *a = json_loads(text, 0, NULL), *gens = json_object_get(a, \"generations\");\n"
	"\tjson_t *l = json_object_get(a, \"limits\"), *t = json_array_get(json_object_get(a, \"tasks\"), 0);\n"
	"\tjson_t *g = json_array_get(gens, json_array_size(gens) - 1);\n"
	"\tjson_t *r = json_array_get(json_object_get(g, \"tasks\"), 0);\n"
	"\tchar *memory = host_read(\"memory.md\"), *out;\n"
	"\tint rc;\n"
	"\thost_log(\"limits: %g evaluations, %g calls, %g s, prompt %g, max_usd %g\", d(l, \"evals_per_task\"),\n"
	"\t\t d(l, \"llm_calls_per_run\"), d(l, \"meta_seconds\"), d(l, \"prompt_max_chars\"), d(l, \"max_usd\"));\n"
	"\thost_log(\"task %s: %s, baseline %g, target %g\", s(t, \"name\"), s(t, \"metric\"),\n"
	"\t\t d(t, \"baseline\"), d(t, \"target\"));\n"
	"\thost_log(\"parent %g; gen %g: %s, summary '%s'\", d(a, \"parent\"), d(g, \"generation\"),\n"
	"\t\t s(g, \"status\"), s(g, \"summary\"));\n"
	"\thost_log(\"%s: train %g held-out %g, baseline %g target %g, %g evals, %g calls, %g kept, \"\n"
	"\t\t \"%g failed, seconds %s, %d trace lines, first '%s'\", s(r, \"name\"), d(r, \"train\"),\n"
	"\t\t d(r, \"holdout\"), d(r, \"baseline\"), d(r, \"target\"), d(r, \"evals\"), d(r, \"llm_calls\"),\n"
	"\t\t d(r, \"kept\"), d(r, \"failed\"), d(r, \"seconds\") > 0 ? \"yes\" : \"no\",\n"
	"\t\t (int)json_array_size(json_object_get(r, \"trace\")),\n"
	"\t\t json_string_value(json_array_get(json_object_get(r, \"trace\"), 0)));\n"
	"\tout = malloc((memory ? strlen(memory) : 0) + 64);\n"
	"\tsprintf(out, \"%sSUMMARY: read %d generations\\n\", memory ? memory : \"\", (int)json_array_size(gens));\n"
	"\trc = host_emit(\"memory.md\", out);\n"
	"\tfree(out);\n\tfree(memory);\n\tjson_decref(a);\n\treturn rc;\n}\n";

/* The meta agent's log lines in generation `gen`'s note, one a line. */
static char *rewrite_log(const char *lab, const char *gen)
{
	json_t *note, *e;
	buf out = BUF_INIT;
	run_result r;
	size_t i;

	llm_fixture_git(&r, lab, "notes", "show", gen);
	note = json_loads(r.out, 0, NULL);
	assert_non_null(note);
	json_array_foreach(json_object_get(note, "rewrite_trace"), i, e)
		if (json_string_value(json_object_get(e, "line")))
			buf_printf(&out, "%s\n", json_string_value(json_object_get(e, "line")));
	json_decref(note);
	run_result_free(&r);
	return buf_detach(&out);
}

/* Offline, the archive evolve passes holds the limits (the prompt budget
 * given), the tasks with baseline and target, the parent, and the last
 * generation's summary, scores per task, spend and trace. */
static void test_archive_holds_what_the_meta_agent_needs(void **state)
{
	char *from = harness_scratch("reader"), *lab = harness_scratch("reader_lab"), *log;
	agent_files f;
	run_result r;

	(void)state;
	os_remove_tree(from);
	os_remove_tree(lab);
	assert_int_equal(agents_load(&f, "seed"), 0);  /* the seed's task agent, with its GI */
	assert_int_equal(agents_set(&f, "meta_agent.c", archive_reader), 0);
	assert_int_equal(agents_set(&f, "meta_prompt.c", ""), 0);  /* the reader alone */
	assert_int_equal(agents_set(&f, "meta_model.c", ""), 0);
	assert_int_equal(agents_set(&f, "meta_edits.c", ""), 0);
	assert_int_equal(agents_write(&f, from), 0);
	HOST(&r, "init", "--dir", lab, "--from", from, "--tasks", "email");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", lab, "--gens", "2", "--llm-prompt-max", "5000", "--quiet");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	log = rewrite_log(lab, "gen_002");
	assert_contains(log, "limits: 12 evaluations, 0 calls, 60 s, prompt 5000, max_usd 0\n");
	assert_contains(log, "task email: accuracy, baseline 0.5, target 1\n");
	assert_contains(log, "; gen 1: ");
	assert_contains(log, ", summary 'read 1 generations'\n");
	assert_contains(log, "email: train 0.7 held-out ");
	assert_contains(log, ", baseline 0.5 target 1, 12 evals, 0 calls, 1 kept, 0 failed, seconds yes, ");
	assert_contains(log, " trace lines, first 'eval 1: ok, score 0.65, ");
	assert_contains(log, " s of 2.000 s wall, the first: ");
	free(log);
	llm_fixture_git(&r, lab, "log", "--format=%B", "gen_002^!");
	assert_contains(r.out, "gen_002: ");
	assert_contains(r.out, "\n\nread 2 generations\n\nGeneration: 2\n");
	run_result_free(&r);
	agents_free(&f);
	os_remove_tree(from);
	os_remove_tree(lab);
	free(from);
	free(lab);
}

/* The model's edit, with the summary it is asked for. */
static const char summarised_edit[] =
	"FILE: task_agent.c\n<<<<<<< SEARCH\n#define CANDIDATES 6              /* candidates per round */\n"
	"=======\n#define CANDIDATES 4              /* candidates per round */\n>>>>>>> REPLACE\n"
	"SUMMARY: fewer candidates per round, so that more rounds fit the budget\n";

/* A script for evolve on email: the meta agent's edit; for the task
 * agent code that does not compile, then the reference solution, which is
 * also the repair. */
static json_t *email_script(void)
{
	char *email = harness_read("tests/solutions/email_reference.c");
	buf good = BUF_INIT;
	json_t *script;

	buf_printf(&good, "```c\n%s```\n", email);
	script = json_pack("{s:[{s:s, s:[o]}, {s:s, s:[o, o]}, {s:s, s:[o]}]}", "rules",
		"match", "FILE: task_agent.c", "replies", llm_fixture_reply(summarised_edit, 100, 20),
		"match", "Interface (email)", "replies",
		llm_fixture_reply("```c\nint validate_email(const char *s) { return s[0] }\n```", 100, 20),
		llm_fixture_reply(good.data, 100, 20),
		"match", "does not compile", "replies", llm_fixture_reply(good.data, 100, 20));
	buf_free(&good);
	free(email);
	return script;
}

/* The seed meta agent's second prompt holds per-task scores with baseline
 * and target, the budgets, gen_001's summary (the model's SUMMARY line,
 * also in its commit message and memory.md), and the feedback on the
 * proposal that did not compile; each file once; within the budget. */
static void test_meta_prompt_holds_scores_budgets_summary_feedback(void **state)
{
	char *lab = harness_scratch("meta_prompt_lab"), *prices = llm_fixture_prices();
	char *init[] = { "host", "init", "--dir", lab, "--tasks", "email", "--llm",
			 "openai:test-model", "--llm-url", "@URL@", "--llm-prices", prices, NULL };
	char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "2",
			 "--llm", "openai:test-model", "--llm-url", "@URL@", "--llm-prices", prices,
			 "--max-usd", "50", "--llm-prompt-max", "60000", NULL };
	json_t *requests, *meta;
	const char *user;
	run_result r;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	/* gen_000 measured with the model, as the candidates will be */
	os_remove_tree(lab);
	json_decref(llm_fixture_run(&r, email_script(), "meta_prompt_init", init));
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	requests = llm_fixture_run(&r, email_script(), "meta_prompt", argv);
	assert_int_equal(r.status, 0);
	/* with the model, gen_000 reached the target too: a tie, no cheaper */
	assert_contains(r.out, "gen_001  parent gen_000  rejected  fitness 1.0000  +0.0000");
	run_result_free(&r);
	meta = llm_fixture_meta_requests(requests);
	assert_int_equal(json_array_size(meta), 2);
	user = llm_fixture_user(meta, 1);
	assert_contains(user, "- email: accuracy, higher is better; baseline 0.5, target 1\n");
	assert_contains(user, "- email: training score 1, held-out 1 (baseline 0.5, target 1); "
			"agent ok; evaluations: ");
	assert_contains(user, "Limits and budgets: 12 evaluations per task per generation; 4 model "
			"calls per agent run (this rewrite's included); the meta agent has 60 s; this "
			"prompt at most 60000 characters. Spent so far: $");
	assert_contains(user, "(cap: $50)");
	assert_contains(user, "gen_001, the latest (parent gen_000): rejected, fitness 1.0000 (held-out "
			"1.0000). its solutions are the same as its parent's, byte for byte");
	assert_contains(user, "gen_000, the one you are rewriting (no parent): accepted");
	assert_contains(user, "What it changed: fewer candidates per round, so that more rounds "
			"fit the budget\n");
	/* each evaluation's time beside its limit (tasks/email: 2 s) */
	assert_contains(user, "    eval 2: compile_error, ");
	assert_contains(user, " s of 2.000 s wall: solution.c:1: error: ");
	assert_contains(user, "    eval 1: ok, score ");
	assert_int_equal(occurrences(user, "task_agent.c:\n```"), 1);
	assert_int_equal(occurrences(user, "agent.h:\n```"), 1);
	assert_int_equal(occurrences(user, "meta_agent.c:\n```"), 1);
	for (size_t i = 0; i < json_array_size(meta); i++)
		assert_true(prompt_size(meta, i) <= 60000);
	json_decref(meta);
	json_decref(requests);
	llm_fixture_git(&r, lab, "log", "--format=%B", "gen_001^!");
	assert_contains(r.out, "\n\nfewer candidates per round, so that more rounds fit the budget\n\n");
	run_result_free(&r);
	llm_fixture_git(&r, lab, "show", "gen_001:memory.md", NULL);
	assert_contains(r.out, "SUMMARY: fewer candidates per round, so that more rounds fit the budget\n");
	run_result_free(&r);
	os_remove_tree(lab);
	unlink(prices);
	free(prices);
	free(lab);
}

/* Spaces for the seed's tabs and trailing blanks lost: the block applies,
 * with tabs; the SUMMARY line reaches memory.md. */
static void test_mangled_blocks_apply(void **state)
{
	static const char mangled[] =
		"FILE: task_agent.c\n"
		"<<<<<<< SEARCH\n"
		"static int better(double a, double b, int higher_is_better)\n"
		"{\n"
		"    return higher_is_better ? a > b : a < b;\n"
		"}\n"
		"=======\n"
		"static int better(double a, double b, int higher_is_better)\n"
		"{\n"
		"    if (a == b)\n"
		"        return 0;\n"
		"    return higher_is_better ? a > b : a < b;\n"
		"}\n"
		">>>>>>> REPLACE\n"
		"SUMMARY: equal scores are never better\n";
	json_t *meta;
	char *dir;
	run_result r;

	(void)state;
	meta = llm_fixture_rewrite(&r, NULL, json_pack("[o]", llm_fixture_reply(mangled, 100, 20)),
				   &dir, "mangled");
	assert_int_equal(r.status, 0);
	assert_int_equal(json_array_size(meta), 1);
	run_result_free(&r);
	llm_fixture_file_has(dir, "task_agent.c", "{\n\tif (a == b)\n\t\treturn 0;\n\treturn "
			     "higher_is_better ? a > b : a < b;\n}\n");
	llm_fixture_file_has(dir, "memory.md", "SUMMARY: equal scores are never better\n");
	json_decref(meta);
	os_remove_tree(dir);
	free(dir);
}

/* An edit whose block matches nothing in the seed's task_agent.c. */
static const char wrong[] =
	"FILE: task_agent.c\n<<<<<<< SEARCH\n#define CANDIDATES 60\n=======\n"
	"#define CANDIDATES 5\n>>>>>>> REPLACE\nSUMMARY: five\n";

/* A block that matches nothing goes back with the nearest lines; missed
 * twice, the whole file is asked for (test_llm_repair.c), with the same
 * reason; then the agent falls back on its offline rewrite. */
static void test_unmatched_blocks_go_back_twice(void **state)
{
	const char *user;
	json_t *meta;
	char *dir;
	run_result r;

	(void)state;
	meta = llm_fixture_rewrite(&r, NULL, json_pack("[o]", llm_fixture_reply(wrong, 100, 20)),
				   &dir, "unmatched");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(json_array_size(meta), 3);
	user = llm_fixture_user(meta, 1);
	assert_contains(user, "Your reply was:\nFILE: task_agent.c\n");
	assert_contains(user, "Its edit blocks did not apply: task_agent.c: block 1: "
			"its first line \"#define CANDIDATES 60\" does not occur in the source, "
			"even ignoring whitespace. The nearest lines of the source are lines ");
	assert_contains(user, "```\n#define MIN_STEP 0.02             /* below this "
			"the search restarts */\n#define CANDIDATES 6              /* candidates "
			"per round */\n");
	assert_int_equal(occurrences(user, "Its edit blocks did not apply"),
			 occurrences(llm_fixture_user(meta, 0), "Its edit blocks did not apply") + 1);
	assert_contains(llm_fixture_user(meta, 2), "Your edit blocks for task_agent.c did not "
			"apply, 2 times; the last time: task_agent.c: block 1: its first line "
			"\"#define CANDIDATES 60\" does not occur");
	llm_fixture_file_has(dir, "memory.md", "SUMMARY: offline: task_agent.c ");
	json_decref(meta);
	os_remove_tree(dir);
	free(dir);
}

/* An archive of 60 generations and a small budget: the prompt and its
 * retries keep within it, the newest history stays and the oldest goes;
 * a budget too small for task_agent.c asks nothing; the older array form
 * of the archive still gives a prompt. */
static void test_prompt_keeps_within_its_budget(void **state)
{
	json_t *archive = json_pack("{s:i, s:{s:i, s:i, s:i, s:i}, s:[{s:s, s:s, s:b, s:f, s:f}], s:[]}",
		"parent", 60, "limits", "evals_per_task", 12, "llm_calls_per_run", 4, "meta_seconds", 60,
		"prompt_max_chars", 26000, "tasks", "name", "email", "metric", "accuracy",
		"higher_is_better", 1, "baseline", 0.5, "target", 1.0, "generations");
	json_t *gens = json_object_get(archive, "generations"), *meta;
	char *text, *dir, summary[64];
	run_result r;
	int g;

	(void)state;
	for (g = 0; g <= 60; g++) {
		snprintf(summary, sizeof(summary), "change number %d", g);
		json_array_append_new(gens, json_pack("{s:i, s:i, s:s, s:f, s:f, s:s, s:s, s:s, s:[]}",
			"generation", g, "parent", g ? g - 1 : 0, "status", "accepted", "fitness",
			0.5 + g / 1000.0, "holdout", 0.5, "reason", "better", "changes", "",
			"summary", summary, "tasks"));
	}
	text = json_dumps(archive, 0);
	meta = llm_fixture_rewrite(&r, text, json_pack("[o]", llm_fixture_reply(wrong, 100, 20)),
				   &dir, "budget");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(json_array_size(meta), 3);
	for (g = 0; g < 3; g++)  /* the retries too */
		assert_true(prompt_size(meta, (size_t)g) <= 26000);
	assert_contains(llm_fixture_user(meta, 0), "gen_060, the one you are rewriting (parent gen_059): "
			"accepted");
	assert_contains(llm_fixture_user(meta, 0), "gen_059 (parent gen_058): accepted, fitness 0.5590 "
			"(parent 0.5580): change number 59\n");
	assert_null(strstr(llm_fixture_user(meta, 0), "change number 0\n"));
	assert_null(strstr(llm_fixture_user(meta, 0), "change number 1\n"));
	assert_contains(llm_fixture_user(meta, 0), "task_agent.c:\n```\n");
	json_decref(meta);
	os_remove_tree(dir);
	free(dir);
	free(text);
	/* a budget with no room for task_agent.c: no call, the offline rewrite */
	json_object_set_new(json_object_get(archive, "limits"), "prompt_max_chars", json_integer(2000));
	text = json_dumps(archive, 0);
	meta = llm_fixture_rewrite(&r, text, json_pack("[o]", llm_fixture_reply(wrong, 100, 20)),
				   &dir, "tiny");
	assert_contains(r.out, "+SUMMARY: offline: task_agent.c ");
	run_result_free(&r);
	assert_int_equal(json_array_size(meta), 0);
	json_decref(meta);
	os_remove_tree(dir);
	free(dir);
	free(text);
	/* the older form: an array of generations */
	text = json_dumps(gens, 0);
	meta = llm_fixture_rewrite(&r, text, json_pack("[o]", llm_fixture_reply(summarised_edit, 100, 20)),
				   &dir, "array");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_contains(llm_fixture_user(meta, 0), "gen_060, the latest (parent gen_059): accepted");
	assert_contains(llm_fixture_user(meta, 0), "gen_059 (parent gen_058): accepted, fitness 0.5590 "
			"(parent 0.5580): change number 59\n");
	json_decref(meta);
	os_remove_tree(dir);
	free(dir);
	free(text);
	json_decref(archive);
}

void test_group_llm_meta(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_archive_holds_what_the_meta_agent_needs),
		cmocka_unit_test(test_meta_prompt_holds_scores_budgets_summary_feedback),
		cmocka_unit_test(test_mangled_blocks_apply),
		cmocka_unit_test(test_unmatched_blocks_go_back_twice),
		cmocka_unit_test(test_prompt_keeps_within_its_budget),
	};

	HARNESS_GROUP(t, "llm_meta", tests);
}
