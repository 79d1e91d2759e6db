/*
 * gi.h - genetic improvement of a solution's C source: edits (gi.c) and
 * the search over patches of them (gi_search.c).
 *
 * A patch is a list of edits, each naming places in the original
 * program: a statement deleted, replaced by a copy of another, a copy
 * inserted before one, two swapped; an operand or a condition replaced by
 * another of the same function; an operator or a number changed. Edits
 * keep the code well formed by construction: statements move within
 * their function, and only where the names they use are declared and a
 * break or continue still has its loop. So a patch can be applied,
 * shortened or extended without ever parsing a variant.
 */
#ifndef SEED_GI_H
#define SEED_GI_H

#include <stddef.h>

/* The kinds of edit, as the search weighs them. */
enum {
	GI_DELETE,    /* a statement becomes ";" */
	GI_REPLACE,   /* a statement becomes a copy of another */
	GI_INSERT,    /* a copy of a statement goes before another */
	GI_SWAP,      /* two statements trade places */
	GI_OPERAND,   /* a variable, number or character becomes another of its
	                 function (a character only another character) */
	GI_CONDITION, /* an if or while condition becomes another's */
	GI_OPERATOR,  /* a comparison, arithmetic or logical operator changes */
	GI_CONSTANT,  /* a number changes; a TUNE value within its range */
	GI_KINDS
};

typedef struct {
	int kind;     /* GI_DELETE ... */
	int at;       /* the statement, token or condition it edits */
	int with;     /* the other statement, token or condition; an operator */
	double value; /* GI_CONSTANT: the new number */
} gi_edit;

/* A source, tokenized, with its functions' statements found. */
typedef struct gi_program gi_program;

/* Parses `source` (copied). NULL when it has nothing to edit or its
 * brackets or statements are beyond this parser. */
gi_program *gi_parse(const char *source);
void gi_free(gi_program *p);

/* How many places an edit of `kind` can start from (0: none). */
int gi_places(const gi_program *p, int kind);

/* Draws an edit of `kind` into *out with host_rand. Returns 0, or -1
 * when no well-formed one was found in a few draws. */
int gi_draw(gi_edit *out, const gi_program *p, int kind);

/* The program with edits[0..n) applied in order (a later edit of the
 * same place wins), as a new string; NULL when memory runs out. */
char *gi_apply(const gi_program *p, const gi_edit *edits, int n);

/* One line for the log: "line 12: '<' -> '<='". */
void gi_describe(char *out, size_t size, const gi_program *p, const gi_edit *e);

/* The search (gi_search.c): first-improvement local search over patches
 * of `source`, a solution of host_task()'s task scored `*score`, using at
 * most `evals` host_eval calls; it ends early at the task's target. Logs
 * what it searched. Returns the improved source, its patch minimised,
 * with its score in *score; NULL when nothing was better. */
char *gi_improve(const char *source, double *score, int evals);

#endif
