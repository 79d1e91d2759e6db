/*
 * eval.c - evaluation of a solution; see eval.h.
 *
 * The job sent to the sandbox holds the solution, the driver and the case
 * inputs only; both units compile against the task's private header
 * folder. The labels go with the transcript to score.c, which runs in a
 * sandbox of its own (scorer.c).
 */
#include "eval_internal.h"

#include "error.h"
#include "os.h"
#include "scorer.h"

#include <stdlib.h>
#include <string.h>

#define EVAL_TRANSCRIPT_MAX (4u << 20)

static json_t *source_unit(const char *name, const char *text,
			   const char *prelude, const char *dir)
{
	return json_pack("{s:[{s:s, s:s}], s:s, s:[s]}", "sources", "name", name,
			 "text", text, "prelude", prelude, "include_dirs", dir);
}

/* The driver is compiled against the task ABI, which the runner has
 * built in ("task_abi"): the job does not carry it. */
static json_t *driver_unit(const task *t)
{
	return json_pack("{s:[{s:s, s:s}], s:b, s:[s]}", "sources", "name", "driver.c",
			 "text", t->driver_text, "task_abi", 1, "include_dirs", t->header_dir);
}

static json_t *build_job(const task *t, const char *name, const char *source,
			 const task_case *cases, size_t n_cases)
{
	buf solution_prelude = BUF_INIT;
	json_t *job = NULL, *inputs = json_array(), *entry = json_array();
	json_t *solution, *driver;
	size_t i;

	for (i = 0; i < n_cases; i++)
		json_array_append_new(inputs, json_string(cases[i].input));
	for (i = 0; i < t->n_entry; i++)
		json_array_append_new(entry, json_string(t->entry[i]));
	buf_printf(&solution_prelude, "#include \"%s\"", t->header);
	if (buf_failed(&solution_prelude) < 0) {
		solution = driver = NULL;
	} else {
		solution = source_unit(name, source, buf_cstr(&solution_prelude), t->header_dir);
		driver = driver_unit(t);
	}
	if (solution && driver && inputs && entry &&
	    json_object_set_new(solution, "entry", entry) == 0)
		job = json_pack("{s:s, s:o, s:o, s:o, s:I, s:b}", "kind", "solution",
				"solution", solution, "driver", driver,
				"cases", inputs, "transcript_max",
				(json_int_t)EVAL_TRANSCRIPT_MAX, "model", t->model_calls > 0);
	else {
		json_decref(solution);
		json_decref(driver);
		json_decref(inputs);
		json_decref(entry);
	}
	buf_free(&solution_prelude);
	return job;
}

static char *diagnostics_text(const json_t *result)
{
	const char *text = json_string_value(json_object_get(result, "diagnostics_text"));

	return strdup(text ? text : "");
}

/* The sandbox ran: turn its outcome into a score. A task whose score.c
 * fails is an error of the host's; a transcript score.c rejects is the
 * solution's. */
static int score_outcome(eval_result *out, task *t, const sandbox_outcome *o,
			 const task_case *cases, size_t n_cases, eval_split split)
{
	buf feedback = BUF_INIT;
	const char *transcript;
	int rc;

	out->status = o->status;
	out->detail = strdup(o->detail);
	out->cpu_ns = o->cpu_ns;
	out->run_ms = o->elapsed_ms;
	if (o->status == SANDBOX_COMPILE_ERROR || o->status == SANDBOX_TASK_ERROR)
		out->diagnostics = diagnostics_text(o->result);
	if (o->status != SANDBOX_OK) {
		buf_printf(&feedback, "%s: %s", sandbox_status_name(o->status), o->detail);
		out->feedback = buf_detach(&feedback);
		return 0;
	}
	transcript = json_string_value(json_object_get(o->result, "transcript"));
	rc = scorer_score(t, transcript ? transcript : "", o->cpu_ns, cases, n_cases,
			  &out->score, split == EVAL_TRAIN ? &feedback : NULL);
	if (rc == 0 && t->judge_repeats > 0 && out->status == SANDBOX_OK &&
	    !(out->answers = strdup(transcript ? transcript : "")))
		rc = err_set(ERR_SYSTEM, "out of memory");
	if (rc == ERR_INVALID) {
		out->status = SANDBOX_BAD_OUTPUT;
		free(out->detail);
		out->detail = strdup(err_last());
	} else if (rc < 0) {
		buf_free(&feedback);
		return rc;
	}
	out->feedback = buf_detach(&feedback);
	return 0;
}

