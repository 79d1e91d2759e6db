/*
 * test_lab.c - the lab's commands as a user sees them: log, show, diff
 * and status, their usage errors, the utility that weighs fitness, a
 * budget whose time limit would overflow, the trials and limits a lab
 * keeps, its settings read back, and its tasks, which compare as a set.
 */
#include "lab_fixture.h"

#include "evolve_internal.h"
#include "lab.h"
#include "os.h"
#include "settings.h"
#include "store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void expect_usage(const char *message, char *const argv[])
{
	run_result r;

	run_host_with(&r, NULL, argv);
	if (r.status != 2)
		fail_msg("%s: expected exit 2, got %d (%s)", argv[1], r.status, r.err);
	assert_contains(r.err, message);
	assert_contains(r.err, "Try 'host help ");
	run_result_free(&r);
}

static void test_inspection_commands(void **state)
{
	char *dir = make_lab("looklab", "email");
	json_t *list;
	run_result r;

	(void)state;
	HOST(&r, "evolve", "--dir", dir, "--gens", "3", "--select", "archive", "--json");
	assert_int_equal(r.status, 0);
	list = json_loads(strchr(r.out, '{'), JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(list);
	assert_int_equal(json_integer_value(json_object_get(list, "generation")), 1);
	json_decref(list);
	run_result_free(&r);
	HOST(&r, "log", "--all", "--dir", dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "GEN      PARENT");
	assert_contains(r.out, "gen_003");
	assert_contains(r.out, "gen_000  -         accepted");
	run_result_free(&r);
	HOST(&r, "log", "--json", "--dir", dir);
	list = json_loads(r.out, 0, NULL);
	assert_true(json_array_size(list) >= 1);
	json_decref(list);
	run_result_free(&r);
	HOST(&r, "show", "gen_2", "--dir", dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_002");
	assert_contains(r.out, "status    ");
	assert_contains(r.out, "  email    train ");
	assert_contains(r.out, "diff against gen_");
	run_result_free(&r);
	HOST(&r, "diff", "gen_000", "gen_001", "--dir", dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "diff --git a/");
	run_result_free(&r);
	HOST(&r, "show", "--dir", dir);  /* the live generation, as git show shows HEAD */
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_000 (live)\nstatus    accepted");
	run_result_free(&r);
	HOST(&r, "status", "--dir", dir);
	assert_contains(r.out, "live      gen_");
	assert_contains(r.out, "4 generations");
	assert_contains(r.out, "\ntasks     email, from ");
	assert_contains(r.out, "\nspend     0 LLM calls");
	assert_contains(r.out, "mode      offline");
	assert_contains(r.out, "edits     none");
	run_result_free(&r);
	{
		char *a[] = { "host", "evolve", "--dir", dir, "--select", "random", NULL };
		char *b[] = { "host", "evolve", "--dir", dir, "--utility", "speed=2", NULL };
		char *c[] = { "host", "show", "gen_000", "gen_001", NULL };
		char *d[] = { "host", "diff", "gen_000", NULL };
		char *e[] = { "host", "commit", "--dir", dir, NULL };
		char *f[] = { "host", "revert", NULL };
		char *g[] = { "host", "log", "--frob", NULL };
		char *h[] = { "host", "evolve", "--gens", "0", NULL };
		expect_usage("--select takes best or archive, not 'random'", a);
		expect_usage("--utility knows score, cost and time, not 'speed'", b);
		expect_usage("unexpected argument 'gen_001'", c);
		expect_usage("expects two generations", d);
		expect_usage("missing -m MSG", e);
		expect_usage("missing gen_N", f);
		expect_usage("unknown option '--frob'", g);
		expect_usage("--gens expects an integer from 1 to 999999, got '0'", h);
	}
	os_remove_tree(dir);
	free(dir);
}

/* Checks a generation's record: its fitness is the utility's score weight
 * times the mean task fitness (cost and time weights are 0 here). */
static void assert_weighted(const json_t *record, double score)
{
	const json_t *email = json_object_get(json_object_get(record, "tasks"), "email");
	double mean = json_number_value(json_object_get(email, "fitness"));

	assert_true(mean > 0);
	assert_true(json_number_value(json_object_get(json_object_get(record, "utility"), "score"))
		    == score);
	assert_true(fabs(json_number_value(json_object_get(record, "fitness")) - score * mean)
		    < 1e-9);
}

/* The JSON record `evolve --json` printed for its one generation. */
/* The last record `evolve --json` printed. */
static json_t *printed_record(const run_result *r)
{
	const char *line, *last = NULL;
	json_t *record;

	for (line = r->out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (*line == '{')
			last = line;
	record = last ? json_loads(last, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
	assert_non_null(record);
	return record;
}

/* --utility weighs fitness: given to init it is the lab's setting, given to
 * evolve it overrides it for the run; the record says which one was used. */
static void test_utility_takes_effect(void **state)
{
	char *dir = scratch("utilitylab");
	json_t *printed;
	record g;
	run_result r;
	lab l;

	(void)state;
	HOST(&r, "init", "--dir", dir, "--tasks", "email", "--budget", "3", "--utility", "score=0.5");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(lab_open(&l, dir, 0), 0);
	assert_int_equal(store_read(l.store, 0, &g, NULL), 0);
	printed = record_to_json(&g);
	assert_weighted(printed, 0.5);
	json_decref(printed);
	record_free(&g);
	lab_close(&l);
	HOST(&r, "evolve", "--dir", dir, "--json");
	assert_int_equal(r.status, 0);
	printed = printed_record(&r);
	assert_weighted(printed, 0.5);
	json_decref(printed);
	run_result_free(&r);
	/* another utility: the parent is measured again first, then the
	 * candidate, at 0 too with its parent's solutions, is rejected */
	HOST(&r, "evolve", "--dir", dir, "--json", "--utility", "score=0");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "\"reason\":\"re-measured gen_00");
	assert_contains(r.out, ": another utility\"");
	printed = printed_record(&r);
	assert_weighted(printed, 0);
	assert_true(json_number_value(json_object_get(printed, "fitness")) == 0);
	assert_string_equal(json_string_value(json_object_get(printed, "status")), "rejected");
	assert_contains(json_string_value(json_object_get(printed, "reason")),
			"its solutions are the same as its parent's, byte for byte");
	json_decref(printed);
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", dir, "--utility", "score=2,time=0");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "select best, utility score=2,cost=0,time=0, offline");
	assert_contains(r.out, "1 generations in ");
	assert_contains(r.out, ", and 1 parent measured again under this run's settings");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 6);
	assert_fsck_clean(dir);
	os_remove_tree(dir);
	free(dir);
}

/* The task agent's time limit is the budget times a task's limit per
 * evaluation: with an hour per evaluation, 600 evaluations overflowed an
 * int to a negative limit and the agent got 0 evaluations, silently. */
static void test_budget_does_not_overflow_the_time_limit(void **state)
{
	static const char fast[] = "\"wall_ms\": 2000", slow[] = "\"wall_ms\": 3600000";
	char *tasks = scratch("slowtasks"), *dir = scratch("slowlab"), *json, *text, *at;
	char *cp[] = { "/bin/cp", "-r", "tasks/email", tasks, NULL };
	buf edited = BUF_INIT;
	const record_task *email;
	record g;
	run_result r;
	lab l;

	(void)state;
	mkdir(tasks, 0755);
	run_command(&r, NULL, cp);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	json = os_path_join(tasks, "email/task.json");
	text = harness_read(json);
	at = strstr(text, fast);
	assert_non_null(at);
	/* the most a task may ask for: an hour */
	buf_printf(&edited, "%.*s%s%s", (int)(at - text), text, slow, at + strlen(fast));
	assert_int_equal(os_write_file(json, edited.data, edited.len), 0);
	buf_free(&edited);
	HOST(&r, "init", "--dir", dir, "--tasks-dir", tasks, "--tasks", "email", "--budget", "600");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(lab_open(&l, dir, 0), 0);
	assert_int_equal(store_read(l.store, 0, &g, NULL), 0);
	email = record_find_task(&g, "email");
	assert_non_null(email);
	assert_string_equal(email->agent, "ok");
	assert_true(email->evals > 0);
	record_free(&g);
	lab_close(&l);
	os_remove_tree(dir);
	os_remove_tree(tasks);
	free(text);
	free(json);
	free(tasks);
	free(dir);
}

/* A lab setting of `dir`, or NULL. */
static char *setting(const char *dir, const char *key)
{
	char *value = NULL;
	lab l;

	assert_int_equal(lab_open(&l, dir, 0), 0);
	assert_int_equal(store_setting_get(l.store, key, &value), 0);
	lab_close(&l);
	return value;
}

/* --trials and the agents' limits are the lab's settings; gen_000 records
 * what measured it, and a run measuring otherwise measures the parent
 * again first. Bad values are refused, and a damaged setting is named. */
static void test_trials_and_limits_are_lab_settings(void **state)
{
	char *dir = scratch("trialslab"), *value;
	char *zero[] = { "host", "init", "--dir", dir, "--trials", "0", NULL };
	char *seconds[] = { "host", "init", "--dir", dir, "--agent-seconds", "soon", NULL };
	const record_task *email;
	run_result r;
	record g;
	lab l;

	(void)state;
	expect_usage("--trials expects an integer from 1 to 1000, got '0'", zero);
	expect_usage("--agent-seconds expects seconds from 1 to 86400, got 'soon'", seconds);
	assert_false(lab_exists(dir));
	HOST(&r, "init", "--dir", dir, "--tasks", "email", "--budget", "3", "--trials", "2",
	     "--meta-seconds", "5", "--agent-seconds", "4.5");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_string_equal((value = setting(dir, "trials")), "2");
	free(value);
	assert_string_equal((value = setting(dir, "meta-ms")), "5000");
	free(value);
	assert_string_equal((value = setting(dir, "agent-ms")), "4500");
	free(value);
	assert_int_equal(lab_open(&l, dir, 0), 0);
	assert_int_equal(store_read(l.store, 0, &g, NULL), 0);
	lab_close(&l);
	assert_true(g.has_measure);
	assert_string_equal(g.measure.model, "offline");
	assert_int_equal(g.measure.trials, 2);
	email = record_find_task(&g, "email");
	assert_int_equal(email->evals, 6);  /* two runs of 3 */
	record_free(&g);
	/* measured alike: no re-measure; otherwise: first the parent, again */
	HOST(&r, "evolve", "--dir", dir);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "re-measured"));
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", dir, "--trials", "1");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, ": trials 1 (was 2)");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 4);
	/* a setting edited into nonsense is named, and nothing is made */
	{
		char *gens = os_path_join(dir, "generations");
		char *git[] = { "/usr/bin/git", "-C", gens, "config", "host.trials", "many", NULL };

		run_command(&r, NULL, git);
		assert_int_equal(r.status, 0);
		run_result_free(&r);
		free(gens);
	}
	HOST(&r, "evolve", "--dir", dir);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "the lab's setting host.trials in ");
	assert_contains(r.err, " is 'many', not an integer from 1 to 1000");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 4);
	assert_fsck_clean(dir);
	os_remove_tree(dir);
	free(dir);
}

