/*
 * cmd_evolve.c - `host init` and `host evolve`: create a lab from the seed
 * agents, then run generations in it.
 *
 * The evaluation settings (tasks, budget, seed, utility) are fixed by init
 * and kept in the lab, so that every generation's fitness is measured the
 * same way; evolve's options override them for one run.
 */
#include "args.h"
#include "cli.h"
#include "error.h"
#include "evolve.h"
#include "os.h"
#include "progress.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static const char init_help[] =
	"usage: host init [--dir D] [--from DIR] [--tasks a,b] [--budget N] [--seed S]\n"
	"                 [--utility score=1,cost=0,time=0] [--tasks-dir DIR]\n"
	"\n"
	"Creates a lab in D (default: the current directory): agent_code/ and\n"
	"generations/ from the seed agents, which are validated, evaluated and\n"
	"committed as gen_000. An existing lab is refused and left unchanged.\n"
	"\n"
	"Options:\n"
	"  --dir D          the lab directory (default: .)\n"
	"  --from DIR       the seed agents (default: ./seed, else the seed\n"
	"                   installed beside host)\n"
	"  --tasks a,b      training tasks (default: every task)\n"
	"  --budget N       evaluations per task per generation (default 12)\n"
	"  --seed S         seed of the evaluations (default 1)\n"
	"  --utility W      fitness weights, e.g. score=1,cost=0,time=0.01 subtracts\n"
	"                   0.01 per second of evaluation (cost is in dollars)\n"
	"  --tasks-dir DIR  where task folders are\n"
	"\n"
	"These evaluation settings are kept in the lab: every generation is\n"
	"measured the same way.\n";

/* The meta agent's prompt budget: the seed's sources and agent.h are
 * about 36,000 characters, which leaves room for the recent history. */
#define EVOLVE_DEFAULT_PROMPT 48000
#define EVOLVE_MAX_PROMPT 10000000

static const char evolve_help[] =
	"usage: host evolve [--gens N] [--tasks a,b] [--select best|archive] [--seed S]\n"
	"                   [--budget N] [--utility score=1,cost=0,time=0] [--quiet]\n"
	"                   [--json] [-j N] [--dir D] [--tasks-dir DIR] [--llm P[:MODEL]]\n"
	"                   [--llm-url URL] [--max-usd X] [--max-tokens N]\n"
	"                   [--llm-prompt-max N] [--record FILE | --replay FILE]\n"
	"\n"
	"Runs N generations (default 1): select a parent, rewrite it with its\n"
	"meta agent, validate, evaluate, accept if its fitness is strictly above\n"
	"the parent's, and commit every candidate. One line per generation, then\n"
	"a summary ending with the best generation.\n"
	"\n"
	"Options:\n"
	"  --gens N         generations to run (default 1)\n"
	"  --select S       best: extend the live generation (default); archive:\n"
	"                   any valid generation, weighted by fitness, penalised\n"
	"                   for children it already has\n"
	"  --tasks, --budget, --seed, --utility\n"
	"                   override the lab's evaluation settings (see host help\n"
	"                   init) for this run; the parent keeps the fitness it\n"
	"                   was measured with, so compare only like with like\n"
	"  --quiet          only the summary\n"
	"  --json           one JSON object per generation\n"
	"  -j N, --jobs N   evaluate N tasks at once in worker processes; the\n"
	"                   results are the same as with -j 1\n"
	"  --dir D          the lab directory (default: .)\n"
	CLI_LLM_HELP
	"  --llm-prompt-max N\n"
	"                   characters the meta agent's prompt may have (default\n"
	"                   48000), passed to it in the archive; the seed's\n"
	"                   leaves out the oldest generations first\n"
	"\n"
	"Ctrl-C finishes the current generation and stops; a second one stops at\n"
	"once. Re-running evolve continues where it stopped.\n";

/* The seed directory: --from, ./seed, or the one installed beside host. */
static int find_seed(char **out, const char *from)
{
	if (from || os_is_dir("seed")) {
		*out = strdup(from ? from : "seed");
		return 0;
	}
	return os_beside_exe(out, "../seed");
}

