/*
 * test_carry.c - carried solutions (host init --carry): each task agent
 * starts from its parent generation's solution for the task, and is told
 * where it came from; without carry, from the task's initial.c, as ever.
 * The setting is kept in the lab and recorded in each generation's note,
 * and a change of it measures the parent again, saying so. The seed task
 * agent's prompt shows the carried code, its origin and the score the
 * host gives it, against a scripted model that takes a second a reply.
 *
 * Offline, a task agent of the test's marks the solution it returns with
 * where it started, so that a generation's solution tells the chain of
 * starts that made it; it evaluates the fewer times the more marks it
 * started with, so that a carried generation costs less than its parent
 * and is accepted, and the next one is its child. Its meta agent notes
 * what the archive says of carry in memory.md.
 */
#include "lab_fixture.h"
#include "llm_fixture.h"

#include "buf.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char marking_agent[] =
	"#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
#include <unistd.h>
	"char *task_agent_improve(const char *initial)\n"
	"{\n"
	"	host_task_info t;\n"
	"	host_eval_result r;\n"
	"	const char *p;\n"
	"	char mark[64], *out;\n"
	"	size_t n = strlen(initial), m;\n"
	"	int marks = 0, i;\n"
	"	if (host_task(&t) < 0)\n"
	"		return NULL;\n"
	"	for (p = initial; (p = strstr(p, \"/* mark: \")) != NULL; p++)\n"
	"		marks++;\n"
	"	for (i = 0; i < 5 - marks || i < 1; i++)\n"
	"		host_eval(initial, &r);\n"
	"	if (t.carried_from >= 0)\n"
	"		snprintf(mark, sizeof(mark), \"/* mark: gen_%03d */\\n\", t.carried_from);\n"
	"	else\n"
	"		snprintf(mark, sizeof(mark), \"/* mark: initial.c */\\n\");\n"
	"	m = strlen(mark);\n"
	"	if (!(out = malloc(n + m + 1)))\n"
	"		return NULL;\n"
	"	memcpy(out, initial, n);\n"
	"	memcpy(out + n, mark, m + 1);\n"
	"	return out;\n"
	"}\n";

static const char noting_meta_agent[] =
	"#include <jansson.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
	"int meta_agent_rewrite(const char *archive)\n"
	"{\n"
	"	json_t *a = json_loads(archive, 0, NULL);\n"
	"	int carry = json_is_true(json_object_get(json_object_get(a, \"limits\"), \"carry\"));\n"
	"	char *notes = host_read(\"memory.md\"), *more;\n"
	"	size_t n = notes ? strlen(notes) : 0;\n"
	"	int rc;\n"
	"	json_decref(a);\n"
	"	if (!(more = malloc(n + 40)))\n"
	"		return -1;\n"
	"	snprintf(more, n + 40, \"%s%s\\n\", notes ? notes : \"\",\n"
	"		 carry ? \"the archive: carried\" : \"the archive: not carried\");\n"
	"	rc = host_emit(\"memory.md\", more);\n"
	"	free(notes);\n"
	"	free(more);\n"
	"	return rc;\n"
	"}\n";

/* The test's agents in $TMPDIR/marking (free() it). */
static char *marking_agents(void)
{
	char *dir = scratch("marking");
	agent_files f = { NULL, 0 };

	assert_int_equal(agents_set(&f, "task_agent.c", marking_agent), 0);
	assert_int_equal(agents_set(&f, "meta_agent.c", noting_meta_agent), 0);
	assert_int_equal(agents_write(&f, dir), 0);
	agents_free(&f);
	return dir;
}

/* A lab in $TMPDIR/name of the marking agents on email, with --carry
 * when `carry`; free() it. */
