/*
 * evolve_workers.h - work done at once in forked processes of the host,
 * each sending back what it did as JSON: the -j workers that evaluate a
 * set of agents' tasks (evolve_eval.c) and a round's candidates in flight
 * (evolve_flight.c). Only the process that runs them touches the lab:
 * their results come back to it, and it decides what to keep.
 */
#ifndef HOST_EVOLVE_WORKERS_H
#define HOST_EVOLVE_WORKERS_H

#include "error.h"

#include "llm.h"

#include <jansson.h>
#include <signal.h>
#include <stddef.h>

/* Workers one run may have: as many as the tasks of a run, or the
 * candidates of a round (EVOLVE_MAX_TASKS, EVOLVE_MAX_PARALLEL). */
#define EVOLVE_WORKERS_MAX 64

/* A worker, as its own process sees it. */
typedef struct {
	size_t index;                  /* which of the job's workers it is */
	volatile sig_atomic_t *stop;   /* raised when the run stops: the
	                                  worker's stop flag from now on */
	int fd;                        /* its channel back (evolve_workers_say) */
} evolve_worker;

typedef struct {
	const char *what;           /* a worker, in messages: "a candidate" */
	size_t n;                   /* workers to run, numbered from 0 */
	size_t at_once;             /* the most running at once; 0: all n */
	/* Nonzero: each worker is heard to its end before the next, in the
	 * order started, so that their results add up as one process's
	 * would; zero: whichever speaks first is heard first. */
	int in_order;
	llm_client *llm;            /* the model, whose connections each worker
	                               opens again (llm_after_fork); may be NULL */
	/* In worker w's process: its work. *out, when set (even on an
	 * error), is sent back with err_last() when it fails. */
	int (*work)(json_t **out, void *ctx, evolve_worker *w);
	/* Here: what worker i said on the way (evolve_workers_say). May be
	 * NULL when no worker says anything. */
	void (*said)(void *ctx, size_t i, const json_t *msg);
	/*
	 * Here: worker i has ended, and is heard no more. `out` is its work's
	 * *out (NULL: none); `error` why its work failed, "" when it did not,
	 * NULL when nothing came back (the process died); `status` its wait
	 * status. Returns 0, or an error, after which no other worker is
	 * started.
	 */
	int (*done)(void *ctx, size_t i, const json_t *out, const char *error, int status);
	/* Here, while workers run: nonzero raises their stop flag, which
	 * stays raised. A signal reaches this process, not its forks. May be
	 * NULL. */
	int (*stopping)(void *ctx);
	void *ctx;
} evolve_workers_job;

/*
 * Runs job->n workers, at most job->at_once at a time, each a fork of this
 * process that dies with it, and waits for every one that started: each
 * is done exactly once. After an error no other worker is started, and
 * those never started are never done. Returns 0, or the first error: a
 * worker that could not be started, or job->done's.
 */
HOST_MUST_CHECK int evolve_workers_run(const evolve_workers_job *job);

/* In a worker: sends `msg` (consumed; NULL: nothing) to job->said. What
 * cannot be sent is not said: the worker's end is heard all the same. */
void evolve_workers_say(evolve_worker *w, json_t *msg);

#endif
