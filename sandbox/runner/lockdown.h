/*
 * lockdown.h - what a sandboxed child does to itself after compiling and
 * before calling any generated code.
 *
 * The order matters: everything that needs files (the compiler, headers,
 * libtcc1.a) happens before; after lockdown_apply the process can only
 * compute, allocate memory and talk on the channel.
 */
#ifndef SANDBOX_LOCKDOWN_H
#define SANDBOX_LOCKDOWN_H

#include "error.h"

#include <stddef.h>

typedef struct {
	int cpu_ms;             /* CPU time, rounded up to whole seconds */
	size_t memory_bytes;    /* address space added on top of what is mapped */
	const char *workdir;    /* where to work: the job's folder, or "/" */
	int channel_fd;         /* the only descriptor left open */
	int channel_bytes_only; /* writes to it of one byte at a time only */
} lockdown_config;

/* Moves the process into a new, empty network namespace where the kernel
 * permits (as root, or through a user namespace). Children inherit it;
 * the zygote calls it once for all of them. */
void lockdown_leave_network(void);

/*
 * Limits for compiling, set before the compiler reads a line: CPU time
 * (the job's, counted from here to the end) and address space (what is
 * mapped now plus `memory_bytes`), so that macro and include bombs end in
 * the child. Call it before the process loses /proc (confine.h).
 */
HOST_MUST_CHECK int lockdown_limit_compile(int cpu_ms, size_t memory_bytes);

/*
 * Builds the seccomp filter lockdown_apply installs with `channel_fd` and
 * `channel_bytes_only`, ahead of it and for every process forked from
 * this one afterwards: at lockdown each writes its own pid into the kill
 * rules and loads it.
 */
HOST_MUST_CHECK int lockdown_prepare(int channel_fd, int channel_bytes_only);

/*
 * Applies rlimits, enters `workdir`, sets no_new_privs and installs the seccomp filter.
 * A forbidden system call afterwards delivers SIGSYS; `on_forbidden` is
 * installed as its handler (it receives the syscall number).
 */
HOST_MUST_CHECK int lockdown_apply(const lockdown_config *cfg,
		   void (*on_forbidden)(int syscall_nr));

#endif
