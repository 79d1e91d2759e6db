/*
 * evolve.h - generations: evaluating a set of agents on the training
 * tasks, and the evolution loop of select, rewrite, validate, evaluate,
 * decide and commit.
 */
#ifndef HOST_EVOLVE_H
#define HOST_EVOLVE_H

#include "agents.h"
#include "lab.h"
#include "llm.h"
#include "task.h"

#include <jansson.h>
#include <signal.h>

/* Training tasks a run may have; so also the most workers (-j) that can
 * be busy at once, each evaluating one task. */
#define EVOLVE_MAX_TASKS 64

typedef struct {
	double score, cost, time;  /* fitness = score*mean - cost*usd - time*s */
} evolve_utility;

typedef struct {
	task **tasks;              /* training tasks */
	size_t n_tasks;
	int budget;                /* evaluations per task per generation */
	unsigned long long seed;
	evolve_utility utility;
	llm_client *llm;           /* NULL: offline */
	int llm_calls;             /* calls each agent run may make */
	int jobs;                  /* tasks evaluated at once, in worker processes */
} evolve_eval_options;

/*
 * Runs the task agent of `files` on every task, re-scores what it returns
 * on training and held-out cases, and fills `record` with "tasks",
 * "fitness", "utility", "holdout" and "budget" (adding to the LLM use
 * already in record.budget, from the rewrite). Fitness is the mean over
 * tasks of the training score normalised by the task's baseline and
 * target (0..1), weighted by the utility.
 */
int evolve_evaluate(json_t *record, const agent_files *files,
		    const evolve_eval_options *o);

typedef struct {
	evolve_eval_options eval;
	int gens;
	int select_archive;          /* 0: best (main), 1: archive */
	int quiet, json;
	int live;                    /* a status line updated in place (a terminal) */
	int color;                   /* color the status words (a terminal without NO_COLOR) */
	volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM: end after this generation */
} evolve_options;

/* Runs o->gens generations in an open, locked lab. */
int evolve_run(lab *l, const evolve_options *o);

/* The archive summary the meta agent reads: one object per generation,
 * indexed by generation number. */
json_t *evolve_archive(lab *l);

/* A record's common fields: generation, parent, status, reason, seed,
 * host and ABI versions. */
json_t *evolve_record(int number, int parent, const char *status, const char *reason,
		      unsigned long long seed);

/* Commits `record` (with its "fitness") as generation `number`. */
int evolve_commit(lab *l, json_t *record, const agent_files *files, int also_parent);

#endif
