/*
 * test_slurm.c - evaluations as Slurm job steps (--executor slurm), on a
 * one-node cluster the group starts on 127.0.0.1 from Debian's packages
 * (tests/slurm_cluster.sh) and stops at its end: the same generations as
 * a local run, steps seen in slurmd's log; a step killed in the middle of
 * its evaluation is its candidate's failure and the run goes on; SIGTERM
 * to host cancels every step; the model's caps hold with calls that come
 * from steps; host improve on a step is the local one. Skipped, saying
 * why, where the cluster cannot start (not root, no packages). The
 * cluster and what a failed test leaves running: slurm_fixture.c.
 */
#include "lab_fixture.h"
#include "slurm_fixture.h"

#include "os.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int count_of(const char *text, const char *needle)
{
	int n = 0;

	for (; text && (text = strstr(text, needle)) != NULL; text++)
		n++;
	return n;
}

/* Offline, a lab made and evolved with --executor slurm has the trees and
 * subjects a local one has, generation for generation; slurmd ran each
 * unit as a step of its own, and none is left. */
static void test_steps_make_the_local_generations(void **state)
{
	char *lab_a, *lab_b, *log, *text, *left;
	const char *why;
	run_result r;
	int before;

	(void)state;
	SLURM_NEED_CLUSTER();
	lab_a = llm_fixture_lab("slurm_local");
	lab_b = harness_scratch("slurm_steps");
	log = os_path_join(slurm_fixture_cluster(&why), "slurmd.log");
	text = harness_read(log);
	before = count_of(text, "launch task StepId=");
	free(text);
	HOST(&r, "init", "--dir", lab_b, "--executor", "slurm");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", lab_a, "--gens", "3", "--parallel", "2");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", lab_b, "--gens", "3", "--parallel", "2", "--executor", "slurm");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "evolve: 3 generations (2 in flight)");
	assert_contains(r.out, "1 accepted, 2 rejected, 0 invalid");
	run_result_free(&r);
	llm_fixture_same_generations(lab_a, lab_b, 3);
	/* gen_000 and three candidates, each on email and snake */
	text = harness_read(log);
	assert_int_equal(count_of(text, "launch task StepId=") - before, 8);
	free(text);
	left = slurm_fixture_steps();
	assert_string_equal(left, "");
	free(left);
	assert_fsck_clean(lab_b);
	os_remove_tree(lab_a);
	os_remove_tree(lab_b);
	free(lab_a);
	free(lab_b);
	free(log);
}

/* `host improve email` here and on a step: the same scores and the same
 * solution written; an executor host does not know is refused, and an
 * srun that cannot start a step is an error that says why. */
static void test_improve_on_a_step_is_the_local_one(void **state)
{
	char *a, *b, *text_a, *text_b;
	run_result here, step;

	(void)state;
	SLURM_NEED_CLUSTER();
	a = harness_scratch("improved_here.c");
	b = harness_scratch("improved_step.c");
	HOST(&here, "improve", "email", "--budget", "20", "-o", a);
	HOST(&step, "improve", "email", "--budget", "20", "-o", b, "--executor", "slurm");
	assert_int_equal(here.status, 0);
	assert_int_equal(step.status, 0);
	assert_contains(step.out, "improved  train");
	assert_contains(step.out, "written ");
	assert_contains(here.out, "written ");
	*strstr(step.out, "written ") = *strstr(here.out, "written ") = '\0';
	assert_string_equal(strstr(step.out, "initial "), strstr(here.out, "initial "));
	text_a = harness_read(a);
	text_b = harness_read(b);
	assert_string_equal(text_a, text_b);
	free(text_a);
	free(text_b);
	run_result_free(&here);
	run_result_free(&step);
	/* srun that cannot start a step is the run's failure, in srun's words */
	HOST(&step, "improve", "email", "-o", a, "--executor", "slurm", "--slurm-args",
	     "--partition=nosuch");
	assert_int_equal(step.status, 1);
	assert_contains(step.err, "host improve: srun did not start a step (exit 1: srun: error: "
			"invalid partition specified: nosuch srun: error: Unable to allocate "
			"resources: Invalid partition name specified)");
	run_result_free(&step);
	unlink(a);
	unlink(b);
	free(a);
	free(b);
}

/* The executor's usage errors need no cluster: each says what is wrong,
 * exits 2, and makes no lab. */
