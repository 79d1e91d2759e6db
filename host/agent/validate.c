/*
 * validate.c - the validation cascade; see validate.h.
 *
 * compile and signatures are the same compilation with two preludes:
 * first agent.h without the entry points' prototypes, so that a wrong
 * prototype is not reported as a compile error but, after the symbols
 * stage, as a signature error. Nothing of the agent is compiled or runs in
 * the host: the first three stages are one confined check job
 * (runner_agent.c), and smoke runs each entry point in the sandbox. A meta
 * agent passes smoke only if it proposes a rewrite: one that returns -1,
 * or emits nothing new, would leave every later generation empty. A test
 * agent is optional; one that is there must answer on the smoke task.
 */
#include "validate.h"

#include "agent_abi.h"
#include "agent_run.h"
#include "buf.h"
#include "error.h"
#include "propose.h"

#include <stdlib.h>
#include <string.h>

#define SMOKE_MS 2000         /* an agent's own time in a smoke run */
#define SMOKE_EVALS 2
#define CHECK_MS 10000        /* the three compiles of a check job */
#define CHECK_MEMORY_MB 256

static void stage_result(validate_stage *st, int passed, const char *diagnostics)
{
	st->ran = 1;
	st->passed = passed;
	st->diagnostics = strdup(diagnostics);
}

/* The stages the check job ran, in order; a job that did not finish
 * fails the compile stage with how it ended. */
static void read_stages(validate_report *out, const sandbox_outcome *o)
{
	const json_t *stages = json_object_get(o->result, "stages"), *st;
	const char *exports = json_string_value(json_object_get(o->result, "exports"));
	size_t i;
	buf why = BUF_INIT;

	if (o->status != SANDBOX_OK || !json_is_array(stages) || json_array_size(stages) == 0) {
		buf_printf(&why, "the compiler %s: %s\n",
			   o->status == SANDBOX_TIMEOUT ? "did not finish" : "failed",
			   o->detail);
		stage_result(&out->stages[0], 0, buf_cstr(&why));
		buf_free(&why);
		return;
	}
	json_array_foreach(stages, i, st) {
		const char *text = json_string_value(json_object_get(st, "diagnostics"));
		if (i < VALIDATE_STAGES - 1)
			stage_result(&out->stages[i], json_is_true(json_object_get(st, "passed")),
				     text ? text : "");
	}
	out->exports = strdup(exports ? exports : "");
}

/* compile, symbols and signatures: one confined compile job. */
static int stage_check(validate_report *out, const agent_files *files, int wall_ms)
{
	sandbox_limits limits = { wall_ms, wall_ms, CHECK_MEMORY_MB };
	sandbox_outcome o;
	size_t n_sources;
	json_t *job = agent_job(&n_sources, files, NULL, NULL, 0);
	int rc;

	if (!job)
		return err_set(ERR_SYSTEM, "out of memory");
	if (n_sources == 0) {
		json_decref(job);
		stage_result(&out->stages[0], 0, "no .c files\n");
		return 0;
	}
	rc = sandbox_run(&o, job, &limits, NULL, NULL);
	json_decref(job);
	if (rc < 0)
		return rc;
	read_stages(out, &o);
	sandbox_outcome_free(&o);
	return 0;
}

/* An agent out of time: of its own CPU time ("did not return in 2 s"),
 * or of the wall time, which its evaluations share: "did not return in
 * 22 s (2 s of its own, and task sort's limit for 2 evaluations of 5 runs,
 * 2000 ms each)", so that a slow task is told from a slow agent. */
static void smoke_timeout(buf *out, const sandbox_outcome *o, const task *t)
{
	int wall_ms = agent_task_wall_ms(t, SMOKE_EVALS, SMOKE_MS);

	if (o->elapsed_ms < wall_ms) {
		buf_printf(out, "did not return in %g s", SMOKE_MS / 1000.0);
		return;
	}
	buf_printf(out, "did not return in %g s (%g s of its own, and task %s's limit for %d "
		   "evaluations", wall_ms / 1000.0, SMOKE_MS / 1000.0, t->name, SMOKE_EVALS);
	if (t->timing_repeats > 0)
		buf_printf(out, " of %d runs, %d ms each)", t->timing_repeats, t->budget.wall_ms);
	else
		buf_printf(out, ", %d ms each)", t->budget.wall_ms);
}

