/*
 * test_support.c - tasks/support, a quality task scored by its rubric:
 * answers are scored by their checks with feedback naming those missed
 * on training cases only; every case's checks are met by its article;
 * solutions cannot read the rubric; offline init and evolve run on it;
 * new-task --like support makes a task that passes check-task; and no
 * held-out check reaches an agent, a prompt, a record or the lab.
 */
#include "lab_fixture.h"
#include "leak_fixture.h"

#include "error.h"
#include "eval.h"
#include "os.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INITIAL_TRAIN 0.767708   /* initial.c's scores, to the digits host prints */
#define INITIAL_HOLDOUT 0.661458

/* Evaluates `source` on `split` of support, or fails the test. */
static void eval_support(eval_result *r, task *t, const char *source, eval_split split)
{
	assert_int_equal(eval_solution(r, t, "solution.c", source, split), 0);
	if (r->status != SANDBOX_OK)
		fail_msg("%s: %s", sandbox_status_name(r->status), r->detail);
}

static void test_answers_are_scored_by_their_rubric(void **state)
{
	task *t = harness_task("support");
	char *lookup = harness_read("tests/solutions/support_lookup.c");
	eval_result r;

	(void)state;
	eval_support(&r, t, t->initial_text, EVAL_TRAIN);
	assert_true(fabs(r.score - INITIAL_TRAIN) < 1e-6);
	/* the feedback names the question and the checks it missed */
	assert_contains(r.feedback, "1 \"How long do I have to return something I bought?\" 0.25: "
			"missing \"30 days\"; missing \"full refund\" | ");
	assert_contains(r.feedback, "6 \"What does the warranty on the Kettle Pro cover?\" 0.00: "
			"missing any of \"3-year\", \"3 years\", \"three years\"; missing \"heating "
			"element\"; says \"1-year\", which it must not");
	eval_result_free(&r);
	eval_support(&r, t, t->initial_text, EVAL_HOLDOUT);
	assert_true(fabs(r.score - INITIAL_HOLDOUT) < 1e-6);
	assert_string_equal(r.feedback, "");  /* a held-out run names no check */
	assert_string_equal(r.detail, "ok");
	eval_result_free(&r);
	/* each case's checks are met by the article that answers it */
	eval_support(&r, t, lookup, EVAL_TRAIN);
	assert_true(r.score == 1);
	assert_string_equal(r.feedback, "all 16 answers meet every check");
	eval_result_free(&r);
	eval_support(&r, t, lookup, EVAL_HOLDOUT);
	assert_true(r.score == 1);
	eval_result_free(&r);
	free(lookup);
	task_free(t);
}

/* The rubric and the held-out questions are in the task folder, which no
 * solution's compile reads: only the declared headers are there. */
static void test_a_solution_cannot_read_the_rubric(void **state)
{
	static const char *const files[] = { "rubric.json", "holdout.json", "score.c" };
	task *t = harness_task("support");
	char source[256], want[128];
	eval_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(source, sizeof(source), "#include \"%s\"\n"
			 "void support_answer(const char *q, char *a, int n) { (void)q; (void)n; "
			 "a[0] = 0; }\n", files[i]);
		assert_int_equal(eval_solution(&r, t, "peek.c", source, EVAL_TRAIN), 0);
		assert_int_equal(r.status, SANDBOX_COMPILE_ERROR);
		snprintf(want, sizeof(want), "include file '%s' not found", files[i]);
		assert_contains(r.diagnostics, want);
		eval_result_free(&r);
	}
	task_free(t);
}

/* The note's training and held-out scores of support, generation `g`. */
static void support_scores(const char *lab, int g, double *train, double *holdout)
{
	json_t *note = llm_fixture_note(lab, g);
	json_t *support = json_object_get(json_object_get(note, "tasks"), "support");

	assert_non_null(support);
	*train = json_number_value(json_object_get(support, "train"));
	*holdout = json_number_value(json_object_get(support, "holdout"));
	json_decref(note);
}

static void test_offline_evolution_runs_on_support(void **state)
{
	char *lab = harness_scratch("support_lab");
	double train, holdout;
	run_result r;

	(void)state;
	HOST(&r, "init", "--dir", lab, "--tasks", "support");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_000  fitness ");
	assert_contains(r.out, "(tasks support, 12 evaluations each, offline)");
	run_result_free(&r);
	/* the seed task agent tunes initial.c's constants beyond its scores */
	support_scores(lab, 0, &train, &holdout);
	assert_true(train > INITIAL_TRAIN && train <= 1);
	assert_true(holdout > 0 && holdout <= 1);
	HOST(&r, "evolve", "--dir", lab, "--gens", "3");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "evolve: 3 generations, tasks support, ");
	assert_contains(r.out, "3 generations in ");
	run_result_free(&r);
	support_scores(lab, 3, &train, &holdout);
	assert_true(train > INITIAL_TRAIN && holdout > 0);
	HOST(&r, "solution", "support", "--dir", lab);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "#define MIN_WORD TUNE(");
	assert_contains(r.err, "support solution: training 0.");
	assert_contains(r.err, ", held-out 0.");
	run_result_free(&r);
	assert_int_equal(os_remove_tree(lab), 0);
	free(lab);
}

