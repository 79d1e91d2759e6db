/*
 * cmd_evolve.c - `host evolve`: run generations in a lab.
 *
 * The evaluation settings (tasks, budget, seed, utility, trials, the
 * agents' limits) are fixed by init and kept in the lab, so that every
 * generation's fitness is measured the same way; evolve's options
 * override them for one run, and the engine then measures the parent
 * again before comparing anything with it.
 */
#include "arena.h"
#include "args.h"
#include "cli.h"
#include "error.h"
#include "evolve.h"
#include "options.h"
#include "print.h"
#include "progress.h"
#include "propose.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The meta agent's prompt budget: the seed's sources and agent.h are
 * about 50,000 characters, which leaves room for the recent history. */
#define EVOLVE_DEFAULT_PROMPT 64000
#define EVOLVE_MAX_PROMPT 10000000

static const char evolve_help[] =
	"usage: host evolve [--gens N] [--parallel K] [--tasks a,b] [--select best|archive]\n"
	"                   [--seed S]\n"
	"                   [--budget N] [--utility score=1,cost=0,time=0] [--quiet]\n"
	"                   [--json] [-j N] [--dir D] [--tasks-dir DIR] [--llm P[:MODEL]]\n"
	"                   [--executor local|slurm] [--slurm-args \"...\"]\n"
	"                   [--llm-url URL] [--max-usd X] [--max-tokens N]\n"
	"                   [--llm-prompt-max N] [--record FILE | --replay FILE]\n"
	"                   [LLM options]\n"
	"       host evolve --arena [--gens N] [--code-agents P] [--test-agents Q]\n"
	"                   [--replace-every K] [--arena-cap N] [--proposals N] ...\n"
	"\n"
	"Runs N generations (default 1): select a parent, rewrite it with its\n"
	"meta agent, validate, evaluate, and commit every candidate. A candidate\n"
	"is accepted when its fitness is above the parent's, or equal and it cost\n"
	"less: fewer dollars, else fewer evaluations, else fewer model calls\n"
	"(wall time is never compared: a replay must decide as the run did). One\n"
	"line per generation, then a summary ending with the best generation.\n"
	"\n"
	"Options:\n"
	"  --gens N         generations to run (default 1)\n"
	"  --parallel K     keep K candidates in flight (default 1): each round\n"
	"                   proposes K, numbered in that order, makes them at once\n"
	"                   and commits them in order; the best that beats its\n"
	"                   parent becomes live. CPU work stays within -j; model\n"
	"                   calls within --llm-concurrency (default K)\n"
	"  --select S       best: extend the live generation (default); archive:\n"
	"                   any valid generation, weighted by fitness, penalised\n"
	"                   for children it already has\n"
	"  --tasks, --budget, --seed, --trials, --utility, --meta-seconds,\n"
	"  --agent-seconds\n"
	"                   override the lab's evaluation settings (see host help\n"
	"                   init) for this run. A parent measured otherwise (another\n"
	"                   model, budget, tasks, trials...) is measured again\n"
	"                   first, as a generation of its own, so that candidates\n"
	"                   are compared like with like\n"
	"  --quiet          only the summary\n"
	"  --json           one JSON object per generation\n"
	"  -j N, --jobs N   evaluate N tasks at once in worker processes; the\n"
	"                   results are the same as with -j 1\n"
	CLI_EXECUTOR_HELP
	"  --dir D          the lab directory (default: .)\n"
	"\n"
	"The arena (--arena): N rounds in which test agents grow the training\n"
	"cases and code agents must handle them. Its tasks need an oracle\n"
	"(oracle.c), which labels every case a test agent proposes; a proposal it\n"
	"refuses or contradicts is discarded and counted. A case that some code\n"
	"agent's solution gets wrong joins the task's grown set; then each code\n"
	"agent improves its own solution on the original and grown cases. Held-out\n"
	"cases are never shown to any of it. Each code agent's round is a\n"
	"generation, the round's best becomes live, and the grown sets are kept\n"
	"in arena/ of each generation's tree. Re-running continues the arena,\n"
	"on the same tasks.\n"
	"  --code-agents P  code agents (default 1, or as many as the arena has)\n"
	"  --test-agents Q  test agents (default 1, or as many as the arena has)\n"
	"  --replace-every K\n"
	"                   every K rounds (default 3) the worst code agent and\n"
	"                   the worst test agent are replaced by mutated copies of\n"
	"                   the best\n"
	"  --arena-cap N    cases a round may add (default 8)\n"
	"  --proposals N    inputs asked of each test agent a round (default 16)\n"
	CLI_LLM_HELP
	"  --llm-prompt-max N\n"
	"                   characters the meta agent's prompt may have (default\n"
	"                   64000), passed to it in the archive; the seed's\n"
	"                   leaves out the oldest generations first\n"
	"\n"
	"\n"
	"Limits. Each agent has its own wall time: the meta agent 60 s a rewrite,\n"
	"the task agent 10 s plus the task's limit for each evaluation (see\n"
	"--meta-seconds, --agent-seconds). Time an agent spends waiting for the\n"
	"model is not counted against it: the model has limits of its own, a\n"
	"timeout per request (--llm-timeout), attempts per call (--llm-attempts)\n"
	"and model time per agent run (--llm-run-seconds). A call whose agent has\n"
	"ended is abandoned, never retried.\n"
	"\n"
	"Ctrl-C stops after the current round; with a model, its calls in flight\n"
	"are abandoned and its unfinished candidates are kept as interrupted, not\n"
	"measured; the finished ones are committed, and evolve exits 130 (143\n"
	"for SIGTERM), as an interrupted command does. A second Ctrl-C stops at\n"
	"once. Re-running evolve continues where it stopped.\n";

