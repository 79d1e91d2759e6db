/*
 * test_rubric.c - rubric checks: answers match by words and numbers as
 * rubric.h says, a score is the weight of the checks met and the
 * feedback names the others; a malformed check, a rubric.json that names
 * a missing case or leaves one out, are refused with the file, the entry
 * and the check, by task loading and by host check-task.
 */
#include "harness.h"
#include "lab_fixture.h"

#include "error.h"
#include "os.h"
#include "rubric.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHERE "rubric.json: train entry 1"

/* The canonical text of `checks` (JSON text), or fails the test. */
static char *canonical(const char *checks)
{
	json_t *list = json_loads(checks, 0, NULL);
	char *text;
	size_t n;

	assert_non_null(list);
	if (rubric_canonical(&text, &n, list, WHERE) < 0)
		fail_msg("%s: %s", checks, err_last());
	json_decref(list);
	return text;
}

/* The score of `answer` against `checks` (JSON text); its feedback in
 * `feedback`. */
static double score_of(const char *answer, const char *checks, char *feedback, int size)
{
	char *text = canonical(checks);
	double score = -1;

	assert_int_equal(rubric_score(answer, text, &score, feedback, size), 0);
	free(text);
	return score;
}

static void test_answers_match_by_words_and_numbers(void **state)
{
	static const struct { const char *check, *answer; int met; } cases[] = {
		{ "{\"says\": \"30 days\"}", "You have 30 DAYS.", 1 },
		{ "{\"says\": \"30 days\"}", "within 30\n\t days, or", 1 },
		{ "{\"says\": \"30 days\"}", "within 30.00 days", 1 },
		{ "{\"says\": \"30 days\"}", "a 30-day window", 0 },        /* no plurals */
		{ "{\"says\": \"30 days\"}", "thirty days", 0 },           /* no number words */
		{ "{\"says\": \"30 days\"}", "130 days", 0 },
		{ "{\"says\": \"30 days\"}", "30 business days", 0 },      /* in a row */
		{ "{\"says\": \"$30\"}", "It is $30.00.", 1 },
		{ "{\"says\": \"$30\"}", "30 dollars", 1 },
		{ "{\"says\": \"$30\"}", "30 Dollar", 1 },
		{ "{\"says\": \"$30\"}", "30 USD", 1 },
		{ "{\"says\": \"$30\"}", "$ 30", 1 },
		{ "{\"says\": \"$30\"}", "30 days", 0 },                   /* money is money */
		{ "{\"says\": \"$30\"}", "$300", 0 },
		{ "{\"says\": \"30\"}", "$30", 1 },                        /* a number is any */
		{ "{\"says\": \"30\"}", "1,030", 0 },
		{ "{\"says\": \"$1,299.50\"}", "1299.5 dollars", 1 },
		{ "{\"says\": \"1,2\"}", "1 2", 1 },                       /* not a thousands group */
		{ "{\"says\": \"15%\"}", "15 percent", 1 },
		{ "{\"says\": \"15%\"}", "15 %", 1 },
		{ "{\"says\": \"15%\"}", "15 per cent", 0 },
		{ "{\"says\": \"return\"}", "Returns are free", 0 },       /* whole words */
		{ "{\"says\": \"return\"}", "Return.", 1 },
		{ "{\"says\": \"Forgot password\"}", "choose 'forgot-password'", 1 },
		{ "{\"says\": \"warranty@nimbus.example\"}", "mail Warranty@Nimbus.Example", 1 },
		{ "{\"says\": \"café\"}", "Café", 1 },                 /* beyond ASCII, as written */
		{ "{\"says\": \"30 days\"}", "30\u00a0days", 1 },        /* a no-break space */
		{ "{\"says\": \"don't\"}", "don\u2019t", 1 },             /* a curly quote */
		{ "{\"says\": \"3 5\"}", "3\u20135 days", 1 },             /* an en dash */
		{ "{\"any\": [\"original packaging\", \"original box\"]}", "its original box", 1 },
		{ "{\"any\": [\"original packaging\", \"original box\"]}", "the box", 0 },
		{ "{\"not\": \"60 days\"}", "within 60 days", 0 },
		{ "{\"not\": \"60 days\"}", "within 30 days", 1 },
		{ "{\"not\": [\"$49\", \"$89\"]}", "it costs 89 dollars", 0 },
		{ "{\"not\": [\"$49\", \"$89\"]}", "", 1 },
	};
	char list[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double s;

		snprintf(list, sizeof(list), "[%s]", cases[i].check);
		s = score_of(cases[i].answer, list, NULL, 0);
		if (s != (double)cases[i].met)
			fail_msg("%s on \"%s\": %g, expected %d", cases[i].check, cases[i].answer, s,
				 cases[i].met);
	}
}