static void smoke_problem(buf *out, const char *entry, const agent_run_result *run,
			  const agent_files *files, const agent_files *candidate, const task *t)
{
	const sandbox_outcome *o = &run->outcome;

	if (o->status != SANDBOX_OK) {
		buf_printf(out, "smoke: %s ", entry);
		if (o->status == SANDBOX_CRASH && strncmp(o->detail, "crashed", 7) == 0) {
			buf_printf(out, "%s\n", o->detail);  /* "crashed (SIGSEGV)", said once */
			return;
		}
		if (o->status == SANDBOX_TIMEOUT)
			smoke_timeout(out, o, t);
		else
			buf_puts(out, o->status == SANDBOX_CRASH ? "crashed"
				 : sandbox_status_name(o->status));
		buf_printf(out, ": %s\n", o->detail);
	} else if (strcmp(entry, AGENT_ABI_META_ENTRY) != 0)
		return;
	else if (run->status != 0)
		buf_printf(out, "smoke: meta_agent_rewrite returned %d: it must propose a "
			   "rewrite offline (with no model) and return 0\n", run->status);
	else if (agents_same(files, candidate))
		buf_printf(out, "smoke: meta_agent_rewrite returned 0 but emitted no change: "
			   "it must propose a rewrite offline (with no model)\n");
}

/* Runs one entry point on a tiny budget; a problem is appended to `out`.
 * Its wall time is its own 2 s and the task's limit for its evaluations:
 * a task whose runs take long is no fault of the agents. */
static int smoke_one(buf *out, const agent_files *files, const char *entry, task *t)
{
	agent_run_options o = { .limits = { agent_task_wall_ms(t, SMOKE_EVALS, SMOKE_MS), SMOKE_MS,
					    256 },
				.evals = SMOKE_EVALS, .task = t, .seed = 1 };
	agent_files candidate = { NULL, 0 };
	agent_run_result run;
	int rc = strcmp(entry, AGENT_ABI_TASK_ENTRY) == 0 ? agent_improve(&run, t, files, &o)
		 : agent_rewrite(&candidate, &run, files, "[]", &o);

	if (rc == 0) {
		smoke_problem(out, entry, &run, files, &candidate, t);
		agent_run_result_free(&run);
	}
	agents_free(&candidate);
	return rc;
}

int validate_smoke_test_agent(buf *out, const agent_files *files, task *t)
{
	agent_run_options o = { .limits = { SMOKE_MS, SMOKE_MS, 256 }, .seed = 1 };
	propose_request req = { t->initial_text, t->train, t->n_train, 4, NULL };
	propose_list proposals;
	int rc;

	if (!propose_present(files))
		return 0;
	rc = propose_run(&proposals, NULL, t, files, &req, &o);
	if (rc == 0 && proposals.problem)
		buf_printf(out, "smoke: test_agent_propose (%s): %s\n", PROPOSE_FILE,
			   proposals.problem);
	propose_list_free(&proposals);
	return rc;
}

static int stage_smoke(validate_stage *st, const agent_files *files, task *t)
{
	buf out = BUF_INIT;
	const char *entry;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && (entry = agent_abi_required(i)) != NULL; i++)
		rc = smoke_one(&out, files, entry, t);
	if (rc == 0)
		rc = validate_smoke_test_agent(&out, files, t);
	if (rc < 0) {
		buf_free(&out);
		return rc;
	}
	stage_result(&st[0], out.len == 0, buf_cstr(&out));
	buf_free(&out);
	return 0;
}

static void report_init(validate_report *out)
{
	static const char *const names[VALIDATE_STAGES] = {
		"compile", "symbols", "signatures", "smoke",
	};
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < VALIDATE_STAGES; i++)
		out->stages[i].name = names[i];
}

/* The verdict of the first `stages` stages. */
static void report_verdict(validate_report *out, int stages)
{
	int i;

	out->failed = -1;
	for (i = 0; i < stages && out->failed < 0; i++)
		if (!out->stages[i].ran || !out->stages[i].passed)
			out->failed = i;
	out->valid = out->failed < 0;
}

int validate_check(validate_report *out, const agent_files *files, int wall_ms)
{
	int rc;

	report_init(out);
	rc = stage_check(out, files, wall_ms < CHECK_MS ? wall_ms : CHECK_MS);
	report_verdict(out, VALIDATE_CHECK_STAGES);
	return rc;
}

int validate_agents(validate_report *out, const agent_files *files, task *smoke_task)
{
	int rc;

	report_init(out);
	rc = stage_check(out, files, CHECK_MS);
	if (rc == 0 && out->stages[2].ran && out->stages[2].passed)
		rc = stage_smoke(&out->stages[3], files, smoke_task);
	report_verdict(out, VALIDATE_STAGES);
	return rc;
}

void validate_report_free(validate_report *r)
{
	int i;

	for (i = 0; i < VALIDATE_STAGES; i++)
		free(r->stages[i].diagnostics);
	free(r->exports);
	memset(r, 0, sizeof(*r));
}
