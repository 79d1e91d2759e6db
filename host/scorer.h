/*
 * scorer.h - a task's score.c, compiled and run in the host.
 *
 * Scoring happens here and never in the sandbox: the solution's process
 * only produces a transcript, and the score is computed from that
 * transcript and the labels, which the sandbox never sees.
 */
#ifndef HOST_SCORER_H
#define HOST_SCORER_H

#include "buf.h"
#include "task.h"

/* Compiles the task's score.c against task_abi.h. Compile errors are
 * reported as ERR_INVALID with the diagnostics in err_last(). */
int scorer_load(scorer **out, const task *t);

/*
 * Scores `transcript` for `cases`. Feedback is appended to `feedback`
 * when it is not NULL. Returns 0, or ERR_INVALID when score.c rejects the
 * transcript as malformed (the feedback says why).
 */
int scorer_score(const scorer *s, const char *transcript,
		 const task_case *cases, size_t n_cases, double *score,
		 buf *feedback);

void scorer_free(scorer *s);

#endif