static void test_a_score_is_the_weight_met_and_feedback_names_the_rest(void **state)
{
	static const char checks[] =
		"[{\"says\": \"30 days\", \"weight\": 2},"
		" {\"any\": [\"original packaging\", \"original box\"]}, {\"not\": \"60 days\"}]";
	char feedback[512], tiny[12];
	double s;

	(void)state;
	s = score_of("Returns are accepted within 60 days.", checks, feedback, sizeof(feedback));
	assert_true(s == 0);
	assert_string_equal(feedback, "missing \"30 days\"; missing any of \"original packaging\", "
			    "\"original box\"; says \"60 days\", which it must not");
	s = score_of("Within 30 days.", checks, feedback, sizeof(feedback));
	assert_true(s == 0.75);
	assert_string_equal(feedback, "missing any of \"original packaging\", \"original box\"");
	s = score_of("Within 30 days, in the original box.", checks, feedback, sizeof(feedback));
	assert_true(s == 1);
	assert_string_equal(feedback, "");
	/* no room: nothing written; little room: cut, and ended */
	strcpy(feedback, "untouched");
	s = score_of("nothing", checks, feedback, 0);
	assert_true(s == 0.25);
	assert_string_equal(feedback, "untouched");
	memset(tiny, 'x', sizeof(tiny));
	s = score_of("nothing", checks, tiny, 8);
	assert_string_equal(tiny, "missing");
	assert_true(tiny[8] == 'x');
	/* the canonical text writes every weight */
	{
		char *text = canonical("[{\"says\": \"30 days\"}, {\"weight\": 0.5, \"not\": [\"a\", \"b\"]}]");
		assert_string_equal(text, "[{\"says\":\"30 days\",\"weight\":1.0},"
				    "{\"not\":[\"a\",\"b\"],\"weight\":0.5}]");
		free(text);
	}
}

static void test_a_malformed_check_is_refused_with_its_place(void **state)
{
	static const struct { const char *checks, *expect; } cases[] = {
		{ "[{\"says\": \"x\", \"weight\": -1}]",
		  WHERE ", check 1: 'weight' must be a positive number, not -1" },
		{ "[{\"says\": \"x\", \"weight\": 0}]",
		  WHERE ", check 1: 'weight' must be a positive number, not 0" },
		{ "[{\"says\": \"x\", \"weight\": \"2\"}]",
		  WHERE ", check 1: 'weight' must be a positive number, not \"2\"" },
		{ "[{\"says\": \"a\"}, {\"say\": \"b\"}]",
		  WHERE ", check 2: unknown field 'say'; did you mean 'says'?" },
		{ "[{\"says\": \"a\", \"not\": \"b\"}]",
		  WHERE ", check 1: a check is {\"says\": PHRASE}, {\"any\": [PHRASE, ...]} or "
		  "{\"not\": PHRASE or [PHRASE, ...]}, with an optional \"weight\"" },
		{ "[{\"weight\": 2}]", WHERE ", check 1: a check is {\"says\": PHRASE}" },
		{ "[\"30 days\"]", WHERE ", check 1: a check is {\"says\": PHRASE}" },
		{ "[{\"any\": []}]", WHERE ", check 1: 'any' must be a list of 1 to 32 phrases" },
		{ "[{\"any\": \"x\"}]", WHERE ", check 1: 'any' must be a list of 1 to 32 phrases" },
		{ "[{\"says\": [\"a\"]}]", WHERE ", check 1: 'says' must be a phrase (a string)" },
		{ "[{\"not\": {}}]",
		  WHERE ", check 1: 'not' must be a phrase or a list of 1 to 32 phrases" },
		{ "[{\"not\": [\"a\", 1]}]", WHERE ", check 1: 'not' must hold phrases (strings)" },
		{ "[{\"says\": \"-- $ --\"}]",
		  WHERE ", check 1: the phrase \"-- $ --\" has no word or number to match" },
		{ "[]", WHERE ": 'checks' must be a list of 1 to 64 checks" },
		{ "{\"says\": \"x\"}", WHERE ": 'checks' must be a list of 1 to 64 checks" },
	};
	size_t i, n;
	char *text;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *list = json_loads(cases[i].checks, 0, NULL);

		assert_non_null(list);
		text = (char *)1;
		assert_int_equal(rubric_canonical(&text, &n, list, WHERE), ERR_INVALID);
		assert_null(text);
		if (strncmp(err_last(), cases[i].expect, strlen(cases[i].expect)) != 0)
			fail_msg("%s: \"%s\", expected \"%s\"", cases[i].checks, err_last(),
				 cases[i].expect);
		json_decref(list);
	}
}

