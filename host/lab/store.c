/*
 * store.c - the generation store's object and its writes; see store.h.
 *
 * The repository is marked with host.lab = true in its config so that a
 * foreign repository is never written to. Commits are signed "host".
 * A generation is written objects first, then its note, then its tag, so
 * that a process killed at any point leaves a valid repository. Reading
 * generations back is store_read.c; naming what is wrong when a write
 * fails (a full disk, a read-only lab) is store_fault.c.
 */
#include "store_internal.h"

#include "error.h"
#include "os.h"
#include "text.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int store_new(store **out, git_repository *repo, const char *path)
{
	store *s = calloc(1, sizeof(*s));

	if (!s || !(s->path = strdup(path))) {
		free(s);
		git_repository_free(repo);
		git_libgit2_shutdown();
		return err_set(ERR_SYSTEM, "out of memory");
	}
	s->repo = repo;
	*out = s;
	return 0;
}

int store_create(store **out, const char *path)
{
	git_repository_init_options opts;
	git_repository *repo;
	git_config *cfg;

	*out = NULL;
	if (os_is_dir(path) || os_is_file(path))
		return err_set(ERR_INVALID, "%s already exists", path);
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	opts.initial_head = "main";
	if (git_repository_init_ext(&repo, path, &opts) < 0) {
		const char *slash = strrchr(path, '/');
		char parent[4096];
		int rc;
		snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - path) : 1,
			 slash ? path : ".");
		rc = store_write_fail(*parent ? parent : "/", 4096,
				      "cannot create the generations repository");
		git_libgit2_shutdown();
		return rc;
	}
	if (git_repository_config(&cfg, repo) < 0 || git_config_set_bool(cfg, "host.lab", 1) < 0) {
		int rc = store_write_fail(path, 256, "cannot mark the generations repository");
		git_repository_free(repo);
		git_libgit2_shutdown();
		return rc;
	}
	git_config_free(cfg);
	return store_new(out, repo, path);
}

int store_open(store **out, const char *path)
{
	git_repository *repo;
	git_config *cfg = NULL;
	int marked = 0, rc;

	*out = NULL;
	if (!os_is_dir(path))
		return err_set(ERR_NOTFOUND, "%s: no generations repository here (run 'host init')", path);
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH |
				    GIT_REPOSITORY_OPEN_BARE, NULL) < 0) {
		rc = err_set(ERR_INVALID, "%s is not a git repository (damaged, or not made by host)",
			     path);
		git_libgit2_shutdown();
		return rc;
	}
	if (git_repository_config_snapshot(&cfg, repo) == 0)
		git_config_get_bool(&marked, cfg, "host.lab");
	git_config_free(cfg);
	if (!marked || !git_repository_is_bare(repo)) {
		git_repository_free(repo);
		git_libgit2_shutdown();
		return err_set(ERR_INVALID, "%s is a git repository host did not create; "
			       "refusing to change it", path);
	}
	return store_new(out, repo, path);
}

void store_free(store *s)
{
	if (!s)
		return;
	git_repository_free(s->repo);
	free(s->path);
	free(s);
	git_libgit2_shutdown();
}

static void tag_name(char *out, size_t size, int number)
{
	snprintf(out, size, "gen_%03d", number);
}

/* Adds `text` to the tree being built, of `folder` (NULL: the top), as
 * `name`: only a name host would read back (store_check_entry). */
static int add_blob(store *s, git_treebuilder *tb, int number, const char *folder,
		    const char *name, const char *text)
{
	git_oid blob;
	int rc = store_check_entry(number, folder, name, GIT_FILEMODE_BLOB);

	if (rc < 0)
		return rc;
	if (git_blob_create_from_buffer(&blob, s->repo, text, strlen(text)) < 0 ||
	    git_treebuilder_insert(NULL, tb, name, &blob, GIT_FILEMODE_BLOB) < 0)
		return store_write_fail(s->path, strlen(text), "cannot write gen_%03d's %s",
					number, name);
	return 0;
}

/* Adds solutions/, each task's solution as NAME.c, when `r` has any. */
static int add_solutions(store *s, git_treebuilder *tb, const record *r)
{
	git_treebuilder *sub;
	char name[300];
	git_oid oid;
	size_t i, n = 0;
	int rc = 0;

	if (git_treebuilder_new(&sub, s->repo, NULL) < 0)
		return store_git_fail("cannot build a tree");
	for (i = 0; i < r->n_tasks && rc == 0; i++) {
		if (!r->tasks[i].solution)
			continue;
		snprintf(name, sizeof(name), "%s.c", r->tasks[i].name);
		rc = add_blob(s, sub, r->number, STORE_SOLUTIONS, name, r->tasks[i].solution);
		n++;
	}
	if (rc == 0 && n && (git_treebuilder_write(&oid, sub) < 0 ||
			     git_treebuilder_insert(NULL, tb, STORE_SOLUTIONS, &oid,
						    GIT_FILEMODE_TREE) < 0))
		rc = store_write_fail(s->path, 64 * n, "cannot write gen_%03d's solutions",
				      r->number);
	git_treebuilder_free(sub);
	return rc;
}

