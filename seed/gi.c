/*
 * gi.c - the edits of genetic improvement (see gi.h): drawn at random on
 * a parsed program (gi_parse.c), applied as a patch, and described.
 *
 * An edit names places of the original program, never of a variant, so
 * a patch applies in one pass over the original's tokens: a statement
 * replaced or deleted is written as its replacement, copies inserted
 * before a statement come first, and a token an edit changes is written
 * changed. A later edit of the same place wins. Statement edits keep to
 * their function, and a statement moves only where the local names it
 * uses are declared before it and a break or continue in it keeps its
 * loop.
 */
#include "gi_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRAWS 16          /* draws at a well-formed edit before giving up */
#define TUNE_STEP 0.1     /* a TUNE value's small step, of its range; else a jump */
#define DELETED (-2)      /* a statement's replacement: ";" */

static unsigned pick(int n)
{
	return host_rand() % (unsigned)n;
}

/* Whether statement s encloses statement `in`. */
static int encloses(const gi_program *p, int s, int in)
{
	for (in = p->st[in].parent; in >= 0; in = p->st[in].parent)
		if (in == s)
			return 1;
	return 0;
}

/* Whether the name at token `name` means the same at statement `at`,
 * before token `before`: it is no local of the function, or one of its
 * declarations comes before, in a block around `at`, or in [lo, hi),
 * the code that moves with it. */
static int visible(const gi_program *p, int name, int at, int before, int lo, int hi)
{
	int d, local = 0;

	for (d = 0; d < p->n_decl; d++) {
		int dt = p->decl[d], ds = p->tok[dt].stmt;
		if (p->st[ds].func != p->st[at].func || !gi_same(p, dt, name))
			continue;
		if ((dt >= lo && dt < hi) || (dt < before && encloses(p, p->st[ds].parent, at)))
			return 1;
		local = 1;
	}
	return !local;
}

/* Whether every name of tokens [lo, hi) is visible at statement `at`. */
static int all_visible(const gi_program *p, int lo, int hi, int at, int before)
{
	int k;

	for (k = lo; k < hi; k++)
		if (gi_is_name(p, k) && !(p->tok[k].flags & (F_MEMBER | F_CALL)) &&
		    !visible(p, k, at, before, lo, hi))
			return 0;
	return 1;
}

/* Whether statement t's code may stand where statement s starts. */
static int fits(const gi_program *p, int t, int s)
{
	const gi_stmt *a = &p->st[t], *b = &p->st[s];

	return a->func == b->func && (!(a->needs & N_BREAK) || b->ctx) &&
	       (!(a->needs & N_CONTINUE) || (b->ctx & C_LOOP)) &&
	       all_visible(p, a->first, a->end, s, b->first);
}

static int draw_constant(gi_edit *e, const gi_program *p)
{
	char text[64];
	double v, lo, hi, c[6];
	int integer, n = 0;

	snprintf(text, sizeof(text), "%.*s", GI_LEN(p, e->at), p->src + p->tok[e->at].start);
	v = strtod(text, NULL);
	integer = !strpbrk(text, ".eE");
	if (p->tok[e->at].flags & F_TUNE) {
		lo = strtod(p->src + p->tok[e->at + 2].start, NULL);
		hi = strtod(p->src + p->tok[e->at + 4].start, NULL);
		c[n] = pick(2) ? lo + (hi - lo) * (host_rand() / 4294967296.0) :
		       v + (hi - lo) * TUNE_STEP * (host_rand() / 2147483648.0 - 1);
		c[n] = c[n] < lo ? lo : c[n] > hi ? hi : c[n];
		if (integer)
			c[n] = hi - lo <= 1 ? lo + hi - v : (double)(long)(c[n] + 0.5);
		n++;
	} else {
		c[n++] = integer ? v + 1 : v * 0.5;
		c[n++] = integer ? v - 1 : v * 0.8;
		c[n++] = integer ? v * 2 : v * 1.25;
		c[n++] = integer ? (double)(long)(v / 2) : v * 2;
		c[n++] = 0;
		c[n++] = 1;
	}
	e->value = c[pick(n)];
	return e->value != v && e->value >= 0 && e->value < 1e15 ? 0 : -1;
}

/* Whether the operand at token i is a pointer, an array or a structure:
 * a name used so, not indexed, called or followed to a member here. */
static int aggregate(const gi_program *p, int i)
{
	return i >= 0 && i + 1 < p->n_tok && p->tok[i].kind == T_NAME &&
	       (p->tok[i].flags & F_AGGREGATE) && !strchr("[.(", p->src[p->tok[i + 1].start]) &&
	       strncmp(p->src + p->tok[i + 1].start, "->", 2) != 0;
}

static int real(const gi_program *p, int i)
{
	return p->tok[i].kind == T_NUMBER && memchr(p->src + p->tok[i].start, '.', GI_LEN(p, i));
}

/* Whether operator `op` fits at token i: pointers only add and subtract,
 * and '%' takes no real number. */
