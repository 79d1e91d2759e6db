/*
 * meta_gi.c - the seed meta agent's genetic improvement of the task
 * agent's strategy code, offline.
 *
 * Numbers alone cannot turn a '<' into '<=' or drop a statement that
 * wastes evaluations; GI edits can. So a share of the offline rewrites
 * (meta_agent.c) makes GI edits, with the same engine the task agent
 * uses on solutions (gi.h: statements deleted, copied, inserted,
 * swapped; operands, conditions and operators changed; numbers are the
 * other rewrites' job), to the code of task_agent.c or gi_search.c.
 * Edits stay inside function bodies, so no entry point's signature
 * changes; the meta agent's own files are never edited, so a bad edit
 * cannot stop it from making the next generation. A rewrite that leaves
 * the file as it was is not proposed. Each rewrite is checked with
 * host_check before it is proposed, and another is drawn when it fails;
 * the host validates the one proposed like any other (smoke run
 * included) and measures it.
 */
#include "gi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GI_EDITS 8  /* edits in one rewrite at most */
#define MAX_DRAWS 16    /* rewrites drawn at most, those that change nothing included */

/* Whether edit e[n] starts where one of e[0..n) does: the later would
 * win, and the note would name an edit the code does not show. */
static int same_place(const gi_edit *e, int n)
{
	int k;

	for (k = 0; k < n; k++)
		if (e[k].at == e[n].at && (e[k].kind <= GI_SWAP) == (e[n].kind <= GI_SWAP))
			return 1;
	return 0;
}

/* Draws up to `count` edits of `p`, kinds uniform among those with
 * places, each at a place of its own, into e[] (four draws an edit at
 * most); returns how many were drawn. Numbers are left to the rewrites
 * of strategy constants, which the archive steers. */
static int draw_edits(gi_edit *e, const gi_program *p, int count)
{
	int kinds[GI_KINDS], n_kinds = 0, k, n = 0;

	for (k = 0; k < GI_KINDS; k++)
		if (k != GI_CONSTANT && gi_places(p, k))
			kinds[n_kinds++] = k;
	for (k = 0; n_kinds && n < count && k < count * 4; k++)
		n += gi_draw(&e[n], p, kinds[host_rand() % (unsigned)n_kinds]) == 0 &&
		     !same_place(e, n);
	return n;
}

/* Whether the generation with `file` as emitted passes host_check; one
 * the host refuses to check passes (validation checks it). */
static int passes_check(const char *file)
{
	host_check_result r;

	if (host_check(&r) < 0) {
		host_log("GI rewrite of %s not checked: %s", file, host_error());
		return 1;
	}
	if (!r.passed)
		host_log("GI rewrite of %s failed the %s stage: %.200s", file, r.stage,
			 r.diagnostics);
	return r.passed;
}

/* Notes each edit of e[0..n) as "GI: file:12: '<' -> '<='". */
static void note_edits(char *notes, size_t size, const char *file, const gi_program *p,
		       const gi_edit *e, int n)
{
	char line[300];
	const char *what;
	size_t used;
	int k;

	for (k = 0; k < n; k++) {
		gi_describe(line, sizeof(line), p, &e[k]);
		what = strncmp(line, "lines ", 6) == 0 ? line + 6 :
		       strncmp(line, "line ", 5) == 0 ? line + 5 : line;
		used = strlen(notes);
		snprintf(notes + used, size - used, "GI: %s:%s\n", file, what);
	}
}

/*
 * Makes `edits` GI edits to `file`'s code and emits it. A rewrite that
 * leaves the file as it was is drawn again. With `checks` > 0 each
 * rewrite is checked (host_check), `checks` times at most, until one
 * passes; with 0 the first is proposed unchecked. Notes each edit in
 * `notes`. Returns 0 once a rewrite is emitted, -1 when none is (the
 * file is then as its parent's).
 */
int meta_gi_rewrite(const char *file, int edits, int checks, char *notes, size_t size)
{
	char *src = host_read(file), *text = NULL;
	gi_program *p = src ? gi_parse(src) : NULL;
	gi_edit e[MAX_GI_EDITS];
	int draws, checked = 0, n = 0, done = 0;

	edits = edits < 1 ? 1 : edits > MAX_GI_EDITS ? MAX_GI_EDITS : edits;
	for (draws = 0; p && !done && draws < MAX_DRAWS && (checks <= 0 || checked < checks);
	     draws++) {
		n = draw_edits(e, p, edits);
		text = n ? gi_apply(p, e, n) : NULL;
		if (text && strcmp(text, src) != 0 && host_emit(file, text) == 0) {
			checked += checks > 0;
			done = checks <= 0 || passes_check(file);
		}
		free(text);
	}
	if (done) {
		note_edits(notes, size, file, p, e, n);
	} else if (p) {
		host_log("GI rewrite: of %d drawn for %s, none changed it and passed its check",
			 draws, file);
		host_emit(file, src);
	} else {
		host_log("GI rewrite: %s %s", file, src ? "has no code GI can edit" : "is missing");
	}
	gi_free(p);
	free(src);
	return done ? 0 : -1;
}
