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
 * pid as 4 bytes; or 'P' followed by one channel frame, a unit as JSON
 * (see zygote_unit), which it compiles and does not answer. The host may
 * ask for a child before it has a job for it (zygote_spare) and read its
 * pid when it takes it. EOF on the control socket ends the zygote. The
 * zygote's side is zygote_serve.h, in host-sandbox.
 */
#ifndef SANDBOX_ZYGOTE_H
#define SANDBOX_ZYGOTE_H

#include "error.h"

#include <jansson.h>
#include <sys/types.h>

#define ZYGOTE_PREPARED_MAX 8     /* drivers a zygote keeps compiled */
#define ZYGOTE_KEY_MAX (1u << 20)  /* the largest unit a 'P' sends, in bytes */

/* Which family a child comes from: untrusted code (solutions, agents,
 * their compiles) or the task's own code (score.c, with the labels). */
typedef enum { ZYGOTE_UNTRUSTED, ZYGOTE_TASK_CODE } zygote_pool;
#define ZYGOTE_POOLS 2

/* ---- in both ---- */

/*
 * The unit a zygote can compile ahead of a job: a solution job's driver
 * with the solution's entry points, or a task-code job's scorer or
 * oracle, as an object; NULL for other jobs. Two jobs name the same unit
 * when their units are equal (json_equal), whole texts compared.
 */
json_t *zygote_unit(const json_t *job);

/* ---- in the host ---- */

/*
 * A new child of the zygote (started from `runner` if needed): its pid,
 * and *fd, the host's end of its channel. It is the spare when one was
 * asked for (zygote_spare), else forked now.
 */
HOST_MUST_CHECK int zygote_child(pid_t *pid, int *fd, zygote_pool pool, const char *runner);

/*
 * Asks a running zygote for the next child ahead of its job, without
 * waiting for it: it forks while the host does other work, such as
 * scoring, and the next zygote_child takes it. A
 * child is the same whenever it was forked, except that it must hold the
 * units prepared before its job (zygote_prepare): a spare forked before
 * a unit is prepared is ended. Nothing is reported; without a spare the
 * next child is forked when it is needed.
 */
void zygote_spare(zygote_pool pool);

/*
 * Has the zygote compile the driver, scorer or oracle of `job`, once per zygote,
 * before the child for `job` is forked. Only an error starting the zygote
 * is returned; a unit that does not compile is reported by the child.
 */
HOST_MUST_CHECK int zygote_prepare(zygote_pool pool, const char *runner, const json_t *job);

/* Stops the zygotes and ends their spares; the next zygote_child starts
 * a new one. */
void zygote_stop(void);

/* In a process forked from the host: lets go of the parent's zygote
 * without stopping it, so that this process starts its own. */
void zygote_forget(void);

#endif
