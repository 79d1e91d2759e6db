/*
 * broker.c - serving agents' requests; see broker.h.
 *
 * Every reply is either the answer or {"error": "..."}, which the agent
 * sees as a failed call with that reason. A request that does not follow
 * the protocol (no op, an unknown op, a missing field) is not answered: it
 * ends the agent with protocol_error. So does asking again and again after
 * the budget is spent.
 *
 * host_check is the meta agent's alone: it checks the generation being
 * made, which only the meta agent has (a task agent's solutions have
 * host_eval's diagnostics). Each check is a sandboxed compile of every
 * agent file, so it is bounded twice: its time is the agent's own (it
 * is not excused, as a model's wait is, and a check ends at the agent's
 * deadline), and a run may make BROKER_CHECKS of them, or as many as its
 * model calls if those are more: one for each reply.
 */
#include "broker.h"

#include "agents.h"
#include "embed.h"
#include "error.h"
#include "eval.h"
#include "os.h"
#include "solution_model.h"
#include "text.h"
#include "utf8.h"
#include "validate.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BROKER_MAX_REFUSALS 20
#define BROKER_MAX_FILE AGENTS_MAX_FILE_BYTES  /* the caps every agent directory keeps to */
#define BROKER_MAX_FILES AGENTS_MAX_FILES
#define BROKER_MAX_FILES_BYTES AGENTS_MAX_BYTES
#define BROKER_MAX_TRACE 1000
#define BROKER_TRACE_TEXT 300
#define BROKER_MIN_MODEL_MS 100  /* model time a call needs left to be worth making */
#define BROKER_CHECKS 16         /* host_check calls a run may make, at least */
#define BROKER_CHECK_TEXT 8000   /* a check's diagnostics, at most */

void broker_init(broker *b, task *t, const agent_files *files, int evals,
		 double seconds)
{
	static const agent_options offline = { NULL, 0, NULL, NULL, NULL, NULL };

	memset(b, 0, sizeof(*b));
	b->task = t;
	b->carried_from = -1;
	b->files = files;
	b->opts = &offline;
	b->budget.evals_max = evals;
	b->budget.deadline_ms = os_now_ms() + seconds * 1000.0;
	b->trace = json_array();
}

/* Adds an event to the trace (consumed). The trace is capped, but for log
 * lines, which have a cap of their own (BROKER_LOG_MAX): what an agent
 * says it did after its thousandth evaluation is in the record too. */
static void trace(broker *b, json_t *event)
{
	const char *kind = json_string_value(json_object_get(event, "event"));

	if (event && (json_array_size(b->trace) < BROKER_MAX_TRACE ||
		      (kind && strcmp(kind, "log") == 0)))
		json_array_append(b->trace, event);
	json_decref(event);
}

void broker_use(broker *b, const agent_options *o)
{
	b->opts = o;
}

/* The model calls the run may make: none offline. */
static int llm_max(const broker *b)
{
	return b->opts->llm ? b->opts->llm_calls : 0;
}

void broker_free(broker *b)
{
	if (b->opts->llm && b->llm_tag)
		llm_measured_end(b->opts->llm);
	buf_free(&b->log);
	json_decref(b->log_marker);
	b->log_marker = NULL;
	free(b->fatal);
	b->fatal = NULL;
	free(b->best_solution);
	b->best_solution = NULL;
	json_decref(b->trace);
	b->trace = NULL;
}

