/*
 * buf.h - a growable, always NUL-terminated byte buffer.
 *
 * Transcripts, diagnostics, JSON frames and command output are all built
 * incrementally; one small buffer type keeps that code free of manual
 * realloc arithmetic. A zeroed buf is an empty buffer.
 *
 * Appending cannot fail in a way that has to be checked at every call:
 * when memory runs out the buffer keeps what it had, takes nothing more,
 * and remembers it. Code that hands the contents on asks buf_failed()
 * once, at the end.
 */
#ifndef HOST_BUF_H
#define HOST_BUF_H

#include "error.h"

#include <stdarg.h>
#include <stddef.h>

typedef struct {
	char *data;  /* NUL-terminated when non-NULL */
	size_t len;  /* bytes used, excluding the terminator */
	size_t cap;  /* bytes allocated */
	int failed;  /* an append ran out of memory */
} buf;

#define BUF_INIT { NULL, 0, 0, 0 }

/* Appends `n` bytes (a string; a formatted string). */
void buf_append(buf *b, const void *data, size_t n);
void buf_puts(buf *b, const char *s);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf *b, const char *fmt, va_list ap);

/* 0, or ERR_SYSTEM with "out of memory" in err_last() when an append
 * since the last buf_clear or buf_free could not be made. */
HOST_MUST_CHECK int buf_failed(const buf *b);

/* The contents as a C string: "" for an empty buffer, never NULL. */
const char *buf_cstr(const buf *b);

/* Hands the contents to the caller (free() them) and empties the buffer;
 * NULL only when memory ran out. */
char *buf_detach(buf *b);

void buf_clear(buf *b);
void buf_free(buf *b);

#endif
