/*
 * evolve_flight.c - a round's candidates in flight, each in a process of
 * its own; see evolve_fly in evolve_internal.h.
 *
 * With a model, a candidate spends nearly all its time waiting for
 * replies, so a round runs its candidates at once: each is made by a fork
 * of the host (evolve_workers.c; its agents sandboxed as ever), which
 * reports its phases and finally its record and files. Only this process
 * touches the lab: the candidates come back here, and evolve.c decides and
 * commits them in the order they were proposed, whatever order they
 * finished in.
 *
 * A stop reaches the candidates through the workers' shared flag; the
 * model's budget running out, or a refusal no retry mends, stops them the
 * same way. Should this process die, its candidates die with it.
 */
#include "evolve_internal.h"

#include "error.h"
#include "evolve_workers.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

json_t *evolve_files_to_json(const agent_files *files)
{
	json_t *out = json_object();
	size_t i;

	for (i = 0; out && i < files->count; i++)
		if (json_object_set_new(out, files->items[i].name,
					json_string(files->items[i].text)) < 0) {
			json_decref(out);
			return NULL;
		}
	return out;
}

int evolve_files_from_json(agent_files *out, const json_t *json)
{
	const char *name;
	json_t *text;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	json_object_foreach((json_t *)json, name, text) {
		if (!json_is_string(text) || !agents_valid_name(name))
			rc = err_set(ERR_INVALID, "a file sent is no agent file: '%.60s'", name);
		else
			rc = agents_set(out, name, json_string_value(text));
		if (rc < 0) {
			agents_free(out);
			return rc;
		}
	}
	return 0;
}

/* The tasks' solutions of `r`, which its note does not carry. */
static json_t *solutions_to_json(const record *r)
{
	json_t *out = json_object();
	size_t i;

	for (i = 0; out && i < r->n_tasks; i++)
		if (r->tasks[i].solution)
			json_object_set_new(out, r->tasks[i].name, json_string(r->tasks[i].solution));
	return out;
}

static int solutions_from_json(record *r, const json_t *json)
{
	size_t i;

	for (i = 0; i < r->n_tasks; i++) {
		const char *text = json_string_value(json_object_get(json, r->tasks[i].name));
		if (text && !(r->tasks[i].solution = strdup(text)))
			return err_set(ERR_SYSTEM, "out of memory");
	}
	return 0;
}

/* The candidates of a round, and who hears of them. */
typedef struct {
	evolve_candidate *c;
	size_t n;
	const evolve_options *o;
	evolve_flight_fn seen;
	void *ctx;
} flight;

static void send_phase(void *ctx, evolve_phase phase)
{
	evolve_workers_say(ctx, json_pack("{s:i}", "phase", (int)phase));
}

/* A candidate's process: makes it, seeing a stop through the flag shared
 * with it, and sends back its record and files. */
static int candidate_work(json_t **out, void *ctx, evolve_worker *w)
{
	const flight *f = ctx;
	evolve_candidate *c = &f->c[w->index];
	evolve_options co = *f->o;
	double start = os_now_ms();
	int rc;

	co.eval.agent.stop = w->stop;
	rc = evolve_candidate_make(c, &co, send_phase, w);
	c->r.total_s = (os_now_ms() - start) / 1000.0;
	if (rc == 0)
		*out = json_pack("{s:o?, s:o?, s:o?}", "record", record_to_json(&c->r),
				 "files", c->files.count ? evolve_files_to_json(&c->files) : NULL,
				 "solutions", solutions_to_json(&c->r));
	return rc;
}

/* A candidate that did not come back: kept, as interrupted, with why. */
static int lost(evolve_candidate *c, const char *why)
{
	char reason[600];

	snprintf(reason, sizeof(reason), "its process %s before it was measured; kept, not "
		 "measured", why);
	c->r.status = RECORD_INTERRUPTED;
	c->back = 1;
	if (!(c->error = strdup(why)))
		return err_set(ERR_SYSTEM, "out of memory");
	return record_set_reason(&c->r, reason);
}

