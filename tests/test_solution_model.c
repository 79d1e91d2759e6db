/*
 * test_solution_model.c - solutions that ask the language model: a task
 * whose task.json declares "model" links model_ask into its solutions,
 * and the host makes each call for them, counted under the run's caps,
 * recorded and replayed, the API key never in the sandbox.
 *
 * The support task's three questions its keyword retrieval answers worst
 * stand in for its training set, so that a model with a second of latency
 * is asked few times. tests/solutions/support_model.c asks the model and
 * falls back to retrieval when it says "no model".
 */
#include "llm_fixture.h"
#include "lab_fixture.h"

#include "broker.h"
#include "eval.h"
#include "os.h"
#include "solution_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define QUESTIONS 3

/* The questions, the model's right answers, and their cases in support. */
static const struct {
	const char *question, *answer;
	int train;
} asked[QUESTIONS] = {
	{ "How do I send an item back?",
	  "Open the Orders page and choose Return item, print the prepaid label and drop the "
	  "parcel at a PostPoint location.", 2 },
	{ "Do you ship to the UK, and how long does it take?",
	  "Yes: delivery takes 7 to 14 business days, shipping costs $19.99, and customs "
	  "duties may apply.", 4 },
	{ "What does the warranty on the Kettle Pro cover?",
	  "The Kettle Pro has a 3-year warranty that covers the heating element.", 5 },
};

/* A server that answers each question right, `late` seconds late, each
 * reply 1000 tokens in and 500 out: $2 at llm_fixture_prices(). */
static json_t *right_answers(double late)
{
	json_t *rules = json_array();
	size_t i;

	for (i = 0; i < QUESTIONS; i++)
		json_array_append_new(rules, json_pack("{s:s, s:[o]}", "match", asked[i].question,
				      "replies", llm_fixture_reply(asked[i].answer, 1000, 500)));
	return llm_fixture_late(json_pack("{s:o}", "rules", rules), late);
}

/* support's view with the three questions as its training set. */
static void three_questions(task *view, task_case *cases, const task *t)
{
	size_t i;

	for (i = 0; i < QUESTIONS; i++)
		cases[i] = t->train[asked[i].train];
	task_view(view, t, cases, QUESTIONS, t->initial_text);
	assert_string_equal(cases[0].input, asked[0].question);
}

static void eval_train(eval_result *r, task *t, const char *source)
{
	assert_int_equal(eval_solution(r, t, "solution.c", source, EVAL_TRAIN), 0);
	assert_int_equal(r->status, SANDBOX_OK);
}

/* The prompts of each request hold the question and the knowledge base,
 * and never the key. */
static void check_prompts(const json_t *requests)
{
	const json_t *q;
	size_t i;

	assert_int_equal(json_array_size(requests), QUESTIONS);
	json_array_foreach(requests, i, q) {
		const char *system = json_string_value(json_object_get(q, "system"));
		const char *user = json_string_value(json_object_get(q, "user"));
		assert_string_equal(user, asked[i].question);
		assert_contains(system, "PostPoint");
		assert_null(strstr(system, TEST_KEY));
		assert_null(strstr(user, TEST_KEY));
	}
}

/* A task agent's host_eval of `source` on `view`, through the broker,
 * under `ao` (which outlives it): the score it replies with. The agent
 * has half a second of its own; the solution's wait for the model is
 * not its time, and what the calls cost is the run's spend. */
static double agent_eval(broker *b, task *view, const agent_options *ao, const char *source,
			 sandbox_request *req)
{
	json_t *request = json_pack("{s:s, s:s}", "op", "eval", "solution", source), *reply;
	double score;

	broker_init(b, view, NULL, 1, 0.5);
	broker_use(b, ao);
	assert_int_equal(broker_serve(b, request, &reply, req), 0);
	assert_string_equal(json_string_value(json_object_get(reply, "status")), "ok");
	score = json_number_value(json_object_get(reply, "score"));
	json_decref(reply);
	json_decref(request);
	return score;
}

