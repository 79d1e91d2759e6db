/*
 * test_holdout.c - held-out runs under the training budget: the held-out
 * cases run in batches of the training set's size, so a solution that
 * fits the budget on the training cases fits on the held-out ones; one
 * that really is too slow on a held-out case says "timeout" in bench,
 * log, show, solution and the report; and the task agent's prompts give
 * each evaluation's time beside its limit, the same under a replay.
 *
 * The task is the test's own: tasks/email's code with 4 training cases
 * and 24 held-out ones (80 for the time), the last of which
 * ("spin@forever.example") its initial.c never returns from.
 */
#include "llm_fixture.h"

#include "buf.h"
#include "error.h"
#include "eval.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TRAIN 4
#define HOLDOUT 24        /* six batches of the training set's size */
#define MANY 80           /* twenty batches */
#define WALL_MS 300       /* the task's own budget, for the command-line tests */
#define SPIN_CASE "spin@forever.example"

/* email's initial.c, which never returns on SPIN_CASE. */
static const char spinning_initial[] =
	"#include \"email.h\"\n#include <string.h>\n\n"
	"#define MIN_TLD_LENGTH TUNE(1, 1, 6)\n\n"
	"int validate_email(const char *s)\n{\n"
	"\tconst char *at = strchr(s, '@'), *dot;\n\n"
	"\tif (strstr(s, \"spin@\"))\n\t\tfor (;;)\n\t\t\t;\n"
	"\tif (!at || at == s || strchr(at + 1, '@'))\n\t\treturn 0;\n"
	"\tdot = strrchr(at + 1, '.');\n"
	"\treturn dot && dot != at + 1 && (int)strlen(dot + 1) >= MIN_TLD_LENGTH;\n}\n";

/* A validator that spends @SPIN@ loops on each case: its cost is per case. */
static const char busy_solution[] =
	"#include \"email.h\"\n#include <string.h>\n\n"
	"int validate_email(const char *s)\n{\n"
	"\tvolatile long i;\n\n\tfor (i = 0; i < @SPIN@L; i++)\n\t\t;\n"
	"\treturn strchr(s, '@') != NULL;\n}\n";

static void copy_file(const char *from_dir, const char *to_dir, const char *name)
{
	char *from = os_path_join(from_dir, name), *to = os_path_join(to_dir, name), *text;

	text = harness_read(from);
	assert_int_equal(os_write_file(to, text, strlen(text)), 0);
	free(text);
	free(from);
	free(to);
}

/* `n` cases of the array `cases`, from its first, round again if need
 * be, the last SPIN_CASE when `spin`. */
static json_t *first_cases(const json_t *cases, size_t n, int spin)
{
	json_t *out = json_array();
	size_t i;

	for (i = 0; i < n - (spin ? 1 : 0); i++)
		json_array_append(out, json_array_get(cases, i % json_array_size(cases)));
	if (spin)
		json_array_append_new(out, json_pack("{s:s, s:b}", "input", SPIN_CASE, "label", 1));
	return out;
}

/* Four of email's training cases, two of which its initial.c gets wrong
 * ("user @example.com", and "user@example.c" until the last label's
 * least length is tuned to 2): it scores 0.5. */
static json_t *training_cases(const json_t *cases)
{
	static const size_t picked[TRAIN] = { 0, 8, 11, 17 };
	json_t *out = json_array();
	size_t i;

	for (i = 0; i < TRAIN; i++)
		json_array_append(out, json_array_get(cases, picked[i]));
	return out;
}

/* $TMPDIR/NAME/hold: the test's task, with a budget of WALL_MS and
 * `holdout` held-out cases; returns the tasks folder, NAME (free() it). */
static char *make_tasks(const char *name, size_t holdout)
{
	char *root = harness_scratch(name), *dir = os_path_join(root, "hold");
	char *json_path = os_path_join(dir, "task.json"), *initial = os_path_join(dir, "initial.c");
	char *mk[] = { "/bin/mkdir", "-p", dir, NULL };
	json_t *tj = json_load_file("tasks/email/task.json", 0, NULL);
	json_t *held = json_load_file("tasks/email/holdout.json", 0, NULL);
	static const char *const files[] = { "email.h", "driver.c", "score.c", "oracle.c" };
	run_result r;
	size_t i;

	os_remove_tree(root);
	run_command(&r, NULL, mk);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_non_null(tj);
	assert_true(json_array_size(held) >= HOLDOUT);
	json_object_set_new(tj, "name", json_string("hold"));
	json_object_set_new(tj, "train", training_cases(json_object_get(tj, "train")));
	json_object_set_new(tj, "holdout", first_cases(held, holdout, 1));
	json_object_set_new(tj, "budget", json_pack("{s:i, s:i, s:i}", "wall_ms", WALL_MS,
						    "cpu_ms", WALL_MS, "memory_mb", 64));
	assert_int_equal(json_dump_file(tj, json_path, JSON_INDENT(1)), 0);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		copy_file("tasks/email", dir, files[i]);
	assert_int_equal(os_write_file(initial, spinning_initial, strlen(spinning_initial)), 0);
	json_decref(tj);
	json_decref(held);
	free(initial);
	free(json_path);
	free(dir);
	return root;
}

