/*
 * cmd_log.c - looking at generations: `host log`, `host show`, `host diff`.
 * These only read the lab and never take its lock.
 *
 * A record's text was written by agents, or by whoever handed the lab
 * over: it is printed with cli_print, each one-line field on a line of
 * its own making.
 */
#include "args.h"
#include "cli.h"
#include "error.h"
#include "lab.h"
#include "os.h"
#include "print.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char log_help[] =
	"usage: host log [--all] [--json] [--dir D]\n"
	"\n"
	"Lists the generations of the live lineage (main), newest first; --all\n"
	"lists every generation. The live one is marked with '*'. The last line\n"
	"gives the scores of each task's initial.c, where the live generation's\n"
	"measure started (host init scores them, and evolve again when it\n"
	"measures a parent again).\n";

static const char show_help[] =
	"usage: host show [gen_N] [--dir D]\n"
	"\n"
	"Shows a generation's record (with no gen_N, the live one's): status, reason, fitness and held-out\n"
	"scores per task, and under each the scores of the task's initial.c\n"
	"where its measure started, what measured them (the model, trials,\n"
	"whether solutions were carried), validation, the hunks its rewrite\n"
	"changed, the meta agent's notes, and the diff against its parent.\n";

static const char diff_help[] =
	"usage: host diff A B [--dir D]\n"
	"\n"
	"Prints the unified diff of the agent files from generation A to B\n"
	"(names like gen_3 or gen_003).\n";

static int open_reader(lab *l, const char *command, const char *dir)
{
	return lab_open(l, dir, 0) < 0 ? cli_fail(command, "%s", err_last()) : CLI_OK;
}

/* A generation whose held-out run failed on a task says so: its held-out
 * figure counts that task as 0, which is no score. */
static void holdout_warning(const record *g, const char *indent)
{
	buf failed = BUF_INIT;

	if (cli_holdout_failures(&failed, g))
		cli_print_line("%swarning: held-out run failed: %s", indent, buf_cstr(&failed));
	buf_free(&failed);
}

/* An arena generation's round: what its test agents did, and each task's
 * scores apart on the original cases, the grown set and held-out. */
static void arena_lines(const record *g, const char *indent)
{
	const record_arena *a = &g->arena;
	size_t i;

	printf("%sarena round %d, code agent %d: +%d case%s, %d rejected, %d "
	       "malformed, %d passed, %d over the cap (%d check%s); grown set %d\n", indent,
	       a->round, a->code_agent, a->added, a->added == 1 ? "" : "s", a->rejected,
	       a->malformed, a->passed, a->over_cap, a->checks, a->checks == 1 ? "" : "s",
	       a->grown);
	for (i = 0; i < g->n_tasks; i++) {
		const record_task *t = &g->tasks[i];
		char holdout[64];

		if (record_holdout_failed(t))
			cli_holdout_score(holdout, sizeof(holdout), t);
		else
			snprintf(holdout, sizeof(holdout), "%.4f", t->holdout);
		if (t->has_split)  /* the test agents' blow, then the code agent's answer */
			cli_print_line("%s  %s: original %.4f  grown %.4f -> %.4f  held-out %s",
				       indent, t->name, t->original, t->grown_before, t->grown,
				       holdout);
		else
			cli_print_line("%s  %s: original %.4f  grown -  held-out %s", indent,
				       t->name, t->train, holdout);
	}
	if (a->events[0])
		cli_print_line("%s  %s", indent, a->events);
	if (a->llm_calls)  /* in this generation's spend, the round's first */
		printf("%s  the round's test agents and replacements: %ld model call%s, $%.4f\n",
		       indent, a->llm_calls, a->llm_calls == 1 ? "" : "s", a->usd);
}

/* A timed task's spread, and its comparison with the parent, and a
 * judged task's grades, under the row: what its fitness must be read
 * with. */
static void timing_lines(const record *g, const char *indent)
{
	buf line = BUF_INIT;
	size_t i;

	for (i = 0; i < g->n_tasks; i++) {
		buf_clear(&line);
		record_timing_describe(&line, &g->tasks[i], g->parent);
		if (line.len)
			cli_print_line("%s%s", indent, buf_cstr(&line));
		buf_clear(&line);
		record_judge_describe(&line, &g->tasks[i]);
		if (line.len)
			cli_print_line("%s%s", indent, buf_cstr(&line));
	}
	buf_free(&line);
}

/* A generation's tasks whose training run failed: a fitness of 0 says
 * nothing of why. */
