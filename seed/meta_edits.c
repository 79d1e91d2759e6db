/*
 * meta_edits.c - the seed meta agent's use of a model's reply: its edits
 * applied, emitted and checked.
 *
 * The model answers with SEARCH/REPLACE blocks, each after a "FILE: name"
 * line, and a SUMMARY line. The blocks apply in order, each to the file
 * as those before it left it, however many sections name the file, and
 * each file is emitted once; memory.md notes how many blocks of each file
 * were applied. If a block does not apply, none is. Asked for a whole
 * file, it answers with one fenced block. Edits that apply are emitted
 * and checked with host_check (compile, symbols, signatures); if the
 * check fails, the files go back to the parent's. meta_model.c sends
 * what went wrong back to the model.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- what it uses of meta_prompt.c ---- */

/* Appends printf-style to a malloc'd string (NULL: a new one). */
char *meta_append(char *s, const char *fmt, ...);

/* ---- what meta_model.c, meta_agent.c and meta_prompt.c use of it ---- */

#define META_NAME_MAX 64  /* an agent file's name, its NUL included */

/* How a reply went: used, its edits did not apply, or their files
 * failed the check. */
enum { META_USED = 0, META_NOT_APPLIED = -1, META_NOT_CHECKED = -2 };

/* `n`, or less so that s[0..n) does not end inside a UTF-8 character. */
size_t meta_cut(const char *s, size_t n);

/* `s` on one line, in at most `max` bytes: when longer, cut after its
 * last whole word that fits, and an ellipsis (U+2026) says so. A new
 * string. */
char *meta_shorten(const char *s, size_t max);

/* Uses the model's reply: its edit blocks, or with `whole` its fenced
 * block as the whole of that file, applied, emitted, checked and noted
 * in memory.md. META_USED, or why not in `error`; a file whose block did
 * not match is named in `missed` (META_NAME_MAX bytes; "" when none). */
int meta_use_reply(const char *reply, const char *whole, char *missed, char *error,
		   size_t size);

/* Adds `notes` and "SUMMARY: text" to `memory` (NULL: the parent's
 * memory.md) and emits it. */
int meta_note(const char *memory, const char *notes, const char *summary);

/* A file the reply edits: its parent's text and its text as the reply's
 * sections so far left it. */
typedef struct {
	char *name, *parent, *text;
	int sections, blocks;  /* blocks < 0: the model sent the whole file */
} edited_file;

#define MAX_EDITED 16  /* files one reply may edit */

/* The file named on a "FILE: name" line, without the decorations models
 * add (backticks, asterisks, blanks). */
static char *file_name(const char *at, const char *end)
{
	while (at < end && strchr(" `*", *at))
		at++;
	while (end > at && strchr(" `*\r", end[-1]))
		end--;
	return strndup(at, (size_t)(end - at));
}

/* The next "FILE: name" line from `p` (decorated or not), or NULL; a
 * line inside an edit block is the block's text, whatever it says.
 * *blocks counts the blocks passed on the way. */
static const char *next_file_line(const char *p, int *blocks)
{
	int in_block = 0;

	for (*blocks = 0; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (in_block)
			in_block = strncmp(p, ">>>>>>> REPLACE", 15) != 0;
		else if (strncmp(p, "<<<<<<< SEARCH", 14) == 0 && ++*blocks)
			in_block = 1;
		else if (strncmp(p + strspn(p, " `*#"), "FILE:", 5) == 0)
			return p;
	}
	return NULL;
}

/* The entry of `name` (taken) in files[0..*n), added with the parent's
 * text when it is not there yet; NULL with the reason in `error`. */
static edited_file *edited(edited_file *files, int *n, char *name, char *error, size_t size)
{
	int i;

	for (i = 0; i < *n; i++)
		if (strcmp(files[i].name, name) == 0) {
			free(name);
			return &files[i];
		}
	if (*n == MAX_EDITED || !(files[*n].parent = host_read(name))) {
		snprintf(error, size, "%s: %s", name, *n == MAX_EDITED ? "a reply may edit at "
			 "most 16 files" : "there is no such agent file");
		free(name);
		return NULL;
	}
	files[*n].name = name;
	files[*n].text = strdup(files[*n].parent);
	files[*n].sections = files[*n].blocks = 0;
	return &files[(*n)++];
}

/* Applies the section from `at` (its "FILE:" line) to `next` to the file
 * as the sections before it left it; `blocks` is how many it holds. A
 * block that does not match names its file in `missed`. */
