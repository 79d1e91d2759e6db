/*
 * diff.c - unified diffs of agent files; see diff.h.
 *
 * git_diff_buffers does the diffing, so host's diffs read exactly like the
 * ones `git diff` shows for the generations repository.
 */
#include "diff.h"

#include "error.h"

#include <git2.h>
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

static int diff_one(buf *out, const char *name, const char *old, const char *new)
{
	int rc;

	if (old && new && strcmp(old, new) == 0)
		return 0;
	rc = git_diff_buffers(old, old ? strlen(old) : 0, old ? name : NULL,
			      new, new ? strlen(new) : 0, new ? name : NULL, NULL,
			      on_file, NULL, on_hunk, diff_append_line, out);
	if (rc < 0)
		return err_set(ERR_GENERIC, "cannot diff %s: %s", name,
			       git_error_last() ? git_error_last()->message : "libgit2 failed");
	return 0;
}

int diff_agent_files(buf *out, const agent_files *old, const agent_files *new)
{
	size_t i;
	int rc = 0;

	git_libgit2_init();
	for (i = 0; i < old->count && rc == 0; i++)
		rc = diff_one(out, old->items[i].name, old->items[i].text,
			      agents_get(new, old->items[i].name));
	for (i = 0; i < new->count && rc == 0; i++)
		if (!agents_get(old, new->items[i].name))
			rc = diff_one(out, new->items[i].name, NULL, new->items[i].text);
	git_libgit2_shutdown();
	return rc;
}
