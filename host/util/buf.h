/*
 * buf.h - a growable, always NUL-terminated byte buffer.
 *
 * Transcripts, diagnostics, JSON frames and command output are all built
 * incrementally; one small buffer type keeps that code free of manual
 * realloc arithmetic. A zeroed buf is an empty buffer.
 */
#ifndef HOST_BUF_H
#define HOST_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
	char *data;  /* NUL-terminated when non-NULL */
	size_t len;  /* bytes used, excluding the terminator */
	size_t cap;  /* bytes allocated */
} buf;

#define BUF_INIT { NULL, 0, 0 }

/* Append `n` bytes. Returns 0, or -1 when memory runs out. */
int buf_append(buf *b, const void *data, size_t n);
int buf_puts(buf *b, const char *s);
int buf_printf(buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(buf *b, const char *fmt, va_list ap);

/* The contents as a C string: "" for an empty buffer, never NULL. */
const char *buf_cstr(const buf *b);

/* Hands the contents to the caller (free() them) and empties the buffer. */
char *buf_detach(buf *b);

void buf_clear(buf *b);
void buf_free(buf *b);

#endif
