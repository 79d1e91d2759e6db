/*
 * gi_parse.c - a C source as genetic improvement edits it (see gi.h):
 * tokens, brackets, the statements of function bodies, and the places
 * each kind of edit can start from.
 *
 * It parses C only as far as edits need to stay well formed: tokens
 * (strings, characters and comments whole; preprocessor lines marked),
 * matching brackets, and the statements of function bodies: blocks,
 * if/else, loops, switch, labels and simple statements ended by ';' (a
 * for header holds none). It notes what keeps an edit well formed: which
 * statements declare (they never move: the code after them names what
 * they declare) and the local names they declare, what a break or
 * continue needs around it, which tokens are expressions, which names
 * are assigned (they stay names), which '-' is unary (it stays), and the
 * value and bounds of each TUNE(value, lo, hi). Types are left to the
 * compiler: a variant that does not compile costs one evaluation.
 */
#include "gi_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const puncts[] = { "<<=", ">>=", "...", "->", "++", "--", "<<", ">>", "<=",
	">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "##", NULL };
const char *const gi_ops[] = { "<", "<=", ">", ">=", "==", "!=", "", "+", "-", "*", "/",
	"%", "", "+=", "-=", "*=", "/=", "", "&&", "||", "", NULL };
static const char *const assigns = " = += -= *= /= %= &= |= ^= <<= >>= ++ -- ";
static const char *const types = " char const double enum extern float int long register "
	"short signed static struct union unsigned void volatile _Bool bool size_t typedef ";
static const char *const keywords = " auto break case continue default do else for goto if "
	"inline restrict return sizeof switch while ";

/* Grows *items to hold n + 1 of `size`; -1 when memory runs out. */
static int grow(void *items, int *cap, int n, size_t size)
{
	void **p = items, *more;

	if (n < *cap)
		return 0;
	if (!(more = realloc(*p, (size_t)(*cap * 2 + 16) * size)))
		return -1;
	*p = more;
	*cap = *cap * 2 + 16;
	return 0;
}

static int is(const gi_program *p, int i, const char *w)
{
	return i >= 0 && i < p->n_tok && GI_LEN(p, i) == (int)strlen(w) &&
	       memcmp(p->src + p->tok[i].start, w, strlen(w)) == 0;
}

/* Whether token i is one of the blank-separated words of `list`. */
static int in_list(const gi_program *p, int i, const char *list)
{
	char w[16];

	if (i < 0 || i >= p->n_tok || GI_LEN(p, i) > 12)
		return 0;
	snprintf(w, sizeof(w), " %.*s ", GI_LEN(p, i), p->src + p->tok[i].start);
	return strstr(list, w) != NULL;
}

int gi_same(const gi_program *p, int a, int b)
{
	return GI_LEN(p, a) == GI_LEN(p, b) &&
	       memcmp(p->src + p->tok[a].start, p->src + p->tok[b].start, (size_t)GI_LEN(p, a)) == 0;
}

/* A variable's or function's name: no keyword, no type. */
int gi_is_name(const gi_program *p, int i)
{
	return i >= 0 && i < p->n_tok && p->tok[i].kind == T_NAME && !in_list(p, i, types) &&
	       !in_list(p, i, keywords);
}

/* A decimal number (no hex or octal, whose digits a new value breaks). */
static int decimal(const gi_program *p, int i)
{
	const char *t = p->src + p->tok[i].start;

	return p->tok[i].kind == T_NUMBER && !(t[0] == '0' && (isalnum((unsigned char)t[1])));
}

/* The end of the token at s[i]; its kind in *kind. */
static size_t token_end(const char *s, size_t i, unsigned char *kind)
{
	size_t j = i + 1, k;
	unsigned char c = (unsigned char)s[i];

	if (isalpha(c) || c == '_') {
		while (isalnum((unsigned char)s[j]) || s[j] == '_')
			j++;
		*kind = T_NAME;
	} else if (isdigit(c) || (c == '.' && isdigit((unsigned char)s[j]))) {
		while (isalnum((unsigned char)s[j]) || s[j] == '.' || s[j] == '_' ||
		       ((s[j] == '+' || s[j] == '-') && strchr("eE", s[j - 1])))
			j++;
		*kind = T_NUMBER;
	} else if (c == '"' || c == '\'') {
		while (s[j] && s[j] != (char)c && s[j] != '\n')
			j += s[j] == '\\' && s[j + 1] ? 2 : 1;
		j += s[j] == (char)c;
		*kind = c == '"' ? T_STRING : T_CHAR;
	} else {
		*kind = T_PUNCT;
		for (k = 0; puncts[k]; k++)
			if (strncmp(s + i, puncts[k], strlen(puncts[k])) == 0)
				return i + strlen(puncts[k]);
	}
	return j;
}

