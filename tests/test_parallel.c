/*
 * test_parallel.c - candidates in flight (evolve --parallel): rounds
 * committed in the order proposed, the best of a round made live, the
 * same trees run after run and under --replay, and a round stopped by
 * SIGTERM or killed outright, which loses nothing and resumes.
 */
#include "harness.h"
#include "lab_fixture.h"
#include "llm_fixture.h"

#include "os.h"
#include "progress.h"

#include <fcntl.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The generations' notes say which round each was proposed in. */
static void assert_rounds(const char *lab, int first, int last, int round)
{
	int g;

	for (g = first; g <= last; g++) {
		json_t *note = llm_fixture_note(lab, g);
		assert_int_equal(json_integer_value(json_object_get(note, "round")), round);
		json_decref(note);
	}
}

/* Offline, 8 generations 4 at a time: two rounds, each committed in
 * order; none of the first beats gen_000, so the second round's siblings
 * all extend it, and of the three that beat it the best is live. A
 * second lab gets the same trees. */
static void test_rounds_commit_in_order(void **state)
{
	char *lab_a = llm_fixture_lab("par_a"), *lab_b = llm_fixture_lab("par_b");
	run_result r;

	(void)state;
	HOST(&r, "evolve", "--dir", lab_a, "--gens", "8", "--parallel", "4", "-j", "2");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "evolve: 8 generations (4 in flight)");
	assert_contains(r.out, "gen_001  parent gen_000  rejected");
	assert_contains(r.out, "gen_003  parent gen_000  rejected");
	assert_contains(r.out, "gen_004  parent gen_000  rejected");
	assert_contains(r.out, "gen_007  parent gen_000  rejected  fitness 0.6036");
	assert_contains(r.out, "fitness 0.6036 is above the parent's 0.5717, but its sibling "
			"gen_005 did better (0.6093)");
	assert_contains(r.out, "gen_005  parent gen_000  accepted  fitness 0.6093");
	assert_contains(r.out, "gen_008  parent gen_000  rejected");
	assert_contains(r.out, "8 generations in");
	assert_contains(r.out, "1 accepted, 7 rejected, 0 invalid");
	assert_true(strstr(r.out, "gen_001") < strstr(r.out, "gen_002") &&
		    strstr(r.out, "gen_007") < strstr(r.out, "gen_008"));
	run_result_free(&r);
	assert_rounds(lab_a, 1, 4, 1);
	assert_rounds(lab_a, 5, 8, 2);
	HOST(&r, "show", "gen_005", "--dir", lab_a);
	assert_contains(r.out, "round     2 (proposed with its siblings, made at once)");
	run_result_free(&r);
	{
		char *html = os_path_join(lab_a, "report.html"), *text;
		HOST(&r, "report", "--dir", lab_a, "-o", html);
		assert_int_equal(r.status, 0);
		run_result_free(&r);
		text = harness_read(html);
		assert_contains(text, "<title>round 1: gen_001 to gen_004, 4 siblings made at once");
		assert_contains(text, "<title>round 2: gen_005 to gen_008, 4 siblings made at once");
		assert_contains(text, "gen_005 (parent gen_000, round 2) accepted");
		assert_contains(text, "gen_000 (no parent) accepted");
		free(text);
		free(html);
	}
	llm_fixture_git(&r, lab_a, "rev-parse", "main", NULL);
	{
		run_result tag;
		llm_fixture_git(&tag, lab_a, "rev-parse", "gen_005", NULL);
		assert_string_equal(r.out, tag.out);  /* the round's best is live */
		run_result_free(&tag);
	}
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", lab_b, "--gens", "8", "--parallel", "4");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	llm_fixture_same_generations(lab_a, lab_b, 8);
	/* one at a time again: the numbering goes on, with no round */
	HOST(&r, "evolve", "--dir", lab_a);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_009  parent gen_005");
	run_result_free(&r);
	assert_rounds(lab_a, 9, 9, 0);
	os_remove_tree(lab_a);
	os_remove_tree(lab_b);
	free(lab_a);
	free(lab_b);
}

/* How many of the requests from the `from`th on have `text` in their
 * prompts. */
static int requests_with(const json_t *requests, size_t from, const char *text)
{
	const json_t *q;
	size_t i;
	int n = 0;

	json_array_foreach(requests, i, q)
		n += i >= from && (strstr(json_string_value(json_object_get(q, "user")), text) ||
				   strstr(json_string_value(json_object_get(q, "system")), text));
	return n;
}

