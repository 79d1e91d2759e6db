/*
 * store_read.c - reading generations back from the store: their numbers,
 * records, files and diffs, and which one main points at; see store.h.
 *
 * A generation exists once its tag gen_NNN does; its commit holds the
 * files and the git note on that commit its record. Whatever of those is
 * missing or broken is an error naming the generation (store_fault.c),
 * never a reason to read another generation instead. No file of a tree
 * is read before the whole tree passes store_check_tree.
 */
#include "store_internal.h"

#include "diff.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_parse_name(const char *name)
{
	char *end;
	long n;

	if (strncmp(name, "gen_", 4) == 0)
		name += 4;
	if (*name < '0' || *name > '9')
		return -1;
	n = strtol(name, &end, 10);
	return *end || n < 0 || n > STORE_MAX_NUMBER ? -1 : (int)n;
}

int store_tag_target(git_oid *out, store *s, int number)
{
	char ref[64];

	snprintf(ref, sizeof(ref), "refs/tags/gen_%03d", number);
	if (git_reference_name_to_id(out, s->repo, ref) < 0)
		return err_set(ERR_NOTFOUND, "there is no generation gen_%03d", number);
	return 0;
}

int store_lookup_commit(git_commit **out, store *s, int number)
{
	git_object *obj;
	git_oid oid;
	int rc;

	if ((rc = store_tag_target(&oid, s, number)) < 0)
		return rc;
	if ((rc = git_object_lookup(&obj, s->repo, &oid, GIT_OBJECT_ANY)) < 0)
		return store_damaged(s, number, rc, "commit", &oid);
	rc = git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	return rc < 0 ? store_damaged(s, number, rc, "tag's target", &oid) : 0;
}

/* The JSON note on `commit`, or NULL (libgit2 or jansson says why). */
static json_t *note_json(store *s, const git_oid *commit, json_error_t *jerr)
{
	git_note *note;
	json_t *record;

	jerr->text[0] = '\0';
	if (git_note_read(&note, s->repo, STORE_NOTES_REF, commit) < 0)
		return NULL;
	record = json_loads(git_note_message(note), 0, jerr);
	git_note_free(note);
	if (record && !json_is_object(record)) {
		json_decref(record);
		snprintf(jerr->text, sizeof(jerr->text), "not a JSON object");
		return NULL;
	}
	return record;
}

/* Generation `number`'s record, the note on its commit `oid`. */
static int read_note(store *s, int number, const git_oid *oid, json_t **out)
{
	json_error_t jerr;

	*out = note_json(s, oid, &jerr);
	return *out ? 0 : store_note_fault(s, number, oid, &jerr);
}

/* The generation whose tag points at `oid`: the one its note names, else
 * any. ERR_NOTFOUND when none does. */
static int generation_at(store *s, const git_oid *oid, int *number)
{
	json_error_t jerr;
	json_t *record = note_json(s, oid, &jerr);
	int *numbers, rc = ERR_NOTFOUND;
	git_oid tagged;
	size_t n;

	if (record) {
		*number = (int)json_integer_value(json_object_get(record, "generation"));
		json_decref(record);
		if (store_tag_target(&tagged, s, *number) == 0 && git_oid_equal(&tagged, oid))
			return 0;
	}
	if (store_numbers(s, &numbers, &n) < 0)
		return ERR_GENERIC;
	while (n-- > 0 && rc == ERR_NOTFOUND) {
		if (store_tag_target(&tagged, s, numbers[n]) == 0 && git_oid_equal(&tagged, oid)) {
			*number = numbers[n];
			rc = 0;
		}
	}
	free(numbers);
	return rc;
}

int store_main(store *s, int *number)
{
	git_oid oid;
	int rc;

	if (git_reference_name_to_id(&oid, s->repo, STORE_MAIN_REF) < 0)
		return store_main_lost(s, NULL);
	rc = generation_at(s, &oid, number);
	return rc == ERR_NOTFOUND ? store_main_lost(s, &oid) : rc;
}