/* Cuts the source into tokens; comments and blanks are left between them. */
static int tokenize(gi_program *p)
{
	const char *s = p->src;
	size_t i = 0;
	int line = 1, directive = 0, define = 0, line_start = 1;

	while (s[i]) {
		if (s[i] == '\n' || isspace((unsigned char)s[i])) {
			if (s[i] == '\n') {
				line++;
				line_start = 1;
				directive = directive && i > 0 && s[i - 1] == '\\';
			}
			i++;
		} else if (s[i] == '/' && (s[i + 1] == '/' || s[i + 1] == '*')) {
			const char *end = s[i + 1] == '/' ? strchr(s + i, '\n') : strstr(s + i + 2, "*/");
			size_t to = end ? (size_t)(end - s) + (s[i + 1] == '*' ? 2 : 0) : strlen(s);
			for (; i < to; i++)
				line += s[i] == '\n';
		} else {
			gi_token *t;
			if (grow(&p->tok, &p->cap_tok, p->n_tok, sizeof(gi_token)) < 0)
				return -1;
			t = &p->tok[p->n_tok++];
			if (line_start && s[i] == '#')
				directive = 1, define = strncmp(s + i + 1 + strspn(s + i + 1, " \t"),
								"define", 6) == 0;
			line_start = 0;
			t->start = (int)i;
			t->end = (int)(i = token_end(s, i, &t->kind));
			t->line = line;
			t->match = t->stmt = t->func = -1;
			t->flags = directive ? F_DIRECTIVE | (define ? F_INIT : 0) : 0;
		}
	}
	return 0;
}

/* Pairs the brackets outside preprocessor lines; -1 when they do not pair. */
static int match_brackets(gi_program *p)
{
	int *stack = malloc((size_t)(p->n_tok + 1) * sizeof(int)), depth = 0, i, ok = stack != NULL;

	for (i = 0; ok && i < p->n_tok; i++) {
		char c = p->src[p->tok[i].start];
		if ((p->tok[i].flags & F_DIRECTIVE) || p->tok[i].kind != T_PUNCT || GI_LEN(p, i) != 1)
			continue;
		if (strchr("([{", c)) {
			stack[depth++] = i;
		} else if (strchr(")]}", c)) {
			ok = depth > 0 && p->src[p->tok[stack[depth - 1]].start] == (c == ')' ? '(' :
								       c == ']' ? '[' : '{');
			if (ok) {
				p->tok[i].match = stack[--depth];
				p->tok[stack[depth]].match = i;
			}
		}
	}
	free(stack);
	return ok && depth == 0 ? 0 : -1;
}

/* Calls, members, assigned names and TUNE(value, lo, hi). */
static void mark_tokens(gi_program *p)
{
	int i;

	for (i = 0; i < p->n_tok; i++) {
		gi_token *t = &p->tok[i];
		if (t->kind == T_NAME && is(p, i + 1, "("))
			t->flags |= F_CALL;
		if (t->kind == T_NAME && (is(p, i - 1, ".") || is(p, i - 1, "->")))
			t->flags |= F_MEMBER;
		if (in_list(p, i + 1, assigns) || is(p, i - 1, "++") || is(p, i - 1, "--") ||
		    is(p, i - 1, "&"))
			t->flags |= F_LVALUE;
		if (is(p, i, "TUNE") && is(p, i + 1, "(") && i + 7 < p->n_tok &&
		    p->tok[i + 2].kind == T_NUMBER && is(p, i + 3, ",") &&
		    p->tok[i + 4].kind == T_NUMBER && is(p, i + 5, ",") &&
		    p->tok[i + 6].kind == T_NUMBER && is(p, i + 7, ")")) {
			p->tok[i + 2].flags |= F_TUNE;
			p->tok[i + 4].flags |= F_BOUND;
			p->tok[i + 6].flags |= F_BOUND;
		}
	}
}

