/*
 * gi_internal.h - the parsed program that gi_parse.c builds and gi.c
 * edits; nothing else includes it.
 */
#ifndef SEED_GI_INTERNAL_H
#define SEED_GI_INTERNAL_H

#include "gi.h"

enum { T_NAME, T_NUMBER, T_STRING, T_CHAR, T_PUNCT };
enum {
	F_DIRECTIVE = 1,  /* on a preprocessor line */
	F_EXPR = 2,       /* in an expression of a function */
	F_INIT = 4,       /* a file-scope initializer or a #define's value */
	F_MEMBER = 8,     /* after '.' or '->' */
	F_CALL = 16,      /* a name before '(' */
	F_TUNE = 32,      /* the value of TUNE(value, lo, hi) */
	F_LVALUE = 64,    /* assigned, stepped or addressed: stays a name */
	F_BOUND = 128,    /* lo or hi of a TUNE */
	F_AGGREGATE = 256, /* a name indexed, pointed or with members somewhere */
	F_MACRO = 512     /* a name #defined in the source */
};
enum { S_BODY, S_BLOCK, S_COMPOUND, S_SIMPLE, S_DECL, S_LABEL };
enum { N_BREAK = 1, N_CONTINUE = 2 };  /* what a statement needs around it */
enum { C_LOOP = 1, C_SWITCH = 2 };     /* what is around a statement */

typedef struct {
	int start, end, line;  /* bytes [start, end) of the source, on `line` */
	int match;             /* a bracket's partner, or -1 */
	int stmt, func;        /* the innermost statement and function; -1: none */
	unsigned char kind;
	unsigned short flags;
} gi_token;

typedef struct {
	int first, end;        /* tokens [first, end) */
	int parent, func;      /* parent -1: a function's body */
	unsigned char kind, needs, ctx;
} gi_stmt;

struct gi_program {
	char *src;
	gi_token *tok;
	gi_stmt *st;
	int n_tok, n_st, cap_tok, cap_st;
	int *starts;                   /* per token: the statement it starts, or -1 */
	int *decl, n_decl, cap_decl;   /* tokens naming local declarations */
	int *cond, n_cond, cap_cond;   /* '(' of if, while and do conditions */
	int *place[GI_KINDS], n_place[GI_KINDS];
	int *operands, n_operands;     /* operand places, one per text and function */
};

/* The operators an edit may swap, in classes ended by "". */
extern const char *const gi_ops[];

#define GI_LEN(p, i) ((p)->tok[i].end - (p)->tok[i].start)

/* Whether tokens a and b are written alike. */
int gi_same(const gi_program *p, int a, int b);

/* Whether token i names a variable or function (no keyword, no type). */
int gi_is_name(const gi_program *p, int i);

/* The index in gi_ops of the operator at token i, or -1. */
int gi_operator_at(const gi_program *p, int i);

#endif
