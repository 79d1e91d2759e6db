/*
 * diff.h - unified diffs between two sets of agent files (libgit2).
 */
#ifndef HOST_DIFF_H
#define HOST_DIFF_H

#include "agents.h"
#include "buf.h"

/* Appends a unified diff from `old` to `new` (files added, removed and
 * changed, "a/NAME" and "b/NAME" headers) to `out`. */
int diff_agent_files(buf *out, const agent_files *old, const agent_files *new);

#endif
