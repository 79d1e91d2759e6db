/*
 * test_judge.c - a quality task's model judge and drafted rubrics, the
 * scripted server (tests/llm_server.py) standing in for the model.
 *
 * init on a copy of tasks/support with a judge: the host grades each
 * split's answers in its own calls, whose prompts hold the question, the
 * knowledge base, the checks and the answer; the grades, the training
 * reasons, the spread and the spend are in the note and in host show and
 * log; a hostile reply is a failed grading that counts 0; no held-out
 * reason is kept; and --replay gives the same grades with no server. The
 * noise rule is checked on records whose grades are given: a judge's
 * difference within its spread does not make a candidate better. host
 * rubric drafts checks that check-task accepts, and a malformed reply
 * writes nothing.
 */
#include "lab_fixture.h"
#include "llm_fixture.h"

#include "evolve_internal.h"
#include "os.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TRAIN_QUESTION "How long do I have to return something I bought?"
#define HELDOUT_QUESTION "Is there a fee for returning an opened item?"
#define SECRET_REASON "HELDOUT-REASON-NEVER-KEPT"
#define JUDGE_SYSTEM "You grade the answers"
#define DRAFT_SYSTEM "You write the rubric of one case"
#define DEFAULT "\"default\": false"   /* in support's task.json */

/* tasks/support copied to $TMPDIR/NAME/support, with `judge` (NULL:
 * none) as task.json's "judge"; returns the tasks folder. */
static char *support_copy(const char *name, const char *judge)
{
	char *with = harness_subst(DEFAULT ", \"judge\": @J@", "@J@", judge ? judge : "", NULL);
	char *root;

	if (!judge)
		with[strlen(DEFAULT)] = '\0';
	root = edited_task_copy(name, "support", "task.json", DEFAULT, with);
	free(with);
	return root;
}

/* A judge's reply grading `n` cases `grade` each, reasons "WHY i"; with
 * `bad` > 0, case `bad` is graded 1000, as a hostile reply would. */
static json_t *grades(size_t n, int grade, const char *why, size_t bad)
{
	json_t *list = json_array(), *reply;
	char reason[128], *text;
	size_t i;

	for (i = 1; i <= n; i++) {
		snprintf(reason, sizeof(reason), "%s %zu", why, i);
		json_array_append_new(list, json_pack("{s:i, s:i, s:s}", "case", (int)i, "grade",
						      i == bad ? 1000 : grade, "reason", reason));
	}
	reply = json_pack("{s:o}", "grades", list);
	text = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	reply = llm_fixture_reply(text, 500, 300);
	free(text);
	return reply;
}

/* The training answers are graded 6 then 8, each second late; the
 * held-out ones 5, then by a reply with a grade of 1000; the task agent
 * hears that there is no code. */
static json_t *judge_script(void)
{
	json_t *script = json_pack("{s:[{s:s, s:[o, o]}, {s:s, s:[o, o]}], s:o}", "rules",
				   "match", "Question: " TRAIN_QUESTION, "replies",
				   grades(16, 6, "train A", 0), grades(16, 8, "train B", 0),
				   "match", JUDGE_SYSTEM, "replies", grades(16, 5, SECRET_REASON, 0),
				   grades(16, 5, SECRET_REASON, 3),
				   "default", llm_fixture_reply("No code this time.", 100, 50));

	return llm_fixture_late_rule(script, "Question: " TRAIN_QUESTION, 1.0);
}

