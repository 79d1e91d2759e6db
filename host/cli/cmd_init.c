/*
 * cmd_init.c - `host init`: create a lab from the seed agents, with
 * gen_000 measured as evolve will measure its candidates (with the model,
 * when one is given) and the evaluation settings kept in the lab.
 */
#include "args.h"
#include "cli.h"
#include "error.h"
#include "evolve.h"
#include "options.h"
#include "os.h"
#include "print.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char init_help[] =
	"usage: host init [--dir D] [--from DIR] [--tasks a,b] [--budget N] [--seed S]\n"
	"                 [--trials N] [--utility score=1,cost=0,time=0] [-j N]\n"
	"                 [--carry] [--tasks-dir DIR] [--llm P[:MODEL]] [LLM options]\n"
	"                 [--executor local|slurm] [--slurm-args \"...\"]\n"
	"\n"
	"Creates a lab in D (default: the current directory): agent_code/ and\n"
	"generations/ from the seed agents, which are validated, evaluated and\n"
	"committed as gen_000. An existing lab is refused and left unchanged.\n"
	"With --llm, gen_000 is measured with the model, as evolve will measure\n"
	"its candidates; evolve measures a parent again when it runs otherwise.\n"
	"\n"
	"Options:\n"
	"  --dir D          the lab directory (default: .)\n"
	"  --from DIR       the seed agents (default: ./seed, else the seed\n"
	"                   installed beside host)\n"
	"  --tasks a,b      training tasks (default: every task but timed ones,\n"
	"                   such as sort, whose scores vary from run to run,\n"
	"                   and those task.json marks \"default\": false, such as\n"
	"                   circles)\n"
	"  --budget N       evaluations per task per generation (default 12)\n"
	"  --seed S         seed of the evaluations (default 1)\n"
	"  --trials N       runs of the task agent per task, whose mean counts\n"
	"                   (default 1; more for agents that use a model)\n"
	"  --utility W      fitness weights, e.g. score=1,cost=0,time=0.01 subtracts\n"
	"                   0.01 per second of evaluation (cost is in dollars)\n"
	"  --carry          carry solutions: each task agent starts from its parent\n"
	"                   generation's solution for the task, not from initial.c,\n"
	"                   so a model's work is bought once and built on; fitness\n"
	"                   then measures the lineage's solutions, not the agent\n"
	"                   alone (default: off; host.carry in generations/config)\n"
	"  --tasks-dir DIR  where task folders are\n"
	"  -j N, --jobs N   evaluate N tasks at once in worker processes\n"
	CLI_EXECUTOR_HELP
	CLI_LIMIT_HELP
	CLI_LLM_HELP
	"\n"
	"These evaluation settings and limits are kept in the lab: every\n"
	"generation is measured the same way.\n";

static int find_seed(char **out, const char *from)
{
	if (from || os_is_dir("seed")) {
		*out = strdup(from ? from : "seed");
		return 0;
	}
	return os_beside_exe(out, "../seed");
}

/* The evaluation settings, kept in the lab so that every generation is
 * measured the same way; the utility and the agents' limits only when
 * given. */
static settings kept_settings(const evolve_eval_options *eo, char *names, int has_utility)
{
	settings keep = { .tasks = names, .budget = eo->budget, .has_seed = 1, .seed = eo->seed,
			  .has_utility = has_utility, .utility = eo->utility,
			  .meta_ms = eo->meta_ms, .agent_ms = eo->agent_slack_ms,
			  .trials = eo->trials > 1 ? eo->trials : 0, .carry = eo->carry };

	return keep;
}

static int init_lab(const char *dir, const agent_files *seed,
		    const evolve_eval_options *eo, const char *utility, const char *tasks_dir)
{
	char *names = cli_task_names(eo->tasks, eo->n_tasks), *root = NULL;
	settings keep = kept_settings(eo, names, utility != NULL);
	record gen0;
	int rc = names ? cli_tasks_root(&root, tasks_dir) : err_set(ERR_SYSTEM, "out of memory");

	keep.tasks_dir = root;  /* later commands find the same tasks, from anywhere */
	if (rc == 0)
		rc = evolve_init(&gen0, dir, seed, eo, &keep);
	free(root);

	if (rc == 0) {
		printf("gen_000  fitness %.4f  held-out %.4f  (tasks %s, %d evaluations each, %s%s)\n"
		       "lab ready in %s: agent_code/ and generations/\n", gen0.fitness, gen0.holdout,
		       names, eo->budget, llm_model(eo->agent.llm),
		       eo->carry ? ", solutions carried" : "", dir);
		record_free(&gen0);
	}
	free(names);
	return rc < 0 ? cli_fail("init", "%s", err_last()) : CLI_OK;
}

