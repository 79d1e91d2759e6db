/*
 * parent.h - what the host's side of the sandbox shares between one-shot
 * runs (sandbox.c) and long-lived children (service.c): finding
 * host-sandbox, starting a child and sending it its job, receiving frames
 * under the caps, and turning how a child ended into a sandbox_outcome.
 */
#ifndef SANDBOX_PARENT_H
#define SANDBOX_PARENT_H

#include "error.h"

#include "sandbox.h"
#include "zygote.h"

#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#define PARENT_FRAME_MAX (16u << 20)   /* one message from a child */
#define PARENT_TOTAL_MAX (64u << 20)   /* everything read from a one-shot child */
#define PARENT_JOB_MAX (64u << 20)     /* a job, as host-sandbox reads it */
#define PARENT_TOTAL_EXCEEDED (-100)   /* parent_recv_frame: past `cap` in all */

/* The host-sandbox executable: sandbox_set_runner's, or the one beside
 * the running program. */
HOST_MUST_CHECK int parent_find_runner(const char **out);

void parent_set_outcome(sandbox_outcome *out, sandbox_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Receives one frame as a JSON object, adding its size to *total and
 * failing with PARENT_TOTAL_EXCEEDED past `cap`; else a CHANNEL_* code. */
HOST_MUST_CHECK int parent_recv_frame(json_t **out, int fd, double deadline, size_t *total, size_t cap);

/* The child ended without a final frame: its wait status decides. */
void parent_classify_exit(sandbox_outcome *out, int status, const struct rusage *ru,
			  const sandbox_limits *limits);

/* The child sent a final frame (in out->result): its "outcome" decides.
 * `bad` is the status of a frame without a known outcome. Returns a
 * negative error when the child reports that the host's job was wrong. */
HOST_MUST_CHECK int parent_classify_result(sandbox_outcome *out, sandbox_status bad);

/*
 * The CPU time process `pid` (a child of ours) has used, in ns, read from
 * its CPU clock once it is off the CPU: it is stopped first (or found
 * dead, not yet reaped), because the kernel adds a running process's
 * latest slice to its clock only at a tick or when it stops running, so
 * a clock read while it runs can lag by a tick. `resume` continues it
 * afterwards.
 */
HOST_MUST_CHECK int parent_cpu_ns(double *out, pid_t pid, int resume);

/* Adds "limits" to `job`, and "workdir" when not NULL. */
HOST_MUST_CHECK int parent_attach_limits(json_t *job, const sandbox_limits *limits, const char *workdir);

/* The job as one frame's text, refused above PARENT_JOB_MAX. */
HOST_MUST_CHECK int parent_encode_job(char **out, size_t *len, const json_t *job);

/*
 * Takes a child for `job` from the zygote of `pool` (zygote_child), *fd
 * the host's end of its channel (the caller closes it), then sends the
 * job on it: a job larger than the socket's buffer can only be written
 * while the child reads it. Returns 0, 1 when the child was started but
 * took no job, or an error.
 */
HOST_MUST_CHECK int parent_start_child(pid_t *pid, int *fd, zygote_pool pool, const json_t *job,
				       const char *text, size_t len);

#endif
