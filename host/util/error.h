/*
 * error.h - the last error message, libgit2 style.
 *
 * Functions in host and sandbox return 0 on success and a negative code on
 * failure; the human-readable reason is kept here so that only the caller
 * that decides what to do with a failure (usually main) prints it.
 */
#ifndef HOST_ERROR_H
#define HOST_ERROR_H

enum {
	ERR_OK = 0,
	ERR_GENERIC = -1,   /* something failed; err_last() says what */
	ERR_NOTFOUND = -2,  /* a named thing (file, task, symbol) does not exist */
	ERR_INVALID = -3,   /* input is malformed */
	ERR_SYSTEM = -4     /* a system call failed; the message carries errno */
};

/* Marks a function whose result says whether it failed: ignoring it is
 * a compile error, so every failure is handled or passed on. */
#define HOST_MUST_CHECK __attribute__((warn_unused_result))

/* Records a message for the failure being returned; returns `code` so that
 * callers can write `return err_set(ERR_INVALID, "...")`. */
int err_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like err_set, with ": strerror(errno)" appended. */
int err_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The message of the last failure, or "no error". Never NULL. */
const char *err_last(void);

void err_clear(void);

#endif