static void failed_lines(const record *g, const char *indent)
{
	size_t i;

	for (i = 0; i < g->n_tasks; i++)
		if (g->tasks[i].train_failed)
			cli_print_line("%s  %s: training run failed (%s)", indent, g->tasks[i].name,
				       g->tasks[i].train_failed);
}

static void log_line(const record *g, int live)
{
	char parent[16] = "-";

	if (g->parent >= 0)
		snprintf(parent, sizeof(parent), "gen_%03d", g->parent);
	cli_print_line("%c gen_%03d  %-8s  %-8s  %7.4f  %8.4f  %s", g->number == live ? '*' : ' ',
		       g->number, parent, record_status_name(g->status), g->fitness, g->holdout,
		       g->reason);
	holdout_warning(g, "            ");
	if (g->arena.round > 0)
		arena_lines(g, "            ");
	timing_lines(g, "            ");
	failed_lines(g, "            ");
}

/* Where the live generation's measure started: each task's initial.c,
 * as the generation that began it scored it. Nothing for a lab made
 * before host scored them. */
static void initial_line(lab *l, int live)
{
	buf line = BUF_INIT;
	record from;
	size_t i;

	if (live < 0 || lab_initial(&from, l, live) < 0)
		return;
	if (from.number == 0)
		buf_puts(&line, "initial.c: ");
	else
		buf_printf(&line, "initial.c (scored again at gen_%03d): ", from.number);
	for (i = 0; i < from.n_initial; i++) {
		buf_printf(&line, "%s%s ", i ? ", " : "", from.initial[i].name);
		cli_initial_text(&line, &from.initial[i]);
	}
	cli_print_line("%s", buf_cstr(&line));
	record_free(&from);
	buf_free(&line);
}

/* Keeps the first error of a listing in `failure`. */
static void keep_failure(buf *failure)
{
	if (!failure->len)
		buf_puts(failure, err_last());
}

/* Shows generation `number`: a row of the table, or its record appended to
 * `list`. Returns its parent, or -1 (the error kept in `failure`). */
static int log_generation(lab *l, int number, int live, json_t *list, int *rows, buf *failure)
{
	record g;
	int parent;

	if (store_read(l->store, number, &g, NULL) < 0) {
		keep_failure(failure);
		return -1;
	}
	if (list) {
		json_array_append_new(list, record_to_json(&g));
	} else {
		if ((*rows)++ == 0)
			printf("  %-8s %-8s  %-8s  %7s  %8s  %s\n", "GEN", "PARENT", "STATUS",
			       "FITNESS", "HELD-OUT", "REASON");
		log_line(&g, live);
	}
	parent = g.parent < number ? g.parent : -1;
	record_free(&g);
	return parent;
}

/* Lists every generation, or main's lineage, newest first; any generation
 * that cannot be read (or main itself) is reported after the rows that
 * could be, and the exit status is 1. */
static int log_lab(lab *l, int all, json_t *list)
{
	buf failure = BUF_INIT;
	int live = -1, rows = 0, rc = CLI_OK, *numbers = NULL, number;
	size_t n = 0;

	if (store_main(l->store, &live) < 0)
		keep_failure(&failure);
	if (all) {
		if (store_numbers(l->store, &numbers, &n) < 0)
			keep_failure(&failure);
		while (n > 0)
			log_generation(l, numbers[--n], live, list, &rows, &failure);
	} else {
		for (number = live; number >= 0;)
			number = log_generation(l, number, live, list, &rows, &failure);
	}
	if (list) {
		cli_print_json(list, JSON_INDENT(2) | JSON_SORT_KEYS);
	} else if (rows) {
		record_budget spend;
		if (lab_spend(&spend, l) < 0)
			keep_failure(&failure);
		else
			printf("LLM spend: %ld calls, %ld tokens in, %ld out, $%.4f\n", spend.llm_calls,
			       spend.tokens_in, spend.tokens_out, spend.usd);
		initial_line(l, live);
	}
	if (failure.len)
		rc = cli_fail("log", "%s", failure.data);
	buf_free(&failure);
	free(numbers);
	return rc;
}

static int run_log(int argc, char **argv)
{
	const char *dir = ".", *pos[1];
	int all = 0, json = 0, n_pos, rc;
	const arg_option opts[] = {
		{ "--all", ARG_FLAG, &all, 0, 0 }, { "--json", ARG_FLAG, &json, 0, 0 },
		{ "--dir", ARG_STRING, &dir, 0, 0 }, { NULL, ARG_FLAG, NULL, 0, 0 },
	};
	json_t *list;
	lab l;

	if (args_parse(opts, argc, argv, pos, 0, &n_pos) < 0)
		return cli_usage("log", "%s", err_last());
	if ((rc = open_reader(&l, "log", dir)) != CLI_OK)
		return rc;
	list = json ? json_array() : NULL;
	rc = log_lab(&l, all, list);
	json_decref(list);
	lab_close(&l);
	return rc;
}

