/*
 * edits_match.c - SEARCH texts matched line by line ignoring whitespace,
 * their replacements re-indented, and the explanation of a block that
 * matches nothing; see edits_internal.h.
 *
 * Models copy code badly in one way above all: indentation. They send
 * four spaces for the file's tab, drop trailing blanks, or realign a
 * comment. Such a block still says unambiguously which lines it means, so
 * it is applied (when it matches exactly one place), and its replacement
 * is given the file's own indentation, so the file does not end up with
 * two styles. A block that matches nothing comes back with the lines of
 * the file nearest to it, which the model can copy.
 */
#include "edits_internal.h"

#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUOTE_MAX 80        /* a line quoted in an error */
#define NEAR_LINE_MAX 100   /* a line of the nearest-lines listing */
#define NEAR_TEXT_MAX 600   /* the whole listing: the error has 1 KB */
#define NEAR_LINES_MAX 10

int edits_split(edits_lines *out, const char *text)
{
	size_t cap = 1;
	const char *p;

	for (p = text; *p; p++)
		cap += *p == '\n';
	out->n = 0;
	out->items = malloc(cap * sizeof(*out->items));
	if (!out->items)
		return err_set(ERR_SYSTEM, "out of memory");
	for (p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		out->items[out->n].p = p;
		out->items[out->n++].n = n;
		p += n + (nl != NULL);
	}
	return 0;
}

