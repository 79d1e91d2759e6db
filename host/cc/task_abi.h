/*
 * task_abi.h - what a task's driver.c and score.c are compiled against.
 *
 * driver.c runs inside the sandbox next to the solution: it calls the
 * solution on each case and records what it did with transcript_write or
 * transcript_printf (4 MB in all: a write past it fails, and the
 * evaluation ends as bad_output). It never sees labels. score.c runs in a
 * sandbox of its own, which the task folder is readable from: it checks
 * the transcript against the rules and the labels and computes the score,
 * with the measured CPU time when the task is timed.
 * Both are linked with -nostdlib against the host's libc allowlist. A
 * solution of a task whose task.json declares "model" is compiled against
 * this header too, for model_ask.
 */
#ifndef HOST_TASK_ABI_H
#define HOST_TASK_ABI_H

/* ---- driver side (sandbox) ---- */

/* Appends to the transcript; returns -1 once its size cap is reached. */
int transcript_write(const char *data, int len);
int transcript_printf(const char *fmt, ...);

/* Defined by driver.c: runs the solution on every input, in order.
 * The return value is recorded but does not affect the score. */
int driver_run(const char *const *inputs, int n_inputs);

/* ---- solution side (sandbox), for a task with "model" in task.json ---- */

#define MODEL_NONE (-1)          /* model_ask: no model answered */
#define MODEL_PROMPT_MAX 65536   /* system and user prompts together, NULs included */

/*
 * Asks the language model, through the host: `system` (NULL: none) and
 * `user` go to the model the run was given, and its reply is written to
 * `reply`, at most reply_size bytes with the NUL, cut at a character's
 * end. Returns the reply's length, or MODEL_NONE when no model answered:
 * the run is offline, this run's calls are spent (task.json's
 * calls_per_case for each of its cases), a cap of the run (--max-usd,
 * --max-tokens) is reached, the prompts are longer than MODEL_PROMPT_MAX
 * or not UTF-8, or the call failed. A solution must answer without it
 * then. The host makes the call, counts it and records it; the API key
 * never enters the sandbox, and the time the call waits is not the
 * solution's. Linked into solutions of a task with "model" only.
 */
int model_ask(const char *system, const char *user, char *reply, int reply_size);

/* ---- scorer side (host) ---- */

typedef struct {
	const char *input;  /* as given to driver_run; a range's as decimal text */
	/* The expected answer as text: task.json's string as it is, an integer
	 * in decimal, a boolean as "1" or "0"; NULL for a case without one (a
	 * plain string, a range). */
	const char *label;
} task_case;

/*
 * Defined by score.c: scores `transcript` for `cases`. Writes the score to
 * *score and, when feedback_size > 0, a short human-readable explanation
 * (what went wrong, on which case) to `feedback`. Returns 0, or -1 when the
 * transcript is malformed (the solution then scores as failed).
 */
int score_transcript(const char *transcript, const task_case *cases,
		     int n_cases, double *score, char *feedback,
		     int feedback_size);

/*
 * For a timed task (task.json's "timing"), callable from score.c: the CPU
 * time in nanoseconds that the solution's process used in driver_run to
 * write `transcript`, read by the host from the process's CPU clock,
 * outside the sandbox, so the solution cannot change it. It includes the
 * driver's own work and the kernel's time on the process's behalf.
 * -1 for a task without "timing". Not available to driver.c.
 */
double transcript_cpu_ns(void);

/*
 * Callable from score.c, for a task with rubric.json, whose cases' labels
 * are their checks: scores `answer` against `rubric` (a case's label).
 * *score is the weight of the checks met over the weight of all, from 0
 * to 1. When feedback_size > 0, writes the checks not met to `feedback`,
 * "; "-separated (missing "30 days"; says "60 days", which it must not),
 * "" when all are. Matching is by words and numbers, case and spacing
 * aside ("$30" is "30 dollars" and "30.00"); host-task(5), QUALITY TASKS,
 * has the rules. Returns 0, or -1 when `rubric` is no rubric. Not
 * available to driver.c.
 */
int rubric_score(const char *answer, const char *rubric, double *score, char *feedback,
		 int feedback_size);

/* ---- oracle side (host), when the task has oracle.c ---- */

/*
 * Defined by oracle.c: writes the label of `input` to `label` as text, in
 * the form task.json's labels reach score.c ("1" or "0" for a boolean),
 * in at most label_size bytes with the NUL. Returns 0, or -1 when
 * `input` is none of the task's (too long, say): such a case is
 * discarded. A pure function: it runs in a sandbox of its own, a fresh
 * process per batch of inputs, never seen by agents.
 */
int oracle_label(const char *input, char *label, int label_size);

#endif
