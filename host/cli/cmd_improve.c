/*
 * cmd_improve.c - `host improve`: run the task agent once on a task.
 *
 * The agent only proposes; the host measures (improve.c): both the
 * initial and the returned solution, on training and held-out cases.
 */
#include "args.h"
#include "cli.h"
#include "error.h"
#include "improve.h"
#include "options.h"
#include "os.h"
#include "print.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPROVE_DEFAULT_BUDGET 100
#define IMPROVE_DEFAULT_MS 600000

static const char improve_help[] =
	"usage: host improve TASK [--budget N] [--seconds S] [--agent DIR] [--seed S]\n"
	"                    [-o FILE] [--tasks-dir DIR] [--verbose]\n"
	"                    [--executor local|slurm] [--slurm-args \"...\"]\n"
	"\n"
	"Runs the task agent once, sandboxed, to improve TASK's initial solution\n"
	"with at most N evaluations. Prints the initial and the improved scores,\n"
	"both measured by the host on training and held-out cases, and writes the\n"
	"improved solution. An agent that times out or crashes after scoring\n"
	"solutions leaves the best of them, which is measured and written.\n"
	"\n"
	"Options:\n"
	"  --budget N    evaluations the agent may use (default 100)\n"
	"  --seconds S   the agent's own wall time (default 600); waiting for the\n"
	"                model does not count (see --llm-run-seconds)\n"
	"  --agent DIR   agent files (default: agent_code/ if present, else seed/)\n"
	"  --seed S      seed of the agent's host_rand (default 1)\n"
	"  -o FILE       where to write the improved solution\n"
	"                (default: TASK_improved.c)\n"
	"  --tasks-dir DIR  where task folders are\n"
	"  --verbose     print the agent's log lines (here only: a Slurm step's\n"
	"                are not sent back)\n"
	CLI_EXECUTOR_HELP
	CLI_LLM_HELP;

/* A held-out run that failed says how, in place of a score it has not. */
static void print_scores(const char *label, const eval_result *train, const eval_result *holdout)
{
	char held[64], score[32];

	if (holdout->status == SANDBOX_OK)
		cli_score(held, holdout->score);
	else
		snprintf(held, sizeof(held), "failed: %s", sandbox_status_name(holdout->status));
	printf("%-9s train %-10s held-out %-10s (%s)\n", label, cli_score(score, train->score), held,
	       sandbox_status_name(train->status));
}

/* The model calls that failed, from the run's trace: why the agent had
 * less help than it asked for. */
static void print_failed_calls(const json_t *trace)
{
	const json_t *event;
	size_t i;
	int call = 0;

	json_array_foreach(trace, i, event) {
		const char *status = json_string_value(json_object_get(event, "status"));
		const char *kind = json_string_value(json_object_get(event, "event"));

		if (!kind || strcmp(kind, "llm") != 0)
			continue;
		call++;
		if (status && strcmp(status, "ok") != 0)
			cli_print_line("model     call %d failed: %s", call, status);
	}
}

static int improve(task *t, const agent_files *files, const agent_run_options *o,
		   const evolve_executor *x, const char *out_path)
{
	improve_result r;
	int rc;

	if (evolve_improve(&r, t, files, o, x) < 0)
		return cli_fail("improve", "%s", err_last());
	if (r.run.outcome.status != SANDBOX_OK && !r.run.kept_best) {
		cli_agent_failure("task", &r.run.outcome);
		rc = cli_fail("improve", "%s", err_last());
		improve_result_free(&r);
		return rc;
	}
	if (r.run.kept_best) {
		char *why = agent_run_problem(&r.run);

		cli_print_line("agent     %s", why ? why : "failed; its best scored solution was kept");
		free(why);
	}
	printf("task      %s\nbudget    %d evaluations, %d used, %.1f s\n", t->name, o->evals,
	       r.run.evals_used, r.seconds);
	if (o->agent->llm)
		printf("llm       %ld calls, %ld tokens in, %ld out, $%.4f (%s)\n", r.run.llm_used.calls,
		       r.run.llm_used.tokens_in, r.run.llm_used.tokens_out, r.run.llm_used.usd,
		       llm_describe(o->agent->llm));
	print_failed_calls(r.run.trace);
	print_scores("initial", &r.initial_train, &r.initial_holdout);
	print_scores("improved", &r.train, &r.holdout);
	rc = os_write_file(out_path, r.solution, strlen(r.solution)) < 0
		? cli_fail("improve", "%s", err_last()) : CLI_OK;
	if (rc == CLI_OK)
		printf("written   %s\n", out_path);
	improve_result_free(&r);
	return rc;
}

static int run_improve(int argc, char **argv)
{
	const char *pos[1], *agent_dir = NULL, *out_path = NULL, *tasks_dir = NULL, *executor = NULL;
	evolve_executor x = { 0, NULL };
	unsigned long long seed = 1;
	int budget = IMPROVE_DEFAULT_BUDGET, verbose = 0, llm_calls = CLI_DEFAULT_LLM_CALLS, n, rc;
	long wall_ms = IMPROVE_DEFAULT_MS;
	llm_options lo = CLI_LLM_DEFAULTS;
	llm_client *llm = NULL;
	const arg_option opts[] = {
		CLI_LLM_OPTIONS(lo),
		{ "--llm-calls", ARG_INT, &llm_calls, 1, CLI_MAX_LLM_CALLS },
		{ "--budget", ARG_INT, &budget, 1, CLI_MAX_BUDGET },
		{ "--seconds", ARG_SECONDS, &wall_ms, 1, CLI_MAX_AGENT_SECONDS },
		{ "--agent", ARG_STRING, &agent_dir, 0, 0 },
		{ "--seed", ARG_UINT, &seed, 0, CLI_MAX_SEED },
		{ "-o", ARG_STRING, &out_path, 0, 0 },
		{ "--tasks-dir", ARG_STRING, &tasks_dir, 0, 0 },
		{ "--verbose", ARG_FLAG, &verbose, 0, 0 },
		CLI_EXECUTOR_OPTIONS(executor, x),
		{ NULL, ARG_FLAG, NULL, 0, 0 },
	};
	char default_out[128];
	agent_files files;
	task *t;

	if (args_parse(opts, argc, argv, pos, 1, &n) < 0)
		return cli_usage("improve", "%s", err_last());
	if (n == 0)
		return cli_usage("improve", "missing TASK (for example: host improve snake)");
	if ((rc = cli_set_executor(&x, "improve", executor)) != CLI_OK)
		return rc;
	if ((rc = cli_load_task(&t, "improve", tasks_dir, pos[0])) != CLI_OK)
		return rc;
	if ((rc = cli_open_llm(&llm, "improve", &lo)) == CLI_OK &&
	    (rc = cli_load_agents(&files, "improve", agent_dir)) == CLI_OK) {
		/* named calls: a replay then gives the agent the recorded
		 * evaluation times its prompts quote (llm_measured) */
		agent_options ao = { .llm = llm, .llm_calls = llm_calls,
				     .echo = verbose ? cli_echo_agent_log : NULL };
		agent_run_options o = { .agent = &ao, .limits = { (int)wall_ms, 600000, 512 },
					.evals = budget, .seed = seed, .llm_tag = "improve" };
		snprintf(default_out, sizeof(default_out), "%.100s_improved.c", t->name);
		rc = improve(t, &files, &o, &x, out_path ? out_path : default_out);
		agents_free(&files);
	}
	cli_close_llm(llm);
	task_free(t);
	return rc;
}

const cli_command cli_improve = {
	"improve", "run the task agent once: host improve snake --budget 200",
	improve_help, run_improve,
};
