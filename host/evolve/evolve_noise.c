/*
 * evolve_noise.c - a timed task's score differs from run to run, so a
 * candidate is better on it only on evidence beyond that noise; see
 * evolve_pair_timed and evolve_counted_gain in evolve_internal.h.
 *
 * Two evaluations made at different times cannot be compared: the
 * machine was not the same machine (load, caches, frequency), and the
 * best of K runs of the same code moves by more than a small improvement.
 * So the candidate's solution and its parent's are measured again
 * together, their runs interleaved, and a one-sided Mann-Whitney U test
 * over the runs (exact on these small samples, host/util/stats.c) says
 * whether the candidate's scores are better, or worse, at
 * EVOLVE_NOISE_ALPHA shared by the candidate's timed tasks (Bonferroni).
 *
 * The rule, for each timed task of a candidate (the others count exactly,
 * as they always did):
 *  - its solution is the parent's, byte for byte: the task counts 0;
 *  - compared: it counts the difference of the two medians' fitness when
 *    the test finds the candidate better (p_better < alpha) and the
 *    medians agree, or worse (p_worse < alpha) and they agree; else 0;
 *  - not compared (the parent's solution is not kept, or a run failed):
 *    its recorded difference counts when it is a loss, never as a gain;
 *    unless the parent's own evaluation of it failed (no fitness, no
 *    runs): a failure is no noise, and the recorded difference counts.
 * Whatever the recorded fitness says, noise alone can then never make a
 * candidate better, and a candidate whose every solution is its parent's
 * is rejected before any of this (evolve_decide).
 *
 * A judged task (task.json's "judge") is noisy in another way: the same
 * answers get other grades when asked again. Its fitness is (1 - w) times
 * the rubric's plus w times the judge's mean grade over its repeats
 * (evolve_eval.c), and the judge's part of a difference counts only when
 * the two spreads are apart: every repeat's mean grade of the candidate
 * above every one of the parent's (or every one below, for a loss). Else
 * the judge's part counts 0, and the rubric's part alone decides. A
 * parent not judged on the task (task.json had no judge then) is no
 * comparison: the difference counts only as a loss. With 3 repeats, all
 * three apart is what a one-sided rank test needs for p = 1/20; the
 * rule asks no more of fewer repeats, and repeats are the task's choice.
 */
#include "evolve_internal.h"

#include "eval.h"
#include "stats.h"

#include <stdio.h>
#include <string.h>

static int has_timing(const record_timing *t)
{
	return t->runs > 0 || t->paired > 0 || t->same;
}

int evolve_same_solutions(const record *r, const record *parent)
{
	size_t i;

	if (r->n_tasks == 0 || r->n_tasks != parent->n_tasks ||
	    (r->has_measure && r->measure.trials > 1))
		return 0;
	for (i = 0; i < r->n_tasks; i++) {
		const record_task *p = record_find_task(parent, r->tasks[i].name);
		if (!p || !p->solution || !r->tasks[i].solution ||
		    strcmp(p->solution, r->tasks[i].solution) != 0)
			return 0;
	}
	return 1;
}

/* The paired runs of one timed task, both ended well: the medians, their
 * fitness and the p-values, in the task's direction. */
static int set_paired(record_timing *out, const task *t, const eval_result *mine,
		      const eval_result *theirs)
{
	const double *lower = t->higher_is_better ? theirs->scores : mine->scores;
	const double *higher = t->higher_is_better ? mine->scores : theirs->scores;
	size_t n = (size_t)mine->runs;
	int rc;

	if ((rc = stats_less_p(&out->p_better, lower, n, higher, n)) < 0 ||
	    (rc = stats_less_p(&out->p_worse, higher, n, lower, n)) < 0)
		return rc;
	out->paired = mine->runs;
	out->paired_median = stats_median(mine->scores, n);
	out->parent_median = stats_median(theirs->scores, n);
	out->paired_fitness = evolve_normalised(t, out->paired_median);
	out->parent_fitness = evolve_normalised(t, out->parent_median);
	return 0;
}

/* Candidate solution `mine` of timed task t against the parent's. */
static int pair_one(record_timing *out, task *t, const char *mine, const char *theirs)
{
	int runs = t->timing_repeats > EVOLVE_PAIRED_RUNS ? t->timing_repeats : EVOLVE_PAIRED_RUNS;
	eval_result a, b;
	int rc;

	if (strcmp(mine, theirs) == 0) {
		out->same = 1;
		return 0;
	}
	if ((rc = eval_interleaved(&a, &b, t, mine, theirs, runs)) < 0)
		return rc;
	if (a.status == SANDBOX_OK && b.status == SANDBOX_OK && a.runs == b.runs)
		rc = set_paired(out, t, &a, &b);
	eval_result_free(&a);
	eval_result_free(&b);
	return rc;
}

