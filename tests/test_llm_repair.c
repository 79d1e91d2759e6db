/*
 * test_llm_repair.c - repair inside the meta agent's turn: host_check,
 * and the seed meta agent's use of it against the scripted server, each
 * reply 1 s late as a real model's. An edit that does not compile goes
 * back with the compiler's diagnostic and is repaired in the same run;
 * repairs stop at their stated number and at --llm-calls; blocks that
 * miss twice lead to a request for the whole file, whose answer is used,
 * unless the file does not fit in the prompt. host_check says what fails
 * and where, is the meta agent's alone, is bounded against an agent that
 * calls it in a loop, and reads no host file a candidate includes.
 */
#include "llm_fixture.h"

#include "agent_run.h"
#include "agents.h"
#include "buf.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOOP_LINE "\t\tfor (c = 0; c < CANDIDATES && !spent; c++) {\n"
#define CANDIDATES_LINE "#define CANDIDATES 6              /* candidates per round */\n"
#define EXTRA_LINE "#define EXTRA_CANDIDATES 1        /* more of them */\n"
#define FIVE_LINE "#define CANDIDATES 5              /* candidates per round */\n"

/* An edit that applies but does not compile: EXTRA_CANDIDATES is not
 * declared. */
static const char undeclared[] =
	"FILE: task_agent.c\n<<<<<<< SEARCH\n" LOOP_LINE "=======\n"
	"\t\tfor (c = 0; c < CANDIDATES + EXTRA_CANDIDATES && !spent; c++) {\n"
	">>>>>>> REPLACE\nSUMMARY: one more candidate per round\n";

/* The same, with the declaration: it compiles. */
static const char declared[] =
	"FILE: task_agent.c\n<<<<<<< SEARCH\n" CANDIDATES_LINE "=======\n" CANDIDATES_LINE
	EXTRA_LINE ">>>>>>> REPLACE\nFILE: task_agent.c\n<<<<<<< SEARCH\n" LOOP_LINE "=======\n"
	"\t\tfor (c = 0; c < CANDIDATES + EXTRA_CANDIDATES && !spent; c++) {\n"
	">>>>>>> REPLACE\nSUMMARY: one more candidate per round, declared\n";

/* Blocks whose SEARCH text is nowhere in the file. */
static const char missing[] =
	"FILE: task_agent.c\n<<<<<<< SEARCH\n#define CANDIDATES 7 /* per round */\n=======\n"
	FIVE_LINE ">>>>>>> REPLACE\nSUMMARY: five candidates\n";

static int occurrences(const char *text, const char *needle)
{
	int n = 0;

	while ((text = strstr(text, needle)) != NULL && ++n)
		text++;
	return n;
}

/* A reply of the test server, `text`, 1 s late. */
static json_t *late(const char *text)
{
	json_t *reply = llm_fixture_reply(text, 100, 20);

	json_object_set_new(reply, "delay", json_real(1.0));
	return reply;
}

/* Runs `host rewrite --verbose` of the seed against the replies
 * (consumed), with `a` and `b` as more arguments (or NULL); returns the
 * meta agent's requests, in order. *out is the candidate's folder. */
static json_t *rewrite(run_result *r, json_t *replies, char **out, const char *name,
		       const char *a, const char *b)
{
	char out_name[64], *dir;
	char *argv[] = { "host", "rewrite", "-o", NULL, "--agent", "seed", "--llm",
			 "openai:test-model", "--llm-url", "@URL@", "--verbose", (char *)a,
			 (char *)b, NULL };
	json_t *requests, *meta;

	snprintf(out_name, sizeof(out_name), "%s_candidate", name);
	dir = harness_scratch(out_name);
	argv[3] = dir;
	os_remove_tree(dir);
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	requests = llm_fixture_run(r, llm_fixture_script(replies), name, argv);
	meta = llm_fixture_meta_requests(requests);
	assert_int_equal(json_array_size(meta), json_array_size(requests));
	json_decref(requests);
	*out = dir;
	return meta;
}

static void remove_candidate(char *dir)
{
	os_remove_tree(dir);
	free(dir);
}

/* An edit that does not compile goes back once with the compiler's
 * diagnostic, the line it names as the edit left it, and the edit; the
 * second reply's edit makes a valid candidate: 2 calls in all. */
