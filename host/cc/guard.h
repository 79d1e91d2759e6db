/*
 * guard.h - the allocator generated code is linked against.
 *
 * Generated code never sees libc's malloc directly: the allowlist maps
 * malloc, calloc, realloc, free, strdup and strndup to these wrappers. They
 * count the bytes in use so that a sandboxed child can stop a memory bomb
 * with a precise "memory" outcome before the address-space rlimit turns it
 * into an anonymous crash. Without a limit (in the host) they only forward.
 */
#ifndef SANDBOX_GUARD_H
#define SANDBOX_GUARD_H

#include <stddef.h>

/* Called once when an allocation fails or would exceed the limit; it is
 * expected not to return (the child reports "memory" and exits). */
typedef void (*guard_exceeded_fn)(size_t requested, size_t in_use);

/* `limit` bytes in total, 0 for no limit. */
void guard_set_limit(size_t limit, guard_exceeded_fn on_exceeded);
size_t guard_in_use(void);

void *guard_malloc(size_t size);
void *guard_calloc(size_t count, size_t size);
void *guard_realloc(void *ptr, size_t size);
void guard_free(void *ptr);
char *guard_strdup(const char *s);
char *guard_strndup(const char *s, size_t n);

#endif