/* A label that is no rubric: score.c is told, and the score is 0. */
static void test_a_label_that_is_no_rubric_is_refused(void **state)
{
	char feedback[256];
	double s = 1;

	(void)state;
	assert_int_equal(rubric_score("x", "{}", &s, feedback, sizeof(feedback)), -1);
	assert_string_equal(feedback, "the case's rubric: 'checks' must be a list of 1 to 64 checks");
	assert_true(s == 0);
	assert_int_equal(rubric_score("x", "1", &s, feedback, sizeof(feedback)), -1);
	assert_string_equal(feedback, "the case's label is not a rubric");
	assert_int_equal(rubric_score("x", NULL, &s, feedback, sizeof(feedback)), -1);
	assert_string_equal(feedback, "the case's label is not a rubric");
	assert_int_equal(rubric_score("x", "[{\"says\": \"x\", \"weight\": -1}]", &s, feedback,
				      sizeof(feedback)), -1);
	assert_string_equal(feedback, "the case's rubric, check 1: 'weight' must be a positive "
			    "number, not -1");
}

/* ---- rubric.json ---- */

/* tasks/support copied to $TMPDIR/NAME/support; returns the copy's folder. */
static char *support_copy(const char *name)
{
	char *root = task_copy(name, "support"), *dir = os_path_join(root, "support");

	free(root);
	return dir;
}

