/*
 * test_llm_runs.c - host's commands run with a language model, the
 * scripted server (tests/llm_server.py) standing in for it: evolve writes
 * and records real code changes and replays them with no server, stops at
 * the budget and on a 401; improve sends compile errors back for repair,
 * rewrite sends edits that do not apply back once.
 */
#include "llm_fixture.h"

#include "buf.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void assert_no_key_in_lab(const char *dir)
{
	run_result r;

	llm_fixture_git(&r, dir, "log", "-p", "--all");
	assert_null(strstr(r.out, TEST_KEY));
	assert_null(strstr(r.out, "sk-test"));
	run_result_free(&r);
	llm_fixture_git(&r, dir, "notes", "list", NULL);
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
		char note[64];
		run_result n;
		snprintf(note, sizeof(note), "%.40s", line);
		llm_fixture_git(&n, dir, "cat-file", "-p", note);
		assert_null(strstr(n.out, "sk-test"));
		run_result_free(&n);
	}
	run_result_free(&r);
}

/* gen_001's note records the LLM calls, tokens and dollars spent. */
static void assert_spend_noted(const char *lab)
{
	run_result r;

	llm_fixture_git(&r, lab, "notes", "show", "gen_001");
	{
		json_t *note = json_loads(r.out, 0, NULL), *budget = json_object_get(note, "budget");
		assert_true(json_integer_value(json_object_get(budget, "llm_calls")) > 0);
		assert_true(json_integer_value(json_object_get(budget, "tokens_in")) > 0);
		assert_true(json_number_value(json_object_get(budget, "usd")) > 0);
		json_decref(note);
	}
	run_result_free(&r);
}

static void test_evolve_with_a_model(void **state)
{
	char *prices = llm_fixture_prices(), *record = os_path_join(getenv("TMPDIR"), "run.jsonl");
	char *lab_a = llm_fixture_lab("llm_lab_a"), *lab_b = llm_fixture_lab("llm_lab_b");
	char *text;
	run_result r;

	(void)state;
	unlink(record);
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	{
		char *argv[] = { "host", "evolve", "--dir", lab_a, "--gens", "3", "--llm",
				 "openai:test-model", "--llm-url", "@URL@", "--llm-prices", prices,
				 "--record", record, NULL };
		json_decref(llm_fixture_run(&r, llm_fixture_evolution(), "evolve", argv));
	}
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "openai:test-model at http://127.0.0.1:");
	/* gen_000 was measured offline: gen_001 measures it with the model */
	assert_contains(r.out, "gen_001  parent gen_000  accepted");
	assert_contains(r.out, "re-measured gen_000: model openai:test-model (was offline)");
	assert_contains(r.out, ", and 1 parent measured again under this run's settings");
	/* the edit is worth nothing once the model counts for the parent too:
	 * the same solutions */
	assert_contains(r.out, "gen_002  parent gen_001  rejected  fitness 0.9093  +0.0000");
	assert_contains(r.out, "its solutions are the same as its parent's, byte for byte: the "
			"same solutions are never better");
	assert_contains(r.out, "LLM: ");
	assert_null(strstr(r.out, TEST_KEY));
	assert_null(strstr(r.err, TEST_KEY));
	run_result_free(&r);
	/* an LLM-written generation with a real code change, its spend recorded */
	llm_fixture_git(&r, lab_a, "diff", "gen_001", "gen_002");
	assert_contains(r.out, "-#define CANDIDATES 6");
	assert_contains(r.out, "+#define CANDIDATES 4");
	run_result_free(&r);
	assert_spend_noted(lab_a);
	text = harness_read(record);
	assert_null(strstr(text, TEST_KEY));
	free(text);
	assert_no_key_in_lab(lab_a);
	/* the record replays the run with no server at all */
	{
		char *argv[] = { "host", "evolve", "--dir", lab_b, "--gens", "3", "--replay", record, NULL };
		run_host_with(&r, NULL, argv);
	}
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "replay of");
	run_result_free(&r);
	llm_fixture_same_generations(lab_a, lab_b, 4);
	os_remove_tree(lab_a);
	os_remove_tree(lab_b);
	unlink(record);
	free(lab_a);
	free(lab_b);
	free(record);
	unlink(prices);
	free(prices);
}

