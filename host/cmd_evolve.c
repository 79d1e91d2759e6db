/*
 * cmd_evolve.c - `host init` and `host evolve`: create a lab from the seed
 * agents, then run generations in it.
 *
 * The evaluation settings (tasks, budget, seed) are fixed by init and kept
 * in the lab, so that every generation's fitness is measured the same way.
 */
#include "args.h"
#include "cli.h"
#include "error.h"
#include "evolve.h"
#include "os.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static const char init_help[] =
	"usage: host init [--dir D] [--from DIR] [--tasks a,b] [--budget N] [--seed S]\n"
	"                 [--tasks-dir DIR]\n"
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
	"  --tasks-dir DIR  where task folders are\n";

static const char evolve_help[] =
	"usage: host evolve [--gens N] [--tasks a,b] [--select best|archive] [--seed S]\n"
	"                   [--budget N] [--utility score=1,cost=0,time=0] [--quiet]\n"
	"                   [--json] [-j N] [--dir D] [--tasks-dir DIR] [--llm P[:MODEL]]\n"
	"                   [--llm-url URL] [--max-usd X] [--max-tokens N]\n"
	"                   [--record FILE | --replay FILE]\n"
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
	"  --tasks, --budget, --seed\n"
	"                   override the lab's evaluation settings for this run\n"
	"                   (fitness is comparable only under the same settings)\n"
	"  --utility W      fitness weights, e.g. score=1,cost=0,time=0.01 subtracts\n"
	"                   0.01 per second of evaluation (cost is in dollars)\n"
	"  --quiet          only the summary\n"
	"  --json           one JSON object per generation\n"
	"  -j N, --jobs N   evaluate N tasks at once in worker processes; the\n"
	"                   results are the same as with -j 1\n"
	"  --dir D          the lab directory (default: .)\n"
	CLI_LLM_HELP
	"\n"
	"Ctrl-C finishes the current generation and stops; a second one stops at\n"
	"once. Re-running evolve continues where it stopped.\n";

