/*
 * guard.c - counting allocator for generated code; see guard.h.
 *
 * Usage is measured with malloc_usable_size so that free() needs no
 * header of our own in front of each block: pointers stay plain libc
 * pointers and can be passed to anything that frees with libc.
 */
#include "guard.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static size_t guard_limit;
static size_t guard_used;
static guard_exceeded_fn guard_on_exceeded;

void guard_set_limit(size_t limit, guard_exceeded_fn on_exceeded)
{
	guard_limit = limit;
	guard_on_exceeded = on_exceeded;
}

size_t guard_in_use(void)
{
	return guard_used;
}

static void guard_exceeded(size_t requested)
{
	if (guard_on_exceeded)
		guard_on_exceeded(requested, guard_used);
}

static int guard_allows(size_t requested)
{
	if (!guard_limit)
		return 1;
	if (requested > guard_limit || guard_used > guard_limit - requested) {
		guard_exceeded(requested);
		return 0;
	}
	return 1;
}

static void *guard_track(void *ptr, size_t requested)
{
	if (!ptr) {
		if (requested)
			guard_exceeded(requested);
		return NULL;
	}
	guard_used += malloc_usable_size(ptr);
	return ptr;
}

void *guard_malloc(size_t size)
{
	if (!guard_allows(size))
		return NULL;
	return guard_track(malloc(size), size);
}

void *guard_calloc(size_t count, size_t size)
{
	if (size && count > (size_t)-1 / size)
		return NULL;
	if (!guard_allows(count * size))
		return NULL;
	return guard_track(calloc(count, size), count * size);
}

void guard_free(void *ptr)
{
	size_t size;

	if (!ptr)
		return;
	size = malloc_usable_size(ptr);
	guard_used = size > guard_used ? 0 : guard_used - size;
	free(ptr);
}

void *guard_realloc(void *ptr, size_t size)
{
	size_t old = ptr ? malloc_usable_size(ptr) : 0;
	void *bigger;

	if (size == 0) {
		guard_free(ptr);
		return NULL;
	}
	if (size > old && !guard_allows(size - old))
		return NULL;
	bigger = realloc(ptr, size);
	if (!bigger)
		return guard_track(NULL, size);
	guard_used = old > guard_used ? 0 : guard_used - old;
	return guard_track(bigger, size);
}

char *guard_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *copy = guard_malloc(len + 1);

	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

char *guard_strdup(const char *s)
{
	return guard_strndup(s, (size_t)-1);
}