/* Loads the seed agents and checks them; reports failures. */
static int load_seed(agent_files *out, const char *from, task *smoke)
{
	validate_report report;
	char *dir = NULL;
	int rc;

	if (find_seed(&dir, from) < 0 || !os_is_dir(dir)) {
		rc = cli_fail("init", "no seed agents at %s; give --from DIR", dir ? dir : "seed/");
		free(dir);
		return rc;
	}
	rc = cli_load_agents(out, "init", dir);
	free(dir);
	if (rc != CLI_OK)
		return rc;
	if (validate_agents(&report, out, smoke) < 0) {
		rc = cli_fail("init", "%s", err_last());
	} else if (!report.valid) {
		cli_print_validation(&report);
		rc = cli_fail("init", "the seed agents are not valid; nothing was created");
	}
	validate_report_free(&report);
	if (rc != CLI_OK)
		agents_free(out);
	return rc;
}

typedef struct {
	evolve_eval_options eo;
	cli_eval_given limits;   /* the agents' limits, as evolve takes them */
	llm_options lo;
	const char *dir, *from, *list, *tasks_dir, *utility, *executor;
} init_args;

static int parse_init_args(init_args *a, int argc, char **argv)
{
	const char *pos[1];
	const arg_option opts[] = {
		CLI_LIMIT_OPTIONS(a->limits),
		CLI_LLM_OPTIONS(a->lo),
		{ "--llm-calls", ARG_INT, &a->eo.agent.llm_calls, 1, CLI_MAX_LLM_CALLS },
		{ "--trials", ARG_INT, &a->eo.trials, 1, CLI_MAX_TRIALS },
		{ "-j", ARG_INT, &a->eo.jobs, 1, CLI_MAX_JOBS },
		{ "--jobs", ARG_INT, &a->eo.jobs, 1, CLI_MAX_JOBS },
		{ "--dir", ARG_STRING, &a->dir, 0, 0 },
		{ "--from", ARG_STRING, &a->from, 0, 0 },
		{ "--tasks", ARG_STRING, &a->list, 0, 0 },
		{ "--budget", ARG_INT, &a->eo.budget, 1, CLI_MAX_BUDGET },
		{ "--seed", ARG_UINT, &a->eo.seed, 0, CLI_MAX_SEED },
		{ "--utility", ARG_STRING, &a->utility, 0, 0 },
		{ "--tasks-dir", ARG_STRING, &a->tasks_dir, 0, 0 },
		{ "--carry", ARG_FLAG, &a->eo.carry, 0, 0 },
		CLI_EXECUTOR_OPTIONS(a->executor, a->eo.executor),
		{ NULL, ARG_FLAG, NULL, 0, 0 },
	};
	int n;

	if (args_parse(opts, argc, argv, pos, 0, &n) < 0 ||
	    settings_parse_utility(&a->eo.utility, a->utility) < 0)
		return cli_usage("init", "%s", err_last());
	a->eo.meta_ms = (int)a->limits.meta_ms;
	a->eo.agent_slack_ms = (int)a->limits.agent_ms;
	return cli_set_executor(&a->eo.executor, "init", a->executor);
}

static int run_init(int argc, char **argv)
{
	init_args a = { .eo = { .budget = CLI_DEFAULT_BUDGET, .seed = 1, .utility = { 1, 0, 0 },
				.agent = { .llm_calls = CLI_DEFAULT_LLM_CALLS }, .jobs = 1,
				.trials = 1 },
			.lo = CLI_LLM_DEFAULTS, .dir = "." };
	agent_files files;
	int rc;

	if ((rc = parse_init_args(&a, argc, argv)) != CLI_OK)
		return rc;
	if (lab_exists(a.dir))
		return cli_fail("init", "%s already holds a lab; nothing was changed", a.dir);
	if ((rc = cli_load_tasks(&a.eo.tasks, &a.eo.n_tasks, "init", a.tasks_dir, a.list)) != CLI_OK)
		return rc;
	if ((rc = cli_check_tasks("init", a.eo.tasks, a.eo.n_tasks)) != CLI_OK) {
		cli_free_tasks(a.eo.tasks, a.eo.n_tasks);
		return rc;
	}
	if ((rc = cli_open_llm(&a.eo.agent.llm, "init", &a.lo)) == CLI_OK &&
	    (rc = load_seed(&files, a.from, a.eo.tasks[0])) == CLI_OK) {
		rc = init_lab(a.dir, &files, &a.eo, a.utility, a.tasks_dir);
		agents_free(&files);
		cli_print_spend(a.eo.agent.llm, 0);
	}
	cli_close_llm(a.eo.agent.llm);
	cli_free_tasks(a.eo.tasks, a.eo.n_tasks);
	return rc;
}

const cli_command cli_init = {
	"init", "create a lab: agent_code/ and generations/ with gen_000",
	init_help, run_init,
};