/* One run of `job` in a sandbox, scored. */
static int run_once(eval_result *out, task *t, json_t *job, const sandbox_limits *limits,
		    const task_case *cases, size_t n_cases, eval_split split)
{
	eval_asks asks = { t->model_calls * (int)n_cases, 0, { 0, 0, 0, 0, 0, 0, 0 } };
	sandbox_outcome outcome;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sandbox_run(&outcome, job, limits, t->model_calls > 0 ? eval_model_serve : NULL,
			 &asks);
	if (rc == 0)
		rc = score_outcome(out, t, &outcome, cases, n_cases, split);
	sandbox_outcome_free(&outcome);
	out->model = asks.use;
	if (rc < 0)
		eval_result_free(out);
	return rc;
}

/* Whether the run `r` replaces `kept` as a timed evaluation's result:
 * every run must succeed, so a failure does; else a better score. */
static int replaces(const task *t, const eval_result *r, const eval_result *kept)
{
	if (r->status != SANDBOX_OK)
		return 1;
	return t->higher_is_better ? r->score > kept->score : r->score < kept->score;
}

/* The longest of the runs so far and `r`: what an agent is told its
 * evaluation took, beside the limit. */
static double runs_longest(const eval_result *out, const eval_result *r)
{
	return out->runs > 0 && out->run_ms > r->run_ms ? out->run_ms : r->run_ms;
}

/* Adds run `r` (taken) to the evaluation `out`, which had out->runs
 * runs: its score joins the others, and it becomes the result when it
 * is the first, or replaces the kept one. */
static void add_run(eval_result *out, eval_result *r, const task *t)
{
	double scores[TASK_REPEATS_MAX];
	double longest = runs_longest(out, r);
	eval_model_use used = out->model;  /* every run's, kept or not */
	int runs = out->runs;

	eval_model_use_add(&used, &r->model);
	memcpy(scores, out->scores, sizeof(scores));
	if (runs < TASK_REPEATS_MAX)
		scores[runs] = r->score;
	if (runs == 0 || replaces(t, r, out)) {
		eval_result_free(out);
		*out = *r;
	} else {
		eval_result_free(r);
	}
	memcpy(out->scores, scores, sizeof(scores));
	out->runs = runs + 1;
	out->run_ms = longest;
	out->model = used;
}

static int set_clock(const task *t, json_t *job)
{
	if (t->timing_repeats > 0 && json_object_set_new(job, "clock", json_true()) < 0)
		return err_set(ERR_SYSTEM, "out of memory");
	return 0;
}

/*
 * A timed task's evaluation is its best of timing_repeats runs, each a
 * fresh child measured from outside: noise from the machine (other
 * processes, caches, frequency) only ever adds CPU time, so the best run
 * is the closest to the solution's own cost. Every run's score is kept
 * too: how far apart they are is what a comparison must beat.
 */
static int run_all(eval_result *out, task *t, json_t *job, const sandbox_limits *limits,
		   const task_case *cases, size_t n_cases, eval_split split)
{
	int runs = t->timing_repeats > 0 ? t->timing_repeats : 1, i, rc = set_clock(t, job);

	for (i = 0; rc == 0 && i < runs; i++) {
		eval_result r;

		if ((rc = run_once(&r, t, job, limits, cases, n_cases, split)) < 0)
			break;
		add_run(out, &r, t);
		if (out->status != SANDBOX_OK)
			break;
	}
	if (rc < 0)
		eval_result_free(out);
	return rc;
}

/* One evaluation of `source` on `cases`: its job, run and scored. */
static int run_cases(eval_result *out, task *t, const char *name, const char *source,
		     const task_case *cases, size_t n_cases, eval_split split,
		     const sandbox_limits *limits)
{
	json_t *job = build_job(t, name, source, cases, n_cases);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!job)
		return err_set(ERR_SYSTEM, "out of memory");
	rc = run_all(out, t, job, limits, cases, n_cases, split);
	json_decref(job);
	return rc;
}