static int parse_utility(evolve_utility *u, const char *text)
{
	char copy[256], *item, *save = NULL;

	u->score = 1;
	u->cost = u->time = 0;
	if (!text)
		return 0;
	snprintf(copy, sizeof(copy), "%s", text);
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '='), *end;
		double v = eq ? strtod(eq + 1, &end) : 0;
		if (!eq || end == eq + 1 || *end)
			return err_set(ERR_INVALID, "--utility expects NAME=NUMBER pairs, got '%s'", item);
		*eq = '\0';
		if (strcmp(item, "score") == 0)
			u->score = v;
		else if (strcmp(item, "cost") == 0)
			u->cost = v;
		else if (strcmp(item, "time") == 0)
			u->time = v;
		else
			return err_set(ERR_INVALID, "--utility knows score, cost and time, not '%s'", item);
	}
	return 0;
}

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
		    const evolve_eval_options *eo, const char *task_names)
{
	json_t *record = evolve_record(0, -1, "accepted", "the seed agents", eo->seed);
	char budget[32], seed_text[32];
	lab l;
	int rc;

	if ((rc = evolve_evaluate(record, seed, eo)) == 0 && (rc = lab_create(&l, dir)) == 0) {
		snprintf(budget, sizeof(budget), "%d", eo->budget);
		snprintf(seed_text, sizeof(seed_text), "%llu", eo->seed);
		if ((rc = store_setting_set(l.store, "tasks", task_names)) == 0 &&
		    (rc = store_setting_set(l.store, "budget", budget)) == 0 &&
		    (rc = store_setting_set(l.store, "seed", seed_text)) == 0 &&
		    (rc = evolve_commit(&l, record, seed, -1)) == 0)
			rc = lab_make_live(&l, 0);
		lab_close(&l);
	}
	if (rc == 0)
		printf("gen_000  fitness %.4f  held-out %.4f  (tasks %s, %d evaluations each)\n"
		       "lab ready in %s: agent_code/ and generations/\n",
		       json_number_value(json_object_get(record, "fitness")),
		       json_number_value(json_object_get(record, "holdout")), task_names,
		       eo->budget, dir);
	json_decref(record);
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

static int run_init(int argc, char **argv)
{
	const char *dir = ".", *from = NULL, *list = NULL, *tasks_dir = NULL, *pos[1];
	unsigned long long seed = 1;
	int budget = CLI_DEFAULT_BUDGET, n, rc;
	const arg_option opts[] = {
		{ "--dir", ARG_STRING, &dir }, { "--from", ARG_STRING, &from },
		{ "--tasks", ARG_STRING, &list }, { "--budget", ARG_COUNT, &budget },
		{ "--seed", ARG_UINT, &seed }, { "--tasks-dir", ARG_STRING, &tasks_dir },
		{ NULL, ARG_FLAG, NULL },
	};
	evolve_eval_options eo;
	agent_files files;
	validate_report report;
	char *seed_dir = NULL, *names;
	task **tasks;
	size_t n_tasks;

	if (args_parse(opts, argc, argv, pos, 0, &n) < 0)
		return cli_usage("init", "%s", err_last());
	if (lab_exists(dir))
		return cli_fail("init", "%s already holds a lab; nothing was changed", dir);
	if (find_seed(&seed_dir, from) < 0 || !os_is_dir(seed_dir)) {
		rc = cli_fail("init", "no seed agents at %s; give --from DIR",
			      seed_dir ? seed_dir : "seed/");
		free(seed_dir);
		return rc;
	}
	rc = cli_load_agents(&files, "init", seed_dir);
	free(seed_dir);
	if (rc != CLI_OK)
		return rc;
	if ((rc = cli_load_tasks(&tasks, &n_tasks, "init", tasks_dir, list)) != CLI_OK) {
		agents_free(&files);
		return rc;
	}
	if (validate_agents(&report, &files, tasks[0]) < 0) {
		rc = cli_fail("init", "%s", err_last());
	} else if (!report.valid) {
		cli_print_validation(&report);
		rc = cli_fail("init", "the seed agents are not valid; nothing was created");
	} else {
		memset(&eo, 0, sizeof(eo));
		eo.tasks = tasks;
		eo.n_tasks = n_tasks;
		eo.budget = budget;
		eo.seed = seed;
		eo.utility.score = 1;
		names = cli_task_names(tasks, n_tasks);
		rc = init_lab(dir, &files, &eo, names);
		free(names);
	}
	validate_report_free(&report);
	cli_free_tasks(tasks, n_tasks);
	agents_free(&files);
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

static int evolve_in_lab(lab *l, evolve_options *o, const char *list, const char *tasks_dir,
			 int budget, unsigned long long seed)
{
	llm_client *llm = o->eval.llm;  /* cli_lab_eval resets o->eval */
	int llm_calls = o->eval.llm_calls, jobs = o->eval.jobs, rc;
	char *names;

	if ((rc = cli_refuse_hand_edits(l, "evolve")) != CLI_OK ||
	    (rc = cli_lab_eval(l, "evolve", tasks_dir, list, budget, seed, &o->eval)) != CLI_OK)
		return rc;
	o->eval.llm = llm;
	o->eval.llm_calls = llm_calls;
	o->eval.jobs = jobs;
	names = cli_task_names(o->eval.tasks, o->eval.n_tasks);
	if (!o->json && !o->quiet)
		printf("evolve: %d generations, tasks %s, %d evaluations per task, select %s, %s\n",
		       o->gens, names, o->eval.budget, o->select_archive ? "archive" : "best",
		       llm_describe(o->eval.llm));
	free(names);
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);
	rc = evolve_run(l, o) < 0 ? cli_fail("evolve", "%s", err_last()) : CLI_OK;
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

static int run_evolve(int argc, char **argv)
{
	const char *dir = ".", *list = NULL, *tasks_dir = NULL, *select = "best", *utility = NULL;
	const char *pos[1];
	unsigned long long seed = ULLONG_MAX;  /* not given: the lab's */
	int gens = 1, budget = 0, quiet = 0, json = 0, llm_calls = CLI_DEFAULT_LLM_CALLS, jobs = 1, n, rc;
	llm_options lo = { NULL, NULL, NULL, NULL, NULL, 0, 0, 0 };
	const arg_option opts[] = {
		CLI_LLM_OPTIONS(lo), { "--llm-calls", ARG_COUNT, &llm_calls },
		{ "-j", ARG_COUNT, &jobs }, { "--jobs", ARG_COUNT, &jobs },
		{ "--gens", ARG_COUNT, &gens }, { "--tasks", ARG_STRING, &list },
		{ "--select", ARG_STRING, &select }, { "--seed", ARG_UINT, &seed },
		{ "--budget", ARG_COUNT, &budget }, { "--utility", ARG_STRING, &utility },
		{ "--quiet", ARG_FLAG, &quiet }, { "--json", ARG_FLAG, &json },
		{ "--dir", ARG_STRING, &dir }, { "--tasks-dir", ARG_STRING, &tasks_dir },
		{ NULL, ARG_FLAG, NULL },
	};
	evolve_options o;
	lab l;

	memset(&o, 0, sizeof(o));
	if (args_parse(opts, argc, argv, pos, 0, &n) < 0 || parse_utility(&o.eval.utility, utility) < 0)
		return cli_usage("evolve", "%s", err_last());
	if (strcmp(select, "best") && strcmp(select, "archive"))
		return cli_usage("evolve", "--select takes best or archive, not '%s'", select);
	o.gens = gens;
	o.eval.jobs = jobs;
	o.live = isatty(STDOUT_FILENO) && !quiet && !json;
	o.color = o.live && !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
	o.quiet = quiet;
	o.json = json;
	o.select_archive = strcmp(select, "archive") == 0;
	o.stop = &stop_requested;
	if ((rc = cli_open_llm(&o.eval.llm, "evolve", &lo)) != CLI_OK)
		return rc;
	if (lab_open(&l, dir, 1) < 0) {
		llm_close(o.eval.llm);
		return cli_fail("evolve", "%s", err_last());
	}
	o.eval.llm_calls = llm_calls;
	rc = evolve_in_lab(&l, &o, list, tasks_dir, budget, seed);
	lab_close(&l);
	print_spend(o.eval.llm, json || quiet);
	llm_close(o.eval.llm);
	return rc;
}

const cli_command cli_evolve = {
	"evolve", "run generations: host evolve --gens 20",
	evolve_help, run_evolve,
};
