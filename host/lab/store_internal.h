/*
 * store_internal.h - what the store's own files share; nothing outside
 * host/store*.c includes it, and store.h stays everyone else's interface.
 *
 * The store is three files: store.c opens the repository and writes
 * generations, store_read.c reads them back, store_fault.c names what is
 * wrong when a write fails or a generation, main or a record is damaged,
 * and checks what a generation's tree may hold. They share the object,
 * the refs it keeps, finding a generation's commit, that check and those
 * errors.
 */
#ifndef HOST_STORE_INTERNAL_H
#define HOST_STORE_INTERNAL_H

#include "error.h"

#include "store.h"

#include <git2.h>
#include <stddef.h>

#define STORE_NOTES_REF "refs/notes/commits"
#define STORE_MAIN_REF "refs/heads/main"

struct store {
	git_repository *repo;
	char *path;
};

/* What tag gen_NNN points at; ERR_NOTFOUND when there is no such tag. */
HOST_MUST_CHECK int store_tag_target(git_oid *out, store *s, int number);

/* Generation `number`'s commit (git_commit_free it); ERR_NOTFOUND when
 * there is no such tag, a store_damaged error when it cannot be read. */
HOST_MUST_CHECK int store_lookup_commit(git_commit **out, store *s, int number);

/* libgit2's last message after `what` ("cannot list the generations"). */
int store_git_fail(const char *what);

/*
 * A write of about `bytes` to the repository in `dir` failed; `fmt` says
 * what could not be written ("cannot write gen_003"). The error names the
 * system's reason and what to do about it when the disk is full or the
 * directory not writable, else libgit2's message.
 */
int store_write_fail(const char *dir, size_t bytes, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Generation `number` cannot be read: looking up its `what` (object `oid`)
 * returned `code`. Names the generation, the object, whether it is missing
 * or broken, and, for the live generation, how to go on from another one.
 */
int store_damaged(store *s, int number, int code, const char *what, const git_oid *oid);

/* Generation `number` has no readable record, the note on its commit
 * `oid`: `jerr` holds jansson's reason when the note is not JSON, else
 * the note or the notes ref is missing. Says which, and what to do. */
int store_note_fault(store *s, int number, const git_oid *oid, const json_error_t *jerr);

/* main is missing (`oid` NULL) or points at no generation: says so, and
 * how to restore it, never picking a generation in its place. */
int store_main_lost(store *s, const git_oid *oid);

/* Nonzero if `name` may name a file in a folder of a generation's tree
 * (solutions/, arena/): [A-Za-z0-9_.-]+, not starting with '.'. */
int store_plain_name(const char *name);

/* 0 if the entry `name` of `mode` may be in the `folder` (NULL: the top)
 * of a generation's tree (see store_fault.c), else an error saying that
 * gen_`number` cannot be written with it. Checks what host writes. */
HOST_MUST_CHECK int store_check_entry(int number, const char *folder, const char *name,
				      git_filemode_t mode);

/* 0 if every entry of generation `number`'s `tree`, and of its folders,
 * may be there and its agent files keep to the caps of agents.h (by their
 * objects' headers: none is read). Else an error naming the generation
 * and the entry. Checks what host reads. */
HOST_MUST_CHECK int store_check_tree(store *s, int number, const git_tree *tree);

#endif
