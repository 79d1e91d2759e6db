/*
 * cmd_rubric.c - `host rubric TASK`: the model drafts the task's rubric
 * checks into a file the user reviews (rubric_draft.c does the work).
 */
#include "args.h"
#include "cli.h"
#include "error.h"
#include "options.h"
#include "print.h"
#include "rubric_draft.h"

#include <stdio.h>

static const char rubric_help[] =
	"usage: host rubric TASK [--out FILE] [--force] [--tasks-dir DIR] [LLM options]\n"
	"\n"
	"Drafts rubric checks for every training and held-out case of TASK with a\n"
	"language model, one call a case: each prompt holds the task's description,\n"
	"its headers (the knowledge base) and the case's question. The draft is\n"
	"written only when every reply is well formed and the whole passes the\n"
	"rubric checks of host check-task; it goes to rubric.draft.json in the task\n"
	"folder, never to rubric.json: review and edit it, then rename it. Needs a\n"
	"model (--llm, $HOST_LLM, or --replay of a record).\n"
	"\n"
	"Options:\n"
	"  --out FILE    where to write the draft (default: TASKDIR/rubric.draft.json)\n"
	"  --force       replace FILE if it exists (default: refuse)\n"
	"  --tasks-dir DIR  where task folders are\n"
	CLI_LLM_HELP
	"\n"
	"Exit status: 0 when the draft is written, 1 when it is not, 2 on a usage\n"
	"error.\n";

static void print_result(const rubric_draft_result *r, const task *t, llm_client *llm)
{
	cli_print_line("drafted   %zu checks for the %zu training and %zu held-out cases of %s",
		       r->checks, t->n_train, t->n_holdout, t->name);
	cli_print_line("llm       %ld calls, %ld tokens in, %ld out, $%.4f (%s)", r->used.calls,
		       r->used.tokens_in, r->used.tokens_out, r->used.usd, llm_describe(llm));
	cli_print_line("written   %s: review it, rename it rubric.json, then run host "
		       "check-task %s", r->path, t->name);
}

static int run_rubric(int argc, char **argv)
{
	const char *pos[1], *tasks_dir = NULL;
	rubric_draft_options o = { NULL, 0 };
	llm_options lo = CLI_LLM_DEFAULTS;
	int n, rc;
	const arg_option opts[] = {
		CLI_LLM_OPTIONS(lo),
		{ "--out", ARG_STRING, &o.path, 0, 0 },
		{ "--force", ARG_FLAG, &o.force, 0, 0 },
		{ "--tasks-dir", ARG_STRING, &tasks_dir, 0, 0 },
		{ NULL, ARG_FLAG, NULL, 0, 0 },
	};
	rubric_draft_result r;
	llm_client *llm = NULL;
	task *t;

	if (args_parse(opts, argc, argv, pos, 1, &n) < 0)
		return cli_usage("rubric", "%s", err_last());
	if (n == 0)
		return cli_usage("rubric", "name the task: host rubric TASK");
	if ((rc = cli_load_task(&t, "rubric", tasks_dir, pos[0])) != CLI_OK)
		return rc;
	if ((rc = cli_open_llm(&llm, "rubric", &lo)) != CLI_OK) {
		task_free(t);
		return rc;
	}
	if (rubric_draft(&r, t, llm, &o) < 0)
		rc = cli_fail("rubric", "%s", err_last());
	else
		print_result(&r, t, llm);
	rubric_draft_result_free(&r);
	cli_close_llm(llm);
	task_free(t);
	return rc;
}

const cli_command cli_rubric = {
	"rubric", "draft a quality task's rubric checks with a model, for review",
	rubric_help, run_rubric,
};
