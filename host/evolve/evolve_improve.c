/*
 * evolve_improve.c - `host improve` where the executor puts it: here
 * (improve_task), or as a Slurm job step; see evolve_improve in evolve.h.
 *
 * The step runs improve_task on its node as the host would, with the
 * host's model (evolve_unit.c), and its last word is the improve_result
 * in JSON: the four scorings, and how the agent's run ended. Text the
 * step sends back is copied, so the result is freed as a local one is,
 * with improve_result_free; its solution is the run's, or the host's own
 * task's initial.c.
 */
#include "evolve_internal.h"

#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A copy of `json`'s string member `key`, NULL when there is none. */
static char *text_of(const json_t *json, const char *key)
{
	const char *s = json_string_value(json_object_get(json, key));

	return s ? strdup(s) : NULL;
}

static json_t *eval_to_json(const eval_result *r)
{
	json_t *scores = json_array(), *out;
	int i;

	for (i = 0; scores && i < r->runs && i < TASK_REPEATS_MAX; i++)
		json_array_append_new(scores, json_real(r->scores[i]));
	out = json_pack("{s:i, s:f, s:s?, s:s?, s:s?, s:f, s:f, s:f, s:i, s:o?}", "status",
			(int)r->status, "score", r->score, "feedback", r->feedback, "diagnostics",
			r->diagnostics, "detail", r->detail, "elapsed_ms", r->elapsed_ms, "run_ms",
			r->run_ms, "cpu_ns", r->cpu_ns, "runs", r->runs, "scores", scores);
	return out;
}

static void eval_from_json(eval_result *r, const json_t *json)
{
	const json_t *v;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->status = (sandbox_status)json_integer_value(json_object_get(json, "status"));
	r->score = json_number_value(json_object_get(json, "score"));
	r->feedback = text_of(json, "feedback");
	r->diagnostics = text_of(json, "diagnostics");
	r->detail = text_of(json, "detail");
	r->elapsed_ms = json_number_value(json_object_get(json, "elapsed_ms"));
	r->run_ms = json_number_value(json_object_get(json, "run_ms"));
	r->cpu_ns = json_number_value(json_object_get(json, "cpu_ns"));
	json_array_foreach(json_object_get(json, "scores"), i, v)
		if (i < TASK_REPEATS_MAX)
			r->scores[r->runs++] = json_number_value(v);
}

static json_t *run_to_json(const agent_run_result *r)
{
	const sandbox_outcome *o = &r->outcome;

	return json_pack("{s:{s:i, s:i, s:s?, s:s?, s:O?, s:f, s:f}, s:s?, s:i, s:f, s:i, s:i, "
			 "s:i, s:o, s:O?}",
			 "outcome", "status", (int)o->status, "signal", o->signal, "syscall",
			 o->syscall, "detail", o->detail, "result", o->result, "elapsed_ms",
			 o->elapsed_ms, "cpu_ns", o->cpu_ns,
			 "result", r->result, "kept_best", r->kept_best, "kept_score", r->kept_score,
			 "stopped", r->stopped, "status", r->status, "evals_used", r->evals_used,
			 "usage", llm_usage_to_json(&r->llm_used), "trace", r->trace);
}

static void run_from_json(agent_run_result *r, const json_t *json)
{
	const json_t *o = json_object_get(json, "outcome");

	memset(r, 0, sizeof(*r));
	r->outcome.status = (sandbox_status)json_integer_value(json_object_get(o, "status"));
	r->outcome.signal = (int)json_integer_value(json_object_get(o, "signal"));
	r->outcome.syscall = text_of(o, "syscall");
	r->outcome.detail = text_of(o, "detail");
	r->outcome.result = json_incref(json_object_get(o, "result"));
	r->outcome.elapsed_ms = json_number_value(json_object_get(o, "elapsed_ms"));
	r->outcome.cpu_ns = json_number_value(json_object_get(o, "cpu_ns"));
	r->result = text_of(json, "result");
	r->kept_best = (int)json_integer_value(json_object_get(json, "kept_best"));
	r->kept_score = json_number_value(json_object_get(json, "kept_score"));
	r->stopped = (int)json_integer_value(json_object_get(json, "stopped"));
	r->status = (int)json_integer_value(json_object_get(json, "status"));
	r->evals_used = (int)json_integer_value(json_object_get(json, "evals_used"));
	llm_usage_from_json(&r->llm_used, json_object_get(json, "usage"));
	r->trace = json_incref(json_object_get(json, "trace"));
}