static void test_an_edit_that_does_not_compile_is_repaired(void **state)
{
	int loop = llm_fixture_seed_line(LOOP_LINE);
	char expected[200], *dir;
	json_t *meta;
	run_result r;

	(void)state;
	meta = rewrite(&r, json_pack("[o, o]", late(undeclared), late(declared)), &dir, "repair",
		       NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "_candidate: valid\n");
	assert_contains(r.err, "agent: the model's edits failed the check: the compile stage failed:");
	run_result_free(&r);
	assert_int_equal(json_array_size(meta), 2);
	assert_null(strstr(llm_fixture_user(meta, 0), "'EXTRA_CANDIDATES' undeclared"));
	snprintf(expected, sizeof(expected), "failed the host's check: the compile stage "
		 "failed:\ntask_agent.c:%d: error: 'EXTRA_CANDIDATES' undeclared", loop);
	assert_contains(llm_fixture_user(meta, 1), expected);
	snprintf(expected, sizeof(expected), "    line %d is: \t\tfor (c = 0; c < CANDIDATES + "
		 "EXTRA_CANDIDATES && !spent; c++) {\n", loop);
	assert_contains(llm_fixture_user(meta, 1), expected);
	assert_contains(llm_fixture_user(meta, 1), "Your reply was:\n" "FILE: task_agent.c\n"
			"<<<<<<< SEARCH\n" LOOP_LINE);
	assert_contains(llm_fixture_user(meta, 1), "None of it was kept: the files are as shown "
			"above. Send all the edit blocks again, with the errors fixed");
	llm_fixture_file_has(dir, "task_agent.c", CANDIDATES_LINE EXTRA_LINE);
	llm_fixture_file_has(dir, "task_agent.c", "CANDIDATES + EXTRA_CANDIDATES && !spent");
	llm_fixture_file_has(dir, "memory.md", "task_agent.c: the model's 2 edit blocks applied, "
			     "in order\nSUMMARY: one more candidate per round, declared\n");
	json_decref(meta);
	remove_candidate(dir);
}

/* A model that never gets it right: after the first reply and
 * REPAIR_TRIES (2) repairs, 3 calls, the agent rewrites constants
 * offline; with --llm-calls 2 a repair does not escape the count: 2
 * calls. The candidate is valid either way, without the broken edit. */
static void test_repairs_stop_at_their_number_and_the_calls(void **state)
{
	json_t *meta;
	run_result r;
	char *dir;

	(void)state;
	meta = rewrite(&r, json_pack("[o]", late(undeclared)), &dir, "repairs", NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "_candidate: valid\n");
	run_result_free(&r);
	assert_int_equal(json_array_size(meta), 3);
	assert_contains(llm_fixture_user(meta, 2), "error: 'EXTRA_CANDIDATES' undeclared");
	llm_fixture_file_has(dir, "memory.md", "SUMMARY: offline:");
	json_decref(meta);
	remove_candidate(dir);

	meta = rewrite(&r, json_pack("[o]", late(undeclared)), &dir, "repairs_2", "--llm-calls",
		       "2");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "_candidate: valid\n");
	assert_int_equal(occurrences(r.err, "agent: the model's edits failed the check"), 2);
	run_result_free(&r);
	assert_int_equal(json_array_size(meta), 2);
	llm_fixture_file_has(dir, "memory.md", "SUMMARY: offline:");
	json_decref(meta);
	remove_candidate(dir);
}

/* Blocks that miss twice: the third request asks for the whole file,
 * naming it and why the blocks failed, with its text; the answer, the
 * whole file in a fenced block, is the candidate's. */