/* `host evolve --gens 4 --parallel 4` in `lab` against the evolution
 * script, `extra` (may be NULL) added; returns the requests. */
static json_t *evolve_four(const char *lab, const char *name, const char *extra, const char *file)
{
	char *prices = llm_fixture_prices();
	char *argv[] = { "host", "evolve", "--dir", (char *)lab, "--gens", "4", "--parallel", "4",
			 "-j", "2", "--llm", "openai:test-model", "--llm-url", "@URL@",
			 "--llm-prices", prices, (char *)extra, (char *)file, NULL };
	json_t *requests;
	run_result r;

	requests = llm_fixture_run(&r, llm_fixture_evolution(), name, argv);
	assert_int_equal(r.status, 0);
	/* gen_000 measured again with the model, then one round of four */
	assert_contains(r.out, "re-measured gen_000: model openai:test-model (was offline)");
	assert_contains(r.out, "gen_005  parent gen_001");
	run_result_free(&r);
	unlink(prices);
	free(prices);
	return requests;
}

/* With a model: each sibling's meta agent is told which candidate it is,
 * and the same seed gives the same trees run after run, and under a
 * replay of the record with no server at all. */
static void test_a_round_with_a_model_repeats_and_replays(void **state)
{
	char *lab_a = llm_fixture_lab("par_model_a"), *lab_b = llm_fixture_lab("par_model_b");
	char *lab_c = llm_fixture_lab("par_model_c");
	char *record = os_path_join(getenv("TMPDIR"), "par_run.jsonl");
	json_t *requests;
	run_result r;
	int i;

	(void)state;
	unlink(record);
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	requests = evolve_four(lab_a, "par_model", "--record", record);
	for (i = 1; i <= 4; i++) {
		char told[64];
		snprintf(told, sizeof(told), "You are candidate %d of 4 proposed in this round", i);
		assert_int_equal(requests_with(requests, 0, told), 1);
	}
	json_decref(requests);
	assert_rounds(lab_a, 2, 5, 1);
	json_decref(evolve_four(lab_b, "par_model_again", NULL, NULL));
	llm_fixture_same_generations(lab_a, lab_b, 5);
	{
		char *argv[] = { "host", "evolve", "--dir", lab_c, "--gens", "4", "--parallel", "4",
				 "-j", "2", "--replay", record, NULL };
		run_host_with(&r, NULL, argv);
	}
	if (r.status != 0)
		fail_msg("replay: %s\n%s", r.out, r.err);
	assert_contains(r.out, "replay of");
	run_result_free(&r);
	llm_fixture_same_generations(lab_a, lab_c, 5);
	os_remove_tree(lab_a);
	os_remove_tree(lab_b);
	os_remove_tree(lab_c);
	unlink(record);
	free(lab_a);
	free(lab_b);
	free(lab_c);
	free(record);
}

/* The evolution script, with the meta agents whose prompts hold each of
 * `waiting` kept waiting: a model that never answers them. */
static json_t *never_answer(const char *const *waiting, size_t n)
{
	json_t *script = llm_fixture_evolution(), *rules = json_object_get(script, "rules");
	size_t i;

	for (i = 0; i < n; i++)
		json_array_insert_new(rules, 0, json_pack("{s:s, s:[{s:i}]}", "match", waiting[i],
							  "replies", "hang", 120));
	return script;
}

/* `host init` of `lab` with the model at `url`: gen_000 is measured as
 * evolve will measure, so that no round starts with a re-measure. */