/* Adds batch `b` of `n` cases (taken) to the held-out result `out` of
 * `total` cases: its score weighted by its cases (a failed run's is 0, as
 * a one-run failure's), its CPU time summed, its longest run kept. */
static void add_batch(eval_result *out, eval_result *b, size_t n, size_t total)
{
	double score = b->status != SANDBOX_OK ? 0 : out->score + b->score * (double)n / (double)total;
	double cpu = out->cpu_ns < 0 || b->cpu_ns < 0 ? -1 : out->cpu_ns + b->cpu_ns;
	double longest = out->run_ms > b->run_ms ? out->run_ms : b->run_ms;
	char *before = out->answers, *both = NULL;
	eval_model_use used = out->model;

	eval_model_use_add(&used, &b->model);
	out->answers = NULL;
	eval_result_free(out);
	*out = *b;
	if (before) {  /* the batches' answers in order; none once one failed */
		if (out->answers && asprintf(&both, "%s%s", before, out->answers) < 0)
			both = NULL;
		free(out->answers);
		free(before);
		out->answers = both;
	}
	out->score = score;
	out->cpu_ns = cpu;
	out->run_ms = longest;
	out->model = used;
}

/*
 * The held-out cases in batches of at most the training set's size, each
 * a run of its own under the budget, as a training run is: the budget
 * holds per case, and a solution the training set shows fits within it
 * is not failed for the held-out set's size. The batches are as even as
 * they can be; the first that fails is the result; else the score is
 * their mean weighted by their cases, and a timed task's CPU time their
 * sum.
 */
static int run_holdout(eval_result *out, task *t, const char *name, const char *source,
		       const sandbox_limits *limits)
{
	size_t size = t->n_train > 0 ? t->n_train : 1, total = t->n_holdout, from = 0, k;
	size_t batches = total > size ? (total + size - 1) / size : 1;
	int rc = 0;

	if (batches == 1)
		return run_cases(out, t, name, source, t->holdout, total, EVAL_HOLDOUT, limits);
	memset(out, 0, sizeof(*out));
	for (k = 0; k < batches; k++) {
		size_t n = (total - from) / (batches - k);
		eval_result b;

		if ((rc = run_cases(&b, t, name, source, t->holdout + from, n, EVAL_HOLDOUT,
				    limits)) < 0)
			break;
		add_batch(out, &b, n, total);
		from += n;
		if (out->status != SANDBOX_OK)
			break;
	}
	if (rc < 0)
		eval_result_free(out);
	return rc;
}

/* How a held-out run failed, in the host's words only. */
static const char *holdout_failure(sandbox_status status)
{
	switch (status) {
	case SANDBOX_COMPILE_ERROR: return "the code does not compile";
	case SANDBOX_TIMEOUT: return "it ran out of time";
	case SANDBOX_CRASH: return "it crashed";
	case SANDBOX_MEMORY: return "it ran out of memory";
	case SANDBOX_FORBIDDEN: return "it made a forbidden system call";
	case SANDBOX_BAD_OUTPUT: return "its output was wrong or missing";
	case SANDBOX_PROTOCOL_ERROR: return "it broke the channel's rules";
	case SANDBOX_TASK_ERROR: return "the task's driver.c does not compile";
	default: return "it failed";
	}
}

/*
 * A held-out run keeps its status and score and nothing else. Whatever
 * else it produced could carry the held-out inputs the solution saw: a
 * message, an exit status, a signal or a system call of its choosing,
 * score.c's feedback quoting its output. What is left goes to records,
 * archives and prompts, so it is cut here, where every held-out run
 * passes. What its calls to the model cost stays: it was spent.
 */