static char *marking_lab(const char *name, const char *agents, int carry)
{
	char *dir = scratch(name);
	char *argv[] = { "host", "init", "--dir", dir, "--from", (char *)agents, "--tasks",
			 "email", "--budget", "6", carry ? "--carry" : NULL, NULL };
	run_result r;

	run_host_with(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	if (carry)
		assert_contains(r.out, "(tasks email, 6 evaluations each, offline, solutions carried)");
	else
		assert_null(strstr(r.out, "carried"));
	run_result_free(&r);
	return dir;
}

/* Generation `gen`'s solution for email, from the lab's tree. */
static char *email_solution(const char *dir, const char *gen)
{
	char spec[64];
	run_result r;
	char *text;

	snprintf(spec, sizeof(spec), "%s:solutions/email.c", gen);
	git(&r, dir, "show", spec, NULL, NULL);
	assert_int_equal(r.status, 0);
	text = r.out;
	r.out = NULL;
	run_result_free(&r);
	return text;
}

/* Asserts that `gen`'s email solution is the initial one with `marks`
 * after it, and returns nothing else. */
static void expect_marks(const char *dir, const char *gen, const char *marks)
{
	char *initial = harness_read("tasks/email/initial.c"), *solution = email_solution(dir, gen);
	buf want = BUF_INIT;

	buf_printf(&want, "%s%s", initial, marks);
	assert_string_equal(solution, buf_cstr(&want));
	buf_free(&want);
	free(solution);
	free(initial);
}

/* Runs `host evolve --gens N` in the lab, or fails; returns its output. */
static char *evolve(const char *dir, const char *gens)
{
	run_result r;
	char *out;

	HOST(&r, "evolve", "--dir", (char *)dir, "--gens", (char *)gens);
	if (r.status != 0)
		fail_msg("host evolve failed:\n%s%s", r.out, r.err);
	out = r.out;
	r.out = NULL;
	run_result_free(&r);
	return out;
}

/* Sets the lab's host.carry to `value` as a user would. */
static void set_carry(const char *dir, const char *value)
{
	run_result r;

	git(&r, dir, "config", "host.carry", value, NULL);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
}

/* Edits agent_code/'s task agent by hand (a comment) and records it. */
static void hand_edit(const char *dir)
{
	char *path = os_path_join(dir, "agent_code/task_agent.c"), *text = harness_read(path);
	buf edited = BUF_INIT;
	run_result r;

	buf_printf(&edited, "%s/* edited by hand */\n", text);
	assert_int_equal(os_write_file(path, edited.data, edited.len), 0);
	HOST(&r, "commit", "--dir", (char *)dir, "-m", "a hand edit");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	buf_free(&edited);
	free(text);
	free(path);
}

static void expect_status_line(const char *dir, const char *line)
{
	run_result r;

	HOST(&r, "status", "--dir", (char *)dir);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, line);
	run_result_free(&r);
}

/* With --carry, gen_002's task agent starts from gen_001's solution,
 * which started from gen_000's: the marks chain. Notes, host show, status
 * and the archive say so; turned off, the parent is measured again from
 * initial.c, and the reason says why. Hand edits, recorded, start from
 * the live generation's solutions. */
static void test_carried_solutions_chain(void **state)
{
	char *agents = marking_agents(), *dir = marking_lab("carrylab", agents, 1), *out;
	json_t *note;
	run_result r;

	(void)state;
	out = evolve(dir, "2");
	assert_contains(out, "select best, solutions carried, offline (no LLM provider)\n");
	assert_contains(out, "gen_001  parent gen_000  accepted");
	assert_contains(out, "gen_002  parent gen_001  accepted");
	free(out);
	expect_marks(dir, "gen_000", "/* mark: initial.c */\n");
	expect_marks(dir, "gen_002", "/* mark: initial.c */\n/* mark: gen_000 */\n"
		     "/* mark: gen_001 */\n");
	note = llm_fixture_note(dir, 2);
	assert_true(json_is_true(json_object_get(json_object_get(note, "measured"), "carry")));
	json_decref(note);
	git(&r, dir, "show", "gen_002:memory.md", NULL, NULL);
	assert_string_equal(r.out, "the archive: carried\nthe archive: carried\n");
	run_result_free(&r);
	HOST(&r, "show", "gen_002", "--dir", dir);
	assert_contains(r.out, "measured  offline, 0 model calls a run, 1 trial; solutions "
			"carried: each task agent started from its parent's solution\n");
	run_result_free(&r);
	expect_status_line(dir, "carry     on: each task agent starts from its parent "
			   "generation's solution\n");
	/* hand edits start from the live generation's solutions too */
	hand_edit(dir);
	expect_marks(dir, "gen_003", "/* mark: initial.c */\n/* mark: gen_000 */\n"
		     "/* mark: gen_001 */\n/* mark: gen_002 */\n");
	/* turned off: gen_003 measured again from initial.c, then a candidate */
	set_carry(dir, "false");
	out = evolve(dir, "1");
	assert_contains(out, "gen_004  parent gen_003  accepted");
	assert_contains(out, "re-measured gen_003: carry off (was on)");
	assert_null(strstr(out, "solutions carried"));
	free(out);
	expect_marks(dir, "gen_004", "/* mark: initial.c */\n");
	expect_marks(dir, "gen_005", "/* mark: initial.c */\n");
	note = llm_fixture_note(dir, 4);
	assert_true(json_is_false(json_object_get(json_object_get(note, "measured"), "carry")));
	json_decref(note);
	expect_status_line(dir, "carry     off: each task agent starts from the task's initial.c\n");
	assert_int_equal(tag_count(dir), 6);
	assert_fsck_clean(dir);
	os_remove_tree(dir);
	os_remove_tree(agents);
	free(dir);
	free(agents);
}