/* The lab's settings come back as they were kept, a utility weight to
 * its last digit; what a lab does not keep reads as not kept. A setting
 * out of its range is named, unless it is not asked for: a command's
 * option may stand for it. */
static void test_settings_come_back_as_kept(void **state)
{
	char *dir = scratch("settingslab"), tasks[] = "email,snake", tasks_dir[] = "/t";
	settings keep = { .tasks = tasks, .tasks_dir = tasks_dir, .budget = 3, .has_seed = 1,
			  .seed = 0, .has_utility = 1, .utility = { 0.5, 2, 0.01 },
			  .meta_ms = 5000, .agent_ms = 4500, .trials = 2 }, back;
	lab l;

	(void)state;
	assert_int_equal(lab_create(&l, dir), 0);
	assert_int_equal(settings_read(&back, &l, SETTINGS_ALL), 0);
	assert_null(back.tasks);
	assert_true(back.budget == 0 && !back.has_seed && !back.has_utility && back.trials == 0);
	assert_true(back.utility.score == 1 && back.utility.cost == 0 && back.utility.time == 0);
	assert_int_equal(settings_write(&l, &keep), 0);
	assert_int_equal(settings_read(&back, &l, SETTINGS_ALL), 0);
	assert_string_equal(back.tasks, "email,snake");
	assert_string_equal(back.tasks_dir, "/t");
	assert_true(back.budget == 3 && back.has_seed && back.seed == 0 && back.has_utility);
	assert_true(back.utility.score == 0.5 && back.utility.cost == 2 &&
		    back.utility.time == 0.01);
	assert_true(back.meta_ms == 5000 && back.agent_ms == 4500 && back.trials == 2);
	settings_free(&back);
	assert_int_equal(store_setting_set(l.store, "budget", "0"), 0);
	assert_int_equal(settings_read(&back, &l, SETTINGS_ALL), ERR_INVALID);
	assert_contains(err_last(), "the lab's setting host.budget in ");
	assert_contains(err_last(), "/config is '0', not an integer from 1 to 1000000");
	assert_int_equal(settings_read(&back, &l, SETTINGS_ALL & ~SETTINGS_BUDGET), 0);
	assert_true(back.budget == 0 && back.trials == 2);
	settings_free(&back);
	lab_close(&l);
	os_remove_tree(dir);
	free(dir);
}

