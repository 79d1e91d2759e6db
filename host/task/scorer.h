/*
 * scorer.h - a task's score.c, run on a transcript in a sandbox of its own.
 *
 * The solution's process only produces a transcript; the score is computed
 * from that transcript and the labels by score.c, in a child that never
 * runs untrusted code (see zygote.h's pools). Tasks are trusted, but a
 * score.c that crashes, hangs, floods or calls what it must not ends as a
 * task error naming score.c, never as a fault of the host.
 */
#ifndef HOST_SCORER_H
#define HOST_SCORER_H

#include "error.h"

#include "buf.h"
#include "task.h"

/*
 * Scores `transcript` for `cases`; `cpu_ns` is the CPU time the run that
 * wrote it was measured to use, or -1 (see transcript_cpu_ns in
 * task_abi.h). Feedback is appended to `feedback`
 * when it is not NULL (score.c is told it has no room otherwise). Returns
 * 0; ERR_INVALID when score.c rejects the transcript as malformed (the
 * solution's fault; err_last() and the feedback say why); any other
 * negative code when score.c itself failed (the task's fault).
 */
HOST_MUST_CHECK int scorer_score(task *t, const char *transcript, double cpu_ns,
				 const task_case *cases, size_t n_cases, double *score,
				 buf *feedback);

#endif
