/*
 * test_archive.c - the archive a meta agent reads keeps within its
 * budget, whatever the lab holds: a lab of generations whose notes each
 * carry a megabyte of memory.md additions and many tasks' problems
 * still evolves, and its meta agent gets the parent and the newest
 * generations that fit, each text cut and said to be, the rest counted.
 * The generations are forged with the store itself, to keep it fast. A
 * task agent's trace in short keeps its ends, cuts a long text after a
 * word and finds the longest evaluation.
 */
#include "lab_fixture.h"

#include "buf.h"
#include "evolve_internal.h"
#include "lab.h"
#include "os.h"
#include "store.h"
#include "text.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORGED 70                 /* generations, past the job's 64 MB at 1 MB each */
#define FORGED_TASKS 64
#define NOTES_BYTES (1u << 20)

/* A megabyte of notes, as a rewrite might add to memory.md. */
static char *big_notes(int number)
{
	char *notes = malloc(NOTES_BYTES + 256), *at = notes;

	while ((size_t)(at - notes) < NOTES_BYTES)
		at += sprintf(at, "gen %d tried a very long idea, line %zu\n", number,
			      (size_t)(at - notes));
	sprintf(at, "SUMMARY: forged generation %d\n", number);
	return notes;
}

/* Generation `number`: gen_001's files and record, rejected, with
 * FORGED_TASKS tasks whose problems run to 2 KB, and big notes. */
static void forge(lab *l, const record *from, const agent_files *files, int number)
{
	char problem[2048], name[16];
	record g;
	int i;

	memset(problem, 'p', sizeof(problem) - 1);
	problem[sizeof(problem) - 1] = '\0';
	assert_int_equal(record_copy(&g, from), 0);
	for (i = 0; i < (int)g.n_tasks; i++)
		record_task_free(&g.tasks[i]);
	g.n_tasks = 0;
	for (i = 0; i < FORGED_TASKS; i++) {
		record_task t = from->tasks[0];
		snprintf(name, sizeof(name), i ? "task%02d" : "email", i);
		t.name = name;
		t.problem = problem;
		assert_int_equal(record_add_task(&g, &t), 0);
	}
	g.number = number;
	g.parent = 1;
	g.status = RECORD_REJECTED;
	free(g.changes);
	g.changes = big_notes(number);
	assert_int_equal(store_record(l->store, &g, files, -1), 0);
	record_free(&g);
}

/* The archive_meter agent's report, from the rewrite trace of `gen`. */
static json_t *meter_report(const char *dir, const char *gen)
{
	json_t *note, *trace, *event, *report = NULL;
	run_result r;
	size_t i;

	git(&r, dir, "notes", "show", gen, NULL);
	assert_int_equal(r.status, 0);
	note = json_loads(r.out, 0, NULL);
	run_result_free(&r);
	trace = json_object_get(note, "rewrite_trace");
	json_array_foreach(trace, i, event)
		if (!report && json_is_string(json_object_get(event, "line")))
			report = json_loads(json_string_value(json_object_get(event, "line")), 0, NULL);
	json_decref(note);
	if (!report)
		fail_msg("%s's meta agent left no report of its archive", gen);
	return report;
}

static void test_the_archive_keeps_within_its_budget(void **state)
{
	char *dir = make_lab("archive_budget", "email"), *text = harness_read("tests/agents/archive_meter.c");
	char *path = os_path_join(dir, "agent_code/meta_agent.c"), gen[16];
	json_t *report, *gens;
	agent_files files;
	record first;
	run_result r;
	size_t i, n;
	lab l;

	(void)state;
	assert_int_equal(os_write_file(path, text, strlen(text)), 0);
	HOST(&r, "commit", "--dir", dir, "-m", "a meta agent that measures its archive");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(lab_open(&l, dir, 1), 0);
	assert_int_equal(store_read(l.store, 1, &first, &files), 0);
	for (i = 2; i < 2 + FORGED; i++)
		forge(&l, &first, &files, (int)i);
	record_free(&first);
	agents_free(&files);
	lab_close(&l);
	/* 70 MB of notes, more than a job may carry: evolve still runs */
	HOST(&r, "evolve", "--dir", dir, "--gens", "1");
	if (r.status != 0)
		fail_msg("evolve: %s%s", r.out, r.err);
	run_result_free(&r);
	snprintf(gen, sizeof(gen), "gen_%03d", 2 + FORGED);
	report = meter_report(dir, gen);
	assert_true(json_integer_value(json_object_get(report, "bytes")) <= EVOLVE_ARCHIVE_MAX);
	assert_int_equal(json_integer_value(json_object_get(report, "parent")), 1);
	gens = json_object_get(report, "generations");
	n = json_array_size(gens);
	/* the parent gen_001, then the newest, oldest first: gen_K ... gen_071 */
	assert_true(n > 2);
	assert_int_equal(json_integer_value(json_array_get(gens, 0)), 1);
	for (i = 1; i < n; i++)
		assert_int_equal(json_integer_value(json_array_get(gens, i)),
				 1 + FORGED - (int)(n - 1 - i));
	/* those left out are counted: gen_000 and the oldest forged ones */
	assert_true(n - 1 < FORGED);
	assert_int_equal(json_integer_value(json_object_get(report, "omitted")),
			 2 + FORGED - (int)n);
	assert_int_equal(json_integer_value(json_object_get(report, "changes_cut")), (int)n - 1);
	json_decref(report);
	free(path);
	free(text);
	assert_int_equal(os_remove_tree(dir), 0);
	free(dir);
}