int evolve_pair_timed(record *r, const record *parent, const evolve_eval_options *o)
{
	size_t i, k;
	int rc = 0;

	if (evolve_same_solutions(r, parent) || evolve_stopping(o))
		return 0;
	for (i = 0; rc == 0 && i < o->n_tasks; i++) {
		task *t = o->tasks[i];
		const record_task *p = record_find_task(parent, t->name);
		record_task *c = NULL;

		for (k = 0; k < r->n_tasks && !c; k++)
			c = strcmp(r->tasks[k].name, t->name) == 0 ? &r->tasks[k] : NULL;
		if (t->timing_repeats <= 0 || !c || !p || !c->solution || !p->solution ||
		    c->timing.runs <= 0)
			continue;
		if ((rc = slots_take(o->agent.cpu, 0, NULL, NULL)) < 0)
			break;
		rc = pair_one(&c->timing, t, c->solution, p->solution);
		slots_give(o->agent.cpu);
	}
	return rc;
}

/* What timed task c's term counts, against p's, weighted by `weight`;
 * `why` gets its comparison. */
static double counted(const record_task *c, const record_task *p, double weight, double alpha,
		      buf *why)
{
	const record_timing *t = &c->timing;
	double raw = (c->fitness - p->fitness) * weight;
	double shown = (t->paired_fitness - t->parent_fitness) * weight;

	buf_printf(why, "%s%s: ", why->len ? "; " : "", c->name);
	if (t->same) {
		buf_puts(why, "the parent's own solution");
		return 0;
	}
	if (t->paired <= 0 && p->timing.runs <= 0 && p->fitness == 0) {
		buf_puts(why, "the parent's solution failed its evaluation, so counted as recorded");
		return raw;
	}
	if (t->paired <= 0) {
		buf_puts(why, "not compared with the parent's solution, so counted only as a loss");
		return raw < 0 ? raw : 0;
	}
	buf_printf(why, "median %.4g against the parent's %.4g in %d interleaved runs each, ",
		   t->paired_median, t->parent_median, t->paired);
	if (t->p_better < alpha && shown > 0) {
		buf_printf(why, "better (p %.3g < %.3g)", t->p_better, alpha);
		return shown;
	}
	if (t->p_worse < alpha && shown < 0) {
		buf_printf(why, "worse (p %.3g < %.3g)", t->p_worse, alpha);
		return shown;
	}
	buf_printf(why, "no difference (p %.3g, not below %.3g)",
		   t->p_better < t->p_worse ? t->p_better : t->p_worse, alpha);
	return 0;
}

/* What judged task c's term counts, against p's, weighted by `weight`;
 * `why` gets its comparison. */
static double judged(const record_task *c, const record_task *p, double weight, buf *why)
{
	const record_judge *j = &c->judge, *q = &p->judge;
	double raw = (c->fitness - p->fitness) * weight;
	double part = j->weight * (j->train - q->train) * weight;

	buf_printf(why, "%s%s: ", why->len ? "; " : "", c->name);
	if (q->repeats <= 0) {
		buf_puts(why, "the parent was not judged, so counted only as a loss");
		return raw < 0 ? raw : 0;
	}
	buf_printf(why, "judged %.4g (%.4g to %.4g in %d) against the parent's %.4g (%.4g to "
		   "%.4g in %d), ", j->train, j->train_min, j->train_max, j->repeats, q->train,
		   q->train_min, q->train_max, q->repeats);
	if (j->train_min > q->train_max || j->train_max < q->train_min) {
		buf_puts(why, "apart: the judge's part counts");
		return raw;
	}
	buf_puts(why, "within the spread: the rubric's part alone counts");
	return raw - part;
}

double evolve_counted_gain(const record *r, const record *parent, buf *why)
{
	double gain = r->fitness - parent->fitness, weight, alpha;
	size_t i, compared = 0;

	if (r->n_tasks == 0)
		return gain;
	weight = (r->has_utility ? r->utility.score : 1.0) / (double)r->n_tasks;
	for (i = 0; i < r->n_tasks; i++)
		compared += r->tasks[i].timing.paired > 0;
	alpha = EVOLVE_NOISE_ALPHA / (double)(compared ? compared : 1);
	for (i = 0; i < r->n_tasks; i++) {
		const record_task *c = &r->tasks[i], *p = record_find_task(parent, c->name);
		if (p && has_timing(&c->timing))
			gain += counted(c, p, weight, alpha, why) - (c->fitness - p->fitness) * weight;
		else if (p && c->judge.repeats > 0)
			gain += judged(c, p, weight, why) - (c->fitness - p->fitness) * weight;
	}
	return gain;
}