static int refuse(broker *b, json_t **reply, int budget_spent, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse(broker *b, json_t **reply, int budget_spent, const char *fmt, ...)
{
	char message[512];
	va_list ap;

	if (budget_spent && ++b->budget.refused > BROKER_MAX_REFUSALS)
		return err_set(ERR_INVALID, "the agent kept asking after its budget was spent");
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	*reply = json_pack("{s:s}", "error", message);
	return 0;
}

static const char *required(const json_t *request, const char *field)
{
	const char *value = json_string_value(json_object_get(request, field));

	if (!value)
		err_set(ERR_INVALID, "'%s' request without a string '%s'",
			json_string_value(json_object_get(request, "op")), field);
	return value;
}

/* The name of the agent's call `n` (1, 2 ...): "gen_005 meta call 2". */
static void call_name(char *out, size_t size, const broker *b, int n)
{
	snprintf(out, size, "%.120s call %d", b->llm_tag ? b->llm_tag : "agent", n);
}

/* How long r's longest run took, which the agent may quote to the model
 * before its next call: under a replay, the time the recorded run took,
 * so that the prompts are the recorded ones (llm_measured). */
static double run_time(const broker *b, const eval_result *r)
{
	double ms = r->run_ms;
	char next[160];

	if (b->opts->llm && b->llm_tag) {
		call_name(next, sizeof(next), b, b->budget.llm_used + 1);
		llm_measured(b->opts->llm, next, &ms);
	}
	return ms;
}

/* What the solution's calls to the model cost is the agent run's spend,
 * in its record; their wait is not the agent's time, as its own calls'
 * is not. */
static void solution_model_spent(broker *b, const eval_model_use *u)
{
	solution_model_charge(&b->llm_used, u);
	b->budget.deadline_ms += u->ms;
	if (b->serving)
		b->serving->excused_ms += u->ms;
}

static int serve_eval(broker *b, const json_t *request, json_t **reply)
{
	const char *solution = required(request, "solution");
	double ms;
	eval_result r;

	if (!solution)
		return ERR_INVALID;
	if (!b->task)
		return refuse(b, reply, 0, "there is no task in this run");
	if (b->budget.evals_used >= b->budget.evals_max)
		return refuse(b, reply, 1, "the evaluation budget is spent (%d of %d used)",
			      b->budget.evals_used, b->budget.evals_max);
	if (os_now_ms() >= b->budget.deadline_ms)
		return refuse(b, reply, 1, "the time budget is spent");
	b->budget.evals_used++;
	if (eval_solution(&r, b->task, "solution.c", solution, EVAL_TRAIN) < 0)
		return refuse(b, reply, 0, "the host could not evaluate: %s", err_last());
	solution_model_spent(b, &r.model);
	ms = run_time(b, &r);
	{
		const char *said = r.diagnostics && *r.diagnostics ? r.diagnostics
				   : r.feedback ? r.feedback : "";
		size_t len = utf8_valid_prefix(said, strnlen(said, BROKER_TRACE_TEXT));
		trace(b, json_pack("{s:s, s:s, s:f, s:s%, s:f, s:f, s:i}", "event", "eval",
				   "status", sandbox_status_name(r.status), "score", r.score,
				   "feedback", said, len, "ms", r.elapsed_ms, "wall_ms", ms,
				   "wall_limit_ms", b->task->budget.wall_ms));
	}
	if (r.status == SANDBOX_OK && (!b->have_best ||
	    (b->task->higher_is_better ? r.score > b->best_score : r.score < b->best_score))) {
		char *copy = strdup(solution);

		if (copy) {  /* without memory, the agent's own answer still counts */
			free(b->best_solution);
			b->best_solution = copy;
			b->best_score = r.score;
			b->have_best = 1;
		}
	}
	*reply = json_pack("{s:s, s:f, s:s, s:s, s:f, s:i}", "status", sandbox_status_name(r.status),
			   "score", r.score, "feedback", r.feedback ? r.feedback : "",
			   "diagnostics", r.diagnostics ? r.diagnostics : "", "wall_ms", ms,
			   "wall_limit_ms", b->task->budget.wall_ms);
	eval_result_free(&r);
	return 0;
}

static int serve_task(broker *b, const json_t *request, json_t **reply)
{
	task *t = b->task;

	(void)request;
	if (!t)
		return refuse(b, reply, 0, "there is no task in this run");
	*reply = json_pack("{s:s, s:s, s:s, s:s, s:b, s:f, s:f, s:i, s:i, s:i, s:i}",
			   "name", t->name, "description", t->description, "interface", t->header_text,
			   "metric", t->metric, "higher_is_better", t->higher_is_better,
			   "baseline", t->baseline, "target", t->target,
			   "wall_ms", t->budget.wall_ms, "cpu_ms", t->budget.cpu_ms,
			   "memory_mb", t->budget.memory_mb, "carried_from", b->carried_from);
	return 0;
}

static int serve_read(broker *b, const json_t *request, json_t **reply)
{
	const char *name = required(request, "name");
	const char *text;

	if (!name)
		return ERR_INVALID;
	if (strcmp(name, "agent.h") == 0) {  /* the contract, for prompts */
		*reply = json_pack("{s:s}", "text", embed_agent_h);
		return 0;
	}
	if (!agents_valid_name(name))
		return refuse(b, reply, 0, "'%s' is not an agent file", name);
	text = b->files ? agents_get(b->files, name) : NULL;
	if (!text)
		return refuse(b, reply, 0, "there is no agent file '%s'", name);
	*reply = json_pack("{s:s}", "text", text);
	return 0;
}

/* The emitted set starts as the parent's files in some runs. */
static size_t files_size(const agent_files *files)
{
	size_t i, total = 0;

	for (i = 0; i < files->count; i++)
		total += strlen(files->items[i].text);
	return total;
}

static int serve_emit(broker *b, const json_t *request, json_t **reply)
{
	const char *name = required(request, "name");
	const char *text = name ? required(request, "text") : NULL;
	const char *before;
	size_t total;

	if (!text)
		return ERR_INVALID;
	if (!b->emitted)
		return refuse(b, reply, 0, "only the meta agent can emit files");
	if (!agents_valid_name(name))
		return refuse(b, reply, 0, "'%s' is not an agent file name "
			      "([a-z0-9_]+.c, [a-z0-9_]+.h or memory.md)", name);
	if (agents_reserved_name(name))
		return refuse(b, reply, 0, "'%s' is the name of one of the host's headers, "
			      "which agents cannot replace", name);
	if (strlen(text) > BROKER_MAX_FILE)
		return refuse(b, reply, 0, "'%s' is larger than %u bytes", name, BROKER_MAX_FILE);
	if (!agents_get(b->emitted, name) && b->emitted->count >= BROKER_MAX_FILES)
		return refuse(b, reply, 0, "an agent has at most %d files", BROKER_MAX_FILES);
	before = agents_get(b->emitted, name);
	total = files_size(b->emitted) - (before ? strlen(before) : 0) + strlen(text);
	if (total > BROKER_MAX_FILES_BYTES)
		return refuse(b, reply, 0, "the emitted files would total %zu bytes, above "
			      "the %u MB an agent may have in all", total,
			      BROKER_MAX_FILES_BYTES >> 20);
	if (agents_set(b->emitted, name, text) < 0)
		return refuse(b, reply, 0, "%s", err_last());
	*reply = json_object();
	return 0;
}

static int checks_max(const broker *b)
{
	return llm_max(b) > BROKER_CHECKS ? llm_max(b) : BROKER_CHECKS;
}

/* The check's verdict as the agent gets it, and an event in the trace. */
static int check_reply(broker *b, const validate_report *r, double ms, json_t **reply)
{
	const char *stage = r->valid ? "" : r->stages[r->failed].name;
	const char *said = r->valid ? "" : r->stages[r->failed].diagnostics;
	size_t len = utf8_valid_prefix(said, strnlen(said, BROKER_CHECK_TEXT));

	trace(b, json_pack("{s:s, s:b, s:s, s:f}", "event", "check", "passed", r->valid,
			   "stage", stage, "ms", ms));
	*reply = json_pack("{s:b, s:s, s:s%}", "passed", r->valid, "stage", stage,
			   "diagnostics", said, len);
	return *reply ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

static int serve_check(broker *b, const json_t *request, json_t **reply)
{
	double start = os_now_ms(), left = b->budget.deadline_ms - start;
	validate_report r;
	int rc;

	(void)request;
	if (!b->emitted)
		return refuse(b, reply, 0, "only the meta agent can check agent files");
	if (b->budget.checks_used >= checks_max(b))
		return refuse(b, reply, 1, "the check budget is spent (%d checks)", checks_max(b));
	if (left <= 0)
		return refuse(b, reply, 1, "the time budget is spent");
	b->budget.checks_used++;
	if (validate_check(&r, b->emitted, left < INT_MAX ? (int)left + 1 : INT_MAX) < 0)
		return refuse(b, reply, 0, "the host could not check: %s", err_last());
	rc = check_reply(b, &r, os_now_ms() - start, reply);
	validate_report_free(&r);
	return rc;
}

/* Past BROKER_LOG_MAX, lines are counted, not kept; one trace event says
 * how many were dropped. */
static void drop_log_line(broker *b)
{
	if (!b->log_marker) {
		b->log_marker = json_pack("{s:s, s:s}", "event", "log", "line", "");
		trace(b, json_incref(b->log_marker));
	}
	b->log_dropped++;
	json_object_set_new(b->log_marker, "line", json_sprintf(
		"(the log is capped at %u KB per run: %zu later lines were dropped)",
		BROKER_LOG_MAX >> 10, b->log_dropped));
}

static int serve_log(broker *b, const json_t *request, json_t **reply)
{
	const char *line = required(request, "line");
	size_t len;

	if (!line)
		return ERR_INVALID;
	len = utf8_valid_prefix(line, strnlen(line, BROKER_LOG_LINE));
	if (b->log.len + len + 1 > BROKER_LOG_MAX) {
		drop_log_line(b);
	} else {
		char *kept = strndup(line, len);
		text_one_line(kept);  /* it is printed (--verbose) and drawn as one line */
		if (kept)
			buf_printf(&b->log, "%s\n", kept);
		if (!kept || buf_failed(&b->log) < 0) {
			free(kept);
			return err_set(ERR_SYSTEM, "out of memory");
		}
		if (b->opts->echo)
			b->opts->echo(b->opts->echo_ctx, kept);
		trace(b, json_pack("{s:s, s:s}", "event", "log", "line", kept));
		free(kept);
	}
	*reply = json_object();
	return 0;
}

static int serve_budget(broker *b, const json_t *request, json_t **reply)
{
	double left = (b->budget.deadline_ms - os_now_ms()) / 1000.0;

	(void)request;
	*reply = json_pack("{s:i, s:i, s:f}",
			   "evals_left", b->budget.evals_max - b->budget.evals_used,
			   "llm_calls_left", llm_max(b) - b->budget.llm_used,
			   "seconds_left", left > 0 ? left : 0.0);
	return 0;
}

static int stopping(const broker *b)
{
	return b->opts->stop && *b->opts->stop;
}

/* llm_set_abort's check while a call waits: nobody is left to answer. */
static int abandon_call(void *ctx)
{
	const broker *b = ctx;

	return stopping(b) || sandbox_child_gone(b->serving);
}

static void trace_llm(broker *b, int rc, const char *text, size_t prompt_chars,
		      const llm_usage *before)
{
	trace(b, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:f, s:f}", "event", "llm",
		"status", rc == 0 ? "ok" : err_last(), "prompt_chars", (json_int_t)prompt_chars,
		"reply_chars", (json_int_t)(rc == 0 ? strlen(text) : 0),
		"tokens_in", (json_int_t)(b->llm_used.tokens_in - before->tokens_in),
		"tokens_out", (json_int_t)(b->llm_used.tokens_out - before->tokens_out),
		"usd", b->llm_used.usd - before->usd,
		"seconds", b->llm_used.seconds - before->seconds));
}

