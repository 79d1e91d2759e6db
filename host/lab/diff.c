/*
 * diff.c - unified diffs of agent files; see diff.h.
 *
 * git_diff_buffers does the diffing, so host's diffs read exactly like the
 * ones `git diff` shows for the generations repository. The list of hunks
 * a record keeps is the same diff without context, a line a change.
 */
#include "diff.h"

#include "error.h"
#include "utf8.h"

#include <git2.h>
#include <stdio.h>
#include <string.h>

static int on_file(const git_diff_delta *delta, float progress, void *payload)
{
	buf *out = payload;

	(void)progress;
	buf_printf(out, "--- %s%s\n+++ %s%s\n",
		   delta->status == GIT_DELTA_ADDED ? "" : "a/",
		   delta->status == GIT_DELTA_ADDED ? "/dev/null" : delta->old_file.path,
		   delta->status == GIT_DELTA_DELETED ? "" : "b/",
		   delta->status == GIT_DELTA_DELETED ? "/dev/null" : delta->new_file.path);
	return 0;
}

static int on_hunk(const git_diff_delta *delta, const git_diff_hunk *hunk, void *payload)
{
	(void)delta;
	buf_append(payload, hunk->header, hunk->header_len);
	return 0;
}

int diff_append_line(const git_diff_delta *delta, const git_diff_hunk *hunk,
		     const git_diff_line *line, void *payload)
{
	buf *out = payload;

	(void)delta;
	(void)hunk;
	if (line->origin == '+' || line->origin == '-' || line->origin == ' ')
		buf_append(out, &line->origin, 1);
	buf_append(out, line->content, line->content_len);  /* EOF markers come as lines too */
	return 0;
}

/* Diffs one file's two texts (NULL: absent) with these callbacks; equal
 * texts give nothing. */
static int diff_texts(const char *name, const char *old, const char *new,
		      const git_diff_options *opts, git_diff_file_cb file_cb,
		      git_diff_hunk_cb hunk_cb, git_diff_line_cb line_cb, void *payload)
{
	int rc;

	if (old && new && strcmp(old, new) == 0)
		return 0;
	rc = git_diff_buffers(old, old ? strlen(old) : 0, old ? name : NULL,
			      new, new ? strlen(new) : 0, new ? name : NULL, opts,
			      file_cb, NULL, hunk_cb, line_cb, payload);
	if (rc < 0)
		return err_set(ERR_GENERIC, "cannot diff %s: %s", name,
			       git_error_last() ? git_error_last()->message : "libgit2 failed");
	return 0;
}

typedef int (*diff_file_fn)(void *ctx, const char *name, const char *old, const char *new);

/* Calls `fn` for each file of `old` or `new` but `skip` (NULL: none), with
 * its two texts, NULL where it is absent. */
static int each_file(const agent_files *old, const agent_files *new, const char *skip,
		     diff_file_fn fn, void *ctx)
{
	size_t i;
	int rc = 0;

	git_libgit2_init();
	for (i = 0; i < old->count && rc == 0; i++)
		if (!skip || strcmp(old->items[i].name, skip) != 0)
			rc = fn(ctx, old->items[i].name, old->items[i].text,
				agents_get(new, old->items[i].name));
	for (i = 0; i < new->count && rc == 0; i++)
		if ((!skip || strcmp(new->items[i].name, skip) != 0) &&
		    !agents_get(old, new->items[i].name))
			rc = fn(ctx, new->items[i].name, NULL, new->items[i].text);
	git_libgit2_shutdown();
	return rc;
}

static int diff_one(void *out, const char *name, const char *old, const char *new)
{
	return diff_texts(name, old, new, NULL, on_file, on_hunk, diff_append_line, out);
}

int diff_agent_files(buf *out, const agent_files *old, const agent_files *new)
{
	return each_file(old, new, NULL, diff_one, out);
}

#define DIFF_HUNKS_MAX 40  /* hunks listed; the rest are counted */
#define DIFF_TEXT_MAX 60   /* bytes of a hunk's changed line shown */

/* The list being written, and the hunk being read. */
typedef struct {
	buf *out;
	const char *name;
	git_diff_hunk at;
	int open, listed, more;
	char text[DIFF_TEXT_MAX + 2];  /* "+line" or "-line" */
} hunk_list;

static void list_flush(hunk_list *h)
{
	if (!h->open)
		return;
	h->open = 0;
	if (h->listed++ >= DIFF_HUNKS_MAX)
		h->more++;
	else
		buf_printf(h->out, "%s @@ -%d,%d +%d,%d @@ %s\n", h->name, h->at.old_start,
			   h->at.old_lines, h->at.new_start, h->at.new_lines, h->text);
}

static int on_list_hunk(const git_diff_delta *delta, const git_diff_hunk *hunk, void *payload)
{
	hunk_list *h = payload;

	(void)delta;
	list_flush(h);
	h->at = *hunk;
	h->open = 1;
	h->text[0] = '\0';
	return 0;
}

/* Keeps the hunk's first added line, else its first removed one, without
 * its indentation: what a reader recognises the change by. */
static int on_list_line(const git_diff_delta *delta, const git_diff_hunk *hunk,
			const git_diff_line *line, void *payload)
{
	hunk_list *h = payload;
	const char *text = line->content;
	size_t n = line->content_len;

	(void)delta;
	(void)hunk;
	if ((line->origin != '+' && line->origin != '-') || h->text[0] == '+' ||
	    (h->text[0] && line->origin == '-'))
		return 0;
	for (; n > 0 && (*text == ' ' || *text == '\t'); n--)
		text++;
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	n = utf8_valid_prefix(text, n < DIFF_TEXT_MAX ? n : DIFF_TEXT_MAX);
	snprintf(h->text, sizeof(h->text), "%c%.*s", line->origin, (int)n, text);
	return 0;
}

/* One file's hunks, without context: a hunk is one change. */
static int list_one(void *ctx, const char *name, const char *old, const char *new)
{
	hunk_list *h = ctx;
	git_diff_options opts;
	int rc;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.context_lines = 0;
	opts.interhunk_lines = 0;
	h->name = name;
	rc = diff_texts(name, old, new, &opts, NULL, on_list_hunk, on_list_line, h);
	list_flush(h);
	return rc;
}

int diff_hunks(buf *out, const agent_files *old, const agent_files *new, const char *skip)
{
	hunk_list h = { .out = out };
	int rc = each_file(old, new, skip, list_one, &h);

	if (rc == 0 && h.more > 0)
		buf_printf(out, "(%d more hunks)\n", h.more);
	return rc;
}