/* Without --carry, every task agent starts from initial.c, as before
 * carry was: the same solution each time, so no candidate is better.
 * Turned on by hand, the live gen_000 is measured again, from its own
 * solution; a value that is no boolean is refused, naming the setting. */
static void test_without_carry_every_agent_starts_from_initial(void **state)
{
	char *agents = marking_agents(), *dir = marking_lab("freshlab", agents, 0), *out;
	json_t *note;
	run_result r;

	(void)state;
	out = evolve(dir, "2");
	assert_contains(out, "gen_002  parent gen_000  rejected");
	assert_null(strstr(out, "carried"));
	free(out);
	expect_marks(dir, "gen_002", "/* mark: initial.c */\n");
	note = llm_fixture_note(dir, 2);
	assert_true(json_is_false(json_object_get(json_object_get(note, "measured"), "carry")));
	json_decref(note);
	git(&r, dir, "show", "gen_002:memory.md", NULL, NULL);
	assert_string_equal(r.out, "the archive: not carried\n");  /* gen_000's child */
	run_result_free(&r);
	expect_status_line(dir, "carry     off: each task agent starts from the task's initial.c\n");
	/* turned on by hand: gen_000 measured again, from its own solution */
	set_carry(dir, "yes");
	out = evolve(dir, "1");
	assert_contains(out, "gen_003  parent gen_000  accepted");
	assert_contains(out, "re-measured gen_000: carry on (was off)");
	free(out);
	expect_marks(dir, "gen_003", "/* mark: initial.c */\n/* mark: gen_000 */\n");
	expect_marks(dir, "gen_004", "/* mark: initial.c */\n/* mark: gen_000 */\n"
		     "/* mark: gen_003 */\n");
	/* edited into nonsense: named, and nothing is made */
	set_carry(dir, "maybe");
	HOST(&r, "evolve", "--dir", dir);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "host evolve: the lab's setting host.carry in ");
	assert_contains(r.err, "/config is 'maybe', not true or false\n");
	run_result_free(&r);
	HOST(&r, "status", "--dir", dir);
	assert_int_equal(r.status, 1);
	assert_contains(r.out, "carry     the lab's setting host.carry in ");
	run_result_free(&r);
	assert_int_equal(tag_count(dir), 5);
	os_remove_tree(dir);
	os_remove_tree(agents);
	free(dir);
	free(agents);
}

/* --carry is a flag: a value is a usage error naming it, and nothing is
 * made; the help says what it does. */
static void test_carry_takes_no_value(void **state)
{
	char *dir = scratch("carry_value");
	run_result r;

	(void)state;
	HOST(&r, "init", "--dir", dir, "--carry=x");
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err, "host init: --carry takes no value\nTry 'host help init'.\n");
	assert_string_equal(r.out, "");
	run_result_free(&r);
	assert_false(os_is_dir(dir));
	HOST(&r, "init", "--help");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "[--carry]");
	assert_contains(r.out, "  --carry          carry solutions: each task agent starts from "
			"its parent\n");
	run_result_free(&r);
	free(dir);
}