static void test_executor_usage_errors(void **state)
{
	static const struct { const char *args[5]; const char *says; } cases[] = {
		{ { "evolve", "--executor", "pbs" }, "--executor takes local or slurm, not 'pbs'" },
		{ { "init", "--slurm-args", "--partition=cpu" },
		  "--slurm-args is for --executor slurm" },
		{ { "evolve", "--arena", "--executor", "slurm" },
		  "the arena runs its evaluations here: --executor slurm is for plain evolve" },
		{ { "step", "extra" }, "host step: takes no arguments" },
	};
	char *dir = harness_scratch("slurm_usage");
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[10] = { "host" };
		size_t n = 1;
		run_result r;

		for (k = 0; k < 5 && cases[i].args[k]; k++)
			argv[n++] = (char *)cases[i].args[k];
		if (strcmp(argv[1], "step") != 0) {  /* step takes nothing, not even --dir */
			argv[n++] = "--dir";
			argv[n++] = dir;
		}
		run_host_with(&r, NULL, argv);
		assert_int_equal(r.status, 2);
		assert_contains(r.err, cases[i].says);
		assert_int_equal(access(dir, F_OK), -1);  /* no lab was made */
		run_result_free(&r);
	}
	free(dir);
}

/* The evolution script, the email task agent's first call hanging, or
 * every one with `always`: the step waits for the model. */
static json_t *email_hangs(int always)
{
	json_t *script = llm_fixture_evolution(), *rule;
	size_t i;

	json_array_foreach(json_object_get(script, "rules"), i, rule)
		if (strcmp(json_string_value(json_object_get(rule, "match")), "Interface (email)") == 0) {
			json_t *replies = json_object_get(rule, "replies");
			if (always)
				json_array_clear(replies);
			json_array_insert_new(replies, 0, json_pack("{s:i}", "hang", 120));
		}
	return script;
}

/* `host init` of `lab` against the model at `url`, through steps: gen_000
 * is measured as evolve will measure it. */
static void init_with_model(const char *lab, const char *prices)
{
	char *argv[] = { "host", "init", "--dir", (char *)lab, "--llm", "openai:test-model",
			 "--llm-url", "@URL@", "--llm-prices", (char *)prices, "--executor",
			 "slurm", NULL };
	run_result r;

	os_remove_tree(lab);
	json_decref(llm_fixture_run(&r, llm_fixture_evolution(), "slurm_init", argv));
	assert_int_equal(r.status, 0);
	run_result_free(&r);
}

/* Waits until the model got `n` calls of the email task agent, each from
 * a step that now waits for its reply, which never comes; or fails the
 * test after a minute. */
static void wait_for_email_calls(const llm_server *s, size_t n)
{
	int i;

	for (i = 0; i < 1200; i++) {
		json_t *requests = llm_fixture_requests(s), *q;
		size_t k, have = 0;

		json_array_foreach(requests, k, q) {
			const char *user = json_string_value(json_object_get(q, "user"));
			have += user && strstr(user, "Interface (email)");
		}
		json_decref(requests);
		if (have >= n)
			return;
		usleep(50 * 1000);
	}
	fail_msg("the email task agent never made %zu calls", n);
}

/* A lab made with a model, `name` in the scratch folder, and its price
 * table; the key is in the environment until model_lab_done. */
static void model_lab(char **lab, char **prices, const char *name)
{
	*prices = llm_fixture_prices();
	*lab = harness_scratch(name);
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	init_with_model(*lab, *prices);
}

/* After a run on steps: the lab's repository is sound, and the lab, its
 * prices and the key go. */
static void model_lab_done(char *lab, char *prices)
{
	assert_fsck_clean(lab);
	unsetenv("OPENAI_API_KEY");
	os_remove_tree(lab);
	free(lab);
	unlink(prices);
	free(prices);
}

/* A step killed while its task agent waits for the model: that candidate
 * is kept as interrupted, saying so, and the run goes on to the next,
 * which is measured; no step is left, and git fsck is clean. */
static void test_a_killed_step_is_its_candidates_failure(void **state)
{
	char *prices, *lab, url[128], *left;
	char *argv[] = { "host", "evolve", "--dir", NULL, "--gens", "2", "--executor", "slurm",
			 "--llm", "openai:test-model", "--llm-url", url, "--llm-prices", NULL,
			 "--llm-timeout", "60", NULL };  /* the lab and prices: [3], [13] */
	llm_server *server;
	json_t *note;
	int status;

	(void)state;
	SLURM_NEED_CLUSTER();
	model_lab(&lab, &prices, "slurm_kill");
	argv[3] = lab;
	argv[13] = prices;
	server = slurm_fixture_serve(email_hangs(0), "slurm_kill_server");
	snprintf(url, sizeof(url), "%s/v1", server->url);
	slurm_fixture_start_host(argv);
	wait_for_email_calls(server, 1);  /* gen_001's email evaluation, its call hanging */
	slurm_fixture_signal_steps("KILL");
	status = slurm_fixture_host_ended();
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	slurm_fixture_stop_serving();
	assert_string_equal(llm_fixture_status(lab, 1, &note), "interrupted");
	assert_contains(json_string_value(json_object_get(note, "reason")),
			"its Slurm step ended before its result");
	json_decref(note);
	{
		const char *st = llm_fixture_status(lab, 2, &note);
		assert_true(strcmp(st, "accepted") == 0 || strcmp(st, "rejected") == 0);
	}
	json_decref(note);
	left = slurm_fixture_steps();
	assert_string_equal(left, "");
	free(left);
	model_lab_done(lab, prices);
}

