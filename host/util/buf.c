/*
 * buf.c - growable byte buffer; see buf.h.
 *
 * Capacity doubles so that appending byte by byte stays linear.
 */
#include "buf.h"

#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for `extra` more bytes; 0 when the buffer has failed or fails now. */
static int buf_grow(buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t cap = b->cap ? b->cap : 64;
	char *data;

	if (b->failed)
		return 0;
	if (need <= b->cap)
		return 1;
	while (cap < need && cap * 2 > cap)
		cap *= 2;
	data = need > b->len && cap >= need ? realloc(b->data, cap) : NULL;
	if (!data) {
		b->failed = 1;
		return 0;
	}
	b->data = data;
	b->cap = cap;
	return 1;
}

void buf_append(buf *b, const void *data, size_t n)
{
	if (!buf_grow(b, n))
		return;
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_puts(buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_vprintf(buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (!buf_grow(b, (size_t)n))
		return;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_printf(buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

int buf_failed(const buf *b)
{
	return b->failed ? err_set(ERR_SYSTEM, "out of memory") : 0;
}

const char *buf_cstr(const buf *b)
{
	return b->data ? b->data : "";
}

char *buf_detach(buf *b)
{
	char *data = b->data ? b->data : strdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
	return data;
}

void buf_clear(buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_free(buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}