static void test_runs_stop_at_the_cap_and_on_401(void **state)
{
	char *prices = llm_fixture_prices(), *lab = llm_fixture_lab("llm_cap");
	run_result r;

	(void)state;
	{
		char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "10", "--llm",
				 "openai:test-model", "--llm-url", "@URL@", "--llm-prices", prices,
				 "--max-usd", "0.001", NULL };
		json_decref(llm_fixture_run(&r, llm_fixture_evolution(), "cap", argv));
	}
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "the LLM budget is reached: stopped after gen_001");
	assert_null(strstr(r.out, "gen_002"));
	run_result_free(&r);
	os_remove_tree(lab);
	free(lab);
	lab = llm_fixture_lab("llm_401");
	{
		char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "10", "--llm",
				 "openai:test-model", "--llm-url", "@URL@", NULL };
		json_decref(llm_fixture_run(&r, llm_fixture_script(json_pack("[{s:i}]", "status", 401)),
					   "unauthorized", argv));
	}
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "stopped after gen_001: openai refused the request (HTTP 401)");
	assert_null(strstr(r.out, "gen_002"));
	/* gen_000 measured again while the model refused is no measure: its
	 * agents went on offline, yet it would be recorded as the model's */
	assert_contains(r.out, "gen_001  parent gen_000  interrupted");
	assert_contains(r.out, "the model refused while its agents could call it; kept, not "
			"measured");
	assert_contains(r.out, "best gen_000");
	run_result_free(&r);
	os_remove_tree(lab);
	free(lab);
	unlink(prices);
	free(prices);
}

static void test_compile_errors_go_back_for_repair(void **state)
{
	char *snake = harness_read("tests/llm/snake_good.c"), *out = os_path_join(getenv("TMPDIR"), "fixed.c");
	char *argv[] = { "host", "improve", "snake", "--agent", "seed", "--budget", "4",
			 "--llm", "openai:test-model",
			 "--llm-url", "@URL@", "--llm-calls", "2", "-o", out, NULL };
	buf good = BUF_INIT;
	json_t *requests;
	run_result r;

	(void)state;
	buf_printf(&good, "```c\n%s```", snake);
	requests = llm_fixture_run(&r, llm_fixture_script(json_pack("[o, o]",
		llm_fixture_reply("```c\nint next_move(const snake_cell *b, int l, snake_cell f, "
				  "int w, int h)\n{ return SNAKE_UP }\n```", 100, 20),
		llm_fixture_reply(good.data, 200, 900))), "repair", argv);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "improved  train 32.75");
	assert_contains(r.out, "llm       2 calls");
	assert_int_equal(json_array_size(requests), 2);
	assert_contains(json_string_value(json_object_get(json_array_get(requests, 1), "user")),
			"does not compile");
	assert_contains(json_string_value(json_object_get(json_array_get(requests, 1), "user")),
			"solution.c:2: error:");
	json_decref(requests);
	run_result_free(&r);
	unlink(out);
	free(out);
	free(snake);
	buf_free(&good);
}

static void test_edits_that_do_not_apply_go_back_once(void **state)
{
	char *out = os_path_join(getenv("TMPDIR"), "candidate");
	char *argv[] = { "host", "rewrite", "-o", out, "--agent", "seed", "--llm", "openai:test-model",
			 "--llm-url", "@URL@", NULL };
	json_t *requests;
	run_result r;

	(void)state;
	os_remove_tree(out);
	requests = llm_fixture_run(&r, llm_fixture_script(json_pack("[o, o]",
		llm_fixture_reply("FILE: task_agent.c\n<<<<<<< SEARCH\n#define CANDIDATES 60\n"
				  "=======\n#define CANDIDATES 5\n>>>>>>> REPLACE\n", 100, 20),
		llm_fixture_reply(llm_fixture_meta_edit, 100, 20))), "edits", argv);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "+#define CANDIDATES 4");
	assert_int_equal(json_array_size(requests), 2);
	assert_contains(json_string_value(json_object_get(json_array_get(requests, 1), "user")),
			"did not apply: task_agent.c: block 1: its first line \"#define CANDIDATES 60\"");
	assert_contains(json_string_value(json_object_get(json_array_get(requests, 0), "user")),
			"agent.h:");
	json_decref(requests);
	run_result_free(&r);
	os_remove_tree(out);
	free(out);
}

void test_group_llm_runs(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evolve_with_a_model),
		cmocka_unit_test(test_runs_stop_at_the_cap_and_on_401),
		cmocka_unit_test(test_compile_errors_go_back_for_repair),
		cmocka_unit_test(test_edits_that_do_not_apply_go_back_once),
	};

	HARNESS_GROUP(t, "llm_runs", tests);
}
