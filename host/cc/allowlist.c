/*
 * allowlist.c - the libc subset generated code may call; see allowlist.h.
 *
 * What is here: memory and string handling, number parsing and formatting
 * into caller buffers, sorting and searching, character classes, math and
 * jansson.
 * What is not: anything that reaches files, processes, the network, the
 * environment, time or global random state. Allocation goes through the
 * counting guard so that a sandbox can report running out of memory.
 */
#include "allowlist.h"

#include "guard.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#define SYM(name) { #name, (const void *)(name) }
#define ALIAS(name, impl) { #name, (const void *)(impl) }

static const allowlist_symbol allowlist_table[] = {
	/* memory */
	SYM(memcpy), SYM(memmove), SYM(memset), SYM(memcmp), SYM(memchr),
	ALIAS(malloc, guard_malloc), ALIAS(calloc, guard_calloc),
	ALIAS(realloc, guard_realloc), ALIAS(free, guard_free),
	/* strings */
	SYM(strlen), SYM(strnlen), SYM(strcmp), SYM(strncmp), SYM(strcpy),
	SYM(strncpy), SYM(strcat), SYM(strncat), SYM(strchr), SYM(strrchr),
	SYM(strstr), SYM(strspn), SYM(strcspn), SYM(strpbrk), SYM(strtok_r),
	SYM(strcasecmp), SYM(strncasecmp),
	ALIAS(strdup, guard_strdup), ALIAS(strndup, guard_strndup),
	/* numbers */
	SYM(strtol), SYM(strtoul), SYM(strtoll), SYM(strtoull), SYM(strtod),
	SYM(strtof), SYM(atoi), SYM(atol), SYM(atof), SYM(abs), SYM(labs),
	SYM(llabs),
	/* formatting into buffers */
	SYM(snprintf), SYM(vsnprintf), SYM(sprintf), SYM(vsprintf),
	SYM(sscanf), SYM(vsscanf),
	/* sorting and searching */
	SYM(qsort), SYM(bsearch),
	/* character classes */
	SYM(isalnum), SYM(isalpha), SYM(isdigit), SYM(isxdigit),
	SYM(islower), SYM(isupper), SYM(isspace), SYM(ispunct),
	SYM(isprint), SYM(iscntrl), SYM(isgraph), SYM(tolower),
	SYM(toupper),
	/* math */
	SYM(sqrt), SYM(sqrtf), SYM(pow), SYM(powf), SYM(exp), SYM(expf),
	SYM(log), SYM(logf), SYM(log2), SYM(log10), SYM(fabs), SYM(fabsf),
	SYM(floor), SYM(floorf), SYM(ceil), SYM(ceilf), SYM(round),
	SYM(roundf), SYM(lround), SYM(trunc), SYM(fmod), SYM(fmin),
	SYM(fmax), SYM(sin), SYM(cos), SYM(tan), SYM(atan), SYM(atan2),
	SYM(tanh), SYM(hypot),
	/* jansson, to read and build JSON (the meta agent's archive) */
	SYM(json_object), SYM(json_array), SYM(json_string), SYM(json_stringn),
	SYM(json_integer), SYM(json_real), SYM(json_true), SYM(json_false),
	SYM(json_null), SYM(json_delete), SYM(json_object_get),
	SYM(json_object_set_new), SYM(json_object_del), SYM(json_object_size),
	SYM(json_object_iter), SYM(json_object_iter_next),
	SYM(json_object_iter_key), SYM(json_object_iter_value),
	SYM(json_object_key_to_iter), SYM(json_array_size), SYM(json_array_get),
	SYM(json_array_append_new), SYM(json_array_insert_new),
	SYM(json_array_remove), SYM(json_string_value), SYM(json_string_length),
	SYM(json_integer_value), SYM(json_real_value), SYM(json_number_value),
	SYM(json_loads), SYM(json_loadb), SYM(json_dumps), SYM(json_deep_copy),
	SYM(json_equal), SYM(json_pack), SYM(json_unpack),
	/* runtime support: errno, assert, and what libtcc1.a needs */
	SYM(__errno_location), SYM(abort),
};

const allowlist_symbol *allowlist_symbols(size_t *count)
{
	*count = sizeof(allowlist_table) / sizeof(allowlist_table[0]);
	return allowlist_table;
}

int allowlist_contains(const char *name)
{
	size_t i, n;
	const allowlist_symbol *table = allowlist_symbols(&n);

	for (i = 0; i < n; i++)
		if (strcmp(table[i].name, name) == 0)
			return 1;
	return 0;
}
