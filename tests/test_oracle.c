/*
 * test_oracle.c - a task's oracle: email's oracle.c agrees with every
 * labelled case, refuses what is not an email case, and is checked by
 * check-task; an oracle that is wrong, does not build or crashes is the
 * task's fault, named; a task without one says so.
 */
#include "harness.h"
#include "lab_fixture.h"

#include "buf.h"
#include "error.h"
#include "oracle.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void test_email_oracle_agrees_with_every_label(void **state)
{
	task *t = harness_task("email");
	buf report = BUF_INIT;
	size_t checked = 0;

	(void)state;
	assert_true(oracle_present(t));
	assert_int_equal(oracle_check(&checked, t, &report), 0);
	assert_int_equal(checked, t->n_train + t->n_holdout);
	assert_int_equal(checked, 87);
	assert_string_equal(buf_cstr(&report), "");
	buf_free(&report);
	task_free(t);
}

static void test_the_oracle_labels_and_refuses(void **state)
{
	char *long_input = calloc(1202, 1);
	const char *inputs[] = { "a@b.cc", "user@example.c", "x@y.io", "a b@c.de", NULL };
	char *labels[5] = { NULL };
	task *t = harness_task("email");
	size_t i;

	(void)state;
	memset(long_input, 'a', 1200);
	long_input[600] = '@';
	inputs[4] = long_input;
	assert_int_equal(oracle_label(t, inputs, 5, labels), 0);
	assert_string_equal(labels[0], "1");
	assert_string_equal(labels[1], "0");  /* rule 5: the last label has 2 characters */
	assert_string_equal(labels[2], "1");
	assert_string_equal(labels[3], "0");  /* rule 2: no whitespace */
	assert_null(labels[4]);               /* 1200 characters: not an email case */
	for (i = 0; i < 5; i++)
		free(labels[i]);
	free(long_input);
	task_free(t);
}

static void test_a_task_without_an_oracle_says_so(void **state)
{
	const char *inputs[] = { "0" };
	char *labels[1] = { NULL };
	task *t = harness_task("snake");
	run_result r;

	(void)state;
	assert_false(oracle_present(t));
	assert_int_equal(oracle_label(t, inputs, 1, labels), ERR_NOTFOUND);
	assert_contains(err_last(), "task snake has no oracle (oracle.c in ");
	task_free(t);
	HOST(&r, "check-task", "tasks/snake");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "oracle    none (oracle.c): test agents cannot grow this "
			"task's cases\n");
	run_result_free(&r);
}

static void expect_check_fails(const char *name, const char *from, const char *to,
			       const char *message)
{
	char *root = edited_task_copy(name, "email", "oracle.c", from, to);
	char *dir = os_path_join(root, "email");
	run_result r;

	HOST(&r, "check-task", dir);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, message);
	assert_true(strstr(r.out, "is sound") == NULL);
	run_result_free(&r);
	free(dir);
	os_remove_tree(root);
	free(root);
}

static void test_check_task_names_a_faulty_oracle(void **state)
{
	(void)state;
	/* rule 5 forgotten: "user@example.c" is labelled invalid */
	expect_check_fails("oracle_wrong", "if (i == len && label_len < 2)", "if (0)",
			   "oracle.c disagrees with 2 labelled cases:\n"
			   "training case 18 \"user@example.c\": labelled 0, the oracle says 1\n"
			   "held-out case 48 \"user@domain.o\": labelled 0, the oracle says 1\n");
	expect_check_fails("oracle_broken", "return labels >= 2;", "return labels >= 2",
			   "task email: oracle.c does not compile:\noracle.c:");
	expect_check_fails("oracle_crash", "static int valid(const char *s)\n{",
			   "static int valid(const char *s)\n{\n\t*(volatile int *)0 = 1;",
			   "task email: oracle.c crashed (SIGSEGV) while labelling");
	expect_check_fails("oracle_missing", "int oracle_label(", "int oracle_labels(",
			   "task email: oracle.c does not compile:\noracle.c: error: 'oracle_label' "
			   "is not defined (the host calls it)");
}

void test_group_oracle(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_email_oracle_agrees_with_every_label),
		cmocka_unit_test(test_the_oracle_labels_and_refuses),
		cmocka_unit_test(test_a_task_without_an_oracle_says_so),
		cmocka_unit_test(test_check_task_names_a_faulty_oracle),
	};

	HARNESS_GROUP(t, "oracle", tests);
}