/* Takes what the candidate sent back: `out`, or `error`, why it failed. */
static int take_back(evolve_candidate *c, const json_t *out, const char *error)
{
	const json_t *files = json_object_get(out, "files");
	record r;
	int rc;

	if (*error) {
		char why[560];
		snprintf(why, sizeof(why), "failed (%.500s)", error);
		return lost(c, why);
	}
	if ((rc = record_from_json(&r, json_object_get(out, "record"))) < 0)
		return rc;
	if ((rc = solutions_from_json(&r, json_object_get(out, "solutions"))) < 0 ||
	    (files && (rc = evolve_files_from_json(&c->files, files)) < 0)) {
		record_free(&r);
		return rc;
	}
	record_free(&c->r);
	c->r = r;
	c->back = 1;
	return 0;
}

/* Candidate i's phase, as it goes. */
static void candidate_said(void *ctx, size_t i, const json_t *msg)
{
	const flight *f = ctx;

	if (json_is_integer(json_object_get(msg, "phase")))
		f->c[i].phase = (evolve_phase)json_integer_value(json_object_get(msg, "phase"));
	if (f->seen)
		f->seen(f->ctx, f->c, f->n);
}

/* Candidate i's end: what it sent back, or why nothing came. */
static int candidate_done(void *ctx, size_t i, const json_t *out, const char *error,
			  int status)
{
	const flight *f = ctx;
	evolve_candidate *c = &f->c[i];
	char why[120];
	int rc = 0;

	if (error && take_back(c, out, error) < 0) {
		snprintf(why, sizeof(why), "sent what cannot be read (%.50s)", err_last());
		rc = lost(c, why);
	} else if (!c->back) {
		if (WIFSIGNALED(status))
			snprintf(why, sizeof(why), "was killed by signal %d", WTERMSIG(status));
		else
			snprintf(why, sizeof(why), "ended without a word (exit %d)", WEXITSTATUS(status));
		rc = lost(c, why);
	}
	if (f->seen)
		f->seen(f->ctx, f->c, f->n);
	return rc;
}

/* Passes a stop on: a signal, or the model's budget or a fatal refusal,
 * which end every candidate's calls alike. */
static int candidate_stopping(void *ctx)
{
	const evolve_options *o = ((const flight *)ctx)->o;

	return evolve_stopping(&o->eval) || llm_fatal(o->eval.agent.llm) ||
	       llm_exhausted(o->eval.agent.llm);
}

/* One candidate alone is made in this process: a fork, a zygote of its
 * own and the drivers compiled again would cost more than it waits. */
typedef struct {
	evolve_candidate *c;
	evolve_flight_fn seen;
	void *ctx;
} here_ctx;

static void phase_here(void *ctx, evolve_phase phase)
{
	here_ctx *h = ctx;

	h->c->phase = phase;
	if (h->seen)
		h->seen(h->ctx, h->c, 1);
}

static int fly_here(evolve_candidate *c, const evolve_options *o, evolve_flight_fn seen,
		    void *ctx)
{
	here_ctx h = { c, seen, ctx };
	double start = os_now_ms();
	char why[560];
	int rc = evolve_candidate_make(c, o, phase_here, &h);

	c->r.total_s = (os_now_ms() - start) / 1000.0;
	c->back = 1;
	if (rc < 0) {
		snprintf(why, sizeof(why), "failed (%.500s)", err_last());
		rc = lost(c, why);
	}
	if (seen)
		seen(ctx, c, 1);
	return rc;
}

int evolve_fly(evolve_candidate *c, size_t n, const evolve_options *o, evolve_flight_fn seen,
	       void *ctx)
{
	flight f = { c, n, o, seen, ctx };
	evolve_workers_job job = {
		.what = "a candidate", .n = n, .llm = o->eval.agent.llm, .work = candidate_work,
		.said = candidate_said, .done = candidate_done, .stopping = candidate_stopping,
		.ctx = &f,
	};
	size_t i;
	int rc;

	if (n > EVOLVE_MAX_PARALLEL)
		return err_set(ERR_INVALID, "at most %d candidates can be in flight", EVOLVE_MAX_PARALLEL);
	if (n == 1)
		return fly_here(c, o, seen, ctx);
	for (i = 0; i < n; i++)
		c[i].phase = EVOLVE_REWRITE;
	if (seen)
		seen(ctx, c, n);
	rc = evolve_workers_run(&job);
	for (i = 0; i < n; i++)  /* never started: kept, as interrupted */
		if (!c[i].back && lost(&c[i], "could not be started") < 0)
			break;
	if (rc < 0 && seen)
		seen(ctx, c, n);
	return rc;
}
