/*
 * cmd_rewrite.c - `host rewrite`: run the meta agent once, write the
 * candidate it proposes, show the diff and validate it.
 */
#include "args.h"
#include "cli.h"
#include "diff.h"
#include "error.h"
#include "options.h"
#include "os.h"
#include "print.h"
#include "rewrite.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char rewrite_help[] =
	"usage: host rewrite -o DIR [--agent DIR] [--seed S] [--archive FILE]\n"
	"                    [--seconds S] [--tasks-dir DIR] [--verbose]\n"
	"\n"
	"Runs the meta agent once, sandboxed, on the agent files, writes the\n"
	"candidate files to a new or empty directory DIR, prints the unified diff\n"
	"against the input and validates the candidate.\n"
	"\n"
	"Options:\n"
	"  -o DIR          where to write the candidate (must be new or empty)\n"
	"  --agent DIR     agent files (default: agent_code/ if present, else seed/)\n"
	"  --seed S        seed of the agent's host_rand (default 1)\n"
	"  --archive FILE  the archive given to the meta agent: a JSON object as\n"
	"                  evolve passes (see agent.h), or an array of\n"
	"                  generations; default: {}\n"
	"  --seconds S     the meta agent's own wall time (default 60); waiting\n"
	"                  for the model does not count (see --llm-run-seconds)\n"
	"  --tasks-dir DIR where task folders are (the smoke test uses snake)\n"
	"  --verbose       print the agent's log lines\n"
	CLI_LLM_HELP
	"\n"
	"Exit status: 0 if the candidate is valid, 1 otherwise.\n";

static int dir_is_empty_or_missing(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	int empty = 1;

	if (!d)
		return !os_is_file(dir);
	while (empty && (ent = readdir(d)) != NULL)
		empty = strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* Why the meta agent proposed nothing, as the command's failure. */
static int no_proposal(const rewrite_result *r)
{
	if (r->run.outcome.status != SANDBOX_OK)
		cli_agent_failure("meta", &r->run.outcome);
	else
		err_set(ERR_GENERIC, "the meta agent proposed nothing (it returned %d)",
			r->run.status);
	return cli_fail("rewrite", "%s", err_last());
}

static int rewrite(const agent_files *files, const char *out_dir, const char *archive,
		   task *smoke, const agent_run_options *o)
{
	rewrite_result r;
	buf diff = BUF_INIT;
	int rc;

	if (rewrite_agents(&r, files, archive, smoke, o) < 0)
		return cli_fail("rewrite", "%s", err_last());
	if (!r.proposed)
		rc = no_proposal(&r);
	else if (agents_write(&r.candidate, out_dir) < 0 ||
		 diff_agent_files(&diff, files, &r.candidate) < 0)
		rc = cli_fail("rewrite", "%s", err_last());
	else {
		cli_print("%s", diff.len ? diff.data : "(no changes)\n");
		printf("written   %s\n", out_dir);
		cli_print_validation(&r.report);
		printf("%s: %s\n", out_dir, r.report.valid ? "valid" : "not valid");
		rc = r.report.valid ? CLI_OK : CLI_FAILED;
	}
	buf_free(&diff);
	rewrite_result_free(&r);
	return rc;
}

static int run_rewrite(int argc, char **argv)
{
	const char *pos[1], *agent_dir = NULL, *out_dir = NULL, *archive_path = NULL;
	const char *tasks_dir = NULL;
	unsigned long long seed = 1;
	int verbose = 0, llm_calls = CLI_DEFAULT_LLM_CALLS, n, rc;
	long wall_ms = EVOLVE_META_MS;
	llm_options lo = CLI_LLM_DEFAULTS;
	llm_client *llm = NULL;
	const arg_option opts[] = {
		CLI_LLM_OPTIONS(lo),
		{ "--llm-calls", ARG_INT, &llm_calls, 1, CLI_MAX_LLM_CALLS },
		{ "-o", ARG_STRING, &out_dir, 0, 0 },
		{ "--agent", ARG_STRING, &agent_dir, 0, 0 },
		{ "--seed", ARG_UINT, &seed, 0, CLI_MAX_SEED },
		{ "--archive", ARG_STRING, &archive_path, 0, 0 },
		{ "--seconds", ARG_SECONDS, &wall_ms, 1, CLI_MAX_AGENT_SECONDS },
		{ "--tasks-dir", ARG_STRING, &tasks_dir, 0, 0 },
		{ "--verbose", ARG_FLAG, &verbose, 0, 0 },
		{ NULL, ARG_FLAG, NULL, 0, 0 },
	};
	char *archive = NULL;
	agent_files files;
	task *smoke;

	if (args_parse(opts, argc, argv, pos, 0, &n) < 0)
		return cli_usage("rewrite", "%s", err_last());
	if (!out_dir)
		return cli_usage("rewrite", "missing -o DIR (where to write the candidate)");
	if (!dir_is_empty_or_missing(out_dir))
		return cli_fail("rewrite", "%s is not empty; give a new directory", out_dir);
	if (archive_path && os_read_file(&archive, NULL, archive_path) < 0)
		return cli_fail("rewrite", "%s", err_last());
	if ((rc = cli_load_task(&smoke, "rewrite", tasks_dir, "snake")) == CLI_OK) {
		if ((rc = cli_open_llm(&llm, "rewrite", &lo)) == CLI_OK &&
		    (rc = cli_load_agents(&files, "rewrite", agent_dir)) == CLI_OK) {
			agent_options ao = { .llm = llm, .llm_calls = llm_calls,
					     .echo = verbose ? cli_echo_agent_log : NULL };
			agent_run_options o = { .agent = &ao,
						.limits = { (int)wall_ms, (int)wall_ms, 256 },
						.seed = seed };
			rc = rewrite(&files, out_dir, archive ? archive : "{}", smoke, &o);
			agents_free(&files);
		}
		cli_close_llm(llm);
		task_free(smoke);
	}
	free(archive);
	return rc;
}

const cli_command cli_rewrite = {
	"rewrite", "run the meta agent once: host rewrite -o candidate/",
	rewrite_help, run_rewrite,
};