static int apply_section(edited_file *files, int *n, const char *at, const char *next,
			 int blocks, char *missed, char *error, size_t size)
{
	const char *body = strchr(at, '\n') ? strchr(at, '\n') + 1 : at + strlen(at);
	char *section = strndup(body, next ? (size_t)(next - body) : strlen(body)), *result;
	edited_file *f;

	at += strspn(at, " `*#") + 5;
	f = edited(files, n, file_name(at, body > at && body[-1] == '\n' ? body - 1 : body),
		   error, size);
	result = f ? host_apply_edits(f->text, section) : NULL;
	free(section);
	if (f && !result) {
		snprintf(missed, META_NAME_MAX, "%s", f->name);
		if (f->sections > 0)
			snprintf(error, size, "%s, its FILE section %d (applied to the file as "
				 "its earlier sections left it): %s", f->name, f->sections + 1,
				 host_error());
		else
			snprintf(error, size, "%s: %s", f->name, host_error());
	}
	if (!result)
		return META_NOT_APPLIED;
	free(f->text);
	f->text = result;
	f->sections++;
	f->blocks += blocks;
	return META_USED;
}

/*
 * Applies the "FILE: name" sections of `reply` in order, each to its file
 * as the sections before it left it, into files[0..*n). META_NOT_APPLIED, with
 * the reason in `error`, when a block does not apply, a block has no
 * file, or a file ends as it was: then nothing is applied, for the
 * model's summary speaks of every block.
 */
static int apply_sections(edited_file *files, int *n, const char *reply, char *missed,
			  char *error, size_t size)
{
	int blocks, rc = META_USED, i;
	const char *at = next_file_line(reply, &blocks), *next;

	if (blocks > 0 || !at) {
		snprintf(error, size, blocks > 0 ? "an edit block comes before any 'FILE: name' "
			 "line; each block must follow the line naming its file" :
			 "no 'FILE: name' line followed by edit blocks");
		return META_NOT_APPLIED;
	}
	for (; at && rc == META_USED; at = next) {
		next = next_file_line(strchr(at, '\n') ? strchr(at, '\n') + 1 : "", &blocks);
		rc = apply_section(files, n, at, next, blocks, missed, error, size);
	}
	for (i = 0; rc == META_USED && i < *n; i++)
		if (strcmp(files[i].text, files[i].parent) == 0) {
			snprintf(error, size, "%s: its blocks leave it as it was", files[i].name);
			rc = META_NOT_APPLIED;
		}
	return rc;
}

static int count_lines(const char *s)
{
	int n = 0;

	while ((s = strchr(s, '\n')) != NULL && ++n)
		s++;
	return n;
}

/* The next line after `p`, or NULL. */
static const char *next_line(const char *p)
{
	return (p = strchr(p, '\n')) != NULL ? p + 1 : NULL;
}

/* The text between the first line that opens a fence and the next line
 * that is only a fence; NULL without one. Unlike host_extract_code, a
 * fence inside a line (a C string that writes one) does not close it. */
static char *fenced_file(const char *reply)
{
	const char *open = reply, *start, *p;

	while (open && strncmp(open, "```", 3) != 0)
		open = next_line(open);
	start = open ? next_line(open) : NULL;
	for (p = start; p && *p; p = next_line(p))
		if (strncmp(p, "```", 3) == 0 && strchr("\n", p[3 + strspn(p + 3, " \t\r")]))
			return strndup(start, (size_t)(p - start));
	return NULL;
}

/* The reply's fenced block as the whole of file `name`, into files[0]. A
 * block of less than half the file's lines is refused: a model that
 * writes "... the rest unchanged" would delete the rest. */
static int whole_file(edited_file *files, int *n, const char *name, const char *reply,
		      char *error, size_t size)
{
	char *code = fenced_file(reply);
	edited_file *f = code ? edited(files, n, strdup(name), error, size) : NULL;

	if (!code)
		snprintf(error, size, "it has no fenced code block holding the whole of %s: a "
			 "line that starts with ``` before it, and a line that is only ``` after "
			 "it", name);
	if (!f) {
		free(code);
		return META_NOT_APPLIED;
	}
	free(f->text);
	f->text = code;
	f->blocks = -1;
	if (strcmp(code, f->parent) == 0)
		snprintf(error, size, "its %s is the file as it was", name);
	else if (count_lines(code) < count_lines(f->parent) / 2)
		snprintf(error, size, "its %s has %d lines, the file has %d: send every line",
			 name, count_lines(code), count_lines(f->parent));
	else
		return META_USED;
	return META_NOT_APPLIED;
}