static int operator_fits(const gi_program *p, int i, const char *op)
{
	if (strchr("*/%", op[0]) && (aggregate(p, i - 1) || aggregate(p, i + 1)))
		return 0;
	return op[0] != '%' || !(real(p, i - 1) || real(p, i + 1));
}

/* Completes an edit whose kind and place are drawn; -1: not well formed. */
static int draw_with(gi_edit *e, const gi_program *p)
{
	int s = e->at, t, a, b, k;

	switch (e->kind) {
	case GI_DELETE:
		return 0;
	case GI_REPLACE: case GI_INSERT: case GI_SWAP:
		t = e->with = p->place[GI_DELETE][pick(p->n_place[GI_DELETE])];
		if (e->kind != GI_INSERT && (t == s || encloses(p, t, s) || encloses(p, s, t)))
			return -1;
		return fits(p, t, s) && (e->kind != GI_SWAP || fits(p, s, t)) ? 0 : -1;
	case GI_OPERAND:
		for (a = 0; a < p->n_operands && p->tok[p->operands[a]].func != p->tok[s].func; a++)
			;  /* a function's operands are together, in the order of the source */
		for (b = a; b < p->n_operands && p->tok[p->operands[b]].func == p->tok[s].func; b++)
			;
		t = e->with = p->operands[a + (int)pick(b - a)];
		if (gi_same(p, s, t) || p->tok[s].func != p->tok[t].func ||
		    ((p->tok[s].flags ^ p->tok[t].flags) & (F_MEMBER | F_AGGREGATE)) ||
		    (p->tok[s].kind == T_CHAR) != (p->tok[t].kind == T_CHAR) ||
		    ((p->tok[s].flags & F_LVALUE) && (p->tok[t].kind != T_NAME ||
						      (p->tok[t].flags & F_MACRO))))
			return -1;
		return all_visible(p, t, t + 1, p->tok[s].stmt, s) ? 0 : -1;
	case GI_CONDITION:
		t = e->with = p->place[GI_CONDITION][pick(p->n_place[GI_CONDITION])];
		return t != s && p->tok[s].func == p->tok[t].func &&
		       all_visible(p, t + 1, p->tok[t].match, p->tok[s].stmt, s) ? 0 : -1;
	case GI_OPERATOR:
		k = gi_operator_at(p, s);
		for (a = k; a > 0 && gi_ops[a - 1][0]; a--)
			;
		for (b = k; gi_ops[b][0]; b++)
			;
		e->with = a + (int)pick(b - a - 1);
		e->with += e->with >= k;
		return operator_fits(p, s, gi_ops[e->with]) ? 0 : -1;
	default:
		return draw_constant(e, p);
	}
}

int gi_draw(gi_edit *out, const gi_program *p, int kind)
{
	int k;

	for (k = 0; kind >= 0 && kind < GI_KINDS && p->n_place[kind] && k < DRAWS; k++) {
		out->kind = kind;
		out->at = p->place[kind][pick(p->n_place[kind])];
		out->with = -1;
		out->value = 0;
		if (draw_with(out, p) == 0)
			return 0;
	}
	return -1;
}

typedef struct {
	char *s;
	size_t len, cap;
	int failed;
} text;

static void put(text *t, const char *s, size_t n)
{
	char *more;

	if (t->len + n + 1 > t->cap && !t->failed) {
		t->cap = (t->len + n + 1) * 2;
		if (!(more = realloc(t->s, t->cap)))
			t->failed = 1;
		else
			t->s = more;
	}
	if (!t->failed) {
		memcpy(t->s + t->len, s, n);
		t->s[t->len += n] = '\0';
	}
}

/* Tokens [first, end) as written, comments included. */
static void put_tokens(text *t, const gi_program *p, int first, int end)
{
	put(t, p->src + p->tok[first].start, (size_t)(p->tok[end - 1].end - p->tok[first].start));
}

/* A new value for the number at token i, with its suffix (U, L, f). */
static void format_number(char *out, size_t size, const gi_program *p, int i, double v)
{
	char text[64], *suffix;
	int n;

	snprintf(text, sizeof(text), "%.*s", GI_LEN(p, i), p->src + p->tok[i].start);
	strtod(text, &suffix);
	if (!strpbrk(text, ".eE")) {
		snprintf(out, size, "%ld%s", (long)v, suffix);
		return;
	}
	n = snprintf(out, size, "%.6g", v);
	snprintf(out + n, size - (size_t)n, "%s%s", strpbrk(out, ".e") ? "" : ".0", suffix);
}

/* Writes the edit of token i; returns the token after what it replaced. */
static int put_edit(text *t, const gi_program *p, const gi_edit *e, int i)
{
	char number[80];

	switch (e->kind) {
	case GI_OPERAND:
		put_tokens(t, p, e->with, e->with + 1);
		return i + 1;
	case GI_OPERATOR:
		put(t, gi_ops[e->with], strlen(gi_ops[e->with]));
		return i + 1;
	case GI_CONDITION:
		put_tokens(t, p, e->with, p->tok[e->with].match + 1);
		return p->tok[i].match + 1;
	default:
		format_number(number, sizeof(number), p, i, e->value);
		put(t, number, strlen(number));
		return i + 1;
	}
}