/* The test's task in `root` with `holdout` held-out cases. */
static task *load_hold(const char *root, size_t holdout)
{
	char *dir = os_path_join(root, "hold");
	task *t = NULL;

	if (task_load_dir(&t, dir) < 0)
		fail_msg("%s", err_last());
	free(dir);
	assert_int_equal(t->n_train, TRAIN);
	assert_int_equal(t->n_holdout, holdout);
	return t;
}

/* `solution` with @SPIN@ replaced by `spin`, evaluated on `split` under
 * `wall_ms`. */
static void evaluate(eval_result *r, task *t, const char *solution, long spin, eval_split split,
		     int wall_ms)
{
	char loops[32], *source;

	snprintf(loops, sizeof(loops), "%ld", spin);
	source = harness_subst(solution, "@SPIN@", loops, NULL);
	t->budget.wall_ms = t->budget.cpu_ms = wall_ms;
	assert_int_equal(eval_solution(r, t, "per_case.c", source, split), 0);
	free(source);
}

/* A validator that takes @SPIN@ MB a case, and never gives them back:
 * four cases' worth fit in the budget's 64 MB (and the sandbox's slack),
 * not twenty-four. */
static const char hungry_solution[] =
	"#include \"email.h\"\n#include <stdlib.h>\n#include <string.h>\n\n"
	"int validate_email(const char *s)\n{\n"
	"\tvolatile char *kept = malloc((size_t)@SPIN@ << 20);\n\n"
	"\tkept[0] = 1;  /* NULL past the limit: out of memory */\n"
	"\treturn strchr(s, '@') != NULL;\n}\n";

/* The budget holds per case for memory too: each batch is a process of
 * its own, with the memory of a training run. */
static void test_held_out_memory_holds_per_case(void **state)
{
	char *root = make_tasks("holdout_memory", HOLDOUT);
	task *t = load_hold(root, HOLDOUT);
	eval_result train, held;

	(void)state;
	evaluate(&train, t, hungry_solution, 12, EVAL_TRAIN, 10000);
	assert_int_equal(train.status, SANDBOX_OK);
	evaluate(&held, t, hungry_solution, 12, EVAL_HOLDOUT, 10000);
	assert_string_equal(held.detail, "ok");
	assert_int_equal(held.status, SANDBOX_OK);
	eval_result_free(&train);
	eval_result_free(&held);
	task_free(t);
	os_remove_tree(root);
	free(root);
}

/* The time the training run of busy_solution takes, in ms, under a
 * budget it cannot reach. */
static double training_ms(task *t, long spin)
{
	eval_result r;
	double ms;

	evaluate(&r, t, busy_solution, spin, EVAL_TRAIN, 60000);
	assert_int_equal(r.status, SANDBOX_OK);
	ms = r.run_ms;
	eval_result_free(&r);
	return ms;
}

/*
 * A solution whose cost is per case: its training run takes a sixth of
 * the budget (or less), so the held-out set, twenty times as many cases,
 * would take about three times the budget as one run; in batches of the
 * training set's size each takes what the training run does. The budget
 * is measured on this machine first, so that the solution's cost per
 * case, not the machine's speed, decides; the work a case is made four
 * times what starting a run costs, so that it is the case count that
 * matters.
 */