/* A measured record: fitness, the task agents' dollars, evaluations,
 * seconds of evaluation and model calls. */
static void measured(record *r, int number, double fitness, double usd, int evals, double s,
		     long calls)
{
	record_task t = { .name = "email", .agent = "ok", .usd = usd, .llm_calls = calls };

	assert_int_equal(record_init(r, number, number - 1, RECORD_REJECTED, "", 1), 0);
	assert_int_equal(record_add_task(r, &t), 0);
	r->fitness = fitness;
	r->budget.evals_used = evals;
	r->evaluate_s = s;
}

/* Decides `fitness, usd, evals, seconds, calls` against the parent's 0.5,
 * $0.02, 12 evaluations, 10 s and 3 calls; returns the candidate's status
 * and checks its reason. */
static record_status decide(double fitness, double usd, int evals, double s, long calls,
			    const char *why)
{
	record parent, r;
	record_status status;

	measured(&parent, 1, 0.5, 0.02, 12, 10, 3);
	measured(&r, 2, fitness, usd, evals, s, calls);
	assert_int_equal(evolve_decide(&r, &parent), 0);
	assert_contains(r.reason, why);
	status = r.status;
	record_free(&r);
	record_free(&parent);
	return status;
}

/* Equal fitness goes to the cheaper: dollars first, then evaluations,
 * then model calls; never wall time, which no replay reproduces. */
