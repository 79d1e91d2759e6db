/*
 * evolve_make.c - the generations a user makes by hand: gen_000 of a new
 * lab, a revert to an earlier generation, and recorded hand edits; see
 * evolve.h.
 *
 * They are accepted by the user's say-so, not by comparison with a
 * parent, but otherwise take the loop's path: gen_000 and hand edits are
 * evaluated like any candidate (evolve_evaluate), and all three enter the
 * lab through evolve_commit, which records them and makes them live.
 * gen_000's lab keeps its settings (settings.c) from the start, and
 * gen_000 the scores of each task's initial.c, where its measure starts
 * (evolve_score_initial); a revert's are its target's, whose measure it
 * repeats (record_measure_from), and are not copied. A
 * generation's solutions are read back here too (evolve_read_solutions).
 */
#include "evolve_internal.h"

#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int evolve_init(record *gen0, const char *dir, const agent_files *seed,
		const evolve_eval_options *o, const settings *keep)
{
	lab l;
	int rc = record_init(gen0, 0, -1, RECORD_ACCEPTED, "the seed agents", o->seed);

	if (rc == 0 && (rc = evolve_evaluate(gen0, seed, NULL, o)) == 0 &&
	    (rc = evolve_score_initial(gen0, o)) == 0 && (rc = lab_create(&l, dir)) == 0) {
		if ((rc = settings_write(&l, keep)) == 0)
			rc = evolve_commit(&l, gen0, seed, -1, NULL);
		if (rc < 0)
			lab_discard(&l);  /* so that init can be run again */
		else
			lab_close(&l);
	}
	if (rc < 0)
		record_free(gen0);
	return rc;
}

/* The record of a revert to `target`: its fitness and scores, accepted
 * on main's tip. */
static int revert_record(record *out, const record *target, int number, int live)
{
	char reason[64];
	int rc = record_copy(out, target);

	snprintf(reason, sizeof(reason), "revert to gen_%03d", target->number);
	if (rc == 0 && (rc = record_set_reason(out, reason)) == 0) {
		free(out->changes);
		free(out->edits);  /* the target's rewrite, not the revert */
		out->edits = NULL;
		while (out->n_initial > 0)  /* scored once, where the measure began */
			record_task_free(&out->initial[--out->n_initial]);
		free(out->initial);
		out->initial = NULL;
		out->changes = strdup("");
		out->number = number;
		out->parent = live;
		out->status = RECORD_ACCEPTED;
		out->reverted_to = target->number;
		if (!out->changes)
			rc = err_set(ERR_SYSTEM, "out of memory");
	}
	if (rc < 0)
		record_free(out);
	return rc;
}

/* A revert brings back what its target found, not only its agents; a
 * parent's are what its children are measured against, and start from
 * with carry. */
int evolve_read_solutions(record *r, lab *l, int target)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < r->n_tasks; i++) {
		free(r->tasks[i].solution);
		rc = store_solution(l->store, target, r->tasks[i].name, &r->tasks[i].solution);
		if (rc == ERR_NOTFOUND)
			rc = 0;
	}
	return rc;
}

/* EVOLVE_UNCHANGED, with the live generation's record in *out, when its
 * agent files are `files` already: a revert would only repeat it. */
static int live_already(record *out, lab *l, int live, const agent_files *files)
{
	agent_files live_files;
	int rc = store_read(l->store, live, out, &live_files);

	if (rc < 0)
		return rc;
	rc = agents_same(&live_files, files) ? EVOLVE_UNCHANGED : 0;
	agents_free(&live_files);
	if (rc == 0)
		record_free(out);
	return rc;
}

int evolve_revert(record *out, lab *l, int target, int force)
{
	agent_files files;
	record from;
	int live, next, rc = store_read(l->store, target, &from, &files);

	memset(out, 0, sizeof(*out));
	if (rc < 0)
		return rc;
	if (!record_measured(&from) && !force)
		rc = err_set(ERR_INVALID, "gen_%03d is %s (%s); use --force to revert to it "
			     "anyway", target, record_status_name(from.status), from.reason);
	if (rc == 0 && (rc = store_main(l->store, &live)) == 0 &&
	    (rc = live_already(out, l, live, &files)) == 0 &&
	    (rc = store_next_number(l->store, &next)) == 0 &&
	    (rc = revert_record(out, &from, next, live)) == 0 &&
	    ((rc = evolve_read_solutions(out, l, target)) < 0 ||  /* what it found, too */
	     (rc = evolve_commit(l, out, &files, target, NULL)) < 0))
		record_free(out);
	record_free(&from);
	agents_free(&files);
	return rc;
}

/* The live generation's record with its solutions, which hand edits
 * start from when the lab carries solutions; *has 0: none needed. */
static int read_live(record *out, int *has, lab *l, int live, const evolve_eval_options *o)
{
	int rc;

	*has = 0;
	if (!o->carry)
		return 0;
	if ((rc = store_read(l->store, live, out, NULL)) < 0)
		return rc;
	if ((rc = evolve_read_solutions(out, l, live)) < 0)
		record_free(out);
	*has = rc == 0;
	return rc;
}

int evolve_record_edits(record *out, validate_report *report, lab *l, const char *message,
			const evolve_eval_options *o)
{
	agent_files files;
	record from;
	int live, next, has_from = 0, rc = agents_load(&files, l->agent_dir);

	memset(out, 0, sizeof(*out));
	memset(report, 0, sizeof(*report));
	if (rc < 0)
		return rc;
	if ((rc = validate_agents(report, &files, o->tasks[0])) == 0 && report->valid &&
	    (rc = store_main(l->store, &live)) == 0 &&
	    (rc = store_next_number(l->store, &next)) == 0 &&
	    (rc = read_live(&from, &has_from, l, live, o)) == 0 &&
	    (rc = record_init(out, next, live, RECORD_ACCEPTED, message, o->seed)) == 0) {
		if (!(out->changes = strdup("")))
			rc = err_set(ERR_SYSTEM, "out of memory");
		if (rc == 0 && (rc = evolve_evaluate(out, &files, has_from ? &from : NULL, o)) == 0)
			rc = evolve_commit(l, out, &files, -1, NULL);
		if (rc < 0)
			record_free(out);
	}
	if (has_from)
		record_free(&from);
	agents_free(&files);
	return rc;
}
