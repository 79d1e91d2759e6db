/*
 * store.h - the generation store: a bare git repository (libgit2).
 *
 * Each generation is a commit whose tree holds the agent files and, under
 * solutions/, each task's solution its task agent returned (NAME.c), so
 * that plain git shows agents and solutions evolving, and under arena/ the
 * arena's cases and test agents (see arena.h); it is tagged gen_NNN, with a one-line summary and trailers in its message and
 * the full record as a JSON git note. The commit's parent is the
 * generation it was derived from, so the git graph is the family tree;
 * refs/heads/main is the live lineage.
 *
 * store_record writes objects, then the note, then the tag; moving main
 * is a separate step (store_set_main). A process killed at any point
 * leaves a valid repository: a generation exists once its tag does.
 *
 * A tree holds only what store_record writes: agent files at the top,
 * plain file names in solutions/ and arena/. Every function that reads a
 * generation's files, solutions, folders or diff checks its whole tree
 * first; one holding anything else (a name like ../x, a link, a
 * submodule, an agent file over its cap) is an error naming the
 * generation and the entry, and nothing of it is read.
 */
#ifndef HOST_STORE_H
#define HOST_STORE_H

#include "error.h"

#include "agents.h"
#include "buf.h"
#include "record.h"

typedef struct store store;

/* The folder of a generation's tree that holds its tasks' solutions. */
#define STORE_SOLUTIONS "solutions"

/* Generation numbers run from 0 to this (gen_000 ... gen_999999). */
#define STORE_MAX_NUMBER 999999

/* Creates a bare repository at `path`, which must not exist. */
HOST_MUST_CHECK int store_create(store **out, const char *path);

/* Opens the repository at `path`. Errors say whether it is missing, not a
 * git repository, or a repository host did not create. */
HOST_MUST_CHECK int store_open(store **out, const char *path);

void store_free(store *s);

/*
 * Records generation r->number with `files` as its tree, and the tasks'
 * solutions (r->tasks[i].solution) under solutions/. Its git parents
 * are r->parent's commit and, when `also_parent` >= 0, that generation's
 * commit as well (a revert keeps main's history). The record is the note.
 */
HOST_MUST_CHECK int store_record(store *s, const record *r, const agent_files *files, int also_parent);

/* A folder of a generation's tree besides solutions/: its name, and its
 * files (text files, flat). */
typedef struct {
	const char *name;
	const agent_files *files;
} store_folder;

/* The folder that holds the arena's state (host evolve --arena). */
#define STORE_ARENA "arena"

/* store_record, with `folder` in the tree as well (NULL: none). */
HOST_MUST_CHECK int store_record_folder(store *s, const record *r, const agent_files *files,
					int also_parent, const store_folder *folder);

/* The files of generation `number`'s folder `name` (free them with
 * agents_free); ERR_NOTFOUND when its tree has no such folder. */
HOST_MUST_CHECK int store_read_folder(store *s, int number, const char *name, agent_files *out);

/* Points main at generation `number`. */
HOST_MUST_CHECK int store_set_main(store *s, int number);

/* The generation main points at. When main is missing (ERR_NOTFOUND) or
 * points at no generation, the error says how to restore it; no other
 * generation is ever taken in its place. */
HOST_MUST_CHECK int store_main(store *s, int *number);

/* The generation numbers, ascending (free() *out). */
HOST_MUST_CHECK int store_numbers(store *s, int **out, size_t *n);

/* 1 + the highest generation number, 0 for an empty store. */
HOST_MUST_CHECK int store_next_number(store *s, int *out);

/* Reads generation `number`: its record (free it with record_free) and,
 * if `files` is not NULL, its files. ERR_NOTFOUND when there is no such
 * generation; a generation whose commit, files or record (git note) are
 * missing or broken is another error, naming it and what is wrong. */
HOST_MUST_CHECK int store_read(store *s, int number, record *r, agent_files *files);

/* Calls `fn` with the record of every generation that can be read, in
 * ascending order (unreadable ones are skipped: host log and host show
 * name them). Stops at fn's first nonzero return and returns it. */
HOST_MUST_CHECK int store_each(store *s, int (*fn)(void *ctx, const record *r), void *ctx);

/* Generation `number`'s solution of task `name` (free() it); ERR_NOTFOUND
 * when it has none (invalid, or recorded before solutions were kept). */
HOST_MUST_CHECK int store_solution(store *s, int number, const char *name, char **out);

/* The unified diff from generation `a` to generation `b`. */
HOST_MUST_CHECK int store_diff(store *s, int a, int b, buf *out);

/* Parses "gen_7", "gen_007" or "7". Returns the number, or -1. */
int store_parse_name(const char *name);

/* A lab setting kept in the repository's config ("host.<key>"); *out is
 * a new string, or NULL when it is not set. */
HOST_MUST_CHECK int store_setting_get(store *s, const char *key, char **out);
HOST_MUST_CHECK int store_setting_set(store *s, const char *key, const char *value);

/* Counts objects and bytes of the repository's files (for host status). */
HOST_MUST_CHECK int store_size(store *s, size_t *bytes);

#endif