static void test_blocks_that_miss_twice_lead_to_the_whole_file(void **state)
{
	char *seed = harness_read("seed/task_agent.c"), *dir, *whole, *sent;
	const char *third;
	json_t *meta;
	run_result r;
	buf reply = BUF_INIT;

	(void)state;
	whole = harness_subst(seed, CANDIDATES_LINE, FIVE_LINE, NULL);
	buf_printf(&reply, "Here it is.\n```c\n%s```\nSUMMARY: five candidates, the whole file\n",
		   whole);
	meta = rewrite(&r, json_pack("[o, o, o]", late(missing), late(missing), late(reply.data)),
		       &dir, "whole", NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "_candidate: valid\n");
	run_result_free(&r);
	assert_int_equal(json_array_size(meta), 3);
	assert_contains(llm_fixture_user(meta, 1), "Its edit blocks did not apply: task_agent.c: "
			"block 1: ");
	third = llm_fixture_user(meta, 2);
	assert_contains(third, "Your edit blocks for task_agent.c did not apply, 2 times; the "
			"last time: task_agent.c: block 1: ");
	assert_contains(third, "This time do not send edit blocks. Here is task_agent.c as it "
			"is now:\n```c\n");
	assert_contains(third, seed);
	assert_contains(third, "Your last reply was:\n" "FILE: task_agent.c\n<<<<<<< SEARCH\n"
			"#define CANDIDATES 7");
	assert_contains(third, "send the whole file, changed, in one fenced code block");
	assert_true(strlen(third) + strlen(json_string_value(json_object_get(
		json_array_get(meta, 2), "system"))) <= 64000);
	sent = os_path_join(dir, "task_agent.c");
	free(seed);
	seed = harness_read(sent);
	assert_string_equal(seed, whole);
	llm_fixture_file_has(dir, "memory.md", "task_agent.c: the model's whole file\n"
			     "SUMMARY: five candidates, the whole file\n");
	json_decref(meta);
	remove_candidate(dir);
	buf_free(&reply);
	free(sent);
	free(whole);
	free(seed);
}

/* A file that does not fit in the prompt's budget is not asked for: the
 * agent says so, and the third request is another one for edits. */
static void test_a_whole_file_beyond_the_budget_is_not_asked_for(void **state)
{
	static const char archive[] = "{\"limits\": {\"prompt_max_chars\": 6500}}";
	char *path = harness_scratch("small_archive.json"), *dir;
	json_t *meta;
	run_result r;

	(void)state;
	assert_int_equal(os_write_file(path, archive, strlen(archive)), 0);
	meta = rewrite(&r, json_pack("[o]", late(missing)), &dir, "too_big", "--archive", path);
	assert_contains(r.err, "agent: the whole of task_agent.c does not fit in a prompt of 6500 "
			"characters: the model is not asked for it");
	run_result_free(&r);
	assert_int_equal(json_array_size(meta), 3);
	assert_null(strstr(llm_fixture_user(meta, 2), "do not send edit blocks"));
	assert_contains(llm_fixture_user(meta, 2), "Its edit blocks did not apply: task_agent.c");
	json_decref(meta);
	remove_candidate(dir);
	unlink(path);
	free(path);
}

/* Runs tests/agents/check_loop.c as the meta agent of itself and a task
 * agent on `archive` (JSON text); returns its log lines, one a line, and
 * *checks the checks the host made. */
static char *run_checks(agent_run_result *run, const char *archive, int *checks)
{
	char *meta = harness_read("tests/agents/check_loop.c");
	agent_run_options o = { .limits = { 20000, 20000, 256 }, .seed = 1 };
	agent_files f = { NULL, 0 }, candidate = { NULL, 0 };
	const json_t *e;
	buf log = BUF_INIT;
	size_t i;

	assert_int_equal(agents_set(&f, "meta_agent.c", meta), 0);
	assert_int_equal(agents_set(&f, "task_agent.c", "char *task_agent_improve(const char "
				    "*s) { (void)s; return 0; }\n"), 0);
	assert_int_equal(agent_rewrite(&candidate, run, &f, archive, &o), 0);
	*checks = 0;
	json_array_foreach(run->trace, i, e) {
		const char *kind = json_string_value(json_object_get(e, "event"));
		if (strcmp(kind, "log") == 0)
			buf_printf(&log, "%s\n", json_string_value(json_object_get(e, "line")));
		*checks += strcmp(kind, "check") == 0;
	}
	agents_free(&candidate);
	agents_free(&f);
	free(meta);
	return buf_detach(&log);
}

/* The log of check_loop.c checking `task_agent` once as task_agent.c. */
static char *check_once(const char *task_agent)
{
	json_t *archive = json_pack("{s:{s:s}, s:i}", "emit", "task_agent.c", task_agent,
				    "checks", 1);
	char *text = json_dumps(archive, 0), *log;
	agent_run_result run;
	int checks;

	log = run_checks(&run, text, &checks);
	assert_int_equal(run.outcome.status, SANDBOX_OK);
	assert_int_equal(checks, 1);
	agent_run_result_free(&run);
	json_decref(archive);
	free(text);
	return log;
}

