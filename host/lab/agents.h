/*
 * agents.h - an agent directory as a set of named files, and running one
 * of its entry points in a sandbox.
 *
 * Agent files are named [a-z0-9_]+.c or [a-z0-9_]+.h, plus an optional
 * memory.md (the agents' notes, versioned with them, never compiled).
 * Their number and sizes are capped (below); an agent directory or
 * generation over a cap is refused, and host_emit refuses what would
 * pass one.
 */
#ifndef HOST_AGENTS_H
#define HOST_AGENTS_H

#include "error.h"

#include <stddef.h>

#define AGENTS_MAX_FILES 64
#define AGENTS_MAX_FILE_BYTES (1u << 20)  /* one file */
#define AGENTS_MAX_BYTES (8u << 20)       /* all of them */

typedef struct {
	char *name;
	char *text;
} agent_file;

typedef struct agent_files {
	agent_file *items;  /* sorted by name */
	size_t count;
} agent_files;

/* Nonzero if `name` may be an agent file. */
int agents_valid_name(const char *name);

/* Nonzero if `name` is one of the host's own headers (agent.h, the
 * allowlist's libc headers, jansson's, tcc's), which no agent file may
 * be named: agents are compiled against those, never their own. */
int agents_reserved_name(const char *name);

/* Reads every agent file of `dir`. Any other entry is an error naming it,
 * so that nothing is silently left out of a generation; so is a symbolic
 * link, `dir` itself included: no link in an agent directory is followed.
 * A file over AGENTS_MAX_FILE_BYTES is refused having read one byte past
 * it, files over AGENTS_MAX_BYTES in all having read no more than that. */
HOST_MUST_CHECK int agents_load(agent_files *out, const char *dir);

/* The text of `name`, or NULL. */
const char *agents_get(const agent_files *files, const char *name);

/* Nonzero if `a` and `b` hold the same files, byte for byte. */
int agents_same(const agent_files *a, const agent_files *b);

/* Adds or replaces `name` (copying `text`); an empty text removes it. */
HOST_MUST_CHECK int agents_set(agent_files *files, const char *name, const char *text);

/* *out becomes a copy of `from` (free it with agents_free); on failure
 * it is left empty. */
HOST_MUST_CHECK int agents_copy(agent_files *out, const agent_files *from);

/* Writes the files into `dir` (created if missing), each through a
 * temporary file and a rename, which replaces a link of that name rather
 * than writing through it; `dir` being a link is refused, and so, before
 * anything is written, is a name that is not an agent file's (which could
 * lead out of `dir`). Files of `dir` not in the set are kept. */
HOST_MUST_CHECK int agents_write(const agent_files *files, const char *dir);

/* agents_write, then removes the agent files of `dir` that are not in the
 * set (entries with other names are left alone). */
HOST_MUST_CHECK int agents_sync(const agent_files *files, const char *dir);

void agents_free(agent_files *files);

/* The directory agents are read from when none is given: agent_code/ if
 * it exists, else seed/. */
const char *agents_default_dir(void);

#endif
