/*
 * test_llm_edits.c - how the seed meta agent applies a model's edits,
 * against the scripted server: sections that name one file apply in
 * order, each to the file as the one before left it; a block that does
 * not apply so goes back to the model, none of the reply applied, and so
 * do a block before any file's name and sections that change nothing; an
 * edit of memory.md stays, with the notes after it; and the generation's
 * record lists the hunks the host saw change, whatever the summary claims.
 */
#include "llm_fixture.h"

#include "agents.h"
#include "buf.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CANDIDATES_LINE "#define CANDIDATES 6              /* candidates per round */\n"
#define PARAMS_LINE "#define PARAMS_PER_CANDIDATE 2    /* parameters one candidate moves */\n"
#define EXTRA_LINE "#define EXTRA_CANDIDATES 1        /* more of them */\n"

/* Two sections for task_agent.c: the first declares what the second
 * uses, so the candidate compiles only if both apply. */
static const char dependent[] =
	"FILE: task_agent.c\n<<<<<<< SEARCH\n" CANDIDATES_LINE "=======\n" CANDIDATES_LINE
	EXTRA_LINE ">>>>>>> REPLACE\n\nFILE: task_agent.c\n<<<<<<< SEARCH\n"
	"\t\tfor (c = 0; c < CANDIDATES && !spent; c++) {\n=======\n"
	"\t\tfor (c = 0; c < CANDIDATES + EXTRA_CANDIDATES && !spent; c++) {\n>>>>>>> REPLACE\n"
	"SUMMARY: one more candidate per round\n";

/* Two sections written against the parent: the second's SEARCH lines
 * were adjacent there, but the first puts a line between them. */
static const char stale[] =
	"FILE: task_agent.c\n<<<<<<< SEARCH\n" CANDIDATES_LINE "=======\n" CANDIDATES_LINE
	EXTRA_LINE ">>>>>>> REPLACE\nFILE: task_agent.c\n<<<<<<< SEARCH\n" CANDIDATES_LINE
	PARAMS_LINE "=======\n" CANDIDATES_LINE
	"#define PARAMS_PER_CANDIDATE 3    /* parameters one candidate moves */\n"
	">>>>>>> REPLACE\nSUMMARY: stale: one more candidate, three parameters each\n";

#define FIVE_LINE "#define CANDIDATES 5              /* candidates per round */\n"

/* A block before any line naming its file. */
static const char unnamed[] =
	"<<<<<<< SEARCH\n" PARAMS_LINE "=======\n"
	"#define PARAMS_PER_CANDIDATE 3    /* parameters one candidate moves */\n"
	">>>>>>> REPLACE\nFILE: task_agent.c\n<<<<<<< SEARCH\n" CANDIDATES_LINE "=======\n"
	FIVE_LINE ">>>>>>> REPLACE\nSUMMARY: five candidates, three parameters\n";

/* A section the next one undoes. */
static const char undone[] =
	"FILE: task_agent.c\n<<<<<<< SEARCH\n" CANDIDATES_LINE "=======\n" FIVE_LINE
	">>>>>>> REPLACE\nFILE: `task_agent.c`\n<<<<<<< SEARCH\n" FIVE_LINE "=======\n"
	CANDIDATES_LINE ">>>>>>> REPLACE\nSUMMARY: five candidates\n";

/* An edit of memory.md, which the agent's own notes follow. */
static const char noted[] =
	"FILE: memory.md\n<<<<<<< SEARCH\n# What the meta agent tried\n=======\n"
	"# What the meta agent tried\nFive candidates suit email.\n>>>>>>> REPLACE\n"
	"FILE: task_agent.c\n<<<<<<< SEARCH\n" CANDIDATES_LINE "=======\n" FIVE_LINE
	">>>>>>> REPLACE\nSUMMARY: five candidates\n";