int evolve_unit_improve(json_t **reply, const json_t *unit, evolve_unit_env *env)
{
	const json_t *opt = json_object_get(unit, "options");
	const char *seed = json_string_value(json_object_get(opt, "seed"));
	agent_options ao = { .llm = env->llm,
			     .llm_calls = (int)json_integer_value(json_object_get(opt, "llm_calls")) };
	agent_run_options o = {
		.agent = &ao,
		.limits = { (int)json_integer_value(json_object_get(opt, "wall_ms")),
			    (int)json_integer_value(json_object_get(opt, "cpu_ms")),
			    (int)json_integer_value(json_object_get(opt, "memory_mb")) },
		.evals = (int)json_integer_value(json_object_get(opt, "evals")),
		.seed = seed ? strtoull(seed, NULL, 10) : 0,
		.llm_tag = json_string_value(json_object_get(opt, "tag")),
	};
	improve_result r;
	int rc = improve_task(&r, env->task, &env->files, &o);

	*reply = rc < 0 ? NULL
		 : json_pack("{s:o, s:o, s:o, s:o, s:o, s:f}", "initial_train",
			     eval_to_json(&r.initial_train), "initial_holdout",
			     eval_to_json(&r.initial_holdout), "train", eval_to_json(&r.train),
			     "holdout", eval_to_json(&r.holdout), "run", run_to_json(&r.run),
			     "seconds", r.seconds);
	if (rc == 0)
		improve_result_free(&r);
	return rc;
}

/* The host's side: the unit, run as a step, and its last word read. */
static int improve_slurm(improve_result *out, task *t, const agent_files *files,
			 const agent_run_options *o, const evolve_executor *x)
{
	char seed[32];
	const char *error;
	json_t *unit = NULL, *last = NULL;
	int rc = evolve_unit_pack(&unit, "improve", t, files, o->agent);

	snprintf(seed, sizeof(seed), "%llu", o->seed);
	if (rc == 0 && json_object_set_new(unit, "options", json_pack(
			"{s:i, s:i, s:i, s:i, s:s, s:i, s:s?}", "wall_ms", o->limits.wall_ms,
			"cpu_ms", o->limits.cpu_ms, "memory_mb", o->limits.memory_mb, "evals",
			o->evals, "seed", seed, "llm_calls", o->agent->llm_calls, "tag",
			o->llm_tag)) < 0)
		rc = err_set(ERR_SYSTEM, "out of memory");
	if (rc == 0)
		rc = evolve_slurm_run(&last, unit, o->agent, x);
	error = json_string_value(json_object_get(last, "error"));
	if (rc == 0 && error && *error)
		rc = err_set(ERR_GENERIC, "its Slurm step failed: %s", error);
	if (rc == 0) {
		eval_from_json(&out->initial_train, json_object_get(last, "initial_train"));
		eval_from_json(&out->initial_holdout, json_object_get(last, "initial_holdout"));
		eval_from_json(&out->train, json_object_get(last, "train"));
		eval_from_json(&out->holdout, json_object_get(last, "holdout"));
		run_from_json(&out->run, json_object_get(last, "run"));
		out->seconds = json_number_value(json_object_get(last, "seconds"));
		if (out->run.outcome.status == SANDBOX_OK || out->run.kept_best)
			out->solution = out->run.result ? out->run.result : t->initial_text;
	}
	json_decref(last);
	json_decref(unit);
	return rc;
}

int evolve_improve(improve_result *out, task *t, const agent_files *files,
		   const agent_run_options *o, const evolve_executor *x)
{
	memset(out, 0, sizeof(*out));
	return x && x->slurm ? improve_slurm(out, t, files, o, x) : improve_task(out, t, files, o);
}
