/*
 * cmd_solution.c - `host solution`: the solution a generation's task agent
 * returned for a task, as the host scored it.
 *
 * For a user the solutions are the point of a run, so every generation
 * keeps them in its tree (solutions/TASK.c); this prints or writes one,
 * by default the lab's best on training, and says its held-out score so
 * that nobody mistakes a training score for what to expect.
 */
#include "args.h"
#include "cli.h"
#include "error.h"
#include "lab.h"
#include "os.h"
#include "print.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char solution_help[] =
	"usage: host solution TASK [GEN] [-o FILE] [--dir D]\n"
	"\n"
	"Prints the solution of TASK that generation GEN's task agent returned\n"
	"and the host scored, or writes it to FILE. Every generation keeps its\n"
	"solutions in its tree, as solutions/TASK.c, so that git shows them\n"
	"evolving: git -C generations diff gen_000 gen_006 -- solutions/.\n"
	"Without GEN: the lab's best on training for TASK (the first generation\n"
	"to reach it). Which generation, and the solution's training and\n"
	"held-out scores, are said on stderr (on stdout with -o); a held-out\n"
	"run that failed is said with its status, and warned of on stderr.\n"
	"\n"
	"Options:\n"
	"  -o FILE          write the solution to FILE instead\n"
	"  --dir D          the lab directory (default: .)\n";

static int find_best(lab *l, const char *name, int *out)
{
	lab_best b;

	if (lab_best_solution(&b, l, name) < 0)
		return cli_fail("solution", "%s", err_last());
	if (b.number < 0 && b.seen && b.failed == b.seen)
		return cli_fail("solution", "every run of a %s solution on the training cases "
				"failed (host show says why): there is no best one", name);
	if (b.number < 0)
		return b.seen ? cli_fail("solution", "no generation of this lab kept a %s solution: "
					 "they were recorded before host kept solutions; run host "
					 "evolve", name)
			      : cli_fail("solution", "no generation of this lab was measured on a "
					 "task named '%s' (its tasks: %s)", name,
					 b.tasks[0] ? b.tasks : "none");
	*out = b.number;
	return CLI_OK;
}

/* "gen_006's snake solution: training 32.75, held-out 30.94"; *failed:
 * whether its held-out run failed, which the user is warned of: its
 * training score says nothing of how it does on cases it has not seen. */
static void describe(char *out, size_t size, int *failed, lab *l, int number,
		     const char *name)
{
	const record_task *t;
	char holdout[64];
	record r;

	*failed = 0;
	snprintf(out, size, "gen_%03d's %s solution", number, name);
	if (store_read(l->store, number, &r, NULL) < 0)
		return;  /* the solution is there; its scores go unsaid */
	if ((t = record_find_task(&r, name)) != NULL) {
		buf train = BUF_INIT;
		cli_train_text(&train, t);
		snprintf(out, size, "gen_%03d's %s solution: training %s, held-out %s", number,
			 name, buf_cstr(&train), cli_holdout_score(holdout, sizeof(holdout), t));
		*failed = record_holdout_failed(t);
		buf_free(&train);
	}
	record_free(&r);
}

static int give(lab *l, int number, const char *name, const char *path)
{
	char about[300], *text;
	int failed;

	if (store_solution(l->store, number, name, &text) < 0)
		return cli_fail("solution", "%s", err_last());
	describe(about, sizeof(about), &failed, l, number, name);
	if (failed)
		cli_eprint_line("host solution: warning: gen_%03d's held-out run of this "
				"solution failed; it is not known to work beyond the training "
				"cases", number);
	if (!path) {
		if (isatty(STDOUT_FILENO))  /* shown: generated code may hold controls */
			cli_print("%s", text);
		else  /* kept: the code as the host scored it */
			fputs(text, stdout);
		fprintf(stderr, "%s\n", about);
	} else if (os_write_file(path, text, strlen(text)) < 0) {
		free(text);
		return cli_fail("solution", "%s", err_last());
	} else {
		printf("wrote %s: %s\n", path, about);
	}
	free(text);
	return CLI_OK;
}

static int run_solution(int argc, char **argv)
{
	const char *dir = ".", *path = NULL, *pos[2];
	const arg_option opts[] = {
		{ "--dir", ARG_STRING, &dir, 0, 0 }, { "-o", ARG_STRING, &path, 0, 0 },
		{ NULL, ARG_FLAG, NULL, 0, 0 },
	};
	int n, number, rc;
	lab l;

	if (args_parse(opts, argc, argv, pos, 2, &n) < 0)
		return cli_usage("solution", "%s", err_last());
	if (n == 0)
		return cli_usage("solution", "missing TASK (for example: host solution snake)");
	if (lab_open(&l, dir, 0) < 0)
		return cli_fail("solution", "%s", err_last());
	rc = n == 2 ? cli_resolve_generation(&l, "solution", pos[1], &number)
		    : find_best(&l, pos[0], &number);
	if (rc == CLI_OK)
		rc = give(&l, number, pos[0], path);
	lab_close(&l);
	return rc;
}

const cli_command cli_solution = {
	"solution", "print or write a generation's solution: host solution snake -o best.c",
	solution_help, run_solution,
};