static int init_lab(const char *dir, const agent_files *seed,
		    const evolve_eval_options *eo, const char *utility)
{
	char *names = cli_task_names(eo->tasks, eo->n_tasks);
	record gen0;
	int rc = names ? evolve_init(&gen0, dir, seed, eo, names, utility)
		       : err_set(ERR_SYSTEM, "out of memory");

	if (rc == 0) {
		printf("gen_000  fitness %.4f  held-out %.4f  (tasks %s, %d evaluations each)\n"
		       "lab ready in %s: agent_code/ and generations/\n", gen0.fitness, gen0.holdout,
		       names, eo->budget, dir);
		record_free(&gen0);
	}
	free(names);
	return rc < 0 ? cli_fail("init", "%s", err_last()) : CLI_OK;
}

char *cli_task_names(task **tasks, size_t n)
{
	buf names = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		buf_printf(&names, "%s%s", i ? "," : "", tasks[i]->name);
	return buf_detach(&names);
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

static int run_init(int argc, char **argv)
{
	const char *dir = ".", *from = NULL, *list = NULL, *tasks_dir = NULL, *utility = NULL;
	const char *pos[1];
	evolve_eval_options eo = { NULL, 0, CLI_DEFAULT_BUDGET, 1, { 1, 0, 0 }, NULL, 0, 1 };
	const arg_option opts[] = {
		{ "--dir", ARG_STRING, &dir, 0, 0 },
		{ "--from", ARG_STRING, &from, 0, 0 },
		{ "--tasks", ARG_STRING, &list, 0, 0 },
		{ "--budget", ARG_INT, &eo.budget, 1, CLI_MAX_BUDGET },
		{ "--seed", ARG_UINT, &eo.seed, 0, CLI_MAX_SEED },
		{ "--utility", ARG_STRING, &utility, 0, 0 },
		{ "--tasks-dir", ARG_STRING, &tasks_dir, 0, 0 },
		{ NULL, ARG_FLAG, NULL, 0, 0 },
	};
	agent_files files;
	int n, rc;

	if (args_parse(opts, argc, argv, pos, 0, &n) < 0 ||
	    cli_parse_utility(&eo.utility, utility) < 0)
		return cli_usage("init", "%s", err_last());
	if (lab_exists(dir))
		return cli_fail("init", "%s already holds a lab; nothing was changed", dir);
	if ((rc = cli_load_tasks(&eo.tasks, &eo.n_tasks, "init", tasks_dir, list)) != CLI_OK)
		return rc;
	if ((rc = load_seed(&files, from, eo.tasks[0])) == CLI_OK) {
		rc = init_lab(dir, &files, &eo, utility);
		agents_free(&files);
	}
	cli_free_tasks(eo.tasks, eo.n_tasks);
	return rc;
}

const cli_command cli_init = {
	"init", "create a lab: agent_code/ and generations/ with gen_000",
	init_help, run_init,
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	if (stop_requested) {  /* the second one: stop now; the journal repairs */
		signal(sig, SIG_DFL);
		raise(sig);
	}
	stop_requested = 1;
}

static int evolve_in_lab(lab *l, evolve_options *o, const progress_view *v,
			 const cli_eval_given *given)
{
	const evolve_utility *u = &o->eval.utility;
	evolve_summary summary;
	char *names;
	int rc;

	if ((rc = cli_refuse_hand_edits(l, "evolve")) != CLI_OK ||
	    (rc = cli_lab_eval(&o->eval, l, "evolve", given)) != CLI_OK)
		return rc;
	names = cli_task_names(o->eval.tasks, o->eval.n_tasks);
	if (!v->json && !v->quiet) {
		printf("evolve: %d generations, tasks %s, %d evaluations per task, select %s, ",
		       o->gens, names, o->eval.budget, o->select_archive ? "archive" : "best");
		if (u->score != 1 || u->cost != 0 || u->time != 0)
			printf("utility score=%g,cost=%g,time=%g, ", u->score, u->cost, u->time);
		printf("%s\n", llm_describe(o->eval.llm));
	}
	free(names);
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);
	o->progress = progress_show;
	o->progress_ctx = (void *)v;
	rc = evolve_run(&summary, l, o);
	progress_summary(v, &summary);
	rc = rc < 0 ? cli_fail("evolve", "%s", err_last()) : CLI_OK;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	cli_lab_eval_free(&o->eval);
	return rc;
}

