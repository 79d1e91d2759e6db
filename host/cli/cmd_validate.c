/*
 * cmd_validate.c - `host validate`: run the validation cascade on an agent
 * directory and show every stage's verdict and diagnostics.
 */
#include "args.h"
#include "cli.h"
#include "error.h"
#include "print.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char validate_help[] =
	"usage: host validate [DIR] [--json] [--task NAME] [--tasks-dir DIR]\n"
	"\n"
	"Validates the agent files in DIR (default: agent_code/ if it exists,\n"
	"else seed/), stopping at the first stage that fails:\n"
	"  compile     the files compile\n"
	"  symbols     the entry points exist; every external reference is in the\n"
	"              allowlist; the exported names are listed\n"
	"  signatures  the definitions match agent.h's prototypes\n"
	"  smoke       each entry point runs once in a sandbox on a budget of 2\n"
	"              evaluations and returns within 2 s of its own, plus the\n"
	"              task's limit for those evaluations\n"
	"\n"
	"Options:\n"
	"  --json        print one JSON object\n"
	"  --task NAME   the task the smoke run uses (default: snake)\n"
	"  --tasks-dir DIR  where task folders are\n"
	"\n"
	"Exit status: 0 if valid, 1 if a stage fails, 2 on a usage error.\n";

static void print_json(const char *dir, const validate_report *r)
{
	json_t *stages = json_array(), *obj;
	int i;

	for (i = 0; i < VALIDATE_STAGES; i++) {
		const validate_stage *st = &r->stages[i];
		json_array_append_new(stages, json_pack("{s:s, s:s, s:s}", "stage", st->name,
			"status", !st->ran ? "skipped" : st->passed ? "pass" : "fail",
			"diagnostics", st->diagnostics ? st->diagnostics : ""));
	}
	obj = json_pack("{s:s, s:b, s:s?, s:o, s:s}", "dir", dir, "valid", r->valid,
			"failed_stage", r->failed >= 0 ? r->stages[r->failed].name : NULL,
			"stages", stages, "exports", r->exports ? r->exports : "");
	cli_print_json(obj, JSON_INDENT(2));
	json_decref(obj);
}

static int run_validate(int argc, char **argv)
{
	const char *pos[1], *task_name = "snake", *tasks_dir = NULL, *dir;
	int json = 0, n, rc;
	const arg_option opts[] = {
		{ "--json", ARG_FLAG, &json, 0, 0 },
		{ "--task", ARG_STRING, &task_name, 0, 0 },
		{ "--tasks-dir", ARG_STRING, &tasks_dir, 0, 0 },
		{ NULL, ARG_FLAG, NULL, 0, 0 },
	};
	agent_files files;
	validate_report report;
	task *t;

	if (args_parse(opts, argc, argv, pos, 1, &n) < 0)
		return cli_usage("validate", "%s", err_last());
	dir = n ? pos[0] : agents_default_dir();
	if ((rc = cli_load_agents(&files, "validate", dir)) != CLI_OK)
		return rc;
	if ((rc = cli_load_task(&t, "validate", tasks_dir, task_name)) != CLI_OK) {
		agents_free(&files);
		return rc;
	}
	if (validate_agents(&report, &files, t) < 0) {
		rc = cli_fail("validate", "%s", err_last());
	} else {
		if (json)
			print_json(dir, &report);
		else {
			cli_print_validation(&report);
			printf(report.valid ? "%s: valid\n" : "%s: not valid (stopped at %s)\n", dir,
			       report.valid ? "" : report.stages[report.failed].name);
		}
		rc = report.valid ? CLI_OK : CLI_FAILED;
	}
	validate_report_free(&report);
	task_free(t);
	agents_free(&files);
	return rc;
}

const cli_command cli_validate = {
	"validate", "check an agent directory: compile, symbols, signatures, smoke",
	validate_help, run_validate,
};