size_t meta_cut(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

char *meta_shorten(const char *s, size_t max)
{
	char *out = strdup(s), *at;
	size_t cut, end;

	for (at = out; *at; at++)
		*at = *at == '\n' || *at == '\r' || *at == '\t' ? ' ' : *at;
	if (strlen(out) <= max || max < 4)
		return out;
	cut = meta_cut(out, max - 3);
	for (end = cut; end > 0 && out[end] != ' '; end--)
		;
	while (end > 0 && strchr(" ,;:", out[end - 1]))
		end--;
	strcpy(out + (end >= cut / 2 && end > 0 ? end : cut), "\xe2\x80\xa6");
	return out;
}

/* The reply's "SUMMARY:" line, whole (the host cuts the summary it
 * keeps after a word), else a summary of our own naming the files. */
static char *summary_of(const char *reply, const char *files)
{
	const char *at = reply;
	size_t n;

	while (at && strncmp(at + strspn(at, " *"), "SUMMARY:", 8) != 0)
		at = (at = strchr(at, '\n')) ? at + 1 : NULL;
	if (!at)
		return meta_append(NULL, "the model edited %s (it sent no SUMMARY line)", files);
	at += strspn(at, " *") + 8;
	at += strspn(at, " ");
	n = strcspn(at, "\r\n");
	while (n > 0 && strchr(" *", at[n - 1]))
		n--;
	return strndup(at, n);
}

/* Appends the diagnostics to `out`, each followed by the line it names
 * when that is a line of an edited file: the model saw the parent's. */
static void quote_lines(char *out, size_t size, const char *diagnostics,
			const edited_file *files, int n)
{
	const char *at = diagnostics, *line;
	size_t len, used, k;
	long number, i;
	int f;

	for (; *at && (used = strlen(out)) + 1 < size; at += len + (at[len] == '\n')) {
		len = strcspn(at, "\n");
		snprintf(out + used, size - used, "%.*s\n", (int)len, at);
		for (f = 0; f < n; f++) {
			k = strlen(files[f].name);
			if (strncmp(at, files[f].name, k) != 0 || at[k] != ':' ||
			    sscanf(at + k + 1, "%ld:", &number) != 1)
				continue;
			for (line = files[f].text, i = 1; line && i < number; i++)
				line = (line = strchr(line, '\n')) ? line + 1 : NULL;
			used = strlen(out);
			if (line)
				snprintf(out + used, size - used, "    line %ld is: %.*s\n", number,
					 (int)strcspn(line, "\n"), line);
		}
	}
}

/* Checks the generation the emitted files make (host_check): META_USED
 * when it passes, or when the host does not check (validation will), or
 * META_NOT_CHECKED with the stage and its diagnostics in `error`. */
static int check(const edited_file *files, int n, char *error, size_t size)
{
	host_check_result r;

	if (host_check(&r) < 0) {
		host_log("the edits were not checked: %s", host_error());
		return META_USED;
	}
	if (r.passed)
		return META_USED;
	snprintf(error, size, "the %s stage failed:\n", r.stage);
	quote_lines(error, size, r.diagnostics, files, n);
	return META_NOT_CHECKED;
}

int meta_note(const char *memory, const char *notes, const char *summary)
{
	char *parent = memory ? NULL : host_read("memory.md"), *updated;
	int rc;

	if (!memory)
		memory = parent ? parent : "# What the meta agent tried\n\n";
	updated = meta_append(NULL, "%s%sSUMMARY: %s\n", memory, notes, summary);
	rc = host_emit("memory.md", updated);
	free(updated);
	free(parent);
	return rc;
}

/*
 * Emits the edited files, checks them, then emits memory.md, whose notes
 * say per file how many blocks were applied, and the SUMMARY line (the
 * model's, or one naming the files). A file the model edited is emitted
 * once, with all its edits: memory.md too, with the notes after them. On
 * a refusal or a failed check the files emitted go back to their
 * parent's text, and `error` says why.
 */
static int emit_edits(const edited_file *files, int n, const char *reply, char *error,
		      size_t size)
{
	char *notes = NULL, *names = NULL, *summary;
	const char *memory = NULL;
	int i, rc = META_USED;

	for (i = 0; i < n; i++) {
		notes = files[i].blocks < 0
			? meta_append(notes, "%s: the model's whole file\n", files[i].name)
			: meta_append(notes, "%s: the model's %d edit block%s applied, in order\n",
				      files[i].name, files[i].blocks, files[i].blocks == 1 ? "" : "s");
		names = meta_append(names, "%s%s", i ? ", " : "", files[i].name);
		if (strcmp(files[i].name, "memory.md") == 0)
			memory = files[i].text;
		else if (rc == META_USED && host_emit(files[i].name, files[i].text) < 0) {
			snprintf(error, size, "%s: %s", files[i].name, host_error());
			rc = META_NOT_APPLIED;
		}
	}
	if (rc == META_USED)
		rc = check(files, n, error, size);
	summary = summary_of(reply, names ? names : "");
	if (rc == META_USED && meta_note(memory, notes ? notes : "", summary) < 0) {
		snprintf(error, size, "memory.md: %s", host_error());
		rc = META_NOT_APPLIED;
	}
	for (i = 0; rc != META_USED && i < n; i++)
		host_emit(files[i].name, files[i].parent);
	free(summary);
	free(names);
	free(notes);
	return rc;
}

int meta_use_reply(const char *reply, const char *whole, char *missed, char *error, size_t size)
{
	edited_file files[MAX_EDITED];
	int n = 0, i, rc;

	missed[0] = '\0';
	rc = whole ? whole_file(files, &n, whole, reply, error, size)
		   : apply_sections(files, &n, reply, missed, error, size);
	if (rc == META_USED)
		rc = emit_edits(files, n, reply, error, size);
	for (i = 0; i < n; i++) {
		free(files[i].name);
		free(files[i].parent);
		free(files[i].text);
	}
	return rc;
}
