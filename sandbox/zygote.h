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
 * ever receives socket descriptors.
 */
#ifndef SANDBOX_ZYGOTE_H
#define SANDBOX_ZYGOTE_H

#include <sys/types.h>

/* ---- in host-sandbox ---- */

/*
 * Serves fork requests arriving on `control_fd` until the host closes it.
 * Returns 0 in each new child, whose channel is then on `control_fd`'s
 * number (CHANNEL_FD); returns -1 in the zygote when it should exit.
 */
int zygote_serve(int control_fd);

/* ---- in the host ---- */

/*
 * Hands `child_fd` to the zygote (starting it from `runner` if needed) and
 * returns the pid of the new child that holds it as its channel.
 */
int zygote_fork(pid_t *out, const char *runner, int child_fd);

/* Stops the zygote; the next zygote_fork starts a new one. */
void zygote_stop(void);

/* In a process forked from the host: lets go of the parent's zygote
 * without stopping it, so that this process starts its own. */
void zygote_forget(void);

#endif