static int seal_holdout(eval_result *r)
{
	free(r->feedback);
	free(r->diagnostics);
	free(r->detail);
	r->diagnostics = NULL;
	r->feedback = strdup("");
	r->detail = strdup(r->status == SANDBOX_OK ? "ok" : holdout_failure(r->status));
	if (!r->feedback || !r->detail) {
		eval_result_free(r);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	return 0;
}

int eval_solution_limits(eval_result *out, task *t, const char *name,
			 const char *source, eval_split split,
			 const sandbox_limits *limits)
{
	double start = os_now_ms();
	int rc;

	if (!limits)
		limits = &t->budget;
	if (split == EVAL_TRAIN)
		rc = run_cases(out, t, name, source, t->train, t->n_train, EVAL_TRAIN, limits);
	else if ((rc = run_holdout(out, t, name, source, limits)) == 0)
		rc = seal_holdout(out);
	out->elapsed_ms = os_now_ms() - start;
	return rc;
}

int eval_solution(eval_result *out, task *t, const char *name,
		  const char *source, eval_split split)
{
	return eval_solution_limits(out, t, name, source, split, NULL);
}

/* One run of `job` added to *out; nonzero *stop once it failed. */
static int run_side(eval_result *out, task *t, json_t *job, int *stop)
{
	eval_result r;
	int rc = run_once(&r, t, job, &t->budget, t->train, t->n_train, EVAL_TRAIN);

	if (rc == 0) {
		add_run(out, &r, t);
		*stop = out->status != SANDBOX_OK;
	}
	return rc;
}

int eval_interleaved(eval_result *a, eval_result *b, task *t, const char *a_source,
		     const char *b_source, int runs)
{
	json_t *a_job = build_job(t, "solution.c", a_source, t->train, t->n_train);
	json_t *b_job = build_job(t, "solution.c", b_source, t->train, t->n_train);
	double start = os_now_ms();
	int i, stop = 0, rc = 0;

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	runs = runs < TASK_REPEATS_MAX ? runs : TASK_REPEATS_MAX;
	if (!a_job || !b_job)
		rc = err_set(ERR_SYSTEM, "out of memory");
	else if ((rc = set_clock(t, a_job)) == 0)
		rc = set_clock(t, b_job);
	for (i = 0; rc == 0 && !stop && i < runs; i++) {
		int b_first = i % 2;

		rc = run_side(b_first ? b : a, t, b_first ? b_job : a_job, &stop);
		if (rc == 0 && !stop)
			rc = run_side(b_first ? a : b, t, b_first ? a_job : b_job, &stop);
	}
	json_decref(a_job);
	json_decref(b_job);
	if (rc < 0) {
		eval_result_free(a);
		eval_result_free(b);
	}
	a->elapsed_ms = b->elapsed_ms = os_now_ms() - start;
	return rc;
}

void eval_result_free(eval_result *r)
{
	free(r->feedback);
	free(r->diagnostics);
	free(r->detail);
	free(r->answers);
	memset(r, 0, sizeof(*r));
}

char *eval_diagnostics(const json_t *result)
{
	return diagnostics_text(result);
}

int eval_find_broken(eval_result *out, size_t *broken, task *const *tasks, size_t n)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		if (eval_solution(out, tasks[i], "initial.c", tasks[i]->initial_text, EVAL_TRAIN) < 0)
			return err_set(ERR_GENERIC, "task %s: %s", tasks[i]->name, err_last());
		if (out->status == SANDBOX_TASK_ERROR)
			break;
		eval_result_free(out);
	}
	*broken = i;
	return 0;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int eval_repeat(eval_repeated *out, task *t, const char *name, const char *source,
		int repeat)
{
	double *times = calloc((size_t)(repeat > 1 ? repeat : 1), sizeof(double));
	double start = 0;
	int i, rc = 0;

	memset(out, 0, sizeof(*out));
	if (!times)
		return err_set(ERR_SYSTEM, "out of memory");
	for (i = 0; i < repeat && rc == 0; i++) {
		if (i == 1)
			start = os_now_ms();
		eval_result_free(&out->last);
		rc = eval_solution(&out->last, t, name, source, EVAL_TRAIN);
		times[i] = out->last.elapsed_ms;
	}
	out->first_ms = times[0];
	if (rc == 0 && repeat > 1) {
		out->evals_per_s = (repeat - 1) * 1000.0 / (os_now_ms() - start);
		qsort(times + 1, (size_t)repeat - 1, sizeof(double), compare_doubles);
		out->median_ms = times[1 + (repeat - 1) / 2];
	}
	free(times);
	return rc;
}
