/*
 * agent_run.c - agent runs; see agent_run.h.
 *
 * The job carries the agent's .c files as one unit and its .h files as
 * headers, which the sandbox writes to a folder of the job's own;
 * validation's check job carries them the same way.
 */
#include "agent_run.h"

#include "agent_abi.h"
#include "buf.h"
#include "error.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

json_t *agent_job(size_t *n_sources, const agent_files *files, const char *entry,
		  const char *arg, unsigned long long seed)
{
	json_t *sources = json_array(), *headers = json_array(), *unit;
	size_t i, n = 0;

	for (i = 0; i < files->count; i++) {
		const char *name = files->items[i].name;
		size_t len = strlen(name);
		json_t *list = len < 2 ? NULL : strcmp(name + len - 2, ".c") == 0 ? sources
			       : strcmp(name + len - 2, ".h") == 0 ? headers : NULL;
		if (list)
			json_array_append_new(list, json_pack("{s:s, s:s}", "name", name,
							      "text", files->items[i].text));
		n += list == sources;
	}
	if (n_sources)
		*n_sources = n;
	unit = json_pack("{s:o, s:s, s:[]}", "sources", sources, "prelude", "#include <agent.h>",
			 "include_dirs");
	if (!entry)
		return json_pack("{s:s, s:o, s:o}", "kind", "check", "agent", unit, "headers", headers);
	return json_pack("{s:s, s:o, s:o, s:s, s:s, s:I}", "kind", "agent", "agent", unit,
			 "headers", headers, "entry", entry, "arg", arg,
			 "seed", (json_int_t)(seed & 0x7fffffffffffffffULL));
}

int agent_run(agent_run_result *out, const agent_files *files,
	      const char *entry, const char *arg, broker *broker,
	      const sandbox_limits *limits, unsigned long long seed)
{
	json_t *job = agent_job(NULL, files, entry, arg, seed);
	const char *result;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!job)
		return err_set(ERR_SYSTEM, "out of memory");
	rc = sandbox_run(&out->outcome, job, limits, broker_serve, broker);
	json_decref(job);
	if (rc < 0)
		return rc;
	result = json_string_value(json_object_get(out->outcome.result, "result"));
	out->result = result ? strdup(result) : NULL;
	out->status = (int)json_integer_value(json_object_get(out->outcome.result, "status"));
	return 0;
}

/* How an agent's run ended, as a verb phrase. */
static const char *ended(sandbox_status status)
{
	switch (status) {
	case SANDBOX_OK: return "ended well";
	case SANDBOX_COMPILE_ERROR: return "did not compile";
	case SANDBOX_TIMEOUT: return "timed out";
	case SANDBOX_CRASH: return "crashed";
	case SANDBOX_MEMORY: return "ran out of memory";
	case SANDBOX_FORBIDDEN: return "made a forbidden call";
	case SANDBOX_BAD_OUTPUT: return "sent bad output";
	default: return "broke the protocol";
	}
}

char *agent_run_problem(const agent_run_result *r)
{
	buf text = BUF_INIT;

	buf_printf(&text, "the agent %s (%s)", ended(r->outcome.status),
		   r->outcome.detail ? r->outcome.detail : "");
	if (r->kept_best)
		buf_printf(&text, "; its best scored solution (%g) was kept", r->kept_score);
	if (buf_failed(&text) < 0) {
		buf_free(&text);
		return NULL;
	}
	return buf_detach(&text);
}

void agent_run_result_free(agent_run_result *r)
{
	sandbox_outcome_free(&r->outcome);
	free(r->result);
	json_decref(r->trace);
	r->result = NULL;
	r->trace = NULL;
}

/* Runs `entry` with a broker set up from `o`, and keeps what the broker
 * counted in `out`; the caller frees the broker. */
static int run_brokered(agent_run_result *out, broker *b, const agent_files *files,
			const char *entry, const char *arg, const agent_run_options *o)
{
	int rc;

	if (o->agent)
		broker_use(b, o->agent);
	b->llm_tag = o->llm_tag;
	rc = agent_run(out, files, entry, arg, b, &o->limits, o->seed);
	if (rc == 0) {
		out->evals_used = b->budget.evals_used;
		out->llm_used = b->llm_used;
		out->trace = json_incref(b->trace);
		out->stopped = b->stopped;
	}
	return rc;
}

int agent_task_wall_ms(const task *t, int evals, int own_ms)
{
	long long runs = t->timing_repeats > 0 ? t->timing_repeats : 1;
	long long ms = own_ms + (long long)evals * runs * t->budget.wall_ms;

	return ms > INT_MAX ? INT_MAX : (int)ms;
}

int agent_improve(agent_run_result *out, task *t, const agent_files *files,
		  const agent_run_options *o)
{
	broker b;
	int rc;

	broker_init(&b, t, files, o->evals, o->limits.wall_ms / 1000.0);
	if (o->initial)
		b.carried_from = o->carried_from;
	rc = run_brokered(out, &b, files, AGENT_ABI_TASK_ENTRY,
			  o->initial ? o->initial : t->initial_text, o);
	if (rc == 0 && out->outcome.status != SANDBOX_OK && b.best_solution) {
		free(out->result);
		out->result = b.best_solution;
		b.best_solution = NULL;
		out->kept_best = 1;
		out->kept_score = b.best_score;
	}
	broker_free(&b);
	return rc;
}

int agent_propose(agent_run_result *out, task *t, const agent_files *files,
		  const char *request, const agent_run_options *o)
{
	broker b;
	int rc;

	broker_init(&b, t, files, 0, o->limits.wall_ms / 1000.0);
	rc = run_brokered(out, &b, files, AGENT_ABI_TEST_ENTRY, request, o);
	broker_free(&b);
	return rc;
}

int agent_rewrite(agent_files *candidate, agent_run_result *out, const agent_files *files,
		  const char *archive, const agent_run_options *o)
{
	broker b;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = agents_copy(candidate, files)) < 0)
		return rc;
	broker_init(&b, o->task, files, o->evals, o->limits.wall_ms / 1000.0);
	b.emitted = candidate;
	if ((rc = run_brokered(out, &b, files, AGENT_ABI_META_ENTRY, archive, o)) < 0)
		agents_free(candidate);
	broker_free(&b);
	return rc;
}

