/*
 * confine.h - what a sandboxed process may open, enforced by the kernel.
 *
 * Compiling untrusted code is itself hostile input: `#include` opens any
 * path it names (absolute paths, "../", /proc, devices, FIFOs) and the
 * text comes back in diagnostics. No filter on include strings can close
 * that class, so a child restricts itself with Landlock before libtcc reads
 * a line: afterwards it can open for reading only files beneath the
 * directories it was given (the allowlist's headers, tcc's own, its private
 * header folder) and can create, change or remove nothing anywhere. Where
 * the kernel offers them, Landlock's scopes also keep it from signalling
 * processes outside its domain and from reaching abstract unix sockets,
 * and TCP is refused.
 */
#ifndef SANDBOX_CONFINE_H
#define SANDBOX_CONFINE_H

#include "error.h"

/*
 * Restricts the calling process, and everything it starts, to reading
 * beneath the NULL-terminated list `readable` (NULL entries before the end
 * are not allowed; directories or files). Sets no_new_privs. Returns 0, or
 * ERR_SYSTEM naming what failed; when the kernel has no Landlock the
 * message says so, and nothing untrusted must be compiled.
 */
HOST_MUST_CHECK int confine_paths(const char *const *readable);

/* The Landlock ABI version the kernel offers, or 0 when it offers none. */
int confine_abi(void);

#endif