/* One model call for the agent, in model time: the wait is excused from
 * the agent's deadline and charged to the run's model time instead, and
 * the run's CPU slot is lent out meanwhile. */
static int call_model(broker *b, const char *system_prompt, const char *user, char **text)
{
	llm_usage before = b->llm_used;
	double start = os_now_ms(), waited;
	llm_client *llm = b->opts->llm;
	double left = (double)llm_run_ms(llm) - b->budget.model_ms;
	char tag[160];
	int rc;

	call_name(tag, sizeof(tag), b, b->budget.llm_used);
	llm_set_abort(llm, abandon_call, b);
	llm_set_tag(llm, b->llm_tag ? tag : NULL);
	slots_give(b->opts->cpu);
	rc = llm_chat(llm, system_prompt, user, start + left, text, &b->llm_used);
	if (slots_take(b->opts->cpu, 0, NULL, NULL) < 0 && rc == 0) {  /* only a broken semaphore */
		free(*text);
		*text = NULL;
		rc = -1;
	}
	llm_set_tag(llm, NULL);
	llm_set_abort(llm, NULL, NULL);
	waited = os_now_ms() - start;
	b->budget.model_ms += waited;
	b->budget.deadline_ms += waited;
	if (b->serving)
		b->serving->excused_ms += waited;
	if (rc < 0 && stopping(b))
		b->stopped = 1;
	trace_llm(b, rc, *text, strlen(system_prompt) + strlen(user), &before);
	return rc;
}

