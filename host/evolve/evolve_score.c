/*
 * evolve_score.c - the host's own scores of one solution: its runs on the
 * training and held-out cases, a judged task's grades, and the fitness
 * they make; see evolve_score_solution in evolve_internal.h.
 *
 * An agent never reports its score: whatever it returns is scored here,
 * by the task's score.c in its sandbox and, for a task with a judge, by
 * the model in the host (evolve_judge.c), and what failed is recorded
 * with why.
 */
#include "evolve_internal.h"

#include "error.h"
#include "eval.h"
#include "solution_model.h"
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double evolve_normalised(const task *t, double score)
{
	double v = (score - t->baseline) / (t->target - t->baseline);

	return v < 0 ? 0 : v > 1 ? 1 : v;
}


/* The host's own runs of a solution that failed: the record says how. */
static int note_failure(record_task *out, const eval_result *train, const eval_result *holdout)
{
	const eval_result *failed = train->status != SANDBOX_OK ? train : holdout;
	char text[400];

	if (failed->status == SANDBOX_OK)
		return 0;
	snprintf(text, sizeof(text), "the solution failed the host's run on the %s cases: %s",
		 failed == train ? "training" : "held-out", failed->detail ? failed->detail : "");
	out->problem = strdup(text);
	return out->problem ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

size_t evolve_solution_max(const task *t)
{
	size_t initial = strlen(t->initial_text);

	return initial > EVOLVE_SOLUTION_MAX ? initial : EVOLVE_SOLUTION_MAX;
}

/* The training run failed: its score is none, and the record says so
 * with the run's status and why. */
static int note_train_failed(record_task *out, const eval_result *train)
{
	char text[400];

	free(out->train_failed);
	out->train_failed = NULL;
	if (train->status == SANDBOX_OK)
		return 0;
	snprintf(text, sizeof(text), "%s: %s", sandbox_status_name(train->status),
		 train->detail ? train->detail : "");
	out->train_failed = strdup(text);
	return out->train_failed ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

/* A solution too large to take: the initial one is scored in its place. */
static int too_large(record_task *out, const task *t, size_t len)
{
	char text[200];

	snprintf(text, sizeof(text), "the agent's solution is %zu bytes, above the %zu the host "
		 "takes; the initial solution was scored instead", len, evolve_solution_max(t));
	free(out->problem);
	out->problem = strdup(text);
	return out->problem ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

/* A timed evaluation's runs, in its record: how far apart they are. */
static void set_spread(record_timing *out, const eval_result *train)
{
	int i;

	out->runs = train->runs;
	out->median = stats_median(train->scores, (size_t)train->runs);
	out->min = out->max = train->scores[0];
	for (i = 1; i < train->runs; i++) {
		out->min = train->scores[i] < out->min ? train->scores[i] : out->min;
		out->max = train->scores[i] > out->max ? train->scores[i] : out->max;
	}
}

/* The task's fitness on a split: its normalised score, mixed with the
 * judge's mean grade when the answers were judged. */
static double split_fitness(const task *t, double score, const record_judge *j, double grade)
{
	double rubric = evolve_normalised(t, score);

	return j->repeats > 0 ? (1 - j->weight) * rubric + j->weight * grade : rubric;
}

/* The judge's grades of the two runs' answers, when the task has one. */
static int judge_runs(record_task *out, const task *t, const eval_result *train,
		      const eval_result *holdout, const evolve_judging *judge)
{
	if (!judge || !judge->llm || t->judge_repeats <= 0 || train->status != SANDBOX_OK)
		return 0;
	record_judge_free(&out->judge);
	return evolve_judge(&out->judge, t, judge->llm, judge->tag, train->answers,
			    holdout->status == SANDBOX_OK ? holdout->answers : NULL, judge->used);
}

/* out's scores and fitness from the host's two runs. */
static int set_scores(record_task *out, const task *t, const eval_result *train,
		      const eval_result *holdout, int counts)
{
	const record_judge *j = &out->judge;

	/* a solution that fails scores 0, which for a lower-is-better task
	 * would be the best score there is: it gets no fitness */
	out->train = train->score;
	out->holdout = holdout->score;
	free(out->holdout_status);
	if (!(out->holdout_status = strdup(sandbox_status_name(holdout->status))))
		return err_set(ERR_SYSTEM, "out of memory");
	out->fitness = counts && train->status == SANDBOX_OK
		       ? split_fitness(t, train->score, j, j->train) : 0.0;
	out->holdout_fitness = counts && holdout->status == SANDBOX_OK
			       ? split_fitness(t, holdout->score, j, j->holdout) : 0.0;
	if (t->timing_repeats > 0 && train->status == SANDBOX_OK)
		set_spread(&out->timing, train);
	return 0;
}

/* The host's scores of the solution the agent returned, or of the best
 * one it scored before it failed; an agent that failed with nothing
 * scored, or returned a solution too large to keep, gets the initial
 * solution's scores and no fitness. */
int evolve_score_solution(record_task *out, task *t, const char *solution, int counts,
			  const evolve_judging *judge)
{
	eval_result train = { 0 }, holdout = { 0 };
	size_t len = strlen(solution);
	int rc;

	if (len > evolve_solution_max(t)) {
		if ((rc = too_large(out, t, len)) < 0)
			return rc;
		solution = t->initial_text;
		counts = 0;
	}
	free(out->solution);
	if (!(out->solution = strdup(solution)))
		return err_set(ERR_SYSTEM, "out of memory");
	if ((rc = eval_solution(&train, t, "solution.c", solution, EVAL_TRAIN)) == 0 &&
	    (rc = eval_solution(&holdout, t, "solution.c", solution, EVAL_HOLDOUT)) == 0 &&
	    (rc = judge_runs(out, t, &train, &holdout, counts ? judge : NULL)) == 0 &&
	    (rc = set_scores(out, t, &train, &holdout, counts)) == 0) {
		if (!out->problem)
			rc = note_failure(out, &train, &holdout);
		if (rc == 0)
			rc = note_train_failed(out, &train);
	}
	if (judge && judge->used) {  /* the solution's own calls are the generation's spend */
		solution_model_charge(judge->used, &train.model);
		solution_model_charge(judge->used, &holdout.model);
	}
	eval_result_free(&train);
	eval_result_free(&holdout);
	return rc;
}