/* The meta agent's edit, and the email task's initial solution with
 * MIN_TLD_LENGTH 2 (0.7) for every proposal; a second a reply. */
static json_t *carry_script(void)
{
	char *better = llm_fixture_better_email();
	json_t *script = json_pack("{s:[{s:s, s:[o]}, {s:s, s:[o]}]}", "rules",
				   "match", "FILE: task_agent.c",
				   "replies", llm_fixture_reply(llm_fixture_meta_edit, 3000, 80),
				   "match", "Interface (email)", "replies", llm_fixture_code_reply(better));

	free(better);
	return llm_fixture_late(script, 1);
}

/* With a model and --carry: gen_000's task agent starts from initial.c
 * (1 call), then the meta agent (1 call) and gen_001's task agent (1
 * call), whose prompt shows gen_000's solution as its starting point,
 * where it came from, and the score the host gave it in this run. */
static void test_the_prompt_shows_the_carried_solution(void **state)
{
	char *dir = harness_scratch("carry_llm"), *prices = llm_fixture_prices(), *solution;
	char *init[] = { "host", "init", "--dir", dir, "--tasks", "email", "--budget", "4",
			 "--carry", "--llm", "openai:test-model", "--llm-url", "@URL@",
			 "--llm-prices", prices, "--llm-calls", "1", NULL };
	char *argv[] = { "host", "evolve", "--dir", dir, "--gens", "1", "--llm",
			 "openai:test-model", "--llm-url", "@URL@", "--llm-prices", prices,
			 "--llm-calls", "1", NULL };
	json_t *requests, *meta, *note;
	const char *user;
	double train;
	buf want = BUF_INIT;
	run_result r;

	(void)state;
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	os_remove_tree(dir);
	requests = llm_fixture_run(&r, carry_script(), "carry_init", init);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(json_array_size(requests), 1);
	user = llm_fixture_user(requests, 0);
	assert_contains(user, "The best solution so far, the initial solution, scoring 0.65");
	assert_null(strstr(user, "Starting point"));
	json_decref(requests);
	solution = email_solution(dir, "gen_000");
	note = llm_fixture_note(dir, 0);
	train = json_number_value(json_object_get(json_object_get(json_object_get(note, "tasks"),
								  "email"), "train"));
	json_decref(note);
	requests = llm_fixture_run(&r, carry_script(), "carry_evolve", argv);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "re-measured"));  /* measured alike: with the model, carried */
	run_result_free(&r);
	assert_int_equal(json_array_size(requests), 2);
	meta = llm_fixture_meta_requests(requests);
	assert_int_equal(json_array_size(meta), 1);
	assert_contains(llm_fixture_user(meta, 0), "Solutions are carried: each task agent starts "
			"from its parent generation's solution for the task");
	json_decref(meta);
	user = llm_fixture_user(requests, 1);
	buf_printf(&want, "\nStarting point: the solution carried from gen_000, the parent "
		   "generation's solution for this task, which scored %g on the training cases "
		   "when the host evaluated it in this run. Build on it rather than start over.\n",
		   train);
	assert_contains(user, buf_cstr(&want));
	buf_clear(&want);
	buf_printf(&want, "The best solution so far, the solution carried from gen_000, scoring "
		   "%g in ", train);
	assert_contains(user, buf_cstr(&want));
	buf_clear(&want);
	buf_printf(&want, " s of the 2.000 s wall-time limit:\n```c\n%s", solution);
	assert_contains(user, buf_cstr(&want));
	buf_free(&want);
	json_decref(requests);
	free(solution);
	os_remove_tree(dir);
	unlink(prices);
	free(prices);
	free(dir);
}

void test_group_carry(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_carried_solutions_chain),
		cmocka_unit_test(test_without_carry_every_agent_starts_from_initial),
		cmocka_unit_test(test_carry_takes_no_value),
		cmocka_unit_test(test_the_prompt_shows_the_carried_solution),
	};

	HARNESS_GROUP(t, "carry", tests);
}
