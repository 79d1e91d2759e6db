/*
 * cmd_improve.c - `host improve`: run the task agent once on a task.
 *
 * The agent only proposes; the host measures. Both the initial and the
 * returned solution are scored here, on training and held-out cases, by
 * the same evaluation every other command uses.
 */
#include "agent_run.h"
#include "args.h"
#include "cli.h"
#include "error.h"
#include "eval.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPROVE_DEFAULT_BUDGET 100

static const char improve_help[] =
	"usage: host improve TASK [--budget N] [--agent DIR] [--seed S] [-o FILE]\n"
	"                    [--tasks-dir DIR] [--verbose]\n"
	"\n"
	"Runs the task agent once, sandboxed, to improve TASK's initial solution\n"
	"with at most N evaluations. Prints the initial and the improved scores,\n"
	"both measured by the host on training and held-out cases, and writes the\n"
	"improved solution.\n"
	"\n"
	"Options:\n"
	"  --budget N    evaluations the agent may use (default 100)\n"
	"  --agent DIR   agent files (default: agent_code/ if present, else seed/)\n"
	"  --seed S      seed of the agent's host_rand (default 1)\n"
	"  -o FILE       where to write the improved solution\n"
	"                (default: TASK_improved.c)\n"
	"  --tasks-dir DIR  where task folders are\n"
	"  --verbose     print the agent's log lines\n"
	CLI_LLM_HELP;

typedef struct {
	eval_result train, holdout;
} scores;

static int score_both(scores *s, task *t, const char *name, const char *source)
{
	int rc = eval_solution(&s->train, t, name, source, EVAL_TRAIN);

	if (rc == 0 && (rc = eval_solution(&s->holdout, t, name, source, EVAL_HOLDOUT)) < 0)
		eval_result_free(&s->train);
	return rc;
}

static void print_scores(const char *label, const scores *s)
{
	printf("%-9s train %-10g held-out %-10g (%s)\n", label, s->train.score,
	       s->holdout.score, sandbox_status_name(s->train.status));
}

static int improve(task *t, const agent_files *files, int budget,
		   unsigned long long seed, const char *out_path, int verbose,
		   llm_client *llm, int llm_calls)
{
	sandbox_limits limits = { 600000, 600000, 512 };
	scores before = { 0 }, after = { 0 };
	agent_run_result run;
	const char *improved;
	double start = os_now_ms();
	broker b;
	int rc;

	if (score_both(&before, t, "initial.c", t->initial_text) < 0)
		return cli_fail("improve", "%s", err_last());
	broker_init(&b, t, files, budget, limits.wall_ms / 1000.0);
	b.echo = verbose ? cli_echo_agent_log : NULL;
	broker_offer_llm(&b, llm, llm_calls);
	rc = agent_run(&run, files, "task_agent_improve", t->initial_text, &b, &limits, seed);
	if (rc < 0) {
		rc = cli_fail("improve", "%s", err_last());
		goto done_broker;
	}
	if (run.outcome.status != SANDBOX_OK) {
		cli_agent_failure("task", &run.outcome);
		rc = cli_fail("improve", "%s", err_last());
		goto done_run;
	}
	improved = run.result ? run.result : t->initial_text;
	if (score_both(&after, t, "improved.c", improved) < 0) {
		rc = cli_fail("improve", "%s", err_last());
		goto done_run;
	}
	printf("task      %s\nbudget    %d evaluations, %d used, %.1f s\n", t->name, budget,
	       b.budget.evals_used, (os_now_ms() - start) / 1000.0);
	if (llm)
		printf("llm       %ld calls, %ld tokens in, %ld out, $%.4f (%s)\n", b.llm_used.calls,
		       b.llm_used.tokens_in, b.llm_used.tokens_out, b.llm_used.usd, llm_describe(llm));
	print_scores("initial", &before);
	print_scores("improved", &after);
	rc = os_write_file(out_path, improved, strlen(improved)) < 0
		? cli_fail("improve", "%s", err_last()) : CLI_OK;
	if (rc == CLI_OK)
		printf("written   %s\n", out_path);
	eval_result_free(&after.train);
	eval_result_free(&after.holdout);
done_run:
	agent_run_result_free(&run);
done_broker:
	broker_free(&b);
	eval_result_free(&before.train);
	eval_result_free(&before.holdout);
	return rc;
}

static int run_improve(int argc, char **argv)
{
	const char *pos[1], *agent_dir = NULL, *out_path = NULL, *tasks_dir = NULL;
	unsigned long long seed = 1;
	int budget = IMPROVE_DEFAULT_BUDGET, verbose = 0, llm_calls = CLI_DEFAULT_LLM_CALLS, n, rc;
	llm_options lo = { .provider = NULL };
	llm_client *llm = NULL;
	const arg_option opts[] = {
		CLI_LLM_OPTIONS(lo),
		{ "--llm-calls", ARG_INT, &llm_calls, 1, CLI_MAX_LLM_CALLS },
		{ "--budget", ARG_INT, &budget, 1, CLI_MAX_BUDGET },
		{ "--agent", ARG_STRING, &agent_dir, 0, 0 },
		{ "--seed", ARG_UINT, &seed, 0, CLI_MAX_SEED },
		{ "-o", ARG_STRING, &out_path, 0, 0 },
		{ "--tasks-dir", ARG_STRING, &tasks_dir, 0, 0 },
		{ "--verbose", ARG_FLAG, &verbose, 0, 0 },
		{ NULL, ARG_FLAG, NULL, 0, 0 },
	};
	char default_out[128];
	agent_files files;
	task *t;

	if (args_parse(opts, argc, argv, pos, 1, &n) < 0)
		return cli_usage("improve", "%s", err_last());
	if (n == 0)
		return cli_usage("improve", "missing TASK (for example: host improve snake)");
	if ((rc = cli_load_task(&t, "improve", tasks_dir, pos[0])) != CLI_OK)
		return rc;
	if ((rc = cli_open_llm(&llm, "improve", &lo)) == CLI_OK &&
	    (rc = cli_load_agents(&files, "improve", agent_dir)) == CLI_OK) {
		snprintf(default_out, sizeof(default_out), "%.100s_improved.c", t->name);
		rc = improve(t, &files, budget, seed, out_path ? out_path : default_out, verbose,
			     llm, llm_calls);
		agents_free(&files);
	}
	llm_close(llm);
	task_free(t);
	return rc;
}

const cli_command cli_improve = {
	"improve", "run the task agent once: host improve snake --budget 200",
	improve_help, run_improve,
};