static void test_new_task_like_support_passes_check_task(void **state)
{
	char *tasks = harness_scratch("like_support"), *dir = os_path_join(tasks, "faq");
	char *score = os_path_join(dir, "score.c"), *header = os_path_join(dir, "faq.h"), *text;
	run_result r;

	(void)state;
	HOST(&r, "new-task", "faq", "--like", "support", "--tasks-dir", tasks);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "/like_support/faq, a task like support: check it with host "
			"check-task ");
	run_result_free(&r);
	text = harness_read(score);
	assert_contains(text, "score.c, task faq (made by host new-task from support): scores "
			"each answer with the host's rubric_score against its case's checks, "
			"which the host makes from rubric.json");
	free(text);
	HOST(&r, "check-task", dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "task      faq: rubric score, higher is better; 16 training and "
			"16 held-out cases\n");
	assert_contains(r.out, "rubric    rubric.json: 86 weighted checks on the 16 training "
			"and 16 held-out cases\n");
	assert_contains(r.out, "faq is sound\n");
	run_result_free(&r);
	assert_true(os_is_file(header));  /* the header renamed */
	assert_int_equal(os_remove_tree(tasks), 0);
	free(header);
	free(score);
	free(dir);
	free(tasks);
}

/* ---- held-out secrecy ---- */

#define SECRETS 4

/* The secret phrases of the copy's held-out checks. */
static const char *const secrets[SECRETS + 1] = {
	"quokkaheldoutsaid", "wombatheldoutnever", "heldoutsecretcheck", "platypusrubricsecret",
	NULL,
};

/* tasks/support copied to ROOT/support, each held-out case given checks
 * whose phrases are secrets: a "says" it never meets (so a feedback on
 * it would name it) and a "not". Returns ROOT. */
static char *secret_tasks(void)
{
	char *root = task_copy("secret_tasks", "support"), *dir = os_path_join(root, "support");
	char *path = os_path_join(dir, "rubric.json");
	json_t *rubric, *e;
	size_t i;

	rubric = json_load_file(path, 0, NULL);
	assert_non_null(rubric);
	json_array_foreach(json_object_get(rubric, "holdout"), i, e) {
		json_t *checks = json_object_get(e, "checks");
		json_array_append_new(checks, json_pack("{s:s}", "says", secrets[i % 2 ? 0 : 2]));
		json_array_append_new(checks, json_pack("{s:s}", "not", secrets[i % 2 ? 1 : 3]));
	}
	assert_int_equal(json_dump_file(rubric, path, JSON_INDENT(1)), 0);
	json_decref(rubric);
	free(path);
	free(dir);
	return root;
}

/* A better answerer for the scripted model to give: initial.c tuned. */
static json_t *support_script(void)
{
	char *initial = harness_read("tasks/support/initial.c");
	char *better = harness_subst(initial, "MIN_WORD TUNE(1,", "MIN_WORD TUNE(3,",
				     "STEM TUNE(0,", "STEM TUNE(4,", NULL);
	buf code = BUF_INIT;
	json_t *script;

	buf_printf(&code, "```c\n%s```", better);
	script = json_pack("{s:[{s:s, s:[o]}, {s:s, s:[o]}, {s:s, s:[o]}]}", "rules",
			   "match", "FILE: task_agent.c",
			   "replies", llm_fixture_reply(llm_fixture_meta_edit, 3000, 80),
			   "match", "Interface (support)",
			   "replies", llm_fixture_reply(code.data, 1500, 900),
			   "match", LLM_FIXTURE_REVIEWER,
			   "replies", llm_fixture_reply(llm_fixture_review, 2500, 40));
	buf_free(&code);
	free(better);
	free(initial);
	return llm_fixture_late(script, 1.0);
}

/* Whether a request the server got holds `text`. */
static int some_prompt_has(const json_t *requests, const char *text)
{
	const json_t *q;
	size_t i;

	json_array_foreach(requests, i, q)
		if (strstr(json_string_value(json_object_get(q, "user")), text))
			return 1;
	return 0;
}

static void test_held_out_checks_reach_no_agent_prompt_or_record(void **state)
{
	char *tasks = secret_tasks(), *lab = harness_scratch("secret_lab");
	char *prices = llm_fixture_prices(), *record = harness_scratch("secret.jsonl"), url[128];
	char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "2", "--llm-calls", "1",
			 "--llm", "openai:test-model", "--llm-url", url, "--llm-prices", prices,
			 "--record", record, NULL };
	json_t *requests;
	llm_server s;
	run_result r;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	HOST(&r, "init", "--dir", lab, "--tasks-dir", tasks, "--tasks", "support");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	llm_fixture_start(&s, support_script(), "secret_server");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	run_host_with(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	leak_fixture_run(&r, lab, record, &s, TEST_KEY, secrets);
	requests = llm_fixture_requests(&s);
	/* the channel a leak would take is open: training checks are named */
	assert_true(some_prompt_has(requests, "Interface (support)"));
	assert_true(some_prompt_has(requests, "0.25: missing \"30 days\"; missing \"full refund\""));
	json_decref(requests);
	llm_fixture_stop(&s);
	run_result_free(&r);
	unlink(record);
	unlink(prices);
	assert_int_equal(os_remove_tree(lab), 0);
	assert_int_equal(os_remove_tree(tasks), 0);
	free(record);
	free(prices);
	free(lab);
	free(tasks);
}

void test_group_support(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers_are_scored_by_their_rubric),
		cmocka_unit_test(test_a_solution_cannot_read_the_rubric),
		cmocka_unit_test(test_offline_evolution_runs_on_support),
		cmocka_unit_test(test_new_task_like_support_passes_check_task),
		cmocka_unit_test(test_held_out_checks_reach_no_agent_prompt_or_record),
	};

	HARNESS_GROUP(t, "support", tests);
}
