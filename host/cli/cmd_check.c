/*
 * cmd_check.c - `host check-task`: is a task folder sound?
 *
 * A task is the user's code as much as a solution is the agent's, and a
 * fault in it must not be charged to the solutions: so a task is checked
 * on its own. Loading checks every field and case (naming the file and
 * the field), and a rubric's checks (rubric.json); running initial.c on
 * the training and held-out cases builds the driver (a fault is a
 * task_error with driver.c's line) and the scorer (score.c's faults are
 * named as its own), and an oracle must agree with every label. init
 * and evolve run the same check on the initial solution before they
 * start.
 */
#include "args.h"
#include "cli.h"
#include "error.h"
#include "os.h"
#include "eval.h"
#include "oracle.h"
#include "print.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char check_help[] =
	"usage: host check-task DIR|NAME [--tasks-dir DIR]\n"
	"\n"
	"Checks the task folder DIR, or the task NAME found as --tasks-dir\n"
	"would find it (the lab's tasks folder, ./tasks, else the installed\n"
	"tasks): every field of task.json and every case\n"
	"(the name must be the folder's), the rubric (rubric.json: every case's\n"
	"checks, well formed, with positive weights, naming only the task's\n"
	"cases), when the task has one, the driver and the scorer,\n"
	"initial.c on the training and held-out cases, and the oracle\n"
	"(oracle.c), when the task has one, against every labelled case;\n"
	"\"model\" (its solutions' calls to the model per case), when it has\n"
	"one: initial.c runs offline here, as it must be able to. Each\n"
	"problem is named\n"
	"with its file and line or field. Exit status 0 when the task is sound:\n"
	"every field known, and initial.c runs ok on the training and the\n"
	"held-out cases.\n";

/* One split of initial.c: its status and score, or what broke. A run
 * that is not ok is a fault of the task: its initial solution must run,
 * or every generation starts from a failure scored as if it were 0.
 * The split is added to *failed then (1 training, 2 held-out); the check
 * goes on to the next one. */
static int check_split(int *failed, task *t, eval_split split, const char *label)
{
	eval_result r;
	size_t n;

	if (eval_solution(&r, t, "initial.c", t->initial_text, split) < 0)
		return cli_fail("check-task", "%s: %s", t->dir, err_last());
	if (r.status == SANDBOX_TASK_ERROR) {
		cli_fail("check-task", "%s: %s\n%s", t->dir, r.detail,
			 r.diagnostics ? r.diagnostics : "");
		eval_result_free(&r);
		return CLI_FAILED;
	}
	n = split == EVAL_TRAIN ? t->n_train : t->n_holdout;
	printf("%-9s initial.c on %zu case%s: %s", label, n, n == 1 ? "" : "s",
	       sandbox_status_name(r.status));
	if (r.status == SANDBOX_OK)
		printf(", score %s (baseline %g, target %g)", cli_score((char[32]){ 0 }, r.score),
		       t->baseline, t->target);
	if (r.status == SANDBOX_OK && r.cpu_ns >= 0)
		printf(", %.3f ms of CPU time", r.cpu_ns / 1e6);
	if (r.status != SANDBOX_OK)
		cli_print_line(" (%s)", r.detail);  /* it may quote the solution's run */
	else
		putchar('\n');
	if (r.status != SANDBOX_OK)
		*failed |= split == EVAL_TRAIN ? 1 : 2;
	eval_result_free(&r);
	return CLI_OK;
}

/* The oracle against every labelled case, when the task has one. */
static int check_oracle(task *t)
{
	buf report = BUF_INIT;
	size_t checked;
	int wrong;

	if (!oracle_present(t)) {
		printf("oracle    none (oracle.c): test agents cannot grow this task's cases%s\n",
		       t->rubric_checks ? " (a new question needs its checks written from what "
		       "the task knows: a model's work)" : "");
		return CLI_OK;
	}
	wrong = oracle_check(&checked, t, &report);
	if (wrong < 0)
		return cli_fail("check-task", "%s: %s", t->dir, err_last());
	if (wrong > 0) {
		cli_fail("check-task", "%s: oracle.c disagrees with %d labelled case%s:\n%s",
			 t->dir, wrong, wrong == 1 ? "" : "s", buf_cstr(&report));
		buf_free(&report);
		return CLI_FAILED;
	}
	printf("oracle    oracle.c agrees with all %zu labelled cases\n", checked);
	buf_free(&report);
	return CLI_OK;
}

static int run_check(int argc, char **argv)
{
	const char *pos[1], *tasks_dir = NULL;
	const arg_option opts[] = {
		{ "--tasks-dir", ARG_STRING, &tasks_dir, 0, 0 }, { NULL, ARG_FLAG, NULL, 0, 0 },
	};
	static const char *const splits[] = { "", "training", "held-out", "training and held-out" };
	int failed = 0;
	task *t;
	int n, rc;

	if (args_parse(opts, argc, argv, pos, 1, &n) < 0)
		return cli_usage("check-task", "%s", err_last());
	if (n == 0)
		return cli_usage("check-task", "missing DIR (for example: host check-task tasks/demo)");
	if (!os_is_dir(pos[0]) && !strchr(pos[0], '/')) {  /* a name, as new-task takes */
		if ((rc = cli_load_task(&t, "check-task", tasks_dir, pos[0])) != CLI_OK)
			return rc;
	} else if (task_load_dir(&t, pos[0]) < 0) {
		return cli_fail("check-task", "%s", err_last());
	}
	printf("task      %s: %s, %s is better; %zu training and %zu held-out case%s\n", t->name,
	       t->metric, t->higher_is_better ? "higher" : "lower", t->n_train, t->n_holdout,
	       t->n_holdout == 1 ? "" : "s");
	if (t->timing_repeats > 0)
		printf("timing    the host measures each run's CPU time; an evaluation keeps "
		       "the best of %d run%s\n", t->timing_repeats, t->timing_repeats == 1 ? "" : "s");
	if (t->rubric_checks)
		printf("rubric    rubric.json: %zu weighted checks on the %zu training and %zu "
		       "held-out cases\n", t->rubric_checks, t->n_train, t->n_holdout);
	if (t->judge_repeats)
		printf("judge     with a model, %d grading%s of each split's answers, weight %g "
		       "beside the rubric's %g\n", t->judge_repeats, t->judge_repeats == 1 ? "" : "s",
		       t->judge_weight, 1 - t->judge_weight);
	if (t->model_calls > 0)
		printf("model     solutions may ask the model %d time%s per case (model_ask); "
		       "here, offline, it says \"no model\"\n", t->model_calls,
		       t->model_calls == 1 ? "" : "s");
	if (t->opt_in)
		printf("default   a run trains on it only when named (--tasks %s): task.json "
		       "says \"default\": false\n", t->name);
	if ((rc = check_split(&failed, t, EVAL_TRAIN, "training")) == CLI_OK &&
	    (rc = check_split(&failed, t, EVAL_HOLDOUT, "held-out")) == CLI_OK &&
	    (rc = check_oracle(t)) == CLI_OK && failed)
		rc = cli_fail("check-task", "%s is not sound: initial.c does not run ok on the "
			      "%s cases; every generation would start from a failed run",
			      pos[0], splits[failed]);
	else if (rc == CLI_OK)
		printf("%s is sound\n", pos[0]);
	task_free(t);
	return rc;
}

const cli_command cli_check = {
	"check-task", "check a task folder: host check-task tasks/demo",
	check_help, run_check,
};