/* Removes the copy made by support_copy, and its folder. */
static void drop_copy(char *dir)
{
	*strrchr(dir, '/') = '\0';
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

/* The copy's `file`, parsed. */
static json_t *load(const char *dir, const char *file)
{
	char *path = os_path_join(dir, file);
	json_t *json = json_load_file(path, 0, NULL);

	assert_non_null(json);
	free(path);
	return json;
}

static void save(const char *dir, const char *file, json_t *json)
{
	char *path = os_path_join(dir, file);

	assert_int_equal(json_dump_file(json, path, JSON_INDENT(1)), 0);
	json_decref(json);
	free(path);
}

/* Entry `k` (0, 1...) of the copy's rubric in `split`. */
static json_t *entry(json_t *rubric, const char *split, size_t k)
{
	return json_array_get(json_object_get(rubric, split), k);
}

/* Loading the copy fails with exactly "DIR/rubric.json<expect>". */
static void expect_refused(const char *dir, const char *expect)
{
	char *want = harness_subst("@DIR@/rubric.json@E@", "@DIR@", dir, "@E@", expect, NULL);
	task *t = (task *)1;

	assert_int_equal(task_load_dir(&t, dir), ERR_INVALID);
	assert_null(t);
	assert_string_equal(err_last(), want);
	free(want);
}

static void test_a_rubric_gives_every_case_its_checks(void **state)
{
	task *t = harness_task("support");
	size_t i;

	(void)state;
	assert_int_equal(t->n_train, 16);
	assert_int_equal(t->n_holdout, 16);
	assert_int_equal(t->rubric_checks, 86);
	assert_string_equal(t->train[0].label, "[{\"says\":\"30 days\",\"weight\":2.0},"
			    "{\"says\":\"full refund\",\"weight\":1.0},{\"not\":\"14 days\",\"weight\":1.0}]");
	for (i = 0; i < t->n_holdout; i++)
		assert_non_null(t->holdout[i].label);
	task_free(t);
}

static void test_a_bad_rubric_json_is_refused_naming_the_file(void **state)
{
	char *dir = support_copy("rubric_bad"), *path = os_path_join(dir, "rubric.json");
	json_t *saved = load(dir, "rubric.json"), *r, *tj;

	(void)state;
	r = json_deep_copy(saved);  /* a case that is not one of task.json's */
	json_object_set_new(entry(r, "train", 1), "case", json_string("Where is my parcel?"));
	save(dir, "rubric.json", r);
	expect_refused(dir, ": train entry 2 names the case \"Where is my parcel?\", which is "
		       "not one of task.json's training cases");
	r = json_deep_copy(saved);  /* one of the other split's */
	json_object_set(entry(r, "holdout", 1), "case",
			json_object_get(entry(r, "train", 0), "case"));
	save(dir, "rubric.json", r);
	expect_refused(dir, ": holdout entry 2 names the case \"How long do I have to return "
		       "something I bought?\", which is not one of task.json's held-out cases "
		       "(it is a training case)");
	r = json_deep_copy(saved);  /* a negative weight */
	json_object_set_new(json_array_get(json_object_get(entry(r, "train", 2), "checks"), 1),
			    "weight", json_integer(-1));
	save(dir, "rubric.json", r);
	expect_refused(dir, ": train entry 3, check 2: 'weight' must be a positive number, not -1");
	r = json_deep_copy(saved);  /* a malformed check */
	json_array_set_new(json_object_get(entry(r, "holdout", 0), "checks"), 0,
			   json_pack("{s:s, s:s}", "says", "15%", "not", "30 days"));
	save(dir, "rubric.json", r);
	expect_refused(dir, ": holdout entry 1, check 1: a check is {\"says\": PHRASE}, {\"any\": "
		       "[PHRASE, ...]} or {\"not\": PHRASE or [PHRASE, ...]}, with an optional "
		       "\"weight\"");
	r = json_deep_copy(saved);  /* a case left out */
	json_array_remove(json_object_get(r, "train"), 2);
	save(dir, "rubric.json", r);
	expect_refused(dir, ": training case 3 of task.json, \"How do I send an item back?\", has "
		       "no checks: every case needs an entry in 'train'");
	r = json_deep_copy(saved);  /* a case given twice */
	json_array_append(json_object_get(r, "holdout"), entry(r, "holdout", 0));
	save(dir, "rubric.json", r);
	expect_refused(dir, ": holdout entry 17 names the case \"Is there a fee for returning an "
		       "opened item?\" again (holdout entry 1 did)");
	r = json_deep_copy(saved);  /* no held-out rubric */
	json_object_del(r, "holdout");
	save(dir, "rubric.json", r);
	expect_refused(dir, ": field 'holdout' must be a list of {\"case\": INPUT, \"checks\": "
		       "[...]}, one for each held-out case");
	r = json_deep_copy(saved);  /* a misspelt field */
	json_object_set(r, "holdot", json_object_get(r, "holdout"));
	save(dir, "rubric.json", r);
	expect_refused(dir, ": unknown field 'holdot'; did you mean 'holdout'?");
	assert_int_equal(os_write_file(path, "{\"train\": [\n", 12), 0);  /* not JSON */
	expect_refused(dir, ":2: ']' expected near end of file");
	save(dir, "rubric.json", json_incref(saved));
	tj = load(dir, "task.json");  /* a case with a label of its own */
	json_array_set_new(json_object_get(tj, "train"), 0,
			   json_pack("{s:s, s:s}", "input", "How long do I have to return "
				     "something I bought?", "label", "30 days"));
	save(dir, "task.json", tj);
	expect_refused(dir, ": training case 1 of task.json has a label; in a task with a "
		       "rubric, a case's checks are its label");
	json_decref(saved);
	free(path);
	drop_copy(dir);
}

static void test_check_task_checks_the_rubric(void **state)
{
	char *dir = support_copy("rubric_check"), *want;
	json_t *r;
	run_result res;

	(void)state;
	HOST(&res, "check-task", "tasks/support");
	assert_int_equal(res.status, 0);
	assert_contains(res.out, "rubric    rubric.json: 86 weighted checks on the 16 training "
			"and 16 held-out cases\n");
	assert_contains(res.out, "oracle    none (oracle.c): test agents cannot grow this task's "
			"cases (a new question needs its checks written from what the task "
			"knows: a model's work)\n");
	assert_contains(res.out, "tasks/support is sound\n");
	run_result_free(&res);
	r = load(dir, "rubric.json");
	json_object_set_new(entry(r, "train", 1), "case", json_string("Where is my parcel?"));
	save(dir, "rubric.json", r);
	HOST(&res, "check-task", dir);
	assert_int_equal(res.status, 1);
	want = harness_subst("host check-task: @DIR@/rubric.json: train entry 2 names the case "
			     "\"Where is my parcel?\", which is not one of task.json's training "
			     "cases\n", "@DIR@", dir, NULL);
	assert_string_equal(res.err, want);
	assert_string_equal(res.out, "");  /* nothing ran on a task that does not load */
	free(want);
	run_result_free(&res);
	drop_copy(dir);
}

void test_group_rubric(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers_match_by_words_and_numbers),
		cmocka_unit_test(test_a_score_is_the_weight_met_and_feedback_names_the_rest),
		cmocka_unit_test(test_a_malformed_check_is_refused_with_its_place),
		cmocka_unit_test(test_a_label_that_is_no_rubric_is_refused),
		cmocka_unit_test(test_a_rubric_gives_every_case_its_checks),
		cmocka_unit_test(test_a_bad_rubric_json_is_refused_naming_the_file),
		cmocka_unit_test(test_check_task_checks_the_rubric),
	};

	HARNESS_GROUP(t, "rubric", tests);
}
