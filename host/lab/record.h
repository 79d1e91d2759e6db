/*
 * record.h - what is known about a generation, as a typed struct.
 *
 * Inside the engine and the lab a generation's record is this struct; JSON
 * is only its format at the edges: the git note the store writes, `--json`
 * output and the report. Each JSON shape (the record, a task's result, the
 * budget) has one function in each direction, here. Fields a record may
 * lack (an invalid candidate has no task results, gen_000 no rewrite) are
 * marked absent rather than zero, so that a note written again reads the
 * same.
 */
#ifndef HOST_RECORD_H
#define HOST_RECORD_H

#include "error.h"

#include "buf.h"

#include <jansson.h>
#include <stddef.h>

/* INTERRUPTED: the run was stopped while the generation's agents waited
 * for the model; its files are kept, but it was not measured. */
typedef enum {
	RECORD_ACCEPTED, RECORD_REJECTED, RECORD_INVALID, RECORD_INTERRUPTED
} record_status;

#define RECORD_N_STATUSES 4

/* "accepted", "rejected", "invalid" or "interrupted". */
const char *record_status_name(record_status status);

/* Evaluations and LLM use of a generation: its rewrite and its agents. */
typedef struct {
	int evals_per_task, evals_used;
	long llm_calls, tokens_in, tokens_out;
	double usd;
} record_budget;

/*
 * A timed task's scores, which vary from run to run. runs: the runs of
 * the solution's own evaluation on the training cases, and their median,
 * lowest and highest score (the kept one, the best, is its train score);
 * 0 when the task is not timed or a run failed. paired: the comparison
 * with its parent's solution that evolve's decision counts
 * (host/evolve/evolve_noise.c), made of `paired` runs of each, interleaved:
 * the medians of either, their fitness (normalised as the task's) and
 * the one-sided Mann-Whitney p-values that the candidate's runs score
 * better, and worse; 0 when not compared. `same`: the solution is its
 * parent's, byte for byte, and was not measured against it.
 */
typedef struct {
	int runs;
	double median, min, max;
	int paired, same;
	double paired_median, parent_median;
	double paired_fitness, parent_fitness;
	double p_better, p_worse;
} record_timing;

/*
 * A judged task's grades (task.json's "judge"; host/evolve/evolve_judge.c):
 * the model graded every answer of the solution `repeats` times on each
 * split, each time from 0 to 10. train and holdout are the mean grade
 * over the cases and the repeats, from 0 to 1; *_min and *_max the lowest
 * and highest of the repeats' own means: the judge's spread, which a
 * difference must clear (evolve_noise.c). A repeat whose reply was no
 * grade counts 0 for every case; `failed` counts them, `problem` says why
 * the first failed. `cases`: for each training case, {"grades": [G or
 * null, ...], "reason": the first grade's reason}; held-out cases have
 * their means only, no grade or reason. The spend is the judge's own,
 * also in the generation's budget. repeats 0: not judged.
 */
typedef struct {
	int repeats;
	double weight;             /* of the judge in the task's fitness */
	double train, train_min, train_max;
	double holdout, holdout_min, holdout_max;
	int failed;
	char *problem;
	json_t *cases;
	long calls, tokens_in, tokens_out;
	double usd;
} record_judge;

/* How the task agent did on one task; the host's scores of its solution. */
typedef struct {
	char *name;
	char *agent;          /* "ok", or how the agent's run ended ("timeout" ...) */
	char *problem;        /* what went wrong, NULL when nothing did */
	double train, holdout;                 /* the task's own scores */
	/* The host's run of the solution on the training cases failed: its
	 * status and why ("bad_output: ..."), and `train` is no score (0
	 * would read as the best there is where lower is better). NULL: it
	 * ran ok. */
	char *train_failed;
	/* How the host's held-out run of the solution ended: "ok", or its
	 * status ("timeout" ...), whose holdout score is no score; NULL: not
	 * recorded (a note written before host kept it). */
	char *holdout_status;
	double fitness, holdout_fitness;       /* normalised to 0..1 */
	int evals;
	double agent_ms;
	long llm_calls;       /* the task agent's model use */
	double usd;
	json_t *trace;        /* the broker's events, for the report; may be NULL */
	/* An arena generation's scores of the solution on the task's own
	 * training cases and on the cases the arena grew (train is on both),
	 * and of the solution it started the round with on the grown set:
	 * the test agents' blow, before the code agent's answer. has_split
	 * 0: not measured apart. */
	int has_split;
	double original, grown, grown_before;
	/* The solution the host scored: kept in the generation's tree as
	 * solutions/NAME.c (see store_solution), not in the note; NULL: none. */
	char *solution;
	record_timing timing;
	record_judge judge;
} record_task;