/* A reply as a model's, 50 ms late. */
static json_t *late_reply(const char *text)
{
	json_t *reply = llm_fixture_reply(text, 100, 20);

	json_object_set_new(reply, "delay", json_real(0.05));
	return reply;
}

/* The model's edits: the stale reply, then the dependent one; for the
 * task agent, the reference solution. */
static json_t *edits_script(void)
{
	char *email = harness_read("tests/solutions/email_reference.c");
	buf good = BUF_INIT;
	json_t *script;

	buf_printf(&good, "```c\n%s```\n", email);
	script = json_pack("{s:[{s:s, s:[o, o]}, {s:s, s:[o]}]}", "rules", "match",
			   "FILE: task_agent.c", "replies", late_reply(stale), late_reply(dependent),
			   "match", "Interface (email)", "replies", late_reply(good.data));
	buf_free(&good);
	free(email);
	return script;
}

/* Both sections apply, the second to the first's result: the candidate
 * is valid and has both changes; memory.md says what was applied; the
 * format the model is given says how blocks apply. */
static void test_sections_for_one_file_apply_in_order(void **state)
{
	json_t *meta;
	char *dir;
	run_result r;

	(void)state;
	meta = llm_fixture_rewrite(&r, NULL, json_pack("[o]", late_reply(dependent)), &dir,
				   "sections");
	assert_contains(r.out, "_candidate: valid\n");
	run_result_free(&r);
	assert_int_equal(json_array_size(meta), 1);
	assert_contains(json_string_value(json_object_get(json_array_get(meta, 0), "system")),
			"The blocks apply in order, each to the file as the blocks before it left "
			"it, also when several sections name the same file. If a block does not "
			"apply, none is applied, and your reply comes back to you with the reason.");
	llm_fixture_file_has(dir, "task_agent.c", CANDIDATES_LINE EXTRA_LINE PARAMS_LINE);
	llm_fixture_file_has(dir, "task_agent.c", "\t\tfor (c = 0; c < CANDIDATES + "
			     "EXTRA_CANDIDATES && !spent; c++) {\n");
	llm_fixture_file_has(dir, "memory.md", "task_agent.c: the model's 2 edit blocks applied, "
			     "in order\nSUMMARY: one more candidate per round\n");
	json_decref(meta);
	os_remove_tree(dir);
	free(dir);
}

/* Evolve: the stale reply's second section does not apply to the file as
 * the first left it, so the reply goes back, naming the section and the
 * block, and none of it is kept; the dependent reply then makes a valid
 * generation whose note lists exactly the hunks applied, and whose
 * summary is that reply's. */