/* The seed directory: --from, ./seed, or the one installed beside host. */
static volatile sig_atomic_t stop_requested;

/* The first stop signal is kept in stop_requested, the engine's stop flag,
 * so that the run can exit as the shell expects of an interrupted command:
 * 128 + the signal. */
static void on_stop_signal(int sig)
{
	if (stop_requested) {  /* the second one: stop now; the journal repairs */
		signal(sig, SIG_DFL);
		raise(sig);
	}
	stop_requested = sig;
}

/* The run's first line. */
static void describe_run(const evolve_options *o, const arena_options *arena, const char *names)
{
	const evolve_utility *u = &o->eval.utility;

	if (arena) {
		printf("evolve --arena: %d rounds, tasks %s, %d evaluations per task, ", o->gens,
		       names, o->eval.budget);
		if (arena->code_agents || arena->test_agents)
			printf("%d code agents, %d test agents, ", arena->code_agents,
			       arena->test_agents);
	} else {
		printf("evolve: %d generations", o->gens);
		if (o->parallel > 1)
			printf(" (%d in flight)", o->parallel);
		printf(", tasks %s, %d evaluations per task, select %s, ", names, o->eval.budget,
		       o->select_archive ? "archive" : "best");
	}
	if (u->score != 1 || u->cost != 0 || u->time != 0)
		printf("utility score=%g,cost=%g,time=%g, ", u->score, u->cost, u->time);
	if (o->eval.carry)
		printf("solutions carried, ");
	printf("%s\n", llm_describe(o->eval.agent.llm));
}

static int evolve_in_lab(lab *l, evolve_options *o, const progress_view *v,
			 const cli_eval_given *given, const arena_options *arena)
{
	evolve_summary summary;
	char *names;
	int rc;

	if ((rc = cli_refuse_hand_edits(l, "evolve")) != CLI_OK ||
	    (rc = cli_lab_eval(&o->eval, l, "evolve", given)) != CLI_OK)
		return rc;
	if (arena && arena_check(l, o->eval.tasks, o->eval.n_tasks) < 0) {
		rc = cli_fail("evolve", "%s", err_last());
		cli_lab_eval_free(&o->eval);
		return rc;
	}
	if ((rc = cli_check_tasks("evolve", o->eval.tasks, o->eval.n_tasks)) != CLI_OK) {
		cli_lab_eval_free(&o->eval);
		return rc;
	}
	names = cli_task_names(o->eval.tasks, o->eval.n_tasks);
	if (!v->json && !v->quiet)
		describe_run(o, arena, names);
	free(names);
	o->progress = progress_show;
	o->progress_ctx = (void *)v;
	rc = arena ? arena_run(&summary, l, o, arena) : evolve_run(&summary, l, o);
	progress_summary(v, &summary);
	rc = rc < 0 ? cli_fail("evolve", "%s", err_last()) : CLI_OK;
	cli_lab_eval_free(&o->eval);
	return rc;
}

typedef struct {
	evolve_options o;
	progress_view view;
	cli_eval_given given;   /* what overrides the lab's evaluation settings */
	evolve_utility utility; /* --utility, parsed */
	int arena;              /* --arena */
	arena_options ao;
	llm_options lo;
	const char *dir;
} evolve_args;