/* The hunks the host saw the rewrite change, whatever its summary says. */
static void show_edits(const char *edits)
{
	const char *line, *next;
	size_t n;

	printf("edits%s\n", *edits ? " (the agent files' hunks, as the host diffed them)"
	       : "     none: no agent file changed");
	for (line = edits; *line; line = next) {
		n = strcspn(line, "\n");
		next = line + n + (line[n] == '\n');
		cli_print_line("  %.*s", (int)n, line);
	}
}

/* A task's line in show, and under it where its measure started. */
/* A judged task's grades of each training answer, and the judge's reason. */
static void show_grades(const record_task *t)
{
	const json_t *c;
	buf line = BUF_INIT;
	size_t i, k;

	record_judge_describe(&line, t);
	if (line.len)
		cli_print_line("  %-8s %s", "", buf_cstr(&line));
	json_array_foreach(t->judge.cases, i, c) {
		buf_clear(&line);
		for (k = 0; k < json_array_size(json_object_get(c, "grades")); k++) {
			const json_t *g = json_array_get(json_object_get(c, "grades"), k);
			buf_printf(&line, k ? ", " : "");
			if (json_is_number(g))
				buf_printf(&line, "%.3g", json_number_value(g));
			else
				buf_puts(&line, "failed");
		}
		cli_print_line("  %-8s case %zu graded %s: %s", "", i + 1, buf_cstr(&line),
			       json_string_value(json_object_get(c, "reason")) ?
			       json_string_value(json_object_get(c, "reason")) : "(no reason)");
	}
	buf_free(&line);
}

static void show_task(const record_task *t, const record *initial)
{
	const record_task *start = initial ? record_find_initial(initial, t->name) : NULL;
	buf train = BUF_INIT;
	char holdout[64];

	cli_train_text(&train, t);
	cli_print_line("  %-8s train %s  held-out %s  (%d evaluations, agent %s)", t->name,
		       buf_cstr(&train), cli_holdout_score(holdout, sizeof(holdout), t), t->evals,
		       t->agent);
	if (start) {
		buf_clear(&train);
		cli_initial_text(&train, start);
		cli_print_line("  %-8s initial.c %s", "", buf_cstr(&train));
	}
	buf_free(&train);
	show_grades(t);
}

/* `initial`: the record that began g's measure (lab_initial), or NULL. */
static void show_record(const record *g, int live, const record *initial)
{
	size_t i;

	printf("gen_%03d%s\n", g->number, g->number == live ? " (live)" : "");
	if (g->parent >= 0)
		printf("parent    gen_%03d\n", g->parent);
	if (g->round > 0)
		printf("round     %d (proposed with its siblings, made at once)\n", g->round);
	printf("status    %s\n", record_status_name(g->status));
	cli_print_line("reason    %s", g->reason);
	printf("fitness   %.4f (held-out %.4f)\n", g->fitness, g->holdout);
	holdout_warning(g, "");
	if (g->has_measure)  /* what the fitness is a measure of */
		cli_print_line("measured  %s, %d model calls a run, %d trial%s; %s", g->measure.model,
			       g->measure.llm_calls, g->measure.trials, g->measure.trials == 1 ? "" : "s",
			       g->measure.carry ? "solutions carried: each task agent started from "
			       "its parent's solution" : "each task agent started from the task's "
			       "initial.c");
	if (g->summary)
		cli_print_line("summary   %s", g->summary);
	for (i = 0; i < g->n_tasks; i++)
		show_task(&g->tasks[i], initial);
	if (g->arena.round > 0)
		arena_lines(g, "");
	for (i = 0; i < g->n_stages; i++) {
		cli_print_line("  %-11s %s", g->stages[i].name, g->stages[i].status);
		cli_print("%s", g->stages[i].diagnostics);
	}
	if (g->edits)
		show_edits(g->edits);
	if (g->changes && *g->changes)
		cli_print("notes (memory.md)\n%s", g->changes);
}

/* Where the generation's solutions are, and how to get them. */
static void show_solutions(lab *l, const record *g)
{
	char *text;
	size_t i;

	for (i = 0; i < g->n_tasks; i++)
		if (store_solution(l->store, g->number, g->tasks[i].name, &text) == 0) {
			cli_print_line("solution  %s: solutions/%s.c (host solution %s gen_%03d)",
				       g->tasks[i].name, g->tasks[i].name, g->tasks[i].name,
				       g->number);
			free(text);
		}
}

