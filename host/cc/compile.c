/*
 * compile.c - libtcc front end; see compile.h.
 *
 * Each source is compiled as its own translation unit with the prelude in
 * front and a #line directive after it, so tcc reports "initial.c:42"
 * rather than "<string>:57". Linking uses -nostdlib: tcc then resolves
 * nothing through the dynamic linker, and a reference outside the
 * allowlist fails with "undefined symbol". That message is rewritten to
 * name the source line using the symbol and to say whether the symbol is
 * forbidden (libc has it, we do not allow it) or simply does not exist.
 */
#include "compile.h"

#include "allowlist.h"
#include "error.h"
#include "os.h"

#include <ctype.h>
#include <dlfcn.h>
#include <libtcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TCC_LIBDIR
#error "TCC_LIBDIR must name tcc's library directory (holding libtcc1.a)"
#endif

static char *compile_libc_dir;

struct compile_unit {
	TCCState *tcc;
};

typedef struct {
	compile_diags *diags;
	const compile_source *srcs;
	size_t n_srcs;
	const compile_options *opts;
	int errors;
	int lost;      /* a diagnostic could not be kept: memory ran out */
} compile_ctx;

int compile_diags_add(compile_diags *diags, const char *file, int line,
		      const char *message, int is_error)
{
	compile_diag *items, *d;

	items = realloc(diags->items, (diags->count + 1) * sizeof(*items));
	if (!items)
		return err_set(ERR_SYSTEM, "out of memory");
	diags->items = items;
	d = &items[diags->count];
	d->file = file ? strdup(file) : NULL;
	d->line = line;
	d->message = strdup(message);
	d->is_error = is_error;
	if (!d->message || (file && !d->file)) {
		free(d->file);
		free(d->message);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	diags->count++;
	return 0;
}

/* Keeps a diagnostic of tcc's; one that memory cannot hold fails the
 * compile rather than vanish. */
static void keep(compile_ctx *ctx, const char *file, int line, const char *message,
		 int is_error)
{
	if (compile_diags_add(ctx->diags, file, line, message, is_error) < 0)
		ctx->lost = 1;
}

/* Skips a comment, string or character literal starting at `p`, counting
 * lines; returns `p` unchanged when none starts there. */
static const char *skip_non_code(const char *p, int *line)
{
	const char *end = NULL;

	if (p[0] == '/' && p[1] == '/')
		end = strchr(p, '\n');
	else if (p[0] == '/' && p[1] == '*')
		end = (end = strstr(p + 2, "*/")) ? end + 2 : NULL;
	else if (*p == '"' || *p == '\'') {
		for (end = p + 1; *end && *end != *p && *end != '\n'; end++)
			if (*end == '\\' && end[1])
				end++;
		if (*end == *p)
			end++;
	} else
		return p;
	if (!end)
		end = p + strlen(p);
	for (; p < end; p++)
		*line += *p == '\n';
	return end;
}

/* Finds the first line of code (not comments or strings) of any source
 * where `ident` appears as a whole identifier. */
static int find_identifier(const compile_ctx *ctx, const char *ident,
			   const char **file, int *line)
{
	size_t len = strlen(ident), i;

	for (i = 0; i < ctx->n_srcs; i++) {
		const char *p = ctx->srcs[i].text, *next;
		int at = 1, word_start = 1;

		while (*p) {
			next = skip_non_code(p, &at);
			if (next != p) {
				p = next;
				word_start = 1;
				continue;
			}
			if (word_start && strncmp(p, ident, len) == 0 &&
			    !isalnum((unsigned char)p[len]) && p[len] != '_') {
				*file = ctx->srcs[i].name;
				*line = at;
				return 1;
			}
			word_start = !isalnum((unsigned char)*p) && *p != '_';
			at += *p++ == '\n';
		}
	}
	return 0;
}

static void add_undefined_symbol(compile_ctx *ctx, const char *quoted)
{
	char name[128], message[256];
	const char *end = strchr(quoted, '\'');
	const char *file = NULL;
	size_t len = end ? (size_t)(end - quoted) : strlen(quoted);
	int line = 0;

	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	memcpy(name, quoted, len);
	name[len] = '\0';
	if (dlsym(RTLD_DEFAULT, name))
		snprintf(message, sizeof(message),
			 "error: forbidden symbol '%s' (not in the allowlist)",
			 name);
	else
		snprintf(message, sizeof(message),
			 "error: undefined symbol '%s'", name);
	find_identifier(ctx, name, &file, &line);
	keep(ctx, file, line, message, 1);
}

/* `path` without the directory `dir` in front, or NULL. */
static const char *below(const char *path, const char *dir)
{
	size_t len = dir ? strlen(dir) : 0;

	return len && strncmp(path, dir, len) == 0 && path[len] == '/' ? path + len + 1 : NULL;
}

/* A header's path as diagnostics show it: relative to the include
 * directory it was found in, so that no host path reaches a message. */
static const char *display_name(const compile_ctx *ctx, const char *path)
{
	const char *const *dir = ctx->opts ? ctx->opts->include_dirs : NULL;
	const char *rel;

	if ((rel = below(path, compile_libc_dir)) || (rel = below(path, TCC_LIBDIR "/include")))
		return rel;
	for (; dir && *dir; dir++)
		if ((rel = below(path, *dir)))
			return rel;
	return path;
}

/* tcc reports "file:line: error: text", "tcc: error: text", possibly after
 * "In file included from ..." lines; keep the last line only. */
static void on_tcc_message(void *opaque, const char *msg)
{
	compile_ctx *ctx = opaque;
	const char *last = strrchr(msg, '\n');
	const char *undefined, *sep;
	int is_error, line = 0;

	last = last ? last + 1 : msg;
	is_error = strstr(last, "warning: ") == NULL;
	ctx->errors += is_error;
	undefined = strstr(last, "undefined symbol '");
	if (undefined) {
		add_undefined_symbol(ctx, undefined + strlen("undefined symbol '"));
		return;
	}
	if (strncmp(last, "tcc: ", 5) == 0) {
		keep(ctx, NULL, 0, last + 5, is_error);
		return;
	}
	sep = strchr(last, ':');
	if (sep && sscanf(sep + 1, "%d", &line) == 1) {
		char *file = strndup(last, (size_t)(sep - last));
		const char *text = strchr(sep + 1, ':');
		text = text ? text + 1 : sep + 1;
		while (*text == ' ')
			text++;
		if (file)
			keep(ctx, display_name(ctx, file), line, text, is_error);
		else
			ctx->lost = 1;
		free(file);
		return;
	}
	keep(ctx, NULL, 0, last, is_error);
}

static int compile_one(TCCState *tcc, const compile_source *src,
		       const char *prelude)
{
	buf text = BUF_INIT;
	int rc;

	buf_printf(&text, "%s\n#line 1 \"%s\"\n%s", prelude ? prelude : "", src->name, src->text);
	rc = buf_failed(&text) < 0 ? -1 : tcc_compile_string(tcc, text.data);
	buf_free(&text);
	return rc;
}

static void add_symbols(TCCState *tcc, const compile_options *opts)
{
	size_t i, n;
	const allowlist_symbol *allowed = allowlist_symbols(&n);

	for (i = 0; i < n; i++)
		tcc_add_symbol(tcc, allowed[i].name, allowed[i].addr);
	for (i = 0; opts && i < opts->n_symbols; i++)
		tcc_add_symbol(tcc, opts->symbols[i].name, opts->symbols[i].addr);
}

int compile_set_libc_dir(const char *dir)
{
	char *copy = strdup(dir);

	if (!copy)
		return err_set(ERR_SYSTEM, "out of memory");
	free(compile_libc_dir);
	compile_libc_dir = copy;
	return 0;
}

static int find_libc_dir(const char **out)
{
	int rc;

	if (!compile_libc_dir && (rc = os_beside_exe(&compile_libc_dir, "libc")) < 0)
		return rc;
	*out = compile_libc_dir;
	return 0;
}

int compile_system_dirs(const char **libc_dir, const char **tcc_dir)
{
	int rc = find_libc_dir(libc_dir);

	*tcc_dir = TCC_LIBDIR;
	return rc;
}

static TCCState *compile_new_state(compile_ctx *ctx,
				   const compile_options *opts)
{
	const char *const *dir;
	const char *libc_dir = NULL;
	TCCState *tcc;

	if (find_libc_dir(&libc_dir) < 0 || !(tcc = tcc_new()))
		return NULL;
	tcc_set_lib_path(tcc, TCC_LIBDIR);
	tcc_set_error_func(tcc, ctx, on_tcc_message);
	tcc_set_options(tcc, "-nostdlib -nostdinc");
	tcc_set_output_type(tcc, TCC_OUTPUT_MEMORY);
	/* the host's headers first, so that no other directory can shadow
	 * them: tcc searches -I directories before system ones for <> too */
	tcc_add_include_path(tcc, libc_dir);
	tcc_add_include_path(tcc, TCC_LIBDIR "/include");
	for (dir = opts ? opts->include_dirs : NULL; dir && *dir; dir++)
		tcc_add_include_path(tcc, *dir);
	return tcc;
}

/* Compiles, and links when `link` is set, into *out. On failure returns
 * an error code with the diagnostics filled in. */
static int compile_run(TCCState **out, compile_diags *diags,
		       const compile_source *srcs, size_t n,
		       const compile_options *opts, int link)
{
	compile_diags scratch = { NULL, 0 };
	compile_ctx ctx = { diags ? diags : &scratch, srcs, n, opts, 0, 0 };
	TCCState *tcc;
	size_t i;
	int failed = 0;

	*out = tcc = compile_new_state(&ctx, opts);
	if (!tcc)
		return err_set(ERR_SYSTEM, "cannot create a compiler state: %s", err_last());
	for (i = 0; i < n; i++)
		failed |= compile_one(tcc, &srcs[i], opts ? opts->prelude : NULL) < 0;
	if (!failed && link) {
		tcc_add_file(tcc, TCC_LIBDIR "/libtcc1.a");
		add_symbols(tcc, opts);
		failed = tcc_relocate(tcc, TCC_RELOCATE_AUTO) < 0;
	}
	if (failed || ctx.errors || ctx.lost) {
		if (!compile_diags_errors(ctx.diags))
			keep(&ctx, NULL, 0, ctx.lost ? "error: out of memory for the compiler's "
			     "messages" : "error: compilation failed", 1);
		tcc_delete(tcc);
		*out = NULL;
		compile_diags_free(&scratch);
		return err_set(ERR_INVALID, "compilation failed");
	}
	compile_diags_free(&scratch);
	return 0;
}

int compile_build(compile_unit **out, compile_diags *diags,
		  const compile_source *srcs, size_t n,
		  const compile_options *opts)
{
	compile_unit *unit;
	TCCState *tcc;
	int rc = compile_run(&tcc, diags, srcs, n, opts, 1);

	*out = NULL;
	if (rc < 0)
		return rc;
	unit = malloc(sizeof(*unit));
	if (!unit) {
		tcc_delete(tcc);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	unit->tcc = tcc;
	*out = unit;
	return 0;
}

int compile_check(compile_diags *diags, const compile_source *srcs, size_t n,
		  const compile_options *opts)
{
	TCCState *tcc;
	int rc = compile_run(&tcc, diags, srcs, n, opts, 0);

	if (rc == 0)
		tcc_delete(tcc);
	return rc;
}

void *compile_lookup(const compile_unit *unit, const char *name)
{
	return tcc_get_symbol(unit->tcc, name);
}

void compile_each_symbol(const compile_unit *unit, void *ctx,
			 void (*fn)(void *ctx, const char *name,
				    const void *addr))
{
	tcc_list_symbols(unit->tcc, ctx, fn);
}

void compile_unit_free(compile_unit *unit)
{
	if (!unit)
		return;
	tcc_delete(unit->tcc);
	free(unit);
}

void compile_diags_format(buf *out, const compile_diags *diags,
			  int errors_only)
{
	size_t i;

	for (i = 0; i < diags->count; i++) {
		const compile_diag *d = &diags->items[i];
		if (errors_only && !d->is_error)
			continue;
		if (d->file && d->line > 0)
			buf_printf(out, "%s:%d: %s\n", d->file, d->line, d->message);
		else if (d->file)
			buf_printf(out, "%s: %s\n", d->file, d->message);
		else
			buf_printf(out, "%s\n", d->message);
	}
}

int compile_diags_errors(const compile_diags *diags)
{
	size_t i;
	int errors = 0;

	for (i = 0; i < diags->count; i++)
		errors += diags->items[i].is_error;
	return errors;
}

void compile_diags_free(compile_diags *diags)
{
	size_t i;

	if (!diags)
		return;
	for (i = 0; i < diags->count; i++) {
		free(diags->items[i].file);
		free(diags->items[i].message);
	}
	free(diags->items);
	diags->items = NULL;
	diags->count = 0;
}