typedef struct {
	char *name;           /* "compile", "symbols", "signatures", "smoke" */
	char *status;         /* "pass", "fail" or "skipped" */
	char *diagnostics;
} record_stage;

typedef struct {
	double score, cost, time;  /* fitness = score*mean - cost*usd - time*s */
} record_utility;

#define RECORD_ABSENT (-1.0)  /* a time not measured */

/* What a fitness was measured under, besides the budget, tasks, seed and
 * utility the record keeps anyway: the model ("provider:model", or
 * "offline"; never a key or a URL), the model calls each agent run could
 * make, the runs of the task agent per task whose mean it is, and whether
 * each task agent started from its parent generation's solution (carry,
 * host init --carry) or from the task's initial.c: a fitness of the one
 * is no measure of the other. */
typedef struct {
	char *model;
	int llm_calls;
	int trials;
	int carry;
} record_measure;

/* A generation the arena made (host evolve --arena): its round, and what
 * that round's test agents did, counted over every task. */
typedef struct {
	int round;                 /* 1, 2 ...; 0: not an arena generation */
	int code_agent;            /* which code agent it is, 1..P */
	int grown;                 /* cases in the grown sets it was measured on */
	int proposed;              /* inputs the test agents proposed this round */
	int rejected;              /* of them: held-out cases, or refused or contradicted
	                              by the oracle */
	int malformed;             /* items of their replies that were no proposal */
	int passed;                /* labelled, but no solution got them wrong, or
	                              known already */
	int added;                 /* joined the grown set */
	int over_cap;              /* broke a solution, but the round's cap was reached */
	int checks;                /* one-case evaluations the host ran to judge them */
	char events[256];          /* the round's replacements, one line; "" none */
	/* The model use of the round's own work, which is no code agent's:
	 * its test agents' proposals and its replacements' meta agents. The
	 * round's first generation (code agent 1's) carries it, in its
	 * budget too, and the others 0, so that a lab's generations add up
	 * to every call made; no fitness counts it, so that it weighs on no
	 * code agent in the round's comparison. */
	long llm_calls, tokens_in, tokens_out;
	double usd;
} record_arena;

typedef struct {
	int number;                /* N of gen_NNN */
	int parent;                /* -1: none (gen_000) */
	int reverted_to;           /* -1: not a revert */
	int round;                 /* the round of candidates it was proposed in (1, 2 ...),
	                              its siblings the others of that round; 0: none */
	record_status status;
	char *reason;              /* one line; never NULL once filled */
	unsigned long long seed;
	char *host_version;
	int abi_version;
	double fitness, holdout;   /* holdout: mean normalised held-out score */
	char *changes;             /* what memory.md added; NULL: absent */
	char *summary;             /* what the rewrite changed, one line; NULL: absent */
	char *edits;               /* what it changed in the agent files but memory.md,
	                              as the host diffed them against the parent's: a
	                              line a hunk (diff_hunks); NULL: absent */
	int has_budget, has_utility, has_measure;
	record_budget budget;
	record_measure measure;
	record_utility utility;
	record_task *tasks;        /* in task order; NULL: not evaluated */
	size_t n_tasks;
	record_stage *stages;      /* validation; NULL: not validated */
	size_t n_stages;
	json_t *rewrite_trace;     /* the meta agent's events; NULL: absent */
	record_arena arena;        /* arena.round 0: absent */
	double rewrite_s, evaluate_s, total_s;  /* RECORD_ABSENT when not measured */
	/* Each task's initial.c as the host scored it when this generation
	 * began a measure of the lab (gen_000, a parent measured again): as
	 * any solution, on the task's own training and held-out cases, with
	 * no agent. Only the scores are set (name, train, holdout,
	 * train_failed, holdout_status, fitness, holdout_fitness); in task
	 * order. NULL: none measured here; lab_initial finds the measure a
	 * generation belongs to. */
	record_task *initial;
	size_t n_initial;
} record;

/* A record of this host's version: number, parent, status, reason, seed;
 * fitness and holdout 0, the rest absent. */
