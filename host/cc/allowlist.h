/*
 * allowlist.h - the only library symbols generated code may link against.
 *
 * Agents, solutions, drivers and scorers are linked with -nostdlib; every
 * external reference must resolve to an entry of this one table or the link
 * fails naming the symbol. Keeping it in one place makes the whole attack
 * surface of generated code reviewable on one screen.
 */
#ifndef HOST_ALLOWLIST_H
#define HOST_ALLOWLIST_H

#include <stddef.h>

typedef struct {
	const char *name;
	const void *addr;
} allowlist_symbol;

/* The table and its length. */
const allowlist_symbol *allowlist_symbols(size_t *count);

/* Nonzero if `name` is in the table. */
int allowlist_contains(const char *name);

#endif