/* The requests whose system prompt holds `system`, in order. */
static json_t *requests_of(const json_t *requests, const char *system)
{
	json_t *out = json_array(), *q;
	size_t i;

	json_array_foreach(requests, i, q)
		if (strstr(json_string_value(json_object_get(q, "system")), system))
			json_array_append(out, q);
	return out;
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* The judge's prompts hold the question, the knowledge base, the checks
 * and the answer; the training ones first, then the held-out ones. */
static void assert_judge_prompts(const json_t *requests)
{
	json_t *judge = requests_of(requests, JUDGE_SYSTEM);
	const char *train, *held;

	assert_int_equal(json_array_size(judge), 4);
	train = llm_fixture_user(judge, 0);
	held = llm_fixture_user(judge, 2);
	assert_contains(train, "\nCase 1\nQuestion: " TRAIN_QUESTION "\nChecks: [{\"says\":"
			"\"30 days\",\"weight\":2.0}");
	assert_contains(train, "=== kb.h ===\n");
	assert_contains(train, "Most items can be returned within 30 days of delivery");
	assert_contains(train, "\nAnswer: ");
	assert_contains(train, "The cases (16):");
	assert_string_equal(train, llm_fixture_user(judge, 1));  /* asked again, the same */
	assert_contains(held, "\nCase 1\nQuestion: " HELDOUT_QUESTION "\nChecks: ");
	assert_null(strstr(held, TRAIN_QUESTION));
	json_decref(judge);
}

/* gen_000's judge in the lab's note: its grades, reasons, spread and
 * spend, its fitness mixing the rubric's and the judge's; returned. */
static json_t *assert_judged(const char *lab)
{
	json_t *note = llm_fixture_note(lab, 0), *task, *judge, *cases, *grades_of;
	char *text = json_dumps(note, 0);
	double rubric;

	task = json_object_get(json_object_get(note, "tasks"), "support");
	judge = json_object_get(task, "judge");
	assert_non_null(judge);
	assert_int_equal(json_integer_value(json_object_get(judge, "repeats")), 2);
	assert_true(fabs(num(judge, "weight") - 0.5) < 1e-12);
	assert_true(fabs(num(judge, "train") - 0.7) < 1e-9);
	assert_true(fabs(num(judge, "train_min") - 0.6) < 1e-9);
	assert_true(fabs(num(judge, "train_max") - 0.8) < 1e-9);
	/* the hostile reply is a failed grading: every held-out answer counts 0 */
	assert_true(fabs(num(judge, "holdout") - 0.25) < 1e-9);
	assert_true(num(judge, "holdout_min") == 0);
	assert_int_equal(json_integer_value(json_object_get(judge, "failed")), 1);
	assert_string_equal(json_string_value(json_object_get(judge, "problem")),
			    "the held-out grading 2: its reply is no grades: entry 3: 'grade' "
			    "must be a number from 0 to 10");
	assert_int_equal(json_integer_value(json_object_get(judge, "calls")), 4);
	assert_int_equal(json_integer_value(json_object_get(judge, "tokens_in")), 2000);
	assert_true(fabs(num(judge, "usd") - 4 * 1.1) < 1e-9);  /* 500 in, 300 out a call */
	cases = json_object_get(judge, "cases");
	assert_int_equal(json_array_size(cases), 16);
	grades_of = json_object_get(json_array_get(cases, 0), "grades");
	assert_int_equal(json_array_size(grades_of), 2);
	assert_true(json_number_value(json_array_get(grades_of, 0)) == 6);
	assert_true(json_number_value(json_array_get(grades_of, 1)) == 8);
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 0), "reason")),
			    "train A 1");
	rubric = (num(task, "train") - 0.2) / 0.8;
	assert_true(fabs(num(task, "fitness") - (0.5 * rubric + 0.5 * 0.7)) < 1e-9);
	/* the judge's spend is the generation's too */
	assert_true(num(json_object_get(note, "budget"), "usd") >= 4.4 - 1e-9);
	assert_null(strstr(text, SECRET_REASON));
	free(text);
	return note;
}

static void test_the_judge_grades_are_recorded_and_replayed(void **state)
{
	char *tasks = support_copy("judge_tasks", "{\"repeats\": 2, \"weight\": 0.5}");
	char *prices = llm_fixture_prices();
	char *lab = harness_scratch("judge_lab"), *again = harness_scratch("judge_replay");
	char *record = harness_scratch("judge.jsonl");
	char *init[] = { "host", "init", "--dir", lab, "--tasks-dir", tasks, "--tasks", "support",
			 "--budget", "1", "--llm", "openai:test-model", "--llm-url", "@URL@",
			 "--llm-prices", prices, "--llm-calls", "1", "--record", record, NULL };
	json_t *requests, *note, *replayed;
	run_result r;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	os_remove_tree(lab);
	os_remove_tree(again);
	unlink(record);
	requests = llm_fixture_run(&r, judge_script(), "judge", init);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_judge_prompts(requests);
	json_decref(requests);
	note = assert_judged(lab);
	HOST(&r, "show", "gen_000", "--dir", lab);
	assert_contains(r.out, "support judged 2 times: 0.7 (0.6 to 0.8) on training, 0.25 (0 to "
			"0.5) held-out, weight 0.5; 4 calls, $4.4000; 1 grading failed, counted "
			"0: the held-out grading 2: its reply is no grades: entry 3");
	assert_contains(r.out, "case 1 graded 6, 8: train A 1\n");
	run_result_free(&r);
	HOST(&r, "log", "--dir", lab);
	assert_contains(r.out, "support judged 2 times: 0.7 (0.6 to 0.8) on training");
	run_result_free(&r);
	/* the record answers every call: the same grades, no server */
	HOST(&r, "init", "--dir", again, "--tasks-dir", tasks, "--tasks", "support", "--budget", "1",
	     "--llm", "openai:test-model", "--llm-prices", prices, "--llm-calls", "1", "--replay",
	     record);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	replayed = llm_fixture_note(again, 0);
	assert_true(json_equal(json_object_get(json_object_get(json_object_get(note, "tasks"),
							       "support"), "judge"),
			       json_object_get(json_object_get(json_object_get(replayed, "tasks"),
							       "support"), "judge")));
	assert_true(num(note, "fitness") == num(replayed, "fitness"));
	json_decref(replayed);
	json_decref(note);
	os_remove_tree(lab);
	os_remove_tree(again);
	os_remove_tree(tasks);
	unlink(record);
	unlink(prices);
	free(prices);
	free(record);
	free(again);
	free(lab);
	free(tasks);
}

