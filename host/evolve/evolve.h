/*
 * evolve.h - generations: evaluating a set of agents on the training
 * tasks, the evolution loop of select, rewrite, validate, evaluate,
 * decide and commit, and the generations a user makes by hand (gen_000, a
 * revert, recorded edits), which share its evaluation and its commit.
 *
 * The engine never prints: it returns records and summaries, and reports
 * a run's progress to a callback, which the CLI draws.
 */
#ifndef HOST_EVOLVE_H
#define HOST_EVOLVE_H

#include "error.h"

#include "agent_options.h"
#include "agents.h"
#include "improve.h"
#include "lab.h"
#include "llm.h"
#include "record.h"
#include "settings.h"
#include "task.h"
#include "validate.h"

/* Training tasks a run may have; so also the most workers (-j) that can
 * be busy at once, each evaluating one task. */
#define EVOLVE_MAX_TASKS 64

/* Candidates a round may have in flight at once (--parallel). */
#define EVOLVE_MAX_PARALLEL 64

/* The agents' own wall time, by default; time waiting for the model is
 * not theirs (see broker_serve). The task agent also gets the task's
 * limit for each evaluation of its budget. */
#define EVOLVE_META_MS 60000
#define EVOLVE_AGENT_SLACK_MS 10000

typedef record_utility evolve_utility;

/*
 * Where the evaluations run: here, in processes of this machine (the
 * default), or as Slurm job steps (srun) on the nodes of the user's
 * allocation, or of a new one. A step is one unit: one task agent's
 * evaluation of one candidate on one task. It gets the agent files and
 * the task's folder over its stdin, runs them in a sandbox of its node
 * and answers on its stdout, through which its model calls come to this
 * process: the lab and the model stay this process's alone. The results
 * are the same either way.
 */
typedef struct {
	int slurm;                 /* 0: local processes; 1: Slurm job steps */
	const char *slurm_args;    /* more options for srun, split at blanks; may be NULL */
} evolve_executor;

typedef struct {
	task **tasks;              /* training tasks */
	size_t n_tasks;
	int budget;                /* evaluations per task per generation */
	unsigned long long seed;
	evolve_utility utility;
	/* The agents' model, its calls per run, the stop and the CPU bound,
	 * passed to every agent run as they are. A stop (*agent.stop) also
	 * ends evolve after this generation. */
	agent_options agent;
	int jobs;                  /* tasks evaluated at once, in worker processes */
	int trials;                /* task agent runs per task, whose mean counts; 0: 1 */
	/* The agents' own wall time (the lab's settings "meta-ms", "agent-ms"):
	 * 0 for EVOLVE_META_MS, EVOLVE_AGENT_SLACK_MS. */
	int meta_ms, agent_slack_ms;
	/* The lab's setting "carry" (host init --carry): each task agent
	 * starts from its parent generation's solution for the task, which
	 * the record's measure says; 0: from the task's initial.c. */
	int carry;
	evolve_executor executor;  /* a run's own, like jobs: not a lab setting */
} evolve_eval_options;

/*
 * Runs the task agent of `files` on every task, re-scores what it returns
 * on training and held-out cases, and fills in r's tasks, fitness,
 * holdout, utility, budget (adding to the LLM use r->budget already holds,
 * from a rewrite) and evaluate_s. Fitness is the mean over tasks of the
 * training score normalised by the task's baseline and target (0..1),
 * weighted by the utility. With o->carry, each task agent starts from
 * the solution of `from` (the parent, its tasks' solutions read) for its
 * task, when `from` has one that ran and is not the task's initial.c;
 * else, and always with `from` NULL, from the task's initial.c.
 */
HOST_MUST_CHECK int evolve_evaluate(record *r, const agent_files *files, const record *from,
				    const evolve_eval_options *o);

/*
 * The remote side of --executor slurm, which `host step` runs as a job
 * step on a node: reads one unit of evaluation work from `in` (the
 * step's stdin), runs it in a sandbox of this machine, asking the host
 * for the model over `out` and `in`, and sends back its result on `out`.
 * Returns 0 once the result is sent, or an error, which is sent too when
 * it can be.
 */
HOST_MUST_CHECK int evolve_step(int in, int out);

/* `host improve` where x says (NULL: here): improve_task, or the same as
 * a Slurm job step whose model calls come to this process. A step that
 * ends without its result is EVOLVE_STEP_LOST's error. */
HOST_MUST_CHECK int evolve_improve(improve_result *out, task *t, const agent_files *files,
				   const agent_run_options *o, const evolve_executor *x);