static void test_held_out_time_holds_per_case(void **state)
{
	char *root = make_tasks("holdout_time", MANY);
	task *t = load_hold(root, MANY);
	double fixed = training_ms(t, 0), work, target = 4 * fixed > 40 ? 4 * fixed : 40;
	long spin = 1L << 18;
	int budget;
	eval_result train, held, reference;

	(void)state;
	while ((work = training_ms(t, spin) - fixed) < 30) {
		spin *= 4;
		assert_true(spin < (1L << 40));  /* the run's time is measured */
	}
	spin = (long)((double)spin * target / work);
	budget = (int)(6 * training_ms(t, spin));
	budget = budget > 300 ? budget : 300;  /* room for a busy machine's start-ups */
	evaluate(&train, t, busy_solution, spin, EVAL_TRAIN, budget);
	assert_int_equal(train.status, SANDBOX_OK);
	evaluate(&held, t, busy_solution, spin, EVAL_HOLDOUT, budget);
	assert_string_equal(held.detail, "ok");
	assert_int_equal(held.status, SANDBOX_OK);
	/* the batches' mean is the score of all the cases at once */
	evaluate(&reference, t, busy_solution, 0, EVAL_HOLDOUT, 60000);
	assert_int_equal(reference.status, SANDBOX_OK);
	assert_true(held.score == reference.score);
	eval_result_free(&train);
	eval_result_free(&held);
	eval_result_free(&reference);
	task_free(t);
	os_remove_tree(root);
	free(root);
}

/* `host ARGV...` ends with `status`, saying `text` on stdout and `err_text`
 * (may be NULL) on stderr. */
static void expect(int status, const char *text, const char *err_text, char *const argv[])
{
	run_result r;

	run_host_with(&r, NULL, argv);
	assert_int_equal(r.status, status);
	assert_contains(r.out, text);
	if (err_text)
		assert_contains(r.err, err_text);
	run_result_free(&r);
}

/* gen_000's solution is initial.c tuned: it never returns on the held-out
 * SPIN_CASE, nor does initial.c. Every command that shows a held-out
 * score says so, of both. */
static void test_a_held_out_timeout_is_said_everywhere(void **state)
{
	char *root = make_tasks("holdout_timeout", HOLDOUT), *lab = os_path_join(root, "lab");
	char *report = os_path_join(root, "report.html"), *html;
	char *init[] = { "host", "init", "--dir", lab, "--tasks-dir", root, "--tasks", "hold",
			 "--budget", "4", NULL };
	char *bench[] = { "host", "bench", "hold", "--holdout", "--tasks-dir", root, NULL };
	char *log[] = { "host", "log", "--dir", lab, NULL };
	char *show[] = { "host", "show", "gen_000", "--dir", lab, NULL };
	char *solution[] = { "host", "solution", "hold", "--dir", lab, NULL };
	char *write_report[] = { "host", "report", "--dir", lab, "-o", report, NULL };

	(void)state;
	expect(0, "gen_000  fitness", NULL, init);
	expect(1, "held-out  failed, timeout: it ran out of time\n", NULL, bench);
	expect(0, "warning: held-out run failed: hold (timeout)\n", NULL, log);
	expect(0, "initial.c: hold 0.5 (held-out failed: timeout)\n", NULL, log);
	expect(0, "  held-out failed: timeout  (4 evaluations, agent ok)\n", NULL, show);
	expect(0, "           initial.c 0.5 (held-out failed: timeout)\n", NULL, show);
	expect(0, "warning: held-out run failed: hold (timeout)\n", NULL, show);
	expect(0, "if (strstr(s, \"spin@\"))", "host solution: warning: gen_000's held-out run "
	       "of this solution failed", solution);
	expect(0, "", ", held-out failed: timeout\n", solution);
	expect(0, "wrote ", NULL, write_report);
	html = harness_read(report);
	assert_contains(html, "Warning: gen_000's held-out run failed: hold (timeout).");
	assert_contains(html, "<title>initial.c, as gen_000 scored it: 0.5 (held-out failed: "
			"timeout)</title>");
	assert_contains(html, ", held-out failed: timeout. <strong class=\"warn\">Warning: its "
			"held-out run failed");
	free(html);
	os_remove_tree(root);
	free(report);
	free(lab);
	free(root);
}

/* The model's solution: an address is anything with an '@'. */
static const char at_sign_only[] =
	"#include \"email.h\"\n#include <string.h>\n\n"
	"int validate_email(const char *s)\n{\n\treturn strchr(s, '@') != NULL;\n}\n";

/* A scripted model, 50 ms late, answering with `code` in a block. */
static json_t *late_code(const char *code)
{
	buf text = BUF_INIT;
	json_t *reply;

	buf_printf(&text, "```c\n%s```\n", code);
	reply = llm_fixture_reply(text.data, 200, 100);
	json_object_set_new(reply, "delay", json_real(0.05));
	buf_free(&text);
	return reply;
}