static void init_with_model(const char *lab, const char *url, const char *prices)
{
	char *argv[] = { "host", "init", "--dir", (char *)lab, "--llm", "openai:test-model",
			 "--llm-url", (char *)url, "--llm-prices", (char *)prices, NULL };
	run_result r;

	os_remove_tree(lab);
	run_host_with(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
}

/* Starts `host evolve` on `lab` with `argv`'s model options at `url`;
 * returns its pid. */
static pid_t start_evolve(char *const argv[])
{
	run_options no_wait = { .no_wait = 1 };
	run_result r;
	pid_t pid;

	run_host_with(&r, &no_wait, argv);
	pid = r.status;
	run_result_free(&r);
	return pid;
}

/* SIGTERM while two of four candidates wait for their rewrites: the two
 * that finished are committed as measured, the two others as interrupted,
 * in order; git fsck is clean, and the next evolve goes on from gen_005. */
static void test_sigterm_during_a_round(void **state)
{
	static const char *const waiting[] = { "candidate 2 of 4", "candidate 4 of 4" };
	char *prices = llm_fixture_prices(), *lab = harness_scratch("par_stop"), url[128];
	char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "4", "--parallel", "4",
			 "--llm", "openai:test-model", "--llm-url", url, "--llm-prices", prices,
			 "--llm-timeout", "60", NULL };
	json_t *note;
	llm_server s;
	run_result r;
	pid_t pid;
	int i, g, status = 0;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	llm_fixture_start(&s, never_answer(waiting, 2), "par_stop_server");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	init_with_model(lab, url, prices);
	i = (int)llm_fixture_count(&s);
	pid = start_evolve(argv);
	/* four rewrites asked for, and two candidates' task agents done */
	llm_fixture_wait_quiet(&s, (size_t)i + 4 + 2, 4000);
	kill(pid, SIGTERM);
	/* the hung calls are abandoned, not waited for */
	assert_int_equal(harness_wait_exit(pid, &status, 30000), 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM);
	llm_fixture_stop(&s);
	for (g = 1; g <= 4; g++) {
		const char *st = llm_fixture_status(lab, g, &note);
		if (g % 2)
			assert_true(strcmp(st, "accepted") == 0 || strcmp(st, "rejected") == 0);
		else
			assert_string_equal(st, "interrupted");
		assert_int_equal(json_integer_value(json_object_get(note, "round")), 1);
		json_decref(note);
	}
	assert_fsck_clean(lab);
	HOST(&r, "evolve", "--dir", lab, "--llm", "openai:test-model", "--llm-url",
	     "http://127.0.0.1:9/v1", "--llm-prices", prices, "--llm-attempts", "1");
	assert_contains(r.out, "gen_005  parent gen_");
	run_result_free(&r);
	os_remove_tree(lab);
	free(lab);
	unlink(prices);
	free(prices);
}

/* kill -9 in the middle of a round: the candidates die with the host (the
 * server hears nothing more), nothing holds the lab, git fsck is clean,
 * and evolve resumes with the next number. */
static void test_kill_9_during_a_round(void **state)
{
	static const char *const waiting[] = { "proposed in this round" };
	char *prices = llm_fixture_prices(), *lab = harness_scratch("par_kill"), url[128];
	char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "8", "--parallel", "4",
			 "--llm", "openai:test-model", "--llm-url", url, "--llm-prices", prices,
			 "--llm-timeout", "60", NULL };
	size_t seen, before;
	llm_server s;
	run_result r;
	pid_t pid;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	llm_fixture_start(&s, never_answer(waiting, 1), "par_kill_server");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	init_with_model(lab, url, prices);
	before = llm_fixture_count(&s);
	pid = start_evolve(argv);
	assert_int_equal(llm_fixture_wait(&s, before + 4), 0);  /* the round's rewrites */
	assert_int_equal(llm_fixture_count(&s), before + 4);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	seen = llm_fixture_count(&s);
	sleep(2);
	assert_int_equal(llm_fixture_count(&s), seen);  /* nobody is left to ask */
	llm_fixture_stop(&s);
	assert_fsck_clean(lab);
	/* offline now: gen_000 is measured again first, as gen_001 */
	HOST(&r, "evolve", "--dir", lab, "--gens", "4", "--parallel", "4");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_001  parent gen_000  accepted");
	assert_contains(r.out, "gen_005  parent gen_001");
	run_result_free(&r);
	assert_fsck_clean(lab);
	os_remove_tree(lab);
	free(lab);
	unlink(prices);
	free(prices);
}

/* --max-usd reached by the round's rewrites stops every candidate: none
 * asks the model again, and each is kept, as interrupted. Each rewrite's
 * prompt, some 50 KB, is counted at its size (about $13) before it is
 * sent, with those of the calls under way, and at the server's usage
 * (3,000 tokens in, 80 out: $3.16) once answered: $20 pays for one at
 * once, and for three at most in turn (3.16 x 2 + 13 <= 20), whichever
 * candidates ask first. */
