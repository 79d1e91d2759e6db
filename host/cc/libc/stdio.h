/* stdio.h - formatting into buffers only: generated code has no files,
 * no standard streams and no printf. */
#ifndef HOST_LIBC_STDIO_H
#define HOST_LIBC_STDIO_H
#include <stdarg.h>
#include <stddef.h>
#define EOF (-1)
typedef struct _IO_FILE FILE;  /* opaque: no stream functions are allowed */
int snprintf(char *dst, size_t size, const char *fmt, ...);
int vsnprintf(char *dst, size_t size, const char *fmt, va_list ap);
int sprintf(char *dst, const char *fmt, ...);
int vsprintf(char *dst, const char *fmt, va_list ap);
int sscanf(const char *s, const char *fmt, ...);
int vsscanf(const char *s, const char *fmt, va_list ap);
#endif