/* The task agent's prompt gives the evaluation's time beside the task's
 * own limit (0.300 s), and the record keeps the time, so that a replay
 * sends the very same prompt. */
static void test_a_prompt_gives_the_time_beside_the_limit(void **state)
{
	char *root = make_tasks("holdout_prompt", HOLDOUT), *record = os_path_join(root, "run.jsonl");
	char *out = os_path_join(root, "improved.c"), *recorded;
	char *argv[] = { "host", "improve", "hold", "--tasks-dir", root, "--agent", "seed",
			 "--budget", "3", "--llm", "openai:test-model", "--llm-url", "@URL@",
			 "--llm-calls", "1", "--record", record, "-o", out, NULL };
	char *replay[] = { "host", "improve", "hold", "--tasks-dir", root, "--agent", "seed",
			   "--budget", "3", "--llm-calls", "1", "--replay", record, "-o", out, NULL };
	json_t *requests, *line;
	const char *user;
	run_result r;

	(void)state;
	requests = llm_fixture_run(&r, llm_fixture_script(json_pack("[o]",
				   late_code(at_sign_only))), "holdout_model", argv);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(json_array_size(requests), 1);
	user = json_string_value(json_object_get(json_array_get(requests, 0), "user"));
	assert_contains(user, "The best solution so far, the initial solution, scoring 0.5 in ");
	assert_contains(user, " s of the 0.300 s wall-time limit:\n");
	/* the time the agent was given is in the record, with the call */
	recorded = harness_read(record);
	line = json_loads(recorded, JSON_DISABLE_EOF_CHECK, NULL);
	assert_int_equal(json_array_size(json_object_get(line, "measured")), 1);
	assert_true(json_number_value(json_array_get(json_object_get(line, "measured"), 0)) > 0);
	json_decref(line);
	free(recorded);
	/* a replay gives the agent the recorded time: the same prompt */
	run_host_with(&r, NULL, replay);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "replay of");
	run_result_free(&r);
	json_decref(requests);
	os_remove_tree(root);
	free(out);
	free(record);
	free(root);
}

/* The record keeps each figure with the call made after it, or on a line
 * of its own when none was; a replay gives each back by the call's name,
 * and a record that starts with figures still names its model. */
static void test_a_replay_gives_back_the_measured_figures(void **state)
{
	char *prices = llm_fixture_prices(), *record = harness_scratch("measured.jsonl"), *reply;
	llm_options o = { .provider = "openai:test-model", .prices_path = prices,
			  .record_path = record };
	double before = 3.25, first = 12.5, later = 7, unknown = 99;
	char url[128];
	llm_client *c;
	llm_server s;

	(void)state;
	unlink(record);
	llm_fixture_start(&s, llm_fixture_script(json_pack("[o]", llm_fixture_reply("ok", 3, 4))),
			  "measured");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	o.url = url;
	assert_int_equal(llm_open(&c, &o), 0);
	llm_measured(c, "b call 1", &before);  /* no call follows */
	llm_measured_end(c);
	llm_measured(c, "a call 1", &first);
	llm_set_tag(c, "a call 1");
	assert_int_equal(llm_chat(c, "sys", "user", 0, &reply, NULL), 0);
	free(reply);
	llm_set_tag(c, NULL);
	llm_measured(c, "a call 2", &later);
	llm_close(c);  /* which ends them */
	llm_fixture_stop(&s);
	memset(&o, 0, sizeof(o));
	o.replay_path = record;
	assert_int_equal(llm_open(&c, &o), 0);
	assert_string_equal(llm_model(c), "openai:test-model");
	first = before = later = 0;
	llm_measured(c, "a call 1", &first);
	llm_measured(c, "b call 1", &before);
	llm_measured(c, "a call 2", &later);
	llm_measured(c, "c call 1", &unknown);
	assert_true(first == 12.5 && before == 3.25 && later == 7);
	assert_true(unknown == 99);  /* not recorded: as measured */
	llm_close(c);
	unlink(record);
	free(record);
	unlink(prices);
	free(prices);
}

void test_group_holdout(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_out_memory_holds_per_case),
		cmocka_unit_test(test_held_out_time_holds_per_case),
		cmocka_unit_test(test_a_held_out_timeout_is_said_everywhere),
		cmocka_unit_test(test_a_prompt_gives_the_time_beside_the_limit),
		cmocka_unit_test(test_a_replay_gives_back_the_measured_figures),
	};

	HARNESS_GROUP(t, "holdout", tests);
}
