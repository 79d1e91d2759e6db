/* strings.h - the part of the C library generated code may use. */
#ifndef HOST_LIBC_STRINGS_H
#define HOST_LIBC_STRINGS_H
#include <stddef.h>
int strcasecmp(const char *a, const char *b);
int strncasecmp(const char *a, const char *b, size_t n);
#endif