static void test_a_solution_that_asks_the_model_scores_higher(void **state)
{
	task *t = harness_task("support"), view;
	char *source = harness_read("tests/solutions/support_model.c"), url[128];
	char *prices = llm_fixture_prices();
	sandbox_request req = { .channel = -1, .excused_ms = 0 };
	agent_options ao = { .llm = NULL, .llm_calls = 1 };
	task_case cases[QUESTIONS];
	eval_result offline, own;
	double asking;
	int pair[2];
	llm_client *llm;
	json_t *requests;
	llm_server s;
	broker b;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	three_questions(&view, cases, t);
	eval_train(&offline, &view, view.initial_text);
	eval_train(&own, &view, source);  /* no model: it answers by retrieval */
	assert_int_equal(own.model.refused, QUESTIONS);
	assert_int_equal(own.model.sent, 0);
	llm_fixture_start(&s, right_answers(1.0), "asking_server");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	llm = llm_fixture_client("openai:test-model", url, prices, 0, 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	req.channel = pair[0];
	solution_model_use(llm);
	ao.llm = llm;
	asking = agent_eval(&b, &view, &ao, source, &req);
	solution_model_use(NULL);
	assert_true(asking > offline.score + 0.5);
	assert_true(asking > own.score + 0.5);
	assert_true(asking > 0.99);
	/* three calls of a second each: waited for, not the agent's time */
	assert_true(req.excused_ms >= 3000);
	assert_true(b.budget.deadline_ms > os_now_ms());
	/* counted in the client's totals, under its caps, and in the run's spend */
	assert_int_equal(llm_totals(llm).calls, QUESTIONS);
	assert_int_equal(b.llm_used.calls, QUESTIONS);
	assert_int_equal(b.llm_used.tokens_in + b.llm_used.tokens_out, 1500 * QUESTIONS);
	assert_true(b.llm_used.usd > 5.99 && b.llm_used.usd < 6.01);
	requests = llm_fixture_requests(&s);
	check_prompts(requests);
	json_decref(requests);
	broker_free(&b);
	close(pair[0]);
	close(pair[1]);
	llm_close(llm);
	llm_fixture_stop(&s);
	eval_result_free(&offline);
	eval_result_free(&own);
	unlink(prices);
	free(prices);
	free(source);
	task_free(t);
}

/* Asks three times per question (the task allows one), and answers KB[0]
 * when every answer was exactly MODEL_NONE with an empty reply, "" else. */
static const char probe[] =
	"#include \"kb.h\"\n#include <stdio.h>\n#include <string.h>\n"
	"void support_answer(const char *q, char *a, int n)\n"
	"{\n\tchar reply[64] = \"x\";\n\tint i, none = 0;\n"
	"\tfor (i = 0; i < 3; i++)\n"
	"\t\tnone += model_ask(NULL, q, reply, sizeof(reply)) == MODEL_NONE && !reply[0];\n"
	"\tsnprintf(a, (size_t)n, \"%s\", none == 3 ? KB[0].text : \"\");\n}\n";

static void test_offline_or_spent_the_model_says_no_model(void **state)
{
	task *t = harness_task("support"), view;
	char *prices = llm_fixture_prices();
	task_case cases[QUESTIONS];
	eval_result r;
	llm_client *llm;
	llm_server s;

	(void)state;
	three_questions(&view, cases, t);
	eval_train(&r, &view, probe);  /* offline: every call says MODEL_NONE */
	assert_true(r.score > 0);
	assert_int_equal(r.model.calls, 0);
	assert_int_equal(r.model.refused, 3 * QUESTIONS);
	eval_result_free(&r);
	/* one call per question reaches the model; the others are refused */
	llm = llm_fixture_serve(&s, json_pack("[o]", llm_fixture_reply("x", 10, 1)), "probe_server",
				prices, 0, 0);
	solution_model_use(llm);
	eval_train(&r, &view, probe);
	assert_int_equal(r.model.calls + r.model.refused, 3 * QUESTIONS);
	assert_int_equal(r.model.refused, 2 * QUESTIONS);
	assert_int_equal(r.model.sent, QUESTIONS);
	assert_int_equal(llm_fixture_count(&s), QUESTIONS);
	eval_result_free(&r);
	solution_model_use(NULL);
	/* a task without "model" links no model_ask */
	view.model_calls = 0;
	assert_int_equal(eval_solution(&r, &view, "probe.c", probe, EVAL_TRAIN), 0);
	assert_int_equal(r.status, SANDBOX_COMPILE_ERROR);
	assert_contains(r.diagnostics, "model_ask");
	eval_result_free(&r);
	llm_close(llm);
	llm_fixture_stop(&s);
	unlink(prices);
	free(prices);
	task_free(t);
}

/* tasks/support copied to ROOT/support with the three questions as its
 * training set (and their checks only). Returns ROOT. */
static char *three_question_task(void)
{
	char *root = task_copy("model_tasks", "support"), *dir = os_path_join(root, "support");
	char *task_path = os_path_join(dir, "task.json"), *rubric_path = os_path_join(dir, "rubric.json");
	json_t *task_json, *rubric, *train = json_array(), *checks = json_array();
	size_t i;

	task_json = json_load_file(task_path, 0, NULL);
	rubric = json_load_file(rubric_path, 0, NULL);
	for (i = 0; i < QUESTIONS; i++) {
		json_array_append_new(train, json_string(asked[i].question));
		json_array_append(checks, json_array_get(json_object_get(rubric, "train"),
							 (size_t)asked[i].train));
	}
	json_object_set_new(task_json, "train", train);
	json_object_set_new(rubric, "train", checks);
	assert_int_equal(json_dump_file(task_json, task_path, JSON_INDENT(1)), 0);
	assert_int_equal(json_dump_file(rubric, rubric_path, JSON_INDENT(1)), 0);
	json_decref(task_json);
	json_decref(rubric);
	free(task_path);
	free(rubric_path);
	free(dir);
	return root;
}

/* The line of `out` that starts with `head`, as a new string. */
static char *line_of(const char *out, const char *head)
{
	const char *at = strstr(out, head);

	assert_non_null(at);
	return strndup(at, strcspn(at, "\n"));
}

/*
 * With --max-usd 4.5, two calls ($2 each) leave $0.5, less than the
 * third's prompts would cost at 4 bytes a token (about 1100 tokens,
 * $1.1): two calls are made and counted, the third is refused before it
 * is sent and the question answered by retrieval, and the run says the
 * cap was hit. A replay of the record under the same options, with the
 * server gone, refuses the same call, so it scores the same.
 */
static void test_calls_are_counted_under_max_usd_and_replayed(void **state)
{
	char *tasks = three_question_task(), *prices = llm_fixture_prices();
	char *record = harness_scratch("model_calls.jsonl"), *score, *spent, *kept, url[128];
	char *argv[] = { "host", "bench", "support", "tests/solutions/support_model.c",
			 "--tasks-dir", tasks, "--llm", "openai:test-model", "--llm-url", url,
			 "--llm-prices", prices, "--max-usd", "4.5", "--record", record, NULL };
	json_t *requests;
	llm_server s;
	run_result r;
	size_t prompt;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	HOST(&r, "check-task", "support", "--tasks-dir", tasks);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "model     solutions may ask the model 1 time per case "
			"(model_ask); here, offline, it says \"no model\"\n");
	run_result_free(&r);
	llm_fixture_start(&s, right_answers(1.0), "capped_server");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	run_host_with(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "model     2 calls answered, 1 answered \"no model\"");
	assert_contains(r.out, "spent     2 model calls, 3000 tokens, $4.0000 "
			"(openai:test-model)\n");
	assert_contains(r.out, "budget    spent: a cap (--max-usd, --max-tokens) refused");
	assert_null(strstr(r.out, TEST_KEY));
	score = line_of(r.out, "score     0.");
	spent = line_of(r.out, "spent     ");
	requests = llm_fixture_requests(&s);
	assert_int_equal(json_array_size(requests), 2);
	assert_string_equal(llm_fixture_user(requests, 1), asked[1].question);
	prompt = strlen(json_string_value(json_object_get(json_array_get(requests, 1), "system")));
	assert_in_range(prompt, 2000, 10000);  /* so the third's prompts cost $0.5 to $2.5 */
	json_decref(requests);
	llm_fixture_stop(&s);
	run_result_free(&r);
	/* the same run, from the record, with nothing listening */
	argv[14] = "--replay";
	run_host_with(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, score);
	assert_contains(r.out, spent);
	assert_contains(r.out, "model     2 calls answered, 1 answered \"no model\"");
	assert_contains(r.out, "budget    spent: a cap (--max-usd, --max-tokens) refused");
	assert_null(strstr(r.out, "stopped"));  /* the replay asked for no call it lacks */
	kept = harness_read(record);
	assert_null(strstr(kept, TEST_KEY));
	free(kept);
	run_result_free(&r);
	unlink(record);
	unlink(prices);
	assert_int_equal(os_remove_tree(tasks), 0);
	free(score);
	free(spent);
	free(record);
	free(prices);
	free(tasks);
}

void test_group_solution_model(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_solution_that_asks_the_model_scores_higher),
		cmocka_unit_test(test_offline_or_spent_the_model_says_no_model),
		cmocka_unit_test(test_calls_are_counted_under_max_usd_and_replayed),
	};

	HARNESS_GROUP(t, "solution_model", tests);
}