/* Marks the initializers of the declaration [first, end) as expressions
 * (`init`), and notes the local names it declares (func >= 0). */
static int mark_declaration(gi_program *p, int first, int end, int func, int init)
{
	int i, depth = 0, in_init = 0;

	for (i = first; i < end; i++) {
		char c = p->src[p->tok[i].start];
		if (p->tok[i].kind == T_PUNCT && GI_LEN(p, i) == 1 && strchr("([{", c))
			depth++;
		else if (p->tok[i].kind == T_PUNCT && GI_LEN(p, i) == 1 && strchr(")]}", c))
			depth--;
		else if (depth == 0 && (is(p, i, "=") || is(p, i, ",")))
			in_init = is(p, i, "=");
		else if (in_init)
			p->tok[i].flags |= init;
		else if (func >= 0 && depth == 0 && gi_is_name(p, i) &&
			 (i + 1 == end || is(p, i + 1, "=") || is(p, i + 1, ",") || is(p, i + 1, "["))) {
			if (grow(&p->decl, &p->cap_decl, p->n_decl, sizeof(int)) < 0)
				return -1;
			p->decl[p->n_decl++] = i;
		}
	}
	return 0;
}

static void mark_range(gi_program *p, int first, int end, int flag)
{
	for (; first < end; first++)
		p->tok[first].flags |= flag;
}

static int new_stmt(gi_program *p, int first, int parent, int func, int ctx)
{
	gi_stmt s = { first, first, parent, func, S_SIMPLE, 0, (unsigned char)ctx };

	if (grow(&p->st, &p->cap_st, p->n_st, sizeof(gi_stmt)) < 0)
		return -1;
	p->st[p->n_st] = s;
	return p->n_st++;
}

static int parse_stmt(gi_program *p, int i, int parent, int func, int ctx);

/* The condition in parentheses at token i, an expression; -1 when i is
 * not '('. Returns the token after it. */
static int condition(gi_program *p, int i, int is_cond)
{
	if (!is(p, i, "("))
		return -1;
	mark_range(p, i + 1, p->tok[i].match, F_EXPR);
	if (is_cond && grow(&p->cond, &p->cap_cond, p->n_cond, sizeof(int)) < 0)
		return -1;
	if (is_cond)
		p->cond[p->n_cond++] = i;
	return p->tok[i].match + 1;
}

/* if, while, for, switch and do statements, whose body is a statement. */
static int parse_compound(gi_program *p, int s, int i, int func, int ctx)
{
	int loop = is(p, i, "while") || is(p, i, "for") || is(p, i, "do"), j;
	int inner = ctx | (loop ? C_LOOP : is(p, i, "switch") ? C_SWITCH : 0);

	p->st[s].kind = S_COMPOUND;
	if (is(p, i, "do")) {
		j = parse_stmt(p, i + 1, s, func, inner);
		j = is(p, j, "while") ? condition(p, j + 1, 1) : -1;
		j = is(p, j, ";") ? j + 1 : -1;
	} else {
		j = condition(p, i + 1, is(p, i, "if") || is(p, i, "while"));
		j = j < 0 ? -1 : parse_stmt(p, j, s, func, inner);
		if (is(p, i, "if") && is(p, j, "else"))
			j = parse_stmt(p, j + 1, s, func, ctx);
	}
	if (j >= 0)
		p->st[s].needs &= (unsigned char)~(loop ? N_BREAK | N_CONTINUE :
						   is(p, i, "switch") ? N_BREAK : 0);
	return j;
}

/* A statement ended by ';': a declaration, a jump or an expression. */
static int parse_simple(gi_program *p, int s, int i, int func)
{
	int j = i;

	while (j < p->n_tok && !is(p, j, ";") && !is(p, j, "}"))
		j = p->tok[j].match > j ? p->tok[j].match + 1 : j + 1;
	if (!is(p, j, ";"))
		return -1;
	if (in_list(p, i, types) || (gi_is_name(p, i) && (gi_is_name(p, i + 1) || (is(p, i + 1, "*") &&
	    gi_is_name(p, i + 2) && (is(p, i + 3, "=") || is(p, i + 3, ";") || is(p, i + 3, ","))))))
		p->st[s].kind = S_DECL;
	if (p->st[s].kind == S_DECL && mark_declaration(p, i, j, func, F_EXPR) < 0)
		return -1;
	if (p->st[s].kind != S_DECL)
		mark_range(p, i, j, F_EXPR);
	p->st[s].needs = is(p, i, "break") ? N_BREAK : is(p, i, "continue") ? N_CONTINUE : 0;
	return j + 1;
}