void edits_lines_free(edits_lines *l)
{
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The line without its indentation and trailing blanks: [*start, *end). */
static void trimmed(const edits_line *l, size_t *start, size_t *end)
{
	size_t s = 0, e = l->n;

	while (e > 0 && is_blank(l->p[e - 1]))
		e--;
	while (s < e && is_blank(l->p[s]))
		s++;
	*start = s;
	*end = e;
}

/* Equal but for whitespace: indentation, trailing blanks, and the length
 * and kind of each blank run inside (a run must be there in both). */
static int loose_equal(const edits_line *a, const edits_line *b)
{
	size_t i, na, j, nb;

	trimmed(a, &i, &na);
	trimmed(b, &j, &nb);
	while (i < na && j < nb) {
		int blank_a = is_blank(a->p[i]), blank_b = is_blank(b->p[j]);
		if (blank_a != blank_b || (!blank_a && a->p[i] != b->p[j]))
			return 0;
		if (blank_a) {
			while (i < na && is_blank(a->p[i]))
				i++;
			while (j < nb && is_blank(b->p[j]))
				j++;
		} else {
			i++;
			j++;
		}
	}
	return i == na && j == nb;
}

/* Lines of `search` that match `src` from line `at` on, ignoring whitespace. */
static size_t loose_prefix(const edits_lines *src, size_t at, const edits_lines *search)
{
	size_t k = 0;

	while (k < search->n && at + k < src->n && loose_equal(&src->items[at + k], &search->items[k]))
		k++;
	return k;
}

size_t edits_loose_find(const edits_lines *src, const edits_lines *search, size_t *first)
{
	size_t i, count = 0;

	for (i = 0; search->n && i + search->n <= src->n; i++)
		if (loose_prefix(src, i, search) == search->n && count++ == 0)
			*first = i;
	return count;
}

static size_t indent_len(const edits_line *l)
{
	size_t n = 0;

	while (n < l->n && (l->p[n] == ' ' || l->p[n] == '\t'))
		n++;
	return n;
}

static int is_blank_line(const edits_line *l)
{
	size_t s, e;

	trimmed(l, &s, &e);
	return s == e;
}

/* The width of an indentation, a tab counting `tab` columns. */
static size_t width(const char *p, size_t n, size_t tab)
{
	size_t w = 0, i;

	for (i = 0; i < n; i++)
		w += p[i] == '\t' ? tab : 1;
	return w;
}

/* How one level of indentation is written: a tab, or `spaces` spaces. */
typedef struct {
	int tab;
	size_t spaces;
} indent_unit;

/* Counts the indented lines [from, to) of `src` by style; *least is the
 * smallest indentation in spaces. Blanks and a '*' continue a block
 * comment, which says nothing about the style. */
static void count_styles(const edits_lines *src, size_t from, size_t to, size_t *tabs,
			 size_t *spaced, size_t *least)
{
	size_t i;

	for (i = from; i < to && i < src->n; i++) {
		const edits_line *l = &src->items[i];
		size_t k = indent_len(l);
		if (k == 0 || k == l->n || l->p[k] == '*')
			continue;
		if (memchr(l->p, '\t', k)) {
			(*tabs)++;
		} else {
			(*spaced)++;
			*least = *least && *least < k ? *least : k;
		}
	}
}

/* The file's style: that of the matched lines, or else of the whole
 * file, or else a tab. */
static indent_unit file_unit(const edits_lines *src, size_t at, size_t n)
{
	indent_unit u = { 1, 0 };
	size_t tabs = 0, spaced = 0, least = 0;

	count_styles(src, at, at + n, &tabs, &spaced, &least);
	if (!tabs && !spaced)
		count_styles(src, 0, src->n, &tabs, &spaced, &least);
	if (spaced > tabs) {
		u.tab = 0;
		u.spaces = least;
	}
	return u;
}

typedef struct {
	const edits_lines *src, *search;
	size_t at;
	indent_unit file;
	size_t unit;   /* columns of one level in the block's own style */
} reindent;

/* The block's level width: what a matched line's indentation says (eight
 * spaces where the file has two tabs: four), else its smallest
 * indentation in spaces, else four. */
static size_t block_unit(const reindent *c, const edits_lines *replace)
{
	size_t k, least = 0, tabs = 0, spaced = 0;

	for (k = 0; k < c->search->n; k++) {
		const edits_line *s = &c->search->items[k], *f = &c->src->items[c->at + k];
		size_t sk = indent_len(s), fk = indent_len(f);
		size_t levels = c->file.tab ? width(f->p, fk, 1) : fk / c->file.spaces;
		if (!is_blank_line(s) && sk && levels && !memchr(s->p, '\t', sk) && sk % levels == 0)
			return sk / levels;
	}
	count_styles(c->search, 0, c->search->n, &tabs, &spaced, &least);
	count_styles(replace, 0, replace->n, &tabs, &spaced, &least);
	return least ? least : 4;
}

/* Appends `levels` levels in the file's style. */
static void put_levels(buf *out, const indent_unit *u, size_t levels)
{
	while (levels-- > 0) {
		if (u->tab)
			buf_puts(out, "\t");
		else
			buf_printf(out, "%*s", (int)u->spaces, "");
	}
}

/* Appends source line `k`'s indentation less `levels` levels. */
static void put_fewer(buf *out, const reindent *c, size_t k, size_t levels)
{
	const edits_line *f = &c->src->items[k];
	size_t n = indent_len(f);

	while (levels-- > 0 && n > 0) {
		size_t drop = f->p[n - 1] == '\t' ? 1 : c->file.tab ? 1 : c->file.spaces;
		n = n > drop ? n - drop : 0;
	}
	buf_append(out, f->p, n);
}

/*
 * Appends the file-style indentation of replacement line `r`: that of the
 * source line whose SEARCH line had the same indentation; else that of
 * the deepest SEARCH line not deeper than `r`, plus the difference in
 * levels; else that of the shallowest, less the difference.
 */
static void put_indent(buf *out, const reindent *c, const edits_line *r)
{
	size_t rk = indent_len(r), wr = width(r->p, rk, c->unit), k;
	size_t below = (size_t)-1, below_w = 0, lowest = (size_t)-1, lowest_w = 0;

	for (k = 0; k < c->search->n; k++) {
		const edits_line *s = &c->search->items[k];
		size_t sk = indent_len(s), ws = width(s->p, sk, c->unit);
		if (is_blank_line(s))
			continue;
		if (sk == rk && memcmp(s->p, r->p, rk) == 0) {
			buf_append(out, c->src->items[c->at + k].p, indent_len(&c->src->items[c->at + k]));
			return;
		}
		if (ws <= wr && (below == (size_t)-1 || ws > below_w))
			below = k, below_w = ws;
		if (lowest == (size_t)-1 || ws < lowest_w)
			lowest = k, lowest_w = ws;
	}
	if (below != (size_t)-1) {
		const edits_line *f = &c->src->items[c->at + below];
		buf_append(out, f->p, indent_len(f));
		put_levels(out, &c->file, (wr - below_w) / c->unit);
		buf_printf(out, "%*s", (int)((wr - below_w) % c->unit), "");
	} else if (lowest != (size_t)-1) {
		put_fewer(out, c, c->at + lowest, (lowest_w - wr + c->unit - 1) / c->unit);
	} else {
		buf_append(out, r->p, rk);
	}
}

void edits_reindent(buf *out, const edits_lines *src, size_t at, const edits_lines *search,
		    const edits_lines *replace)
{
	reindent c = { src, search, at, file_unit(src, at, search->n), 4 };
	size_t i;

	c.unit = block_unit(&c, replace);
	for (i = 0; i < replace->n; i++) {
		const edits_line *r = &replace->items[i];
		size_t k = indent_len(r);
		if (!is_blank_line(r)) {
			put_indent(out, &c, r);
			buf_append(out, r->p + k, r->n - k);
		}
		if (r->p[r->n] == '\n')
			buf_puts(out, "\n");
	}
}

/* How alike two lines look: matching ones score highest, others by
 * their common start and end, whitespace aside. */
static size_t similarity(const edits_line *a, const edits_line *b)
{
	size_t as, ae, bs, be, pre = 0, suf = 0, n;

	trimmed(a, &as, &ae);
	trimmed(b, &bs, &be);
	if (loose_equal(a, b))
		return 2 * (ae - as) + 1;
	n = ae - as < be - bs ? ae - as : be - bs;
	while (pre < n && a->p[as + pre] == b->p[bs + pre])
		pre++;
	while (suf < n - pre && a->p[ae - 1 - suf] == b->p[be - 1 - suf])
		suf++;
	return pre + suf;
}

/* The first line of the stretch of `src` most like `search` (its first
 * 50 lines: enough to place it, and the cost stays the agent's own). */
static size_t nearest(const edits_lines *src, const edits_lines *search)
{
	size_t i, k, best = 0, best_score = 0, n = search->n < 50 ? search->n : 50;

	for (i = 0; i < src->n; i++) {
		size_t score = 0;
		for (k = 0; k < n && i + k < src->n; k++)
			score += similarity(&src->items[i + k], &search->items[k]);
		if (score > best_score)
			best = i, best_score = score;
	}
	return best;
}

/* At most `max` bytes of the line, trimmed, not cut inside a character. */
static int quote_len(const edits_line *l, size_t max, const char **start)
{
	size_t s, e;

	trimmed(l, &s, &e);
	*start = l->p + s;
	return (int)utf8_valid_prefix(l->p + s, e - s < max ? e - s : max);
}

/* Appends the lines around `at`, as they are, for the model to copy. */
static void append_nearest(buf *msg, const edits_lines *src, size_t at, size_t n)
{
	size_t first = at ? at - 1 : 0, last = first, end = at + n + 1;
	buf list = BUF_INIT;

	if (src->n == 0) {
		buf_puts(msg, "; the source is empty");
		return;
	}
	for (; last < end && last < src->n && last < first + NEAR_LINES_MAX; last++) {
		const edits_line *l = &src->items[last];
		size_t len = utf8_valid_prefix(l->p, l->n < NEAR_LINE_MAX ? l->n : NEAR_LINE_MAX);
		if (list.len + len + 1 > NEAR_TEXT_MAX)
			break;
		buf_append(&list, l->p, len);
		buf_puts(&list, "\n");
	}
	buf_printf(msg, ". The nearest lines of the source are lines %zu-%zu; copy the SEARCH "
		   "lines from them exactly:\n```\n%s```", first + 1, last, buf_cstr(&list));
	buf_free(&list);
}

int edits_explain(int block, const edits_lines *src, const edits_lines *search)
{
	size_t i, at = 0, longest = 0;
	const char *a, *b;
	buf msg = BUF_INIT;
	int na, nb, rc;

	for (i = 0; i < src->n; i++) {
		size_t k = loose_prefix(src, i, search);
		if (k > longest)
			longest = k, at = i;
	}
	na = quote_len(&search->items[longest], QUOTE_MAX, &a);
	if (longest > 0 && at + longest >= src->n) {
		buf_printf(&msg, "block %d: lines 1-%zu match the last lines of the source, from "
			   "line %zu, but the source ends before line %zu (\"%.*s\")", block,
			   longest, at + 1, longest + 1, na, a);
	} else if (longest > 0) {
		nb = quote_len(&src->items[at + longest], QUOTE_MAX, &b);
		buf_printf(&msg, "block %d: lines 1-%zu match the source at line %zu, but line %zu "
			   "differs: expected \"%.*s\", the source has \"%.*s\"", block, longest,
			   at + 1, longest + 1, na, a, nb, b);
	} else {
		buf_printf(&msg, "block %d: its first line \"%.*s\" does not occur in the source, "
			   "even ignoring whitespace", block, na, a);
		at = nearest(src, search);
	}
	append_nearest(&msg, src, at, search->n);
	rc = buf_failed(&msg) < 0 ? ERR_SYSTEM : err_set(ERR_INVALID, "%s", buf_cstr(&msg));
	buf_free(&msg);
	return rc;
}
