/*
 * diff.h - unified diffs between two sets of agent files (libgit2).
 */
#ifndef HOST_DIFF_H
#define HOST_DIFF_H

#include "error.h"

#include "agents.h"
#include "buf.h"

#include <git2.h>

/* Appends a unified diff from `old` to `new` (files added, removed and
 * changed, "a/NAME" and "b/NAME" headers) to `out`. */
HOST_MUST_CHECK int diff_agent_files(buf *out, const agent_files *old, const agent_files *new);

/* Appends a line per hunk of the diff from `old` to `new` without
 * context, file `skip` (NULL: none) left out: "NAME @@ -A,B +C,D @@
 * +TEXT", TEXT the hunk's first added line (else "-" and its first
 * removed one), without its indentation and cut to 60 bytes. At most 40
 * lines; then one saying how many more hunks there are. */
HOST_MUST_CHECK int diff_hunks(buf *out, const agent_files *old, const agent_files *new,
			       const char *skip);

/* A git_diff_line_cb that appends the line, with its +/-/space origin, to
 * the buf given as payload. */
HOST_MUST_CHECK int diff_append_line(const git_diff_delta *delta, const git_diff_hunk *hunk,
		     const git_diff_line *line, void *payload);

#endif