/* Parses the statement at token i, inside statement `parent` of function
 * `func`, in a loop or switch as `ctx` says. Returns the token after it,
 * or -1 when the code is beyond this parser. */
static int parse_stmt(gi_program *p, int i, int parent, int func, int ctx)
{
	int s = i >= 0 && i < p->n_tok ? new_stmt(p, i, parent, func, ctx) : -1, j;

	if (s < 0 || (p->tok[i].flags & F_DIRECTIVE))
		return -1;
	if (is(p, i, "{")) {
		p->st[s].kind = parent < 0 ? S_BODY : S_BLOCK;
		for (j = i + 1; j >= 0 && j < p->tok[i].match;)
			j = (p->tok[j].flags & F_DIRECTIVE) ? j + 1 : parse_stmt(p, j, s, func, ctx);
		j = j == p->tok[i].match ? j + 1 : -1;
	} else if (is(p, i, "if") || is(p, i, "while") || is(p, i, "for") || is(p, i, "switch") ||
		   is(p, i, "do")) {
		j = parse_compound(p, s, i, func, ctx);
	} else if (is(p, i, "case") || is(p, i, "default") || (gi_is_name(p, i) && is(p, i + 1, ":"))) {
		for (j = i; j < p->n_tok && !is(p, j, ":"); j++)
			;
		p->st[s].kind = S_LABEL;
		j = j < p->n_tok ? j + 1 : -1;
	} else {
		j = parse_simple(p, s, i, func);
	}
	p->st[s].end = j;
	if (j >= 0 && parent >= 0)
		p->st[parent].needs |= p->st[s].needs;
	return j;
}

/* Names used as arrays, pointers or structures anywhere (an operand of
 * one kind is not replaced by one of the other), and macros' names. */
static void mark_aggregates(gi_program *p)
{
	int i, j;

	for (i = 0; i < p->n_tok; i++)
		if (gi_is_name(p, i) && (is(p, i + 1, "[") || is(p, i + 1, ".") || is(p, i + 1, "->") ||
					 (!(p->tok[i].flags & F_EXPR) && is(p, i - 1, "*"))))
			p->tok[i].flags |= F_AGGREGATE;
		else if (is(p, i - 1, "define") && is(p, i - 2, "#"))
			p->tok[i].flags |= F_MACRO;
	for (i = 0; i < p->n_tok; i++)
		for (j = 0; (p->tok[i].flags & (F_AGGREGATE | F_MACRO)) && j < p->n_tok; j++)
			if (p->tok[j].kind == T_NAME && gi_same(p, i, j))
				p->tok[j].flags |= p->tok[i].flags & (F_AGGREGATE | F_MACRO);
}

/* Function bodies are parsed; the rest of the file is declarations. */
static int parse_file(gi_program *p)
{
	int i = 0, first = 0, funcs = 0, s, t;

	while (i < p->n_tok) {
		if (p->tok[i].flags & F_DIRECTIVE) {
			first = ++i;
		} else if (is(p, i, "{") && is(p, i - 1, ")")) {
			if (mark_declaration(p, first, i, -1, F_INIT) < 0 ||
			    parse_stmt(p, i, -1, funcs++, 0) < 0)
				return -1;
			first = i = p->tok[i].match + 1;
		} else if (is(p, i, ";")) {
			if (mark_declaration(p, first, i, -1, F_INIT) < 0)
				return -1;
			first = ++i;
		} else {
			i = p->tok[i].match > i ? p->tok[i].match + 1 : i + 1;
		}
	}
	mark_aggregates(p);
	for (s = 0; s < p->n_st; s++) {  /* parents come first: the innermost wins */
		p->starts[p->st[s].first] = s;
		for (t = p->st[s].first; t < p->st[s].end; t++) {
			p->tok[t].stmt = s;
			p->tok[t].func = p->st[s].func;
		}
	}
	return 0;
}