static void test_the_cap_stops_every_candidate(void **state)
{
	char *prices = llm_fixture_prices(), *lab = harness_scratch("par_cap"), url[128];
	char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "8", "--parallel", "4",
			 "--llm", "openai:test-model", "--llm-url", url, "--llm-prices", prices,
			 "--max-usd", "20", NULL };
	json_t *note, *requests, *q;
	llm_server s;
	run_result r;
	size_t before, i, rewrites = 0;
	int g;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	llm_fixture_start(&s, llm_fixture_evolution(), "par_cap_server");
	snprintf(url, sizeof(url), "%s/v1", s.url);
	init_with_model(lab, url, prices);
	before = llm_fixture_count(&s);
	run_host_with(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "the LLM budget is reached: stopped after gen_004");
	assert_null(strstr(r.out, "gen_005"));
	run_result_free(&r);
	requests = llm_fixture_requests(&s);
	json_array_foreach(requests, i, q)
		rewrites += i >= before && strstr(json_string_value(json_object_get(q, "system")),
						  "FILE: task_agent.c") != NULL;
	if (!(rewrites >= 1 && rewrites <= 3))
		fail_msg("%zu rewrites sent", rewrites);
	json_decref(requests);
	llm_fixture_stop(&s);
	for (g = 1; g <= 4; g++) {
		assert_string_equal(llm_fixture_status(lab, g, &note), "interrupted");
		json_decref(note);
	}
	assert_fsck_clean(lab);
	os_remove_tree(lab);
	free(lab);
	unlink(prices);
	free(prices);
}

/* Four candidates, -j 1, every rewrite a second late: the server never
 * has more than --llm-concurrency requests open, nor more than the
 * candidates in flight when it is not given; and it has that many, though
 * only one CPU slot is shared: an agent waiting for the model lends its
 * slot. */
static void test_requests_open_stay_within_the_concurrency(void **state)
{
	static const char *const limits[] = { "2", NULL };
	char *prices = llm_fixture_prices(), *lab = harness_scratch("par_open"), url[128];
	llm_server s;
	run_result r;
	size_t k;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	for (k = 0; k < 2; k++) {
		char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "4", "--parallel", "4",
				 "-j", "1", "--llm", "openai:test-model", "--llm-url", url,
				 "--llm-prices", prices, limits[k] ? "--llm-concurrency" : NULL,
				 (char *)limits[k], NULL };
		json_t *script = llm_fixture_late_rule(llm_fixture_evolution(),
						       "FILE: task_agent.c", 1);

		llm_fixture_start(&s, script, "par_open_server");
		snprintf(url, sizeof(url), "%s/v1", s.url);
		init_with_model(lab, url, prices);
		run_host_with(&r, NULL, argv);
		assert_int_equal(r.status, 0);
		assert_contains(r.out, "gen_004  parent gen_000");
		run_result_free(&r);
		assert_int_equal(llm_fixture_most_open(&s), limits[k] ? 2 : 4);
		llm_fixture_stop(&s);
	}
	os_remove_tree(lab);
	free(lab);
	unlink(prices);
	free(prices);
}

/* What progress_show prints for `p` on a terminal. */
static char *status_line_of(const evolve_progress *p)
{
	progress_view view = { .live = 1 };
	char *path = os_path_join(getenv("TMPDIR"), "status_line"), *text;
	int saved, fd;

	fflush(stdout);
	saved = dup(1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 1);
	close(fd);
	progress_show(&view, p);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	text = harness_read(path);
	unlink(path);
	free(path);
	return text;
}

/* The status line names every candidate in flight and its phase; one at
 * a time, it reads as it did. */
static void test_the_status_line_shows_the_round(void **state)
{
	evolve_progress p = { .number = 5, .phase = EVOLVE_EVALUATE, .n_flight = 3, .evals = 40,
			      .best = 0.6, .gens = 8, .done = 4, .elapsed_s = 8 };
	char *line;

	(void)state;
	p.flight[0] = (evolve_flight){ 5, EVOLVE_EVALUATE };
	p.flight[1] = (evolve_flight){ 6, EVOLVE_REWRITE };
	p.flight[2] = (evolve_flight){ 7, EVOLVE_DONE };
	line = status_line_of(&p);
	assert_contains(line, "gen_005 evaluate, gen_006 rewrite, gen_007 done  40 evaluations  "
			"best 0.6000");
	assert_contains(line, "~8 s left");
	free(line);
	p.n_flight = 1;
	line = status_line_of(&p);
	assert_contains(line, "gen_005 evaluate  ");
	assert_null(strstr(line, "gen_006"));
	free(line);
}

void test_group_parallel(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rounds_commit_in_order),
		cmocka_unit_test(test_the_status_line_shows_the_round),
		cmocka_unit_test(test_a_round_with_a_model_repeats_and_replays),
		cmocka_unit_test(test_sigterm_during_a_round),
		cmocka_unit_test(test_kill_9_during_a_round),
		cmocka_unit_test(test_the_cap_stops_every_candidate),
		cmocka_unit_test(test_requests_open_stay_within_the_concurrency),
	};

	HARNESS_GROUP(t, "parallel", tests);
}
