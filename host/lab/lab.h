/*
 * lab.h - a lab directory: agent_code/ (the live agent, a checkout of
 * main) and generations/ (the store), with one writer at a time.
 *
 * Moving main and rewriting agent_code/ cannot be one atomic step, so it is
 * journalled: generations/host.journal names the generation main is about
 * to point at, and whoever opens the lab next for writing finishes the
 * step. So a lab is consistent after any interruption, kill -9 included.
 * The lock, the journal and its temporary file are never opened through
 * a link: one in their place is refused, naming it (os_open_nolink).
 *
 * What the generations say taken together, a task's best solution, where
 * a measure started and the model's cost, is lab_history.c.
 */
#ifndef HOST_LAB_H
#define HOST_LAB_H

#include "error.h"

#include "agents.h"
#include "buf.h"
#include "store.h"

typedef struct {
	char *dir;           /* the lab directory */
	char *agent_dir;     /* dir/agent_code */
	char *gen_dir;       /* dir/generations */
	char *lock_path;     /* dir/generations/host.lock */
	char *journal_path;  /* dir/generations/host.journal */
	store *store;
	int lock_fd;         /* -1 unless this process is the writer */
	int created;         /* made by lab_create in this process */
} lab;

/* Creates a new lab in `dir` (created if missing): refuses, changing
 * nothing, if it already holds agent_code/ or generations/. The new lab is
 * open for writing; on failure nothing of it is left. */
HOST_MUST_CHECK int lab_create(lab *l, const char *dir);

/* Closes a lab that lab_create made and removes its agent_code/ and
 * generations/: the way out of an init that failed half way, so that the
 * next one is not refused. Any other lab is only closed. */
void lab_discard(lab *l);

/* Nonzero if `dir` holds agent_code/ or generations/. */
int lab_exists(const char *dir);

/* Opens the lab in `dir`. For writing, it takes the lock (an error names
 * the holder's pid) and finishes any interrupted step. */
HOST_MUST_CHECK int lab_open(lab *l, const char *dir, int for_write);

void lab_close(lab *l);

/* Makes generation `number` the live one: main and agent_code/. */
HOST_MUST_CHECK int lab_make_live(lab *l, int number);

/* Rewrites agent_code/ as a checkout of main. */
HOST_MUST_CHECK int lab_checkout(lab *l);

/* Describes how agent_code/ differs from main, one line per file, in
 * `changes` (may be NULL). Returns the number of differences, or an error
 * when main or agent_code/ cannot be read (say, agent_code/ holds a file
 * that is not an agent file). */
HOST_MUST_CHECK int lab_hand_edits(lab *l, buf *changes);

/* The pid holding the writer's lock, or 0 when it is free. */
int lab_lock_holder(const lab *l);

/* The lab's best solution of a task: the measured generation whose
 * solution of it scored best on training and was kept, the first to reach
 * it; number -1 when none was. */
typedef struct {
	int number;
	double fitness;    /* its training score, normalised */
	int seen;          /* generations measured on the task at all */
	int failed;        /* of them, those whose training run failed */
	char tasks[200];   /* the latest measured generation's tasks, for errors */
} lab_best;

HOST_MUST_CHECK int lab_best_solution(lab_best *out, lab *l, const char *task);

/* The scores of each task's initial.c under the measure generation
 * `number` was measured with: *out is the record of the generation that
 * began it and scored them (gen_000, a parent measured again), found from
 * `number` itself back through record_measure_from. ERR_NOTFOUND when
 * none did (a lab made before host scored initial.c). */
HOST_MUST_CHECK int lab_initial(record *out, lab *l, int number);

/* The LLM use recorded in every generation of the lab: its calls, tokens
 * and dollars (out's evaluations are left 0). */
HOST_MUST_CHECK int lab_spend(record_budget *out, lab *l);

#endif