/* The operator at token i: its index in ops[], or -1. */
int gi_operator_at(const gi_program *p, int i)
{
	int k;

	for (k = 0; gi_ops[k]; k++)
		if (gi_ops[k][0] && is(p, i, gi_ops[k]))
			return k;
	return -1;
}

/* '+', '-' and '*' are binary after an operand; else unary, and kept. */
static int binary(const gi_program *p, int i)
{
	if (!is(p, i, "+") && !is(p, i, "-") && !is(p, i, "*"))
		return 1;
	return gi_is_name(p, i - 1) || is(p, i - 1, ")") || is(p, i - 1, "]") ||
	       (i > 0 && p->tok[i - 1].kind != T_PUNCT && p->tok[i - 1].kind != T_NAME);
}

static int place_of(const gi_program *p, int kind, int i)
{
	const gi_token *t = &p->tok[i];
	int k = t->stmt < 0 ? -1 : p->st[t->stmt].kind;

	switch (kind) {
	case GI_OPERAND:
		return (t->flags & F_EXPR) && !(t->flags & (F_TUNE | F_BOUND | F_CALL)) &&
		       (gi_is_name(p, i) || decimal(p, i) || t->kind == T_CHAR);
	case GI_OPERATOR:
		return (t->flags & F_EXPR) && gi_operator_at(p, i) >= 0 && binary(p, i);
	case GI_CONSTANT:
		return decimal(p, i) && (t->flags & (F_EXPR | F_INIT | F_TUNE)) && !(t->flags & F_BOUND);
	case GI_INSERT:  /* before a statement of a block */
		return t->stmt >= 0 && p->starts[i] == t->stmt && k != S_LABEL && k != S_BODY &&
		       p->st[p->st[t->stmt].parent].kind <= S_BLOCK;
	default:         /* statements that may go or move */
		return t->stmt >= 0 && p->starts[i] == t->stmt && k >= S_BLOCK && k <= S_SIMPLE;
	}
}

static int find_places(gi_program *p)
{
	int kind, i;

	for (kind = 0; kind < GI_KINDS; kind++) {
		int n = kind == GI_CONDITION ? p->n_cond : p->n_tok;
		if (!(p->place[kind] = malloc((size_t)(n + 1) * sizeof(int))))
			return -1;
		for (i = 0; i < n; i++)
			if (kind == GI_CONDITION || place_of(p, kind, i))
				p->place[kind][p->n_place[kind]++] = kind == GI_CONDITION ? p->cond[i] :
								     kind <= GI_SWAP ? p->tok[i].stmt : i;
	}
	if (!(p->operands = malloc((size_t)(p->n_place[GI_OPERAND] + 1) * sizeof(int))))
		return -1;
	for (i = 0; i < p->n_place[GI_OPERAND]; i++) {  /* each text once per function */
		int t = p->place[GI_OPERAND][i], k;
		for (k = 0; k < p->n_operands && !(p->tok[p->operands[k]].func == p->tok[t].func &&
						    gi_same(p, p->operands[k], t)); k++)
			;
		if (k == p->n_operands)
			p->operands[p->n_operands++] = t;
	}
	return 0;
}

void gi_free(gi_program *p)
{
	int k;

	if (!p)
		return;
	for (k = 0; k < GI_KINDS; k++)
		free(p->place[k]);
	free(p->src);
	free(p->tok);
	free(p->st);
	free(p->starts);
	free(p->decl);
	free(p->cond);
	free(p->operands);
	free(p);
}

gi_program *gi_parse(const char *source)
{
	gi_program *p = calloc(1, sizeof(*p));
	int i, places = 0;

	if (!p || !(p->src = strdup(source)) || tokenize(p) < 0 || match_brackets(p) < 0 ||
	    !(p->starts = malloc((size_t)(p->n_tok + 1) * sizeof(int)))) {
		gi_free(p);
		return NULL;
	}
	for (i = 0; i < p->n_tok; i++)
		p->starts[i] = -1;
	mark_tokens(p);
	if (parse_file(p) < 0 || find_places(p) < 0) {
		gi_free(p);
		return NULL;
	}
	for (i = 0; i < GI_KINDS; i++)
		places += p->n_place[i];
	if (!places)
		gi_free(p);
	return places ? p : NULL;
}

int gi_places(const gi_program *p, int kind)
{
	return kind >= 0 && kind < GI_KINDS ? p->n_place[kind] : 0;
}