static void test_stale_section_goes_back_and_the_note_lists_the_edits(void **state)
{
	char *lab = harness_scratch("edits_lab"), *prices = llm_fixture_prices(), expected[300];
	char *init[] = { "host", "init", "--dir", lab, "--tasks", "email", "--llm",
			 "openai:test-model", "--llm-url", "@URL@", "--llm-prices", prices, NULL };
	char *argv[] = { "host", "evolve", "--dir", lab, "--gens", "1", "--llm", "openai:test-model",
			 "--llm-url", "@URL@", "--llm-prices", prices, NULL };
	int line = llm_fixture_seed_line(CANDIDATES_LINE);
	int loop = llm_fixture_seed_line("\t\tfor (c = 0; c < CANDIDATES ");
	json_t *requests, *meta, *note;
	const char *retry, *edits;
	run_result r;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	os_remove_tree(lab);
	json_decref(llm_fixture_run(&r, edits_script(), "edits_init", init));
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	requests = llm_fixture_run(&r, edits_script(), "edits", argv);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	meta = llm_fixture_meta_requests(requests);
	assert_int_equal(json_array_size(meta), 2);
	retry = llm_fixture_user(meta, 1);
	snprintf(expected, sizeof(expected), "Its edit blocks did not apply: task_agent.c, its FILE "
		 "section 2 (applied to the file as its earlier sections left it): block 1: lines "
		 "1-1 match the source at line %d, but line 2 differs: expected \"#define "
		 "PARAMS_PER_CANDIDATE 2", line);
	assert_contains(retry, expected);
	assert_contains(retry, "\nNone of them was applied. Send all the edit blocks again");
	note = llm_fixture_note(lab, 1);
	assert_string_not_equal(json_string_value(json_object_get(note, "status")), "invalid");
	assert_string_equal(json_string_value(json_object_get(note, "summary")),
			    "one more candidate per round");
	edits = json_string_value(json_object_get(note, "edits"));
	assert_non_null(edits);
	snprintf(expected, sizeof(expected), "task_agent.c @@ -%d,0 +%d,1 @@ +" EXTRA_LINE
		 "task_agent.c @@ -%d,1 +%d,1 @@ +for (c = 0; c < CANDIDATES + EXTRA_CANDIDATES "
		 "&& !spent; c++\n", line, line + 1, loop, loop + 1);
	assert_string_equal(edits, expected);
	json_decref(note);
	llm_fixture_git(&r, lab, "show", "gen_001:memory.md", NULL);
	assert_contains(r.out, "task_agent.c: the model's 2 edit blocks applied, in order\n"
			"SUMMARY: one more candidate per round\n");
	assert_null(strstr(r.out, "stale"));
	run_result_free(&r);
	HOST(&r, "show", "gen_001", "--dir", lab);
	snprintf(expected, sizeof(expected), "\nedits (the agent files' hunks, as the host diffed "
		 "them)\n  task_agent.c @@ -%d,0 +%d,1 @@ +", line, line + 1);
	assert_contains(r.out, expected);
	run_result_free(&r);
	json_decref(meta);
	json_decref(requests);
	os_remove_tree(lab);
	unlink(prices);
	free(prices);
	free(lab);
}

/* Nothing a reply holds is dropped unseen: a block before any line naming
 * its file, and sections that leave their file as it was, go back to the
 * model; a reply that edits memory.md keeps its edit, the agent's notes
 * after it. */
static void test_no_block_is_dropped_unseen(void **state)
{
	char *from = harness_scratch("unseen_agent"), *dir;
	agent_files f = { NULL, 0 };
	json_t *meta;
	run_result r;

	(void)state;
	os_remove_tree(from);
	assert_int_equal(agents_load(&f, "seed"), 0);
	assert_int_equal(agents_set(&f, "memory.md", "# What the meta agent tried\n\n"), 0);
	assert_int_equal(agents_write(&f, from), 0);
	meta = llm_fixture_rewrite_agent(&r, from, NULL, json_pack("[o, o, o]", late_reply(unnamed),
					 late_reply(undone), late_reply(noted)), &dir, "unseen");
	run_result_free(&r);
	assert_int_equal(json_array_size(meta), 3);
	assert_contains(llm_fixture_user(meta, 1), "did not apply: an edit block comes before any "
			"'FILE: name' line; each block must follow the line naming its file\n");
	assert_contains(llm_fixture_user(meta, 2), "did not apply: task_agent.c: its blocks leave "
			"it as it was\n");
	llm_fixture_file_has(dir, "task_agent.c", FIVE_LINE PARAMS_LINE);
	llm_fixture_file_has(dir, "memory.md", "# What the meta agent tried\nFive candidates suit "
			     "email.\n\nmemory.md: the model's 1 edit block applied, in order\n"
			     "task_agent.c: the model's 1 edit block applied, in order\nSUMMARY: five "
			     "candidates\n");
	json_decref(meta);
	os_remove_tree(dir);
	os_remove_tree(from);
	agents_free(&f);
	free(dir);
	free(from);
}

void test_group_llm_edits(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_for_one_file_apply_in_order),
		cmocka_unit_test(test_stale_section_goes_back_and_the_note_lists_the_edits),
		cmocka_unit_test(test_no_block_is_dropped_unseen),
	};

	HARNESS_GROUP(t, "llm_edits", tests);
}
