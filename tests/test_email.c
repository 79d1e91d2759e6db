/*
 * test_email.c - the email task: its labels agree with the rules it
 * states, accuracy scoring, and feedback that never names held-out cases.
 */
#include "harness.h"

#include "error.h"
#include "eval.h"
#include "scorer.h"

#include <stdlib.h>
#include <string.h>

static void test_reference_rules_score_perfectly(void **state)
{
	task *t = harness_task("email");
	char *reference = harness_read("tests/solutions/email_reference.c");
	eval_result train, holdout;

	(void)state;
	assert_int_equal(t->n_train, 20);
	assert_true(t->n_holdout >= 60);
	assert_int_equal(eval_solution(&train, t, "ref.c", reference, EVAL_TRAIN), 0);
	assert_int_equal(eval_solution(&holdout, t, "ref.c", reference, EVAL_HOLDOUT), 0);
	assert_int_equal(train.status, SANDBOX_OK);
	assert_true(train.score == 1.0);
	assert_contains(train.feedback, "all 20 cases correct");
	assert_true(holdout.score == 1.0);
	eval_result_free(&train);
	eval_result_free(&holdout);
	free(reference);
	task_free(t);
}

/* Every case named in the feedback must be a training case. */
static void check_feedback_names_training_only(const task *t, const char *feedback)
{
	size_t i;
	int named = 0;

	for (i = 0; i < t->n_holdout; i++) {
		char quoted[300];
		snprintf(quoted, sizeof(quoted), "\"%s\" should", t->holdout[i].input);
		assert_null(strstr(feedback, quoted));
	}
	for (const char *p = feedback; (p = strstr(p, " should be ")) != NULL; p++)
		named++;
	assert_true(named >= 1 && named <= 5);
}

static void test_initial_accuracy_and_feedback(void **state)
{
	task *t = harness_task("email");
	eval_result train, holdout;

	(void)state;
	assert_int_equal(eval_solution(&train, t, "initial.c", t->initial_text, EVAL_TRAIN), 0);
	assert_int_equal(train.status, SANDBOX_OK);
	assert_true(train.score == 0.65);  /* 13 of 20 */
	assert_contains(train.feedback, "\"user @example.com\" should be invalid");
	check_feedback_names_training_only(t, train.feedback);
	assert_int_equal(eval_solution(&holdout, t, "initial.c", t->initial_text, EVAL_HOLDOUT), 0);
	assert_true(holdout.score > 0.3 && holdout.score < 1.0);
	assert_string_equal(holdout.feedback, "");
	eval_result_free(&train);
	eval_result_free(&holdout);
	task_free(t);
}

static void test_scorer_checks_the_transcript(void **state)
{
	task *t = harness_task("email");
	buf feedback = BUF_INIT;
	double score;

	(void)state;
	assert_int_equal(scorer_score(t, "101", -1, t->train, t->n_train, &score, &feedback), ERR_INVALID);
	assert_contains(feedback.data, "expected 20 verdicts, got 3");
	buf_clear(&feedback);
	/* all "invalid": right on the 13 invalid cases */
	assert_int_equal(scorer_score(t, "00000000000000000000", -1, t->train, t->n_train,
				      &score, &feedback), 0);
	assert_true(score == 13.0 / 20.0);
	assert_contains(feedback.data, "\"user@example.com\" should be valid");
	buf_free(&feedback);
	task_free(t);
}

void test_group_email(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_rules_score_perfectly),
		cmocka_unit_test(test_initial_accuracy_and_feedback),
		cmocka_unit_test(test_scorer_checks_the_transcript),
	};

	HARNESS_GROUP(t, "email", tests);
}