HOST_MUST_CHECK int record_init(record *r, int number, int parent, record_status status, const char *reason,
		unsigned long long seed);

/* A deep copy of `from`, traces shared (they are never changed). */
HOST_MUST_CHECK int record_copy(record *out, const record *from);

/* Sets r->measure, `model` copied. */
HOST_MUST_CHECK int record_set_measure(record *r, const char *model, int llm_calls, int trials,
				       int carry);

/* Replaces r->reason (copied). */
HOST_MUST_CHECK int record_set_reason(record *r, const char *reason);

/* Adds a task's result (its strings copied; `trace` gets a reference). */
HOST_MUST_CHECK int record_add_task(record *r, const record_task *t);

/* Adds initial.c's scores on a task: t's name and scores, copied. */
HOST_MUST_CHECK int record_add_initial(record *r, const record_task *t);

/* initial.c's scores on task `name` in r, or NULL. */
const record_task *record_find_initial(const record *r, const char *name);

/* The generation whose measure r continues, and so whose starting point
 * (initial.c's scores) is r's when r keeps none: a revert's target, whose
 * fitness it repeats, else its parent; -1 for none. */
int record_measure_from(const record *r);

/* Adds a validation stage (copied). */
HOST_MUST_CHECK int record_add_stage(record *r, const char *name, const char *status, const char *diagnostics);

/* Nonzero when r's fitness was measured: it was accepted or rejected. */
int record_measured(const record *r);

/* Nonzero when the host's held-out run of t's solution failed. */
int record_holdout_failed(const record_task *t);

/* The task's result named `name`, or NULL. */
const record_task *record_find_task(const record *r, const char *name);

void record_free(record *r);

/* The git note's JSON, and back. record_from_json fails, naming what is
 * wrong, on a note that is not a generation's record. */
json_t *record_to_json(const record *r);
HOST_MUST_CHECK int record_from_json(record *out, const json_t *json);

/* Records in a growing array: the generations of a lab, say. */
typedef struct {
	record *items;
	size_t n;
} record_list;

/* Appends a copy of `r`. Its `void *` form suits store_each. */
HOST_MUST_CHECK int record_list_add(record_list *list, const record *r);
HOST_MUST_CHECK int record_list_keep(void *list, const record *r);

void record_list_free(record_list *list);

/* The shapes inside a record, on their own: a budget, a task's result. */
json_t *record_budget_to_json(const record_budget *b);
void record_budget_from_json(record_budget *out, const json_t *json);
json_t *record_task_to_json(const record_task *t);
HOST_MUST_CHECK int record_task_from_json(record_task *out, const char *name, const json_t *json);
void record_task_free(record_task *t);
json_t *record_arena_to_json(const record_arena *a);
void record_arena_from_json(record_arena *out, const json_t *json);
/* r's initial.c scores as {"email": {"train": ...}, ...}, and back into
 * `out` (a note without them: none). */
json_t *record_initial_to_json(const record *r);
HOST_MUST_CHECK int record_initial_from_json(record *out, const json_t *json);

/* A task result's "timing" member added to its JSON `task` when it has
 * one (0, or -1 out of memory), and read back (absent: all 0). */
int record_timing_add(json_t *task, const record_timing *t);
void record_timing_from_json(record_timing *out, const json_t *json);

/* A task result's "judge" member added to its JSON `task` when it was
 * judged (0, or -1 out of memory), read back (absent: not judged), copied
 * and freed. */
int record_judge_add(json_t *task, const record_judge *j);
HOST_MUST_CHECK int record_judge_from_json(record_judge *out, const json_t *json);
HOST_MUST_CHECK int record_judge_copy(record_judge *out, const record_judge *from);
void record_judge_free(record_judge *j);

/* A judged task's grades in words on one line: "support judged 3 times:
 * 0.62 (0.55 to 0.70) on training, 0.58 (0.5 to 0.6) held-out, weight
 * 0.5; 6 calls, $0.0123". Nothing when it was not judged. */
void record_judge_describe(buf *out, const record_task *t);

/* A timed task's spread, and its comparison with `parent` when there was
 * one, in words on one line: "sort 55.3 ±2.1% (median of 5 runs, 54.9 to
 * 57.2); against gen_000 in 5 interleaved runs each: medians 55.1 and its
 * 901.2, p(better) 0.00397, p(worse) 1". Nothing when it has no timing. */
void record_timing_describe(buf *out, const record_task *t, int parent);

#endif