/* A good candidate passes; a bad one fails at the stage it should, with
 * the diagnostic naming file and line; a task agent is refused. */
static void test_check_says_what_fails_and_where(void **state)
{
	static const char probe[] = "char *task_agent_improve(const char *s)\n"
				    "{ (void)s; host_check_result r;\n"
				    "  if (host_check(&r) < 0) host_log(\"%s\", host_error());\n"
				    "  return 0; }\n";
	char *log;
	task *t = harness_task("email");
	agent_run_options o = { .limits = { 20000, 20000, 256 }, .seed = 1 };
	agent_files f = { NULL, 0 };
	agent_run_result run;

	(void)state;
	log = check_once("char *task_agent_improve(const char *s) { (void)s; return 0; }\n");
	assert_string_equal(log, "check 1: passed  \n");
	free(log);
	log = check_once("char *task_agent_improve(const char *s)\n{ return s + ; }\n");
	assert_contains(log, "check 1: failed compile task_agent.c:2: error: ");
	free(log);
	log = check_once("int task_agent_improve(const char *s) { (void)s; return 0; }\n");
	assert_contains(log, "check 1: failed signatures task_agent.c:1: error: ");
	free(log);
	log = check_once("int helper(void) { return 1; }\n");
	assert_contains(log, "check 1: failed symbols missing entry point 'task_agent_improve'");
	free(log);
	assert_int_equal(agents_set(&f, "task_agent.c", probe), 0);
	assert_int_equal(agents_set(&f, "meta_agent.c", harness_meta_agent), 0);
	assert_int_equal(agent_improve(&run, t, &f, &o), 0);
	log = json_dumps(run.trace, 0);
	assert_contains(log, "only the meta agent can check agent files");
	free(log);
	agent_run_result_free(&run);
	agents_free(&f);
	task_free(t);
}

/* An agent that checks again and again whatever the host says: 16
 * checks are made, the next are refused, and the run is ended. */
static void test_a_check_loop_is_bounded(void **state)
{
	agent_run_result run;
	char *log;
	int checks;

	(void)state;
	log = run_checks(&run, "{\"forever\": true}", &checks);
	assert_int_equal(checks, 16);
	assert_contains(log, "check 16: passed");
	assert_contains(log, "check 17 refused: the check budget is spent (16 checks)\n");
	assert_int_equal(run.outcome.status, SANDBOX_PROTOCOL_ERROR);
	assert_contains(run.outcome.detail, "the agent kept asking after its budget was spent");
	agent_run_result_free(&run);
	free(log);
}

/* A candidate that includes a host file turns it into a diagnostic, if
 * the check can read it: it cannot. */
static void test_check_reads_no_host_file(void **state)
{
	char *secret = harness_scratch("check_secret.txt"), *source, *log;
	static const char probe[] = "#define TEXT(...) #__VA_ARGS__\n_Static_assert(0, TEXT(\n"
				    "#include \"@SECRET@\"\n));\n"
				    "char *task_agent_improve(const char *s) { (void)s; return 0; }\n";

	(void)state;
	assert_int_equal(os_write_file(secret, "TOPSECRET-c4e2\n", 15), 0);
	source = harness_subst(probe, "@SECRET@", secret, NULL);
	log = check_once(source);
	assert_contains(log, "check 1: failed compile task_agent.c:3: error: include file '");
	assert_contains(log, "' not found");
	assert_null(strstr(log, "TOPSECRET"));
	unlink(secret);
	free(source);
	free(secret);
	free(log);
}

void test_group_llm_repair(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_edit_that_does_not_compile_is_repaired),
		cmocka_unit_test(test_repairs_stop_at_their_number_and_the_calls),
		cmocka_unit_test(test_blocks_that_miss_twice_lead_to_the_whole_file),
		cmocka_unit_test(test_a_whole_file_beyond_the_budget_is_not_asked_for),
		cmocka_unit_test(test_check_says_what_fails_and_where),
		cmocka_unit_test(test_a_check_loop_is_bounded),
		cmocka_unit_test(test_check_reads_no_host_file),
	};

	HARNESS_GROUP(t, "llm_repair", tests);
}