/* Adds `folder`/ with `files` in it. */
static int add_folder(store *s, git_treebuilder *tb, int number, const char *folder,
		      const agent_files *files)
{
	git_treebuilder *sub;
	git_oid oid;
	size_t i;
	int rc = 0;

	if ((rc = store_check_entry(number, NULL, folder, GIT_FILEMODE_TREE)) < 0)
		return rc;
	if (git_treebuilder_new(&sub, s->repo, NULL) < 0)
		return store_git_fail("cannot build a tree");
	for (i = 0; i < files->count && rc == 0; i++)
		rc = add_blob(s, sub, number, folder, files->items[i].name, files->items[i].text);
	if (rc == 0 && (git_treebuilder_write(&oid, sub) < 0 ||
			git_treebuilder_insert(NULL, tb, folder, &oid, GIT_FILEMODE_TREE) < 0))
		rc = store_write_fail(s->path, 64 * files->count, "cannot write gen_%03d's %s/",
				      number, folder);
	git_treebuilder_free(sub);
	return rc;
}

/* Writes generation r->number's files, its solutions and `folder`, as a
 * tree. */
static int write_tree(store *s, const record *r, const agent_files *files, git_oid *out,
		      const store_folder *folder)
{
	git_treebuilder *tb;
	size_t i;
	int rc = 0;

	if (git_treebuilder_new(&tb, s->repo, NULL) < 0)
		return store_git_fail("cannot build a tree");
	for (i = 0; i < files->count && rc == 0; i++)
		rc = add_blob(s, tb, r->number, NULL, files->items[i].name, files->items[i].text);
	if (rc == 0)
		rc = add_solutions(s, tb, r);
	if (rc == 0 && folder && folder->files->count)
		rc = add_folder(s, tb, r->number, folder->name, folder->files);
	if (rc == 0 && git_treebuilder_write(out, tb) < 0)
		rc = store_write_fail(s->path, 64 * files->count, "cannot write gen_%03d's tree",
				      r->number);
	git_treebuilder_free(tb);
	return rc;
}

/* "gen_005: accepted, fitness 0.6123", what the rewrite changed (its
 * summary, when it has one) and the trailers. The summary and the reason
 * are an agent's words: each is one line without controls, so that it
 * cannot add a trailer (a second Status:) or act on the terminal that
 * shows git log. */
static int commit_message(buf *msg, const record *r)
{
	const char *status = record_status_name(r->status);
	char parent[32] = "none";

	if (r->parent >= 0)
		tag_name(parent, sizeof(parent), r->parent);
	buf_printf(msg, "gen_%03d: %s, fitness %.4f\n\n", r->number, status, r->fitness);
	if (r->summary && *r->summary) {
		text_append_line(msg, r->summary);
		buf_puts(msg, "\n\n");
	}
	buf_printf(msg, "Generation: %d\nParent: %s\nStatus: %s\nFitness: %.6f\nReason: ",
		   r->number, parent, status, r->fitness);
	text_append_line(msg, r->reason);
	buf_puts(msg, "\n");
	return buf_failed(msg);
}

static int write_commit(store *s, const record *r, const git_oid *tree_oid,
			int also_parent, git_oid *out)
{
	const git_commit *parents[2];
	git_commit *owned[2] = { NULL, NULL };
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	buf msg = BUF_INIT;
	size_t n = 0;
	int rc = 0;

	if (r->parent >= 0 && (rc = store_lookup_commit(&owned[n], s, r->parent)) == 0)
		parents[n] = owned[n], n++;
	if (rc == 0 && also_parent >= 0 &&
	    (rc = store_lookup_commit(&owned[n], s, also_parent)) == 0)
		parents[n] = owned[n], n++;
	if (rc == 0 && commit_message(&msg, r) < 0)
		rc = err_set(ERR_SYSTEM, "out of memory");
	if (rc == 0 && (git_tree_lookup(&tree, s->repo, tree_oid) < 0 ||
			git_signature_now(&sig, "host", "host@localhost") < 0 ||
			git_commit_create(out, s->repo, NULL, sig, sig, "UTF-8", msg.data, tree,
					  n, parents) < 0))
		rc = store_write_fail(s->path, msg.len + 256, "cannot write gen_%03d's commit",
				      r->number);
	buf_free(&msg);
	git_tree_free(tree);
	git_signature_free(sig);
	git_commit_free(owned[0]);
	git_commit_free(owned[1]);
	return rc;
}