/* SIGTERM while two candidates' steps wait for the model (the key in
 * none of their environments): host cancels both, keeps both candidates
 * as interrupted and exits 143; no step is left, and git fsck is clean. */
static void test_sigterm_cancels_every_step(void **state)
{
	char *prices, *lab, url[128], *left;
	char *argv[] = { "host", "evolve", "--dir", NULL, "--gens", "2", "--parallel", "2",
			 "--executor", "slurm", "--llm", "openai:test-model", "--llm-url", url,
			 "--llm-prices", NULL, "--llm-timeout", "60", NULL };  /* [3], [15] */
	llm_server *server;
	json_t *note;
	pid_t pid;
	int status, g;

	(void)state;
	SLURM_NEED_CLUSTER();
	model_lab(&lab, &prices, "slurm_stop");
	argv[3] = lab;
	argv[15] = prices;
	server = slurm_fixture_serve(email_hangs(1), "slurm_stop_server");
	snprintf(url, sizeof(url), "%s/v1", server->url);
	pid = slurm_fixture_start_host(argv);
	wait_for_email_calls(server, 2);  /* both candidates' */
	slurm_fixture_assert_no_key();
	kill(pid, SIGTERM);
	status = slurm_fixture_host_ended();
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM);
	slurm_fixture_stop_serving();
	left = slurm_fixture_steps();
	assert_string_equal(left, "");
	free(left);
	for (g = 1; g <= 2; g++) {
		assert_string_equal(llm_fixture_status(lab, g, &note), "interrupted");
		json_decref(note);
	}
	model_lab_done(lab, prices);
}

/* `host evolve --max-tokens` in a new lab, here or on steps; returns the
 * requests the model got. */
static json_t *evolve_capped(run_result *r, const char *name, const char *prices, int slurm)
{
	char *lab = llm_fixture_lab(name);
	char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "10", "--llm",
			 "openai:test-model", "--llm-url", "@URL@", "--llm-prices", (char *)prices,
			 "--max-tokens", "12000", slurm ? "--executor" : NULL, "slurm", NULL };
	char server[64];
	json_t *requests;

	snprintf(server, sizeof(server), "%s_server", name);
	requests = llm_fixture_run(r, llm_fixture_evolution(), server, argv);

	os_remove_tree(lab);
	free(lab);
	return requests;
}

/* The caps hold with the calls coming from steps: the run stops where a
 * local one does, after as many requests, with the same spend, within the
 * cap (11,640 tokens of 12,000: the next call's prompts would pass it). */
static void test_caps_hold_across_steps(void **state)
{
	char *prices;
	json_t *here, *steps;
	run_result a, b;

	(void)state;
	SLURM_NEED_CLUSTER();
	prices = llm_fixture_prices();
	here = evolve_capped(&a, "slurm_cap_here", prices, 0);
	steps = evolve_capped(&b, "slurm_cap_steps", prices, 1);
	assert_int_equal(a.status, 0);
	assert_int_equal(b.status, 0);
	assert_contains(a.out, "the LLM budget is reached: stopped after gen_");
	assert_contains(b.out, "the LLM budget is reached: stopped after gen_");
	assert_true(json_array_size(here) > 1);
	assert_int_equal(json_array_size(steps), json_array_size(here));
	/* the same spend, every call charged to the one ledger, within the cap */
	assert_non_null(strstr(a.out, "LLM: "));
	assert_string_equal(strstr(b.out, "LLM: "), strstr(a.out, "LLM: "));
	assert_contains(b.out, "LLM: 5 calls, 8200 tokens in, 3440 out");
	json_decref(here);
	json_decref(steps);
	run_result_free(&a);
	run_result_free(&b);
	unlink(prices);
	free(prices);
}

void test_group_slurm(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_executor_usage_errors),
		cmocka_unit_test(test_steps_make_the_local_generations),
		cmocka_unit_test(test_improve_on_a_step_is_the_local_one),
		cmocka_unit_test(test_a_killed_step_is_its_candidates_failure),
		cmocka_unit_test(test_sigterm_cancels_every_step),
		cmocka_unit_test(test_caps_hold_across_steps),
	};

	HARNESS_GROUP(t, "slurm", tests);
	slurm_fixture_end();
}