/* A record of generation `number` with the support task: its rubric's
 * part of the fitness `rubric`, judged `repeats` times, mean `j` from
 * `lo` to `hi`, and `solution`. */
static void judged_record(record *r, int number, double rubric, int repeats, double j,
			  double lo, double hi, const char *solution)
{
	record_task t = { .name = "support", .agent = "ok", .solution = (char *)solution };

	assert_int_equal(record_init(r, number, number - 1, RECORD_ACCEPTED, "made", 1), 0);
	t.judge.repeats = repeats;
	t.judge.weight = 0.5;
	t.judge.train = j;
	t.judge.train_min = lo;
	t.judge.train_max = hi;
	t.fitness = repeats ? 0.5 * rubric + 0.5 * j : rubric;
	t.train = 0.2 + 0.8 * rubric;
	assert_int_equal(record_add_task(r, &t), 0);
	r->fitness = t.fitness;
}

/* Decides a candidate against a parent; returns its status. */
static record_status decide(record *c, record *parent, const char *reason)
{
	record_status status;

	assert_int_equal(evolve_decide(c, parent), 0);
	assert_contains(c->reason, reason);
	status = c->status;
	record_free(c);
	return status;
}

/* The judge's part of a difference counts only when the two judges'
 * spreads are apart: within them, the rubric's part alone decides. */
static void test_a_judge_difference_within_its_spread_is_no_gain(void **state)
{
	record parent, c;

	(void)state;
	judged_record(&parent, 1, 0.7, 3, 0.65, 0.5, 0.8, "int a;");
	/* the judge says 0.75 against 0.65, but its repeats overlap: no gain */
	judged_record(&c, 2, 0.7, 3, 0.75, 0.6, 0.9, "int b;");
	assert_true(c.fitness > parent.fitness);
	assert_int_equal(decide(&c, &parent, "equal to the parent within the noise"),
			 RECORD_REJECTED);
	judged_record(&c, 2, 0.7, 3, 0.75, 0.6, 0.9, "int b;");
	assert_int_equal(decide(&c, &parent, "support: judged 0.75 (0.6 to 0.9 in 3) against "
				"the parent's 0.65 (0.5 to 0.8 in 3), within the spread: the "
				"rubric's part alone counts"), RECORD_REJECTED);
	/* apart: every repeat above every one of the parent's */
	judged_record(&c, 2, 0.7, 3, 0.9, 0.85, 0.95, "int b;");
	assert_int_equal(decide(&c, &parent, "better than the parent: +0.1250 in fitness beyond "
				"the noise"), RECORD_ACCEPTED);
	/* a rubric gain counts, whatever the judge's noise says against it */
	judged_record(&c, 2, 0.8, 3, 0.6, 0.5, 0.7, "int b;");
	assert_true(fabs(c.fitness - parent.fitness - 0.025) < 1e-9);  /* recorded */
	assert_int_equal(decide(&c, &parent, "better than the parent: +0.0500 in fitness beyond "
				"the noise"), RECORD_ACCEPTED);
	/* a judge's loss beyond its spread counts too */
	judged_record(&c, 2, 0.72, 3, 0.3, 0.2, 0.4, "int b;");
	assert_int_equal(decide(&c, &parent, "apart: the judge's part counts"), RECORD_REJECTED);
	record_free(&parent);
	/* a parent the judge never graded is no comparison: only a loss counts */
	judged_record(&parent, 1, 0.7, 0, 0, 0, 0, "int a;");
	judged_record(&c, 2, 0.7, 3, 0.9, 0.85, 0.95, "int b;");
	assert_int_equal(decide(&c, &parent, "the parent was not judged, so counted only as a "
				"loss"), RECORD_REJECTED);
	record_free(&parent);
}