/* Commits `r` with `files` as generation r->number (`also_parent`: a
 * second git parent, or -1; `folder`: a folder of its tree besides
 * solutions/, such as the arena's, or NULL) and makes it live when it is
 * accepted: the one way every generation enters the lab. */
HOST_MUST_CHECK int evolve_commit(lab *l, const record *r, const agent_files *files, int also_parent,
				  const store_folder *folder);

typedef enum {
	EVOLVE_REWRITE, EVOLVE_VALIDATE, EVOLVE_EVALUATE, EVOLVE_COMMIT, EVOLVE_DONE
} evolve_phase;

/* "rewrite", "validate", "evaluate", "commit", "done". */
const char *evolve_phase_name(evolve_phase phase);

/* A candidate in flight, for whoever shows it. */
typedef struct {
	int number;
	evolve_phase phase;        /* EVOLVE_DONE: back, waiting for its siblings */
} evolve_flight;

/* Where a run is, for whoever shows it. */
typedef struct {
	int number;                /* the generation under way: the first in flight */
	evolve_phase phase;
	int n_flight;              /* the round's candidates, while they are in flight */
	evolve_flight flight[EVOLVE_MAX_PARALLEL];
	int done, gens;            /* generations finished, and asked for */
	long long evals;           /* evaluations spent in this run */
	double best;               /* the best accepted fitness, the live one's at first */
	double usd;                /* LLM spend so far */
	double elapsed_s;
	/* EVOLVE_DONE only: */
	const record *record;      /* the generation just committed */
	double parent_fitness;
	double seconds;            /* how long it took */
	int remeasured;            /* it measures its parent again (see evolve_run) */
} evolve_progress;

typedef void (*evolve_progress_fn)(void *ctx, const evolve_progress *p);

/* What the archive tells the meta agent besides the evaluation settings:
 * its prompt's budget, and the run's caps on the model. */
typedef struct {
	long prompt_max;           /* characters the meta agent's prompt may have */
	double max_usd;            /* llm_options' caps; 0: none */
	long max_tokens;
} evolve_limits;

typedef struct {
	evolve_eval_options eval;
	evolve_limits limits;
	int gens;
	/* Candidates in flight at once (0: 1): each round proposes this many,
	 * numbered in that order, evaluates them at once in processes of
	 * their own and commits them in order; the best that beats its parent
	 * becomes live. */
	int parallel;
	int select_archive;          /* 0: best (main), 1: archive; one draw per candidate */
	evolve_progress_fn progress; /* may be NULL */
	void *progress_ctx;
} evolve_options;

/* How a run ended, and the lab's best generation after it. */
typedef struct {
	int done, accepted, rejected, invalid;
	double seconds;
	int last;                  /* the last generation made, -1 for none */
	int budget_spent;          /* stopped because the LLM budget is reached */
	int interrupted;           /* stopped by *o->eval.agent.stop */
	int remeasured;            /* parents measured again, not counted in done */
	int best;                  /* the best accepted generation, -1 for none */
	double best_fitness, best_holdout;
} evolve_summary;

/* Runs o->gens generations in an open, locked lab. A parent whose fitness
 * was measured otherwise than o->eval measures (another model, budget,
 * tasks...) is first measured again, as a generation of its own that is
 * not counted in o->gens; the reason says what differed. *out is filled
 * even when the run stops on an error. */
HOST_MUST_CHECK int evolve_run(evolve_summary *out, lab *l, const evolve_options *o);

/*
 * Evaluates `seed` with `o` and makes a new lab in `dir` with it as
 * gen_000, keeping `keep` as the lab's settings (those of `o`). A lab
 * that fails half way is removed, so that init can be run again. *gen0
 * is its record.
 */
HOST_MUST_CHECK int evolve_init(record *gen0, const char *dir, const agent_files *seed,
				const evolve_eval_options *o, const settings *keep);

/* What evolve_revert returns when the live generation has the target's
 * agent files already: nothing is made. */
#define EVOLVE_UNCHANGED 1

/* Adds a generation on main with generation `target`'s files and record;
 * an invalid target is refused unless `force`. *out is its record; or,
 * with EVOLVE_UNCHANGED, the live generation's. */
HOST_MUST_CHECK int evolve_revert(record *out, lab *l, int target, int force);

/*
 * Validates agent_code/'s hand edits and, when they are valid, evaluates
 * and records them as a generation on main with `message` as its reason.
 * Returns 0 with report->valid 0 (and nothing recorded) for edits that do
 * not validate. *out is the new record when report->valid.
 */
HOST_MUST_CHECK int evolve_record_edits(record *out, validate_report *report, lab *l, const char *message,
			const evolve_eval_options *o);

#endif