static void test_ties_are_decided_by_cost(void **state)
{
	(void)state;
	assert_int_equal(decide(0.6, 0.05, 20, 30, 3, "fitness 0.6000 is above the parent's 0.5000"),
			 RECORD_ACCEPTED);
	assert_int_equal(decide(0.5, 0.01, 20, 30, 3, "fitness 0.5000 equals the parent's; it spent "
				"$0.0100 on the tasks against the parent's $0.0200"), RECORD_ACCEPTED);
	assert_int_equal(decide(0.5, 0.03, 5, 1, 3, "it spent $0.0300"), RECORD_REJECTED);
	assert_int_equal(decide(0.5, 0.02, 9, 30, 3, "it used 9 evaluations against the parent's 12"),
			 RECORD_ACCEPTED);
	assert_int_equal(decide(0.5, 0.02, 12, 10, 1, "it made 1 model calls against the "
				"parent's 3"), RECORD_ACCEPTED);
	assert_int_equal(decide(0.5, 0.02, 12, 10, 5, "it made 5 model calls"), RECORD_REJECTED);
	/* a third of the time decides nothing */
	assert_int_equal(decide(0.5, 0.02, 12, 3, 3, "it cost no less (the same dollars, "
				"evaluations and model calls)"), RECORD_REJECTED);
	assert_int_equal(decide(0.4999, 0, 0, 0, 0, "is not above the parent's"), RECORD_REJECTED);
}

/* Tasks are a set: the lab's tasks, kept in the order init was given
 * them, or the same named in another order, measure the parent as it
 * was measured; another set measures it again; a task named twice is
 * refused, and nothing is made. */
static void test_tasks_compare_as_sets(void **state)
{
	char *dir = scratch("setlab");
	char *twice[] = { "host", "evolve", "--dir", dir, "--tasks", "email,sort,email", NULL };
	char *init[] = { "host", "init", "--dir", dir, "--tasks", "email,email", NULL };
	run_result r;

	(void)state;
	expect_usage("the tasks email,email name email twice", init);
	assert_false(lab_exists(dir));
	HOST(&r, "init", "--dir", dir, "--tasks", "sort,email", "--budget", "2");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", dir, "--gens", "2");
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "re-measured"));
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", dir, "--tasks", "email,sort");
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "re-measured"));
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 4);
	HOST(&r, "evolve", "--dir", dir, "--tasks", "email");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, ": tasks email (was email,sort)");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 6);
	expect_usage("the tasks email,sort,email name email twice", twice);
	assert_int_equal(tag_count(dir), 6);
	os_remove_tree(dir);
	free(dir);
}

void test_group_lab(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inspection_commands),
		cmocka_unit_test(test_utility_takes_effect),
		cmocka_unit_test(test_budget_does_not_overflow_the_time_limit),
		cmocka_unit_test(test_trials_and_limits_are_lab_settings),
		cmocka_unit_test(test_settings_come_back_as_kept),
		cmocka_unit_test(test_ties_are_decided_by_cost),
		cmocka_unit_test(test_tasks_compare_as_sets),
	};

	HARNESS_GROUP(t, "lab", tests);
}