#define GOOD_CHECKS "{\"checks\": [{\"says\": \"Nimbus\", \"weight\": 2}, {\"not\": \"free kittens\"}]}"

/* `host rubric support` in the tasks folder `tasks` with the model's
 * options, then `option` and its `value` (NULL: none); the server
 * scripted with `replies`. */
static json_t *draft(run_result *r, const char *tasks, json_t *replies, const char *option,
		     const char *value, const char *prices)
{
	char *argv[] = { "host", "rubric", "support", "--tasks-dir", (char *)tasks, "--llm",
			 "openai:test-model", "--llm-url", "@URL@", "--llm-prices", (char *)prices,
			 (char *)option, (char *)value, NULL };

	return llm_fixture_run(r, llm_fixture_script(replies), "draft", argv);
}

static void test_host_rubric_drafts_checks_that_check_task_accepts(void **state)
{
	char *tasks = support_copy("draft_tasks", NULL), *prices = llm_fixture_prices();
	char *dir = os_path_join(tasks, "support"), *path = os_path_join(dir, "rubric.draft.json");
	char *rubric = os_path_join(dir, "rubric.json"), *before = harness_read(rubric), *want;
	char *record = harness_scratch("draft.jsonl"), *again = harness_scratch("draft_again.json");
	char *replayed;
	json_t *requests, *drafted;
	run_result r;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	unlink(record);
	requests = draft(&r, tasks, json_pack("[o]", llm_fixture_reply(GOOD_CHECKS, 200, 40)),
			 "--record", record, prices);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "drafted   64 checks for the 16 training and 16 held-out cases of "
			"support\nllm       32 calls, 6400 tokens in, 1280 out, $8.9600");
	want = harness_subst("written   @P@: review it, rename it rubric.json, then run host "
			     "check-task support\n", "@P@", path, NULL);
	assert_contains(r.out, want);
	free(want);
	run_result_free(&r);
	/* one call a case; each prompt holds the task, the knowledge base, the case */
	assert_int_equal(json_array_size(requests), 32);
	assert_contains(json_string_value(json_object_get(json_array_get(requests, 0), "system")),
			DRAFT_SYSTEM);
	assert_contains(llm_fixture_user(requests, 0), "(training case 1 of 16):\n" TRAIN_QUESTION);
	assert_contains(llm_fixture_user(requests, 0), "=== kb.h ===\n");
	assert_contains(llm_fixture_user(requests, 0), "Most items can be returned within 30 days");
	assert_contains(llm_fixture_user(requests, 0), "Task: Write support_answer(");
	assert_contains(llm_fixture_user(requests, 16), "(held-out case 1 of 16):\n"
			HELDOUT_QUESTION);
	json_decref(requests);
	drafted = json_load_file(path, 0, NULL);
	assert_non_null(drafted);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
			    drafted, "train"), 0), "case")), TRAIN_QUESTION);
	assert_int_equal(json_array_size(json_object_get(drafted, "holdout")), 16);
	json_decref(drafted);
	want = harness_read(rubric);
	assert_string_equal(want, before);  /* rubric.json is never written */
	free(want);
	/* a draft is not replaced unless asked */
	HOST(&r, "rubric", "support", "--tasks-dir", tasks, "--llm", "openai:test-model",
	     "--llm-prices", prices);
	assert_int_equal(r.status, 1);
	want = harness_subst("host rubric: @P@ exists: review it and move it away, or give "
			     "--force to replace it\n", "@P@", path, NULL);
	assert_string_equal(r.err, want);
	free(want);
	run_result_free(&r);
	/* the record answers every call, with no server: the same draft */
	HOST(&r, "rubric", "support", "--tasks-dir", tasks, "--llm", "openai:test-model",
	     "--llm-prices", prices, "--replay", record, "--out", again);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "drafted   64 checks");
	run_result_free(&r);
	want = harness_read(path);
	replayed = harness_read(again);
	assert_string_equal(replayed, want);
	free(replayed);
	free(want);
	/* renamed rubric.json, it is a rubric check-task accepts */
	assert_int_equal(rename(path, rubric), 0);
	HOST(&r, "check-task", dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "rubric    rubric.json: 64 weighted checks on the 16 training and "
			"16 held-out cases\n");
	run_result_free(&r);
	os_remove_tree(tasks);
	unlink(prices);
	unlink(record);
	unlink(again);
	free(record);
	free(again);
	free(prices);
	free(before);
	free(rubric);
	free(path);
	free(dir);
	free(tasks);
}

