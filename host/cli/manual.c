/*
 * manual.c - `host help NAME`: the manual page beside the binary, shown
 * with man -l, or rendered here as plain text where man is missing.
 *
 * The renderer knows the subset of roff host's own pages are written in
 * (tests/test_docs.c renders every page with it): the man macros for
 * headings, paragraphs, tagged and indented paragraphs and unfilled
 * blocks, and the font and character escapes. It fills text to a width
 * and leaves out what it does not know, so a page is never a second
 * source to keep up to date.
 */
#include "manual.h"

#include "error.h"
#include "os.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BASE_INDENT 7   /* man's indent of a section's text */
#define TAG_INDENT 7    /* of a tagged paragraph's body */
#define MAX_RS 8        /* .RS levels */

typedef struct {
	buf *out;
	int width;
	int base;          /* the indent of a paragraph, .RS included */
	int indent;        /* the indent of the filled lines that follow */
	int first;         /* the indent of the next output line */
	int nf;            /* .nf: lines as they are */
	int tag_next;      /* .TP: the next line is the tag */
	int fresh;         /* nothing since a heading: a paragraph adds no blank */
	int rs[MAX_RS], n_rs;
	buf line;          /* the words of the line being filled */
	int line_cols;     /* its width, in characters */
} render;

/* The printable text of a special character: \(xx or \[name]. */
static const char *special(const char *name, size_t len)
{
	static const char *const table[][2] = {
		{ "bu", "*" }, { "em", "--" }, { "->", "->" }, { "aq", "'" }, { "dq", "\"" },
		{ "lq", "\"" }, { "rq", "\"" }, { "u00B1", "+-" }, { "'e", "\xc3\xa9" },
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strlen(table[i][0]) == len && strncmp(table[i][0], name, len) == 0)
			return table[i][1];
	return "";
}

/* Appends `text` to `out` with its escapes resolved: fonts dropped,
 * \- \e \& \% and the special characters turned into what they print. */
static void unescape(buf *out, const char *text)
{
	const char *p = text, *end;

	while (*p) {
		if (*p != '\\') {
			buf_append(out, p++, 1);
			continue;
		}
		p++;
		if (*p == 'f') {  /* \fB, \f(CW: the font changes, the text does not */
			p += p[1] == '(' ? 4 : 2;
		} else if (*p == '(' && p[1] && p[2]) {
			buf_puts(out, special(p + 1, 2));
			p += 3;
		} else if (*p == '[' && (end = strchr(p, ']')) != NULL) {
			buf_puts(out, special(p + 1, (size_t)(end - p - 1)));
			p = end + 1;
		} else if (*p == '"' || !*p) {  /* a comment runs to the end */
			return;
		} else {
			if (*p == 'e')
				buf_puts(out, "\\");
			else if (*p == '~')
				buf_puts(out, " ");
			else if (*p != '&' && *p != '%')
				buf_append(out, p, 1);
			p++;
		}
	}
}