static int compare_ints(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int store_numbers(store *s, int **out, size_t *n)
{
	git_strarray tags = { NULL, 0 };
	size_t i;

	*out = NULL;
	*n = 0;
	if (git_tag_list_match(&tags, "gen_*", s->repo) < 0)
		return store_git_fail("cannot list the generations");
	*out = calloc(tags.count + 1, sizeof(int));
	if (!*out) {
		git_strarray_dispose(&tags);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	for (i = 0; i < tags.count; i++) {
		int number = store_parse_name(tags.strings[i]);
		if (number >= 0)
			(*out)[(*n)++] = number;
	}
	git_strarray_dispose(&tags);
	qsort(*out, *n, sizeof(int), compare_ints);
	return 0;
}

int store_next_number(store *s, int *out)
{
	int *numbers;
	size_t n;
	int rc = store_numbers(s, &numbers, &n);

	if (rc == 0)
		*out = n ? numbers[n - 1] + 1 : 0;
	free(numbers);
	return rc;
}

/* The tree of generation `number`'s `commit` (git_tree_free it), checked:
 * nothing of a tree that fails store_check_tree is read. */
static int checked_tree(git_tree **out, store *s, int number, const git_commit *commit)
{
	int rc = git_commit_tree(out, commit);

	if (rc < 0) {
		*out = NULL;
		return store_damaged(s, number, rc, "tree", git_commit_tree_id(commit));
	}
	if ((rc = store_check_tree(s, number, *out)) < 0) {
		git_tree_free(*out);
		*out = NULL;
	}
	return rc;
}

/* Generation `number`'s tree, checked (git_tree_free it). */
static int generation_tree(git_tree **out, store *s, int number)
{
	git_commit *commit;
	int rc = store_lookup_commit(&commit, s, number);

	*out = NULL;
	if (rc < 0)
		return rc;
	rc = checked_tree(out, s, number, commit);
	git_commit_free(commit);
	return rc;
}

/* The blobs of `tree`, of generation `number`, as files; its folders are
 * not agent files. */
static int read_blobs(store *s, int number, git_tree *tree, agent_files *files)
{
	size_t i;
	int rc = 0;

	memset(files, 0, sizeof(*files));
	for (i = 0; i < git_tree_entrycount(tree) && rc == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		git_blob *blob;
		char *text, what[128];
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			continue;
		if ((rc = git_blob_lookup(&blob, s->repo, git_tree_entry_id(e))) < 0) {
			snprintf(what, sizeof(what), "file %s", git_tree_entry_name(e));
			rc = store_damaged(s, number, rc, what, git_tree_entry_id(e));
			break;
		}
		text = strndup(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		rc = text ? agents_set(files, git_tree_entry_name(e), text)
			  : err_set(ERR_SYSTEM, "out of memory");
		free(text);
		git_blob_free(blob);
	}
	if (rc < 0)
		agents_free(files);
	return rc;
}

/* Generation `number`'s files, the tree of `commit`. */
static int read_files(store *s, int number, git_commit *commit, agent_files *files)
{
	git_tree *tree;
	int rc;

	memset(files, 0, sizeof(*files));
	if ((rc = checked_tree(&tree, s, number, commit)) < 0)
		return rc;
	rc = read_blobs(s, number, tree, files);
	git_tree_free(tree);
	return rc;
}

int store_read_folder(store *s, int number, const char *name, agent_files *out)
{
	git_tree *tree, *sub = NULL;
	git_tree_entry *e = NULL;
	int rc = generation_tree(&tree, s, number);

	memset(out, 0, sizeof(*out));
	if (rc < 0)
		return rc;
	if (git_tree_entry_bypath(&e, tree, name) < 0 ||
	    git_tree_entry_type(e) != GIT_OBJECT_TREE)
		rc = err_set(ERR_NOTFOUND, "gen_%03d has no %s/", number, name);
	else if ((rc = git_tree_lookup(&sub, s->repo, git_tree_entry_id(e))) < 0)
		rc = store_damaged(s, number, rc, name, git_tree_entry_id(e));
	else
		rc = read_blobs(s, number, sub, out);
	git_tree_free(sub);
	git_tree_entry_free(e);
	git_tree_free(tree);
	return rc;
}

/* The note as a record; a note that is not one names the generation. */
static int parse_record(record *r, int number, json_t *json)
{
	int rc = record_from_json(r, json);

	if (rc < 0)
		return err_set(rc, "gen_%03d's record (git note) is %s", number, err_last());
	r->number = number;  /* the tag says which generation this is */
	return 0;
}

int store_read(store *s, int number, record *r, agent_files *files)
{
	git_commit *commit;
	json_t *json = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = store_lookup_commit(&commit, s, number)) < 0)
		return rc;
	rc = read_note(s, number, git_commit_id(commit), &json);
	if (rc == 0)
		rc = parse_record(r, number, json);
	json_decref(json);
	if (rc == 0 && files && (rc = read_files(s, number, commit, files)) < 0)
		record_free(r);
	git_commit_free(commit);
	return rc;
}

int store_each(store *s, int (*fn)(void *ctx, const record *r), void *ctx)
{
	int *numbers;
	size_t n, i;
	int rc = store_numbers(s, &numbers, &n);

	for (i = 0; rc == 0 && i < n; i++) {
		record r;
		if (store_read(s, numbers[i], &r, NULL) < 0)
			continue;
		rc = fn(ctx, &r);
		record_free(&r);
	}
	free(numbers);
	return rc;
}

int store_solution(store *s, int number, const char *name, char **out)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	char path[300];
	int rc;

	*out = NULL;
	snprintf(path, sizeof(path), "%s.c", name);
	if (!store_plain_name(path) || strlen(name) > 250)
		return err_set(ERR_NOTFOUND, "gen_%03d has no solution of a task named so: a task's "
			       "name is [A-Za-z0-9_.-]+, not starting with '.'", number);
	if ((rc = generation_tree(&tree, s, number)) < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/%s.c", STORE_SOLUTIONS, name);
	if (git_tree_entry_bypath(&e, tree, path) < 0)
		rc = err_set(ERR_NOTFOUND, "gen_%03d has no %s solution", number, name);
	else if ((rc = git_blob_lookup(&blob, s->repo, git_tree_entry_id(e))) < 0)
		rc = store_damaged(s, number, rc, path, git_tree_entry_id(e));
	else if (!(*out = strndup(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob))))
		rc = err_set(ERR_SYSTEM, "out of memory");
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	return rc;
}

int store_diff(store *s, int a, int b, buf *out)
{
	git_tree *ta = NULL, *tb = NULL;
	git_diff *diff = NULL;
	int rc;

	if ((rc = generation_tree(&ta, s, a)) == 0 && (rc = generation_tree(&tb, s, b)) == 0 &&
	    (git_diff_tree_to_tree(&diff, s->repo, ta, tb, NULL) < 0 ||
	     git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, diff_append_line, out) < 0))
		rc = store_git_fail("cannot diff generations");
	git_diff_free(diff);
	git_tree_free(ta);
	git_tree_free(tb);
	return rc;
}