/* A reply that is no checks names its case, and nothing is written; so
 * does a check rubric.h refuses; and without a model, nothing is asked. */
static void test_a_malformed_draft_writes_nothing(void **state)
{
	char *tasks = support_copy("draft_bad", NULL), *prices = llm_fixture_prices();
	char *dir = os_path_join(tasks, "support"), *path = os_path_join(dir, "rubric.draft.json");
	json_t *requests;
	run_result r;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	requests = draft(&r, tasks, json_pack("[o, o, o]", llm_fixture_reply(GOOD_CHECKS, 10, 10),
					      llm_fixture_reply("```json\n" GOOD_CHECKS "\n```", 10, 10),
					      llm_fixture_reply("Here: says 30 days.", 10, 10)),
			 NULL, NULL, prices);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "host rubric: training case 3 of 16, \"How do I send an item "
			    "back?\": the model's reply is not one JSON object {\"checks\": "
			    "[...]}\n");
	assert_int_equal(json_array_size(requests), 3);  /* it stopped there */
	assert_false(os_is_file(path));
	run_result_free(&r);
	json_decref(requests);
	requests = draft(&r, tasks, json_pack("[o]", llm_fixture_reply("{\"checks\": [{\"says\": "
			 "\"30 days\", \"weight\": -1}]}", 10, 10)), NULL, NULL, prices);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "host rubric: training case 1 of 16, \"" TRAIN_QUESTION "\", "
			    "check 1: 'weight' must be a positive number, not -1\n");
	assert_false(os_is_file(path));
	run_result_free(&r);
	json_decref(requests);
	unsetenv("HOST_LLM");
	HOST(&r, "rubric", "support", "--tasks-dir", tasks);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "host rubric: drafting checks needs a model: give --llm "
			    "PROVIDER (or set HOST_LLM), or --replay FILE\n");
	assert_false(os_is_file(path));
	run_result_free(&r);
	os_remove_tree(tasks);
	unlink(prices);
	free(prices);
	free(path);
	free(dir);
	free(tasks);
}

/* task.json's "judge" is checked as the rest of it: a weight above 0
 * and at most 1, and a rubric to judge by. */
static void test_a_judge_needs_a_rubric_and_a_weight(void **state)
{
	char *tasks = support_copy("judge_fields", "{\"weight\": 0}");
	char *dir = os_path_join(tasks, "support"), *rubric = os_path_join(dir, "rubric.json");
	char *want;
	task *t = NULL;
	run_result r;

	(void)state;
	assert_int_equal(task_load_dir(&t, dir), ERR_INVALID);
	assert_contains(err_last(), "task.json: field 'judge.weight' must be a number above 0 and "
			"at most 1");
	os_remove_tree(tasks);
	free(tasks);
	tasks = support_copy("judge_fields", "{\"repeats\": 3}");
	assert_int_equal(unlink(rubric), 0);
	assert_int_equal(task_load_dir(&t, dir), ERR_INVALID);
	want = harness_subst("@D@/task.json: field 'judge' must be left out, or a rubric.json "
			     "beside task.json: the judge grades answers against the rubric", "@D@",
			     dir, NULL);
	assert_string_equal(err_last(), want);
	free(want);
	os_remove_tree(tasks);
	free(tasks);
	tasks = support_copy("judge_fields", "{\"repeats\": 3}");
	assert_int_equal(task_load_dir(&t, dir), 0);
	assert_int_equal(t->judge_repeats, 3);
	assert_true(t->judge_weight == TASK_JUDGE_WEIGHT);
	task_free(t);
	HOST(&r, "check-task", dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "judge     with a model, 3 gradings of each split's answers, "
			"weight 0.5 beside the rubric's 0.5\n");
	run_result_free(&r);
	os_remove_tree(tasks);
	free(rubric);
	free(dir);
	free(tasks);
}

void test_group_judge(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_judge_grades_are_recorded_and_replayed),
		cmocka_unit_test(test_a_judge_difference_within_its_spread_is_no_gain),
		cmocka_unit_test(test_host_rubric_drafts_checks_that_check_task_accepts),
		cmocka_unit_test(test_a_malformed_draft_writes_nothing),
		cmocka_unit_test(test_a_judge_needs_a_rubric_and_a_weight),
	};

	HARNESS_GROUP(t, "judge", tests);
}