static int serve_llm(broker *b, const json_t *request, json_t **reply)
{
	const char *system_prompt = json_string_value(json_object_get(request, "system"));
	const char *user = json_string_value(json_object_get(request, "user"));
	char *text = NULL;
	int rc;

	if (!b->opts->llm)
		return refuse(b, reply, 1, "no provider");
	if (b->fatal)
		return refuse(b, reply, 1, "%s", b->fatal);
	if (stopping(b)) {
		b->stopped = 1;
		return refuse(b, reply, 1, "the run is stopping: no more model calls");
	}
	if (b->budget.llm_used >= llm_max(b))
		return refuse(b, reply, 1, "the LLM budget of this run is spent (%d calls)",
			      llm_max(b));
	if (b->budget.model_ms + BROKER_MIN_MODEL_MS > (double)llm_run_ms(b->opts->llm))
		return refuse(b, reply, 1, "the model time of this run is spent (%g s)",
			      llm_run_ms(b->opts->llm) / 1000.0);
	b->budget.llm_used++;
	rc = call_model(b, system_prompt ? system_prompt : "", user ? user : "", &text);
	if (rc == LLM_ERR_FATAL && !b->fatal)
		b->fatal = strdup(err_last());
	if (rc < 0)
		return refuse(b, reply, rc == LLM_ERR_BUDGET || rc == LLM_ERR_FATAL, "%s", err_last());
	*reply = json_pack("{s:s}", "text", text);
	free(text);
	return 0;
}

typedef int (*serve_fn)(broker *b, const json_t *request, json_t **reply);

int broker_serve(void *ctx, const json_t *request, json_t **reply, sandbox_request *req)
{
	static const struct { const char *op; serve_fn fn; } ops[] = {
		{ "eval", serve_eval }, { "task", serve_task }, { "read", serve_read },
		{ "emit", serve_emit }, { "check", serve_check }, { "log", serve_log },
		{ "budget", serve_budget }, { "llm", serve_llm },
	};
	const char *op = json_string_value(json_object_get(request, "op"));
	broker *b = ctx;
	size_t i;
	int rc;

	*reply = NULL;
	for (i = 0; op && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(op, ops[i].op) == 0) {
			b->serving = req;
			rc = ops[i].fn(b, request, reply);
			b->serving = NULL;
			return rc;
		}
	return err_set(ERR_INVALID, "unknown operation '%.40s'", op ? op : "(none)");
}
