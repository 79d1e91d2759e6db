/*
 * task.h - a task loaded from tasks/NAME/: its description, its cases and
 * the sources the sandbox and the scorer need.
 *
 * A task is data, not code in the host: adding a folder with task.json,
 * a header, initial.c, driver.c and score.c adds a task.
 */
#ifndef HOST_TASK_H
#define HOST_TASK_H

#include "error.h"

#include "buf.h"
#include "sandbox.h"

#include <stddef.h>

#define TASK_REPEATS_MAX 16   /* runs of one timed evaluation */
#define TASK_MODEL_CALLS_MAX 16  /* model calls a solution may make per case */

/* The same layout as task_case in task_abi.h, which score.c receives. */
typedef struct {
	const char *input;
	const char *label;  /* NULL when the case has no label */
} task_case;

typedef struct {
	char *name;          /* a plain file name in the task folder */
	char *text;
} task_header;

typedef struct {
	char *name;
	char *dir;           /* absolute path of the task folder */
	char *description;
	char *metric;
	char *header;        /* file name of the interface header, e.g. "snake.h" */
	task_header *headers;  /* the interface header, then task.json's "headers" */
	size_t n_headers;
	char *header_dir;    /* a private folder holding copies of `headers` only:
	                        all a sandboxed compile of the task may read */
	int header_dir_owner;  /* the pid that made header_dir and removes it */
	char **entry;        /* functions the solution must define */
	size_t n_entry;
	int higher_is_better;
	double baseline, target;
	sandbox_limits budget;   /* one run of a solution: on the training cases, or
	                            on a batch of at most as many held-out ones */
	int score_ms;            /* score.c's wall and CPU time per transcript */
	/* A timed task ("timing" in task.json): the runs of each evaluation,
	 * whose CPU time the host measures; 0 for a task that is not timed. */
	int timing_repeats;
	/* task.json's "model": the model calls a solution may make per case
	 * of a run (task_abi.h's model_ask); 0: its solutions never ask. */
	int model_calls;
	/* task.json's "default": false: a run that names no tasks leaves the
	 * task out, as it does a timed one (task_keep_defaults) */
	int opt_in;
	task_case *train;
	size_t n_train;
	task_case *holdout;
	size_t n_holdout;
	char *header_text, *initial_text, *driver_text, *score_text;
	char *oracle_text;   /* oracle.c, NULL when the task has none (oracle.h) */
	/* The checks of rubric.json (rubric.h), when the task has one: each
	 * case's label is then its checks' canonical text; 0 without one. */
	size_t rubric_checks;
	/* task.json's "judge" (a task with a rubric): when the run has a
	 * model, the host has it grade every answer `judge_repeats` times, and
	 * the task's fitness is (1 - judge_weight) times the rubric's plus
	 * judge_weight times the judge's mean grade (host/evolve/evolve_judge.c);
	 * 0 repeats: no judge. */
	int judge_repeats;
	double judge_weight;
} task;

#define TASK_JUDGE_REPEATS 3      /* task.json's "judge.repeats" when left out */
#define TASK_JUDGE_WEIGHT 0.5     /* and its "judge.weight" */

/* A label as score.c gets it: a string as it is, an integer in decimal,
 * a boolean as "1" or "0"; NULL for anything else (free() it). */
char *task_label_text(const json_t *label);

/*
 * Case inputs as a driver would take them: two inputs are the same case
 * when they are equal without surrounding whitespace, or are the same
 * integer in decimal ("+007" is "7"), as C reads a number. The arena
 * keeps a task's held-out inputs in one, to refuse them as training.
 */
typedef struct {
	char **keys;   /* sorted */
	size_t n;
} task_inputs;

HOST_MUST_CHECK int task_inputs_make(task_inputs *out, const task_case *cases, size_t n);

/* *out: whether `input` is the same case as one of the set's. */
HOST_MUST_CHECK int task_inputs_has(int *out, const task_inputs *set, const char *input);

void task_inputs_free(task_inputs *set);

/* A view of `t` with other training cases and another initial solution,
 * sharing everything else with `t`, which must outlive it: it is never
 * freed (task_free is not for it). */
void task_view(task *out, const task *t, const task_case *train, size_t n_train,
	       const char *initial);

/* Loads tasks/NAME/ below `root`. ERR_NOTFOUND names the known tasks. */
HOST_MUST_CHECK int task_load(task **out, const char *root, const char *name);

/* Loads the task in `dir`. Errors name the file and the field. */
HOST_MUST_CHECK int task_load_dir(task **out, const char *dir);

void task_free(task *t);

/* The tasks folder to use when none is given: ./tasks if it exists, else
 * the one installed beside the binary (../tasks). free() it. */
HOST_MUST_CHECK int task_default_root(char **out);

/*
 * Makes ROOT/NAME (made too if missing), a copy of task `like_name` of
 * `like_root` under the new name: its header renamed NAME.h and every
 * reference changed, each C file opening with a comment on what to change.
 * *out is the new folder (free() it). An existing NAME is refused and
 * left as it is; a half-made folder is removed.
 */
HOST_MUST_CHECK int task_scaffold(char **out, const char *root, const char *name,
				  const char *like_root, const char *like_name);

/*
 * Checks `rubric`, a rubric.json as `file` would hold it, against t's
 * cases as loading the task would (task_rubric.c), without applying it:
 * the same messages, naming `file`. *checks is its number of checks.
 */
HOST_MUST_CHECK int task_rubric_check(size_t *checks, const task *t, const json_t *rubric,
				      const char *file);

/* Appends t's headers to `out`, each under a line "=== NAME ===": what
 * its solutions know (a quality task's knowledge base), for a prompt
 * that asks a model about the task's answers. */
void task_knowledge(buf *out, const task *t);

/* The task names below `root`, comma-separated, sorted (free() it). */
char *task_list(const char *root);

/* With no list of tasks, the timed ones are left out while others remain:
 * their scores vary from run to run, and a default run is exact (a seed
 * gives the same generations, with any number of jobs). So are the tasks
 * whose task.json says "default": false, which a user names to train on.
 * Frees those tasks of tasks[0..*n), unless every one is, and closes the
 * gaps. */
void task_keep_defaults(task **tasks, size_t *n);

#endif