/* The note's text: the record as JSON, keys sorted. git log shows it, so
 * it is ASCII (jansson escapes the rest) without controls: the traces
 * quote agents, and JSON leaves DEL and U+0080..U+009F as they are. */
static char *note_text(const record *r)
{
	json_t *json = record_to_json(r);
	char *text = json ? json_dumps(json, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII)
			  : NULL;

	text_clean(text);  /* a DEL inside a string: removing it leaves valid JSON */
	json_decref(json);
	return text;
}

int store_record(store *s, const record *r, const agent_files *files, int also_parent)
{
	return store_record_folder(s, r, files, also_parent, NULL);
}

int store_record_folder(store *s, const record *r, const agent_files *files, int also_parent,
			const store_folder *folder)
{
	git_oid tree, commit, note;
	git_signature *sig = NULL;
	git_object *target = NULL;
	char tag[32], *text;
	int rc;

	if (r->number > STORE_MAX_NUMBER)
		return err_set(ERR_INVALID, "the lab is full: generation numbers end at gen_%d",
			       STORE_MAX_NUMBER);
	if ((rc = write_tree(s, r, files, &tree, folder)) < 0 ||
	    (rc = write_commit(s, r, &tree, also_parent, &commit)) < 0)
		return rc;
	text = note_text(r);
	if (!text)
		rc = err_set(ERR_SYSTEM, "out of memory");
	else if (git_signature_now(&sig, "host", "host@localhost") < 0 ||
		 git_note_create(&note, s->repo, STORE_NOTES_REF, sig, sig, &commit, text, 1) < 0)
		rc = store_write_fail(s->path, strlen(text) + 512,
				      "cannot write gen_%03d's record (git note)", r->number);
	tag_name(tag, sizeof(tag), r->number);
	if (rc == 0 && (git_object_lookup(&target, s->repo, &commit, GIT_OBJECT_COMMIT) < 0 ||
			git_tag_create_lightweight(&note, s->repo, tag, target, 0) < 0))
		rc = store_write_fail(s->path, 64, "cannot write the tag %s", tag);
	git_object_free(target);
	git_signature_free(sig);
	free(text);
	return rc;
}

int store_set_main(store *s, int number)
{
	git_commit *commit;
	git_reference *ref = NULL;
	char log[64];
	int rc = store_lookup_commit(&commit, s, number);

	if (rc < 0)
		return rc;
	snprintf(log, sizeof(log), "host: main is gen_%03d", number);
	if (git_reference_create(&ref, s->repo, STORE_MAIN_REF, git_commit_id(commit), 1, log) < 0)
		rc = store_write_fail(s->path, 64, "cannot move main to gen_%03d", number);
	git_reference_free(ref);
	git_commit_free(commit);
	return rc;
}

static size_t size_total;

static int add_size(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (type == FTW_F)
		size_total += (size_t)st->st_size;
	return 0;
}

int store_size(store *s, size_t *bytes)
{
	size_total = 0;
	if (nftw(s->path, add_size, 16, FTW_PHYS) != 0)
		return err_sys("cannot measure %s", s->path);
	*bytes = size_total;
	return 0;
}

int store_setting_get(store *s, const char *key, char **out)
{
	git_config *cfg;
	git_buf value = { NULL, 0, 0 };
	char name[64];

	*out = NULL;
	snprintf(name, sizeof(name), "host.%s", key);
	if (git_repository_config_snapshot(&cfg, s->repo) < 0)
		return store_git_fail("cannot read the lab's settings");
	if (git_config_get_string_buf(&value, cfg, name) == 0)
		*out = strdup(value.ptr);
	git_buf_dispose(&value);
	git_config_free(cfg);
	return 0;
}

int store_setting_set(store *s, const char *key, const char *value)
{
	git_config *cfg = NULL;
	char name[64];
	int rc = 0;

	snprintf(name, sizeof(name), "host.%s", key);
	if (git_repository_config(&cfg, s->repo) < 0 || git_config_set_string(cfg, name, value) < 0)
		rc = store_write_fail(s->path, 1024, "cannot write the lab's setting %s", name);
	git_config_free(cfg);
	return rc;
}
