/*
 * cmd_bench.c - `host bench`: evaluate one solution on one task.
 *
 * This is the shortest path through the three foundations (compile,
 * sandbox, score) and so also the tool for measuring them: --repeat turns
 * it into a throughput benchmark.
 */
#include "args.h"
#include "cli.h"
#include "error.h"
#include "eval.h"
#include "options.h"
#include "os.h"
#include "print.h"
#include "task.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char bench_help[] =
	"usage: host bench TASK [FILE] [--holdout] [--json] [--repeat N]\n"
	"                  [--tasks-dir DIR] [--llm P[:MODEL]] [--max-usd X] ...\n"
	"\n"
	"Compiles FILE (default: the task's initial.c) with the task's driver in\n"
	"a sandbox, scores the transcript in the host and prints the status,\n"
	"the score and the feedback.\n"
	"\n"
	"Options:\n"
	"  --holdout     also score the held-out cases\n"
	"  --json        print one JSON object\n"
	"  --repeat N    evaluate N times and report evaluations per second\n"
	"                (the first evaluation, which starts the sandbox, is\n"
	"                reported apart)\n"
	"  --tasks-dir DIR  where task folders are (default: ./tasks, else the\n"
	"                tasks installed beside host)\n"
	"  --llm P[:MODEL], --llm-url URL, --max-usd X, --record FILE,\n"
	"  --replay FILE ... (host help evolve has them all): the model that\n"
	"                the solutions of a task with \"model\" in task.json may\n"
	"                ask; without one they are answered \"no model\"\n"
	"\n"
	"The held-out cases run in batches of at most the training set's size,\n"
	"each under the task's budget, as the training cases run: the budget\n"
	"holds per case. A held-out run that fails says only its status.\n"
	"\n"
	"Exit status: 0 if the solution ran (status ok, and with --holdout ok on\n"
	"the held-out cases too), 1 otherwise, 2 on a usage error.\n";

typedef struct {
	const char *task_name, *file, *tasks_dir;
	int holdout, json, repeat;
	llm_options lo;
} bench_args;

typedef struct {
	eval_repeated train;
	eval_result holdout;
	int have_holdout;
	llm_client *llm;  /* NULL: offline */
} bench_run;

static int parse_bench_args(bench_args *a, int argc, char **argv)
{
	const arg_option opts[] = {
		{ "--holdout", ARG_FLAG, &a->holdout, 0, 0 },
		{ "--json", ARG_FLAG, &a->json, 0, 0 },
		{ "--repeat", ARG_INT, &a->repeat, 1, CLI_MAX_REPEAT },
		{ "--tasks-dir", ARG_STRING, &a->tasks_dir, 0, 0 },
		CLI_LLM_OPTIONS(a->lo),
		{ NULL, ARG_FLAG, NULL, 0, 0 },
	};
	const llm_options defaults = CLI_LLM_DEFAULTS;
	const char *pos[2];
	int n;

	memset(a, 0, sizeof(*a));
	a->lo = defaults;
	if (args_parse(opts, argc, argv, pos, 2, &n) < 0)
		return cli_usage("bench", "%s", err_last());
	if (n == 0)
		return cli_usage("bench", "missing TASK (for example: host bench snake)");
	a->task_name = pos[0];
	a->file = n > 1 ? pos[1] : NULL;
	return CLI_OK;
}

/* The model calls of the training run (the last, with --repeat) and the
 * held-out one. */
static eval_model_use model_use(const bench_run *run)
{
	eval_model_use u = run->train.last.model;

	if (run->have_holdout)
		eval_model_use_add(&u, &run->holdout.model);
	return u;
}

/* What the solution asked of the model, and what the model's client
 * spent, all runs and calls included: a cap that refused calls is said. */
static void print_model_use(const bench_run *run)
{
	llm_usage none = { 0, 0, 0, 0, 0 }, spent = run->llm ? llm_totals(run->llm) : none;
	eval_model_use u = model_use(run);

	printf("model     %d call%s answered, %d answered \"no model\", %.1f s waited%s\n",
	       u.calls, u.calls == 1 ? "" : "s", u.refused, u.ms / 1000,
	       run->llm ? "" : " (offline)");
	if (run->llm)
		printf("spent     %ld model call%s, %ld tokens, $%.4f (%s)\n", spent.calls,
		       spent.calls == 1 ? "" : "s", spent.tokens_in + spent.tokens_out, spent.usd,
		       llm_model(run->llm));
	if (llm_exhausted(run->llm))
		printf("budget    spent: a cap (--max-usd, --max-tokens) refused the calls after "
		       "it, and the solution answered those without the model\n");
	if (llm_fatal(run->llm))  /* it may quote the server */
		cli_print_line("stopped   the model was not asked again: %s", llm_fatal(run->llm));
}

