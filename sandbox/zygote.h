/*
 * zygote.h - the process that forks sandboxed children.
 *
 * Starting a fresh executable for every evaluation costs an exec, the
 * dynamic linker and libc start-up: more than the evaluation itself. So
 * the host starts host-sandbox once in zygote mode, with an empty
 * environment and in a new network namespace, and asks it for a child per
 * job. The zygote clones with CLONE_PARENT, so each child is the host's
 * own child: the host waits for it, kills its process group and reads its
 * exit status exactly as if it had spawned it.
 *
 * The zygote holds nothing worth stealing: it was exec'd clean and only
 * ever receives socket descriptors and task drivers. It compiles each
 * task's driver once (zygote_prepare), so that its children inherit the
 * compiled driver instead of compiling it again for every evaluation.
 *
 * Protocol on the control socket, host to zygote: 'F' carrying a
 * descriptor (SCM_RIGHTS), which the zygote answers with the new child's
 * pid as 4 bytes; or 'P' followed by one channel frame, a driver key (see
 * zygote_unit_key), which it compiles and does not answer. EOF on the
 * control socket ends the zygote. The zygote's side is zygote_serve.h,
 * in host-sandbox.
 */
#ifndef SANDBOX_ZYGOTE_H
#define SANDBOX_ZYGOTE_H

#include "error.h"

#include <jansson.h>
#include <sys/types.h>

#define ZYGOTE_PREPARED_MAX 8     /* drivers a zygote keeps compiled */
#define ZYGOTE_KEY_MAX (1u << 20)  /* the largest driver key, in bytes */

/* Which family a child comes from: untrusted code (solutions, agents,
 * their compiles) or the task's own code (score.c, with the labels). */
typedef enum { ZYGOTE_UNTRUSTED, ZYGOTE_TASK_CODE } zygote_pool;
#define ZYGOTE_POOLS 2

/* ---- in both ---- */

/*
 * The text that names the unit a zygote can compile ahead of a job: a
 * solution job's driver with the solution's entry points, or a task-code
 * job's scorer or oracle, as canonical JSON. NULL for other jobs. Free
 * with free().
 */
char *zygote_unit_key(const json_t *job);

/* ---- in the host ---- */

/*
 * Hands `child_fd` to the zygote (starting it from `runner` if needed) and
 * returns the pid of the new child that holds it as its channel.
 */
HOST_MUST_CHECK int zygote_fork(pid_t *out, zygote_pool pool, const char *runner, int child_fd);

/*
 * Has the zygote compile the driver, scorer or oracle of `job`, once per zygote,
 * before the child for `job` is forked. Only an error starting the zygote
 * is returned; a unit that does not compile is reported by the child.
 */
HOST_MUST_CHECK int zygote_prepare(zygote_pool pool, const char *runner, const json_t *job);

/* Stops the zygotes; the next zygote_fork starts a new one. */
void zygote_stop(void);

/* In a process forked from the host: lets go of the parent's zygote
 * without stopping it, so that this process starts its own. */
void zygote_forget(void);

#endif