/* A trace in short keeps its first 8 lines and its last ones, 24 in all,
 * and says how many it left out, in one pass however long the trace a
 * record holds. */
static void test_a_long_trace_keeps_its_ends(void **state)
{
	json_t *trace = json_array(), *lines;
	evolve_trace_counts n;
	int i;

	(void)state;
	for (i = 0; i < 100000; i++)
		json_array_append_new(trace, json_pack("{s:s, s:s, s:s}", "event", "eval",
						       "status", "crash", "feedback", "boom"));
	lines = evolve_short_trace(&n, trace, 1);
	assert_int_equal(n.failed, 100000);
	assert_int_equal(json_array_size(lines), 24);
	assert_string_equal(json_string_value(json_array_get(lines, 0)), "eval 1: crash: boom");
	assert_string_equal(json_string_value(json_array_get(lines, 7)), "eval 8: crash: boom");
	assert_string_equal(json_string_value(json_array_get(lines, 8)), "(99977 lines left out)");
	assert_string_equal(json_string_value(json_array_get(lines, 9)),
			    "eval 99986: crash: boom");
	assert_string_equal(json_string_value(json_array_get(lines, 23)),
			    "eval 100000: crash: boom");
	json_decref(lines);
	json_decref(trace);
}

/* A long feedback is cut after a word, with an ellipsis; the longest
 * evaluation's time and its limit are counted over the whole trace. */
static void test_a_trace_cuts_after_a_word_and_finds_the_longest(void **state)
{
	json_t *trace = json_array(), *lines;
	evolve_trace_counts n;
	buf feedback = BUF_INIT;
	const char *first;
	int i;

	(void)state;
	for (i = 0; i < 40; i++)
		buf_printf(&feedback, "case %d failed; ", i);
	for (i = 0; i < 30; i++)
		json_array_append_new(trace, json_pack("{s:s, s:s, s:s, s:f, s:i}", "event", "eval",
			"status", "crash", "feedback", feedback.data, "wall_ms", i == 17 ? 412.0 : 3.0,
			"wall_limit_ms", 2000));
	lines = evolve_short_trace(&n, trace, 1);
	first = json_string_value(json_array_get(lines, 0));
	assert_true(strlen(first) < 240);
	assert_contains(first, "eval 1: crash, 0.003 s of 2.000 s wall: case 0 failed; case 1 failed");
	/* 157 bytes of room, and "case 10" ends at the 157th */
	assert_string_equal(first + strlen(first) - 12, "; case 10" TEXT_ELLIPSIS);
	assert_true(n.longest_ms == 412.0);
	assert_int_equal(n.limit_ms, 2000);
	json_decref(lines);
	json_decref(trace);
	buf_free(&feedback);
	/* no time recorded: none counted */
	trace = json_pack("[{s:s, s:s, s:f}]", "event", "eval", "status", "ok", "score", 1.0);
	json_decref(evolve_short_trace(&n, trace, 1));
	assert_true(n.longest_ms < 0);
	assert_int_equal(n.limit_ms, 0);
	json_decref(trace);
}

void test_group_archive(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_archive_keeps_within_its_budget),
		cmocka_unit_test(test_a_long_trace_keeps_its_ends),
		cmocka_unit_test(test_a_trace_cuts_after_a_word_and_finds_the_longest),
	};

	HARNESS_GROUP(t, "archive", tests);
}