static void print_spend(const llm_client *llm, int quiet)
{
	llm_usage total = llm_totals(llm);

	if (llm && !quiet)
		printf("LLM: %ld calls, %ld tokens in, %ld out, $%.4f\n", total.calls,
		       total.tokens_in, total.tokens_out, total.usd);
}

typedef struct {
	evolve_options o;
	progress_view view;
	cli_eval_given given;   /* what overrides the lab's evaluation settings */
	evolve_utility utility; /* --utility, parsed */
	llm_options lo;
	const char *dir;
} evolve_args;

static int parse_evolve_args(evolve_args *a, int argc, char **argv)
{
	const char *select = "best", *utility = NULL, *pos[1];
	const arg_option opts[] = {
		CLI_LLM_OPTIONS(a->lo),
		{ "--llm-calls", ARG_INT, &a->o.eval.llm_calls, 1, CLI_MAX_LLM_CALLS },
		{ "--llm-prompt-max", ARG_LONG, &a->o.limits.prompt_max, 2000, EVOLVE_MAX_PROMPT },
		{ "-j", ARG_INT, &a->o.eval.jobs, 1, CLI_MAX_JOBS },
		{ "--jobs", ARG_INT, &a->o.eval.jobs, 1, CLI_MAX_JOBS },
		{ "--gens", ARG_INT, &a->o.gens, 1, CLI_MAX_GENS },
		{ "--tasks", ARG_STRING, &a->given.tasks, 0, 0 },
		{ "--select", ARG_STRING, &select, 0, 0 },
		{ "--seed", ARG_UINT, &a->given.seed, 0, CLI_MAX_SEED },
		{ "--budget", ARG_INT, &a->given.budget, 1, CLI_MAX_BUDGET },
		{ "--utility", ARG_STRING, &utility, 0, 0 },
		{ "--quiet", ARG_FLAG, &a->view.quiet, 0, 0 },
		{ "--json", ARG_FLAG, &a->view.json, 0, 0 },
		{ "--dir", ARG_STRING, &a->dir, 0, 0 },
		{ "--tasks-dir", ARG_STRING, &a->given.tasks_dir, 0, 0 },
		{ NULL, ARG_FLAG, NULL, 0, 0 },
	};
	int n;

	if (args_parse(opts, argc, argv, pos, 0, &n) < 0 ||
	    (utility && cli_parse_utility(&a->utility, utility) < 0))
		return cli_usage("evolve", "%s", err_last());
	if (strcmp(select, "best") && strcmp(select, "archive"))
		return cli_usage("evolve", "--select takes best or archive, not '%s'", select);
	a->given.utility = utility ? &a->utility : NULL;
	a->o.select_archive = strcmp(select, "archive") == 0;
	a->view.live = isatty(STDOUT_FILENO) && !a->view.quiet && !a->view.json;
	a->view.color = a->view.live && !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
	a->o.stop = &stop_requested;
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
	a.o.eval.jobs = 1;
	a.o.eval.llm_calls = CLI_DEFAULT_LLM_CALLS;
	a.o.limits.prompt_max = EVOLVE_DEFAULT_PROMPT;
	a.given.seed = ULLONG_MAX;  /* not given: the lab's */
	if ((rc = parse_evolve_args(&a, argc, argv)) != CLI_OK ||
	    (rc = cli_open_llm(&a.o.eval.llm, "evolve", &a.lo)) != CLI_OK)
		return rc;
	a.o.limits.max_usd = a.lo.max_usd;  /* for the archive: the meta agent sees the caps */
	a.o.limits.max_tokens = a.lo.max_tokens;
	if (lab_open(&l, a.dir, 1) < 0) {
		rc = cli_fail("evolve", "%s", err_last());
	} else {
		rc = evolve_in_lab(&l, &a.o, &a.view, &a.given);
		lab_close(&l);
		print_spend(a.o.eval.llm, a.view.json || a.view.quiet);
	}
	llm_close(a.o.eval.llm);
	return rc;
}

const cli_command cli_evolve = {
	"evolve", "run generations: host evolve --gens 20",
	evolve_help, run_evolve,
};