/* Characters, not bytes: a UTF-8 sequence is one column. */
static int columns(const char *s, size_t len)
{
	int n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

static void put_line(render *r, const char *text, size_t len, int indent)
{
	buf_printf(r->out, "%*s%.*s\n", len ? indent : 0, "", (int)len, text);
}

/* Ends the line being filled, if any. */
static void flush(render *r)
{
	if (!r->line.len)
		return;
	put_line(r, r->line.data, r->line.len, r->first);
	buf_clear(&r->line);
	r->line_cols = 0;
	r->first = r->indent;
}

static void fill_word(render *r, const char *word, size_t len)
{
	int cols = columns(word, len);

	if (r->line.len && r->first + r->line_cols + 1 + cols > r->width)
		flush(r);
	if (r->line.len) {
		buf_puts(&r->line, " ");
		r->line_cols++;
	}
	buf_append(&r->line, word, len);
	r->line_cols += cols;
}

/* Starts the line with `tag`, padded so that the body begins `width`
 * columns in, as .IP and a short .TP tag are set. */
static void hang_tag(render *r, const char *tag, int width)
{
	buf_puts(&r->line, tag);
	r->line_cols = columns(tag, strlen(tag));
	while (r->line_cols < width - 1) {
		buf_puts(&r->line, " ");
		r->line_cols++;
	}
}

/* A line of text: the tag of a .TP, an unfilled line, or words to fill. */
static void text_line(render *r, const char *roff)
{
	buf plain = BUF_INIT;
	const char *p, *word;

	unescape(&plain, roff);
	p = buf_cstr(&plain);
	r->fresh = 0;
	if (r->tag_next && columns(p, strlen(p)) < TAG_INDENT - 1) {
		hang_tag(r, p, TAG_INDENT);  /* a short tag: the body beside it */
		r->tag_next = 0;
	} else if (r->nf || r->tag_next) {
		flush(r);
		put_line(r, p, strlen(p), r->nf ? r->base : r->first);
		r->first = r->indent;
		r->tag_next = 0;
	} else {
		while (*p) {
			while (*p == ' ')
				p++;
			for (word = p; *p && *p != ' '; p++)
				;
			if (p > word)
				fill_word(r, word, (size_t)(p - word));
		}
	}
	buf_free(&plain);
}

/* A new paragraph at `indent`, its later lines at `hang`. */
static void paragraph(render *r, int indent, int hang)
{
	flush(r);
	if (r->out->len && !r->fresh)
		buf_puts(r->out, "\n");
	r->first = indent;
	r->indent = hang;
	r->tag_next = 0;
}

/* The request's arguments, quotes removed, joined by `sep`. */
static void arguments(buf *out, const char *args, const char *sep)
{
	const char *p = args;
	int first = 1;

	while (*p) {
		const char *start;
		int quoted;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		quoted = *p == '"';
		start = p += quoted;
		while (*p && (quoted ? *p != '"' : *p != ' '))
			p++;
		if (!first)
			buf_puts(out, sep);
		buf_append(out, start, (size_t)(p - start));
		first = 0;
		p += quoted && *p;
	}
}

/* .SH and .SS: the heading at `indent`, the text after it at the base. */
static void heading(render *r, const char *args, int indent)
{
	buf text = BUF_INIT, plain = BUF_INIT;

	arguments(&text, args, " ");
	unescape(&plain, buf_cstr(&text));
	paragraph(r, 0, 0);
	put_line(r, buf_cstr(&plain), plain.len, indent);
	r->fresh = 1;
	r->n_rs = 0;
	r->nf = 0;
	r->base = r->first = r->indent = BASE_INDENT;
	buf_free(&text);
	buf_free(&plain);
}

/* .IP TAG WIDTH: the tag, then the body beside it, WIDTH in. */
static void indented(render *r, const char *args)
{
	buf text = BUF_INIT, tag = BUF_INIT;
	const char *width;
	int w;

	arguments(&text, args, "\n");
	width = strchr(buf_cstr(&text), '\n');
	w = width && atoi(width + 1) > 0 ? atoi(width + 1) : TAG_INDENT;
	paragraph(r, r->base, r->base + w);
	if (width)  /* the tag alone */
		text.data[width - text.data] = '\0';
	unescape(&tag, buf_cstr(&text));
	if (tag.len)
		hang_tag(r, buf_cstr(&tag), w);
	buf_free(&text);
	buf_free(&tag);
}

static void shift(render *r, const char *args, int in)
{
	flush(r);
	if (in && r->n_rs < MAX_RS) {
		r->rs[r->n_rs++] = r->base;
		r->base += atoi(args) > 0 ? atoi(args) : TAG_INDENT;
	} else if (!in && r->n_rs > 0) {
		r->base = r->rs[--r->n_rs];
	}
	r->first = r->indent = r->base;
}

static int is(const char *name, const char *a, const char *b)
{
	return strcmp(name, a) == 0 || (b && strcmp(name, b) == 0);
}

/* A request line (".SH NAME"); those not known, such as .nh, do nothing. */
static void request(render *r, const char *line)
{
	char name[4];
	size_t n = strcspn(line + 1, " ");
	const char *args = line + 1 + n;
	buf text = BUF_INIT;

	if (n == 0 || n >= sizeof(name))
		return;
	memcpy(name, line + 1, n);
	name[n] = '\0';
	if (is(name, "TH", NULL)) {  /* the page's title: NAME(SECTION) */
		buf title = BUF_INIT;
		const char *t, *section;
		size_t n;
		arguments(&text, args, "\n");
		t = buf_cstr(&text);
		n = strcspn(t, "\n");
		section = t[n] ? t + n + 1 : "";
		buf_printf(&title, "%.*s(%.*s)", (int)n, t, (int)strcspn(section, "\n"), section);
		unescape(r->out, buf_cstr(&title));
		buf_puts(r->out, "\n");
		buf_free(&title);
	} else if (is(name, "SH", "SS")) {
		heading(r, args, name[1] == 'H' ? 0 : 3);
	} else if (is(name, "PP", "LP") || is(name, "P", NULL)) {
		paragraph(r, r->base, r->base);
	} else if (is(name, "TP", NULL)) {
		paragraph(r, r->base, r->base + TAG_INDENT);
		r->tag_next = 1;
	} else if (is(name, "IP", NULL)) {
		indented(r, args);
	} else if (is(name, "RS", "RE")) {
		shift(r, args, name[1] == 'S');
	} else if (is(name, "nf", "fi")) {
		flush(r);
		r->nf = name[0] == 'n';
	} else if (is(name, "B", "I") || is(name, "BR", "RB") || is(name, "IR", "BI")) {
		arguments(&text, args, name[1] ? "" : " ");
		text_line(r, buf_cstr(&text));
	}
	buf_free(&text);
}

void manual_render(buf *out, const char *roff, int width)
{
	render r = { .out = out, .width = width, .base = BASE_INDENT };
	const char *line = roff;
	buf copy = BUF_INIT;

	r.first = r.indent = BASE_INDENT;
	while (*line) {
		size_t len = strcspn(line, "\n");
		buf_clear(&copy);
		buf_append(&copy, line, len);
		if (line[0] == '.' || line[0] == '\'')
			request(&r, buf_cstr(&copy));  /* comments (.\" '\") are unknown requests */
		else
			text_line(&r, buf_cstr(&copy));
		line += len + (line[len] == '\n');
	}
	flush(&r);
	buf_free(&copy);
	buf_free(&r.line);
}

/* Runs man -l on `path`; ERR_NOTFOUND when man could not be run. */
static int run_man(const char *path)
{
	int status;
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) < 0)
		return err_sys("cannot start man");
	if (pid == 0) {
		execlp("man", "man", "-l", path, (char *)NULL);
		_exit(127);  /* no man: the parent renders the page itself */
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return err_sys("cannot wait for man");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return err_set(ERR_NOTFOUND, "man could not be run");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(ERR_GENERIC, "man -l %s failed", path);
	return 0;
}

int manual_show(const char *page)
{
	char *name = os_path_join("man", page), *path = NULL, *roff = NULL;
	buf text = BUF_INIT;
	size_t len;
	int rc;

	if (!name)
		return err_set(ERR_SYSTEM, "out of memory");
	rc = os_beside_exe(&path, name);
	free(name);
	if (rc < 0)
		return rc;
	if (!os_is_file(path))
		rc = err_set(ERR_NOTFOUND, "no manual page %s (looked for %s)", page, path);
	else if ((rc = run_man(path)) == ERR_NOTFOUND && (rc = os_read_file(&roff, &len, path)) == 0) {
		manual_render(&text, roff, 78);
		if (buf_failed(&text))
			rc = err_set(ERR_SYSTEM, "out of memory");
		else
			fputs(buf_cstr(&text), stdout);
	}
	free(roff);
	free(path);
	buf_free(&text);
	return rc;
}