char *gi_apply(const gi_program *p, const gi_edit *e, int n)
{
	int *edit = malloc((size_t)(p->n_tok + p->n_st + 1) * sizeof(int)), *with = edit + p->n_tok;
	int i, k, from;
	text t = { NULL, 0, 0, edit == NULL };

	for (i = 0; edit && i < p->n_tok + p->n_st; i++)
		edit[i] = -1;
	for (k = 0; edit && k < n; k++) {
		if (e[k].kind == GI_DELETE || e[k].kind == GI_REPLACE || e[k].kind == GI_SWAP)
			with[e[k].at] = e[k].kind == GI_DELETE ? DELETED : e[k].with;
		if (e[k].kind == GI_SWAP)
			with[e[k].with] = e[k].at;
		if (e[k].kind >= GI_OPERAND)
			edit[e[k].at] = k;
	}
	for (i = 0, from = 0; !t.failed && i < p->n_tok; from = p->tok[i - 1].end) {
		int s = p->starts[i];
		put(&t, p->src + from, (size_t)(p->tok[i].start - from));
		for (k = 0; s >= 0 && k < n; k++)
			if (e[k].kind == GI_INSERT && e[k].at == s) {
				put_tokens(&t, p, p->st[e[k].with].first, p->st[e[k].with].end);
				put(&t, " ", 1);
			}
		if (s >= 0 && with[s] != -1) {
			if (with[s] == DELETED)
				put(&t, ";", 1);
			else
				put_tokens(&t, p, p->st[with[s]].first, p->st[with[s]].end);
			i = p->st[s].end;
		} else if (edit[i] >= 0) {
			i = put_edit(&t, p, &e[edit[i]], i);
		} else {
			put_tokens(&t, p, i, i + 1);
			i++;
		}
	}
	from = p->n_tok ? p->tok[p->n_tok - 1].end : 0;
	put(&t, p->src + from, strlen(p->src + from));
	free(edit);
	if (t.failed)
		free(t.s);
	return t.failed ? NULL : t.s;
}

/* Tokens [first, end) on one line, blanks squeezed, cut at about 40 bytes. */
static const char *snippet(char *out, size_t size, const gi_program *p, int first, int end)
{
	const char *s = p->src + p->tok[first].start, *stop = p->src + p->tok[end - 1].end;
	size_t n = 0;

	for (; s < stop && n + 4 < size && n < 40; s++)
		if (!isspace((unsigned char)*s))
			out[n++] = *s;
		else if (n > 0 && out[n - 1] != ' ')
			out[n++] = ' ';
	snprintf(out + n, size - n, "%s", s < stop ? "..." : "");
	return out;
}

void gi_describe(char *out, size_t size, const gi_program *p, const gi_edit *e)
{
	const gi_stmt *s = &p->st[e->kind <= GI_SWAP ? e->at : 0];
	const gi_stmt *w = &p->st[e->kind <= GI_SWAP && e->with >= 0 ? e->with : 0];
	char a[64], b[80];
	int line = e->kind <= GI_SWAP ? p->tok[s->first].line : p->tok[e->at].line;

	if (e->kind <= GI_SWAP)
		snippet(a, sizeof(a), p, s->first, s->end);
	if (e->kind <= GI_SWAP && e->with >= 0)
		snippet(b, sizeof(b), p, w->first, w->end);
	if (e->kind == GI_DELETE)
		snprintf(out, size, "line %d: deleted '%s'", line, a);
	else if (e->kind == GI_REPLACE)
		snprintf(out, size, "line %d: '%s' replaced by '%s'", line, a, b);
	else if (e->kind == GI_INSERT)
		snprintf(out, size, "line %d: '%s' inserted before '%s'", line, b, a);
	else if (e->kind == GI_SWAP)
		snprintf(out, size, "lines %d and %d: '%s' and '%s' swapped", line,
			 p->tok[w->first].line, a, b);
	else if (e->kind == GI_CONDITION)
		snprintf(out, size, "line %d: condition '%s' -> '%s'", line,
			 snippet(a, sizeof(a), p, e->at, p->tok[e->at].match + 1),
			 snippet(b, sizeof(b), p, e->with, p->tok[e->with].match + 1));
	else if (e->kind == GI_OPERATOR)
		snprintf(out, size, "line %d: '%.*s' -> '%s'", line, GI_LEN(p, e->at),
			 p->src + p->tok[e->at].start, gi_ops[e->with]);
	else if (e->kind == GI_OPERAND)
		snprintf(out, size, "line %d: '%.*s' -> '%.*s'", line, GI_LEN(p, e->at),
			 p->src + p->tok[e->at].start, GI_LEN(p, e->with), p->src + p->tok[e->with].start);
	else
		format_number(b, sizeof(b), p, e->at, e->value),
		snprintf(out, size, "line %d: %.*s -> %s%s", line, GI_LEN(p, e->at),
			 p->src + p->tok[e->at].start, b, (p->tok[e->at].flags & F_TUNE) ? " (TUNE)" : "");
}
