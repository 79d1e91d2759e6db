/*
 * compile.h - the in-memory C compiler front end (libtcc).
 *
 * Every piece of generated or task code goes through here: a set of named
 * sources is compiled in memory, linked with -nostdlib against the allowlist
 * plus symbols the caller provides, and the caller looks up the entry points
 * it needs. Diagnostics carry the sources' real names and lines.
 */
#ifndef HOST_COMPILE_H
#define HOST_COMPILE_H

#include "error.h"

#include "buf.h"

#include <stddef.h>

typedef struct {
	const char *name;  /* shown in diagnostics, e.g. "task_agent.c" */
	const char *text;
} compile_source;

typedef struct {
	const char *name;
	const void *addr;
} compile_symbol;

typedef struct {
	const char *prelude;              /* prepended to every source; may be NULL */
	const char *const *include_dirs;  /* NULL-terminated; may be NULL */
	const compile_symbol *symbols;    /* linked in addition to the allowlist */
	size_t n_symbols;
} compile_options;

typedef struct {
	char *file;     /* NULL when the diagnostic has no location */
	int line;
	char *message;  /* e.g. "error: ';' expected (got \"}\")" */
	int is_error;   /* 0 for warnings */
} compile_diag;

typedef struct {
	compile_diag *items;
	size_t count;
} compile_diags;

typedef struct compile_unit compile_unit;

/*
 * Compiles and links `n` sources into one unit. On failure returns
 * ERR_INVALID, *out is NULL and `diags` (if not NULL) holds at least one
 * error; warnings are added on success too. The caller frees `diags` with
 * compile_diags_free and the unit with compile_unit_free.
 */
HOST_MUST_CHECK int compile_build(compile_unit **out, compile_diags *diags,
		  const compile_source *srcs, size_t n,
		  const compile_options *opts);

/* Compiles the sources without linking: syntax and types only. Returns
 * 0 or ERR_INVALID with the diagnostics. */
HOST_MUST_CHECK int compile_check(compile_diags *diags, const compile_source *srcs, size_t n,
		  const compile_options *opts);

/* Where the allowlist's C headers (stdlib.h, string.h ...) are; by default
 * the libc/ folder beside the running executable. Sources are compiled
 * against these headers only, never the system's. */
HOST_MUST_CHECK int compile_set_libc_dir(const char *dir);

/* The directories the compiler reads besides the caller's include
 * directories: the allowlist's headers and tcc's own (its headers and
 * libtcc1.a), for confining a process that compiles. */
HOST_MUST_CHECK int compile_system_dirs(const char **libc_dir, const char **tcc_dir);

/* The address of a global the unit defines, or NULL. */
void *compile_lookup(const compile_unit *unit, const char *name);

/* Calls `fn` for every global the unit defines. */
void compile_each_symbol(const compile_unit *unit, void *ctx,
			 void (*fn)(void *ctx, const char *name,
				    const void *addr));

void compile_unit_free(compile_unit *unit);

/* Adds a diagnostic (copies the strings). Returns 0 or ERR_SYSTEM. */
HOST_MUST_CHECK int compile_diags_add(compile_diags *diags, const char *file, int line,
		      const char *message, int is_error);

/* Appends "file:line: message\n" for each diagnostic (errors only if
 * `errors_only`). */
void compile_diags_format(buf *out, const compile_diags *diags,
			  int errors_only);

int compile_diags_errors(const compile_diags *diags);
void compile_diags_free(compile_diags *diags);

#endif