static int run_show(int argc, char **argv)
{
	const char *dir = ".", *pos[1];
	const arg_option opts[] = {
		{ "--dir", ARG_STRING, &dir, 0, 0 }, { NULL, ARG_FLAG, NULL, 0, 0 },
	};
	int n, number, live = -1, rc;
	buf diff = BUF_INIT;
	record g;
	lab l;

	if (args_parse(opts, argc, argv, pos, 1, &n) < 0)
		return cli_usage("show", "%s", err_last());
	if ((rc = open_reader(&l, "show", dir)) != CLI_OK)
		return rc;
	if (n == 0)  /* the live generation, as git show shows HEAD */
		rc = store_main(l.store, &number) < 0 ? cli_fail("show", "%s", err_last()) : CLI_OK;
	else
		rc = cli_resolve_generation(&l, "show", pos[0], &number);
	if (rc == CLI_OK) {
		if (store_main(l.store, &live) < 0)
			live = -1;  /* shown without the live mark; host log names the fault */
		if (store_read(l.store, number, &g, NULL) < 0) {
			rc = cli_fail("show", "%s", err_last());
		} else {
			record initial;
			int has_initial = lab_initial(&initial, &l, number) == 0;

			show_record(&g, live, has_initial ? &initial : NULL);
			if (has_initial)
				record_free(&initial);
			show_solutions(&l, &g);
			if (g.parent >= 0 && store_diff(l.store, g.parent, number, &diff) == 0)
				cli_print("diff against gen_%03d\n%s", g.parent,
					  diff.len ? diff.data : "(no changes)\n");
			record_free(&g);
		}
	}
	buf_free(&diff);
	lab_close(&l);
	return rc;
}

static int run_diff(int argc, char **argv)
{
	const char *dir = ".", *pos[2];
	const arg_option opts[] = {
		{ "--dir", ARG_STRING, &dir, 0, 0 }, { NULL, ARG_FLAG, NULL, 0, 0 },
	};
	int n, a, b, rc;
	buf diff = BUF_INIT;
	lab l;

	if (args_parse(opts, argc, argv, pos, 2, &n) < 0)
		return cli_usage("diff", "%s", err_last());
	if (n < 2)
		return cli_usage("diff", "expects two generations (for example: host diff gen_000 gen_005)");
	if ((rc = open_reader(&l, "diff", dir)) != CLI_OK)
		return rc;
	if ((rc = cli_resolve_generation(&l, "diff", pos[0], &a)) == CLI_OK &&
	    (rc = cli_resolve_generation(&l, "diff", pos[1], &b)) == CLI_OK) {
		if (store_diff(l.store, a, b, &diff) < 0)
			rc = cli_fail("diff", "%s", err_last());
		else
			cli_print("%s", diff.len ? diff.data : "");
	}
	buf_free(&diff);
	lab_close(&l);
	return rc;
}

const cli_command cli_log = { "log", "list generations: host log [--all]", log_help, run_log };
const cli_command cli_show = { "show", "show a generation (default: the live one): host show gen_003", show_help, run_show };
const cli_command cli_diff = { "diff", "diff two generations: host diff gen_000 gen_005",
			       diff_help, run_diff };

static const char report_help[] =
	"usage: host report [-o FILE] [--dir D]\n"
	"\n"
	"Writes one self-contained HTML page (default: report.html): charts of\n"
	"fitness per generation, each task's training and held-out score in its\n"
	"own units with its initial.c's, the family tree and spend per\n"
	"generation (offline: a line saying so); a table of generations; and\n"
	"for each its diff, validation and a trace of what its agents did.\n";

static int run_report(int argc, char **argv)
{
	const char *dir = ".", *path = "report.html", *pos[1];
	const arg_option opts[] = {
		{ "-o", ARG_STRING, &path, 0, 0 }, { "--dir", ARG_STRING, &dir, 0, 0 },
		{ NULL, ARG_FLAG, NULL, 0, 0 },
	};
	buf html = BUF_INIT;
	int n, rc;
	lab l;

	if (args_parse(opts, argc, argv, pos, 0, &n) < 0)
		return cli_usage("report", "%s", err_last());
	if ((rc = open_reader(&l, "report", dir)) != CLI_OK)
		return rc;
	if (report_write(&html, &l) < 0 || os_write_file(path, html.data, html.len) < 0)
		rc = cli_fail("report", "%s", err_last());
	else
		printf("wrote %s (%zu bytes)\n", path, html.len);
	buf_free(&html);
	lab_close(&l);
	return rc;
}

const cli_command cli_report = { "report", "write an HTML report: host report -o report.html",
				 report_help, run_report };