static void print_text(const bench_args *a, const task *t, const char *file,
		       const bench_run *run)
{
	const eval_result *r = &run->train.last;
	char score[32];

	printf("task      %s\n", t->name);
	printf("solution  %s\n", file);
	printf("status    %s\n", sandbox_status_name(r->status));
	if (r->status == SANDBOX_OK)
		printf("score     %s (%s, %s is better)\n", cli_score(score, r->score), t->metric,
		       t->higher_is_better ? "higher" : "lower");
	if (run->have_holdout && run->holdout.status == SANDBOX_OK)
		printf("held-out  %s\n", cli_score(score, run->holdout.score));
	else if (run->have_holdout)  /* the host's words: a held-out run says no more */
		printf("held-out  failed, %s: %s\n", sandbox_status_name(run->holdout.status),
		       run->holdout.detail);
	printf("time      %.2f ms\n", a->repeat > 1 ? run->train.median_ms : r->elapsed_ms);
	if (r->cpu_ns >= 0)
		printf("cpu       %.3f ms in the solution's process, measured by the host "
		       "(best of %d run%s)\n", r->cpu_ns / 1e6, r->runs, r->runs == 1 ? "" : "s");
	if (r->feedback && *r->feedback)
		cli_print_line("feedback  %s", r->feedback);
	if (r->diagnostics && *r->diagnostics)
		cli_print("%s", r->diagnostics);
	if (t->model_calls > 0)
		print_model_use(run);
	if (a->repeat > 1)
		printf("repeat    %d evaluations after the first (%.1f ms, starts the sandbox):\n"
		       "          median %.2f ms, %.0f evaluations/s\n", a->repeat - 1,
		       run->train.first_ms, run->train.median_ms, run->train.evals_per_s);
}

static void add_model_json(json_t *obj, const bench_run *run)
{
	eval_model_use u = model_use(run);

	json_object_set_new(obj, "model", json_pack("{s:i, s:i, s:f, s:I, s:I, s:I, s:f, s:b}",
		"answered", u.calls, "no_model", u.refused, "waited_ms", u.ms,
		"sent", (json_int_t)u.sent, "tokens_in", (json_int_t)u.tokens_in,
		"tokens_out", (json_int_t)u.tokens_out, "usd", u.usd,
		"budget_spent", llm_exhausted(run->llm) != 0));
}

static void print_json(const bench_args *a, const task *t, const char *file,
		       const bench_run *run)
{
	const eval_result *r = &run->train.last;
	json_t *obj = json_pack("{s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:f}",
		"task", t->name, "solution", file,
		"status", sandbox_status_name(r->status), "score", r->score,
		"feedback", r->feedback ? r->feedback : "",
		"diagnostics", r->diagnostics ? r->diagnostics : "",
		"detail", r->detail ? r->detail : "", "elapsed_ms", r->elapsed_ms);

	if (r->cpu_ns >= 0) {
		json_object_set_new(obj, "cpu_ms", json_real(r->cpu_ns / 1e6));
		json_object_set_new(obj, "runs", json_integer(r->runs));
	}
	if (run->have_holdout) {
		json_object_set_new(obj, "holdout_score", json_real(run->holdout.score));
		json_object_set_new(obj, "holdout_status",
				    json_string(sandbox_status_name(run->holdout.status)));
		json_object_set_new(obj, "holdout_detail", json_string(run->holdout.detail));
	}
	if (a->repeat > 1) {
		json_object_set_new(obj, "repeat", json_integer(a->repeat));
		json_object_set_new(obj, "first_ms", json_real(run->train.first_ms));
		json_object_set_new(obj, "median_ms", json_real(run->train.median_ms));
		json_object_set_new(obj, "evals_per_s", json_real(run->train.evals_per_s));
	}
	if (t->model_calls > 0)
		add_model_json(obj, run);
	cli_print_json(obj, JSON_INDENT(2));
	json_decref(obj);
}

static int load_solution(char **source, const char **shown, const bench_args *a,
			 const task *t)
{
	if (!a->file) {
		*shown = "initial.c";
		*source = strdup(t->initial_text);
		return *source ? 0 : err_set(ERR_SYSTEM, "out of memory");
	}
	*shown = a->file;
	return os_read_file(source, NULL, a->file);
}

static int bench_task(const bench_args *a, task *t, llm_client *llm)
{
	bench_run run;
	char *source = NULL;
	const char *shown, *base;
	int rc;

	memset(&run, 0, sizeof(run));
	run.llm = llm;
	rc = load_solution(&source, &shown, a, t);
	if (rc < 0)
		return cli_fail("bench", "%s", err_last());
	base = strrchr(shown, '/') ? strrchr(shown, '/') + 1 : shown;
	rc = eval_repeat(&run.train, t, base, source, a->repeat ? a->repeat : 1);
	if (rc == 0 && a->holdout) {
		rc = eval_solution(&run.holdout, t, base, source, EVAL_HOLDOUT);
		run.have_holdout = rc == 0;
	}
	if (rc < 0) {
		free(source);
		return cli_fail("bench", "%s", err_last());
	}
	if (a->json)
		print_json(a, t, shown, &run);
	else
		print_text(a, t, shown, &run);
	rc = run.train.last.status == SANDBOX_OK &&
	     (!run.have_holdout || run.holdout.status == SANDBOX_OK) ? CLI_OK : CLI_FAILED;
	eval_result_free(&run.train.last);
	eval_result_free(&run.holdout);
	free(source);
	return rc;
}

static int run_bench(int argc, char **argv)
{
	bench_args a;
	llm_client *llm = NULL;
	task *t;
	int rc = parse_bench_args(&a, argc, argv);

	if (rc != CLI_OK || (rc = cli_load_task(&t, "bench", a.tasks_dir, a.task_name)) != CLI_OK)
		return rc;
	if ((rc = cli_open_llm(&llm, "bench", &a.lo)) == CLI_OK)
		rc = bench_task(&a, t, llm);
	cli_close_llm(llm);
	task_free(t);
	return rc;
}

const cli_command cli_bench = {
	"bench", "evaluate a solution on a task: host bench snake [FILE]",
	bench_help, run_bench,
};