static int parse_evolve_args(evolve_args *a, int argc, char **argv)
{
	const char *select = "best", *utility = NULL, *executor = NULL, *pos[1];
	const arg_option opts[] = {
		CLI_LLM_OPTIONS(a->lo),
		{ "--llm-calls", ARG_INT, &a->o.eval.agent.llm_calls, 1, CLI_MAX_LLM_CALLS },
		{ "--llm-prompt-max", ARG_LONG, &a->o.limits.prompt_max, 2000, EVOLVE_MAX_PROMPT },
		{ "-j", ARG_INT, &a->o.eval.jobs, 1, CLI_MAX_JOBS },
		{ "--jobs", ARG_INT, &a->o.eval.jobs, 1, CLI_MAX_JOBS },
		{ "--gens", ARG_INT, &a->o.gens, 1, CLI_MAX_GENS },
		{ "--parallel", ARG_INT, &a->o.parallel, 1, EVOLVE_MAX_PARALLEL },
		{ "--tasks", ARG_STRING, &a->given.tasks, 0, 0 },
		{ "--select", ARG_STRING, &select, 0, 0 },
		{ "--seed", ARG_UINT, &a->given.seed, 0, CLI_MAX_SEED },
		{ "--budget", ARG_INT, &a->given.budget, 1, CLI_MAX_BUDGET },
		{ "--trials", ARG_INT, &a->given.trials, 1, CLI_MAX_TRIALS },
		{ "--utility", ARG_STRING, &utility, 0, 0 },
		{ "--quiet", ARG_FLAG, &a->view.quiet, 0, 0 },
		{ "--json", ARG_FLAG, &a->view.json, 0, 0 },
		{ "--dir", ARG_STRING, &a->dir, 0, 0 },
		{ "--tasks-dir", ARG_STRING, &a->given.tasks_dir, 0, 0 },
		{ "--arena", ARG_FLAG, &a->arena, 0, 0 },
		{ "--code-agents", ARG_INT, &a->ao.code_agents, 1, ARENA_MAX_AGENTS },
		{ "--test-agents", ARG_INT, &a->ao.test_agents, 1, ARENA_MAX_AGENTS },
		{ "--replace-every", ARG_INT, &a->ao.replace_every, 1, CLI_MAX_GENS },
		{ "--arena-cap", ARG_INT, &a->ao.cap, 1, ARENA_MAX_CASES },
		{ "--proposals", ARG_INT, &a->ao.proposals, 1, PROPOSE_MAX },
		CLI_LIMIT_OPTIONS(a->given),
		CLI_EXECUTOR_OPTIONS(executor, a->o.eval.executor),
		{ NULL, ARG_FLAG, NULL, 0, 0 },
	};
	int n;

	if (args_parse(opts, argc, argv, pos, 0, &n) < 0 ||
	    (utility && settings_parse_utility(&a->utility, utility) < 0))
		return cli_usage("evolve", "%s", err_last());
	if ((n = cli_set_executor(&a->o.eval.executor, "evolve", executor)) != CLI_OK)
		return n;
	if (a->arena && a->o.eval.executor.slurm)
		return cli_usage("evolve", "the arena runs its evaluations here: --executor "
				 "slurm is for plain evolve");
	if (strcmp(select, "best") && strcmp(select, "archive"))
		return cli_usage("evolve", "--select takes best or archive, not '%s'", select);
	if (!a->arena && (a->ao.code_agents || a->ao.test_agents || a->ao.replace_every ||
			  a->ao.cap || a->ao.proposals))
		return cli_usage("evolve", "--code-agents, --test-agents, --replace-every, "
				 "--arena-cap and --proposals are for the arena: add --arena");
	if (a->arena && (a->o.parallel > 1 || strcmp(select, "best") != 0))
		return cli_usage("evolve", "--parallel and --select are for plain evolve; the "
				 "arena runs --code-agents side by side");
	a->given.utility = utility ? &a->utility : NULL;
	a->o.select_archive = strcmp(select, "archive") == 0;
	a->view.live = isatty(STDOUT_FILENO) && !a->view.quiet && !a->view.json;
	a->view.color = a->view.live && !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
	a->o.eval.agent.stop = &stop_requested;
	return CLI_OK;
}

static int run_evolve(int argc, char **argv)
{
	evolve_args a;
	lab l;
	int rc;

	memset(&a, 0, sizeof(a));
	a.dir = ".";
	a.o.gens = 1;
	a.o.parallel = 1;
	a.o.eval.jobs = 1;
	a.o.eval.agent.llm_calls = CLI_DEFAULT_LLM_CALLS;
	a.o.limits.prompt_max = EVOLVE_DEFAULT_PROMPT;
	a.given.seed = ULLONG_MAX;  /* not given: the lab's */
	a.lo.temperature = -1;      /* not given: the server's */
	if ((rc = parse_evolve_args(&a, argc, argv)) != CLI_OK)
		return rc;
	if (a.lo.concurrency == 0)  /* a request open for each candidate in flight */
		a.lo.concurrency = a.o.parallel;
	if ((rc = cli_open_llm(&a.o.eval.agent.llm, "evolve", &a.lo)) != CLI_OK)
		return rc;
	a.o.limits.max_usd = a.lo.max_usd;  /* for the archive: the meta agent sees the caps */
	a.o.limits.max_tokens = a.lo.max_tokens;
	/* from before the lab and its tasks load (a few hundred ms): a stop
	 * that comes while they do ends the run before its first generation */
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);
	if (lab_open(&l, a.dir, 1) < 0) {
		rc = cli_fail("evolve", "%s", err_last());
	} else {
		rc = evolve_in_lab(&l, &a.o, &a.view, &a.given, a.arena ? &a.ao : NULL);
		lab_close(&l);
		cli_print_spend(a.o.eval.agent.llm, a.view.json || a.view.quiet);
	}
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	cli_close_llm(a.o.eval.agent.llm);
	if (rc == CLI_OK && stop_requested)  /* what was kept is said: now say it stopped */
		rc = 128 + stop_requested;
	return rc;
}

const cli_command cli_evolve = {
	"evolve", "run generations: host evolve --gens 20",
	evolve_help, run_evolve,
};
