/*
 * store.c - generations in a bare git repository; see store.h.
 *
 * The repository is marked with host.lab = true in its config so that a
 * foreign repository is never written to. Commits are signed "host".
 * Failures name what is at fault: the generation, the object or ref, and
 * for a failed write the system's reason; a damaged repository is
 * reported, never worked around.
 */
#include "store.h"

#include "diff.h"
#include "error.h"
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_NOTES_REF "refs/notes/commits"
#define STORE_MAIN_REF "refs/heads/main"

struct store {
	git_repository *repo;
	char *path;
};

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();

	return err_set(ERR_GENERIC, "%s: %s", what, e && e->message ? e->message : "libgit2 failed");
}

/* Writes `bytes` to a new file in `dir`, flushed, then removes it.
 * Returns 0, or the errno of the step that failed. */
static int probe_write(const char *dir, size_t bytes)
{
	static const char zeros[4096];
	char path[4096];
	int fd, failed = 0;

	snprintf(path, sizeof(path), "%s/host-probe-%d.tmp", dir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return errno;
	while (bytes > 0 && !failed) {
		ssize_t n = write(fd, zeros, bytes < sizeof(zeros) ? bytes : sizeof(zeros));
		if (n < 0)
			failed = errno;
		else
			bytes -= (size_t)n;
	}
	if (!failed && fsync(fd) != 0)
		failed = errno;
	close(fd);
	unlink(path);
	return failed;
}

static const char *write_remedy(int error)
{
	switch (error) {
	case ENOSPC:
	case EDQUOT:
		return "free some space";
	case EFBIG:
		return "raise the file-size limit (ulimit -f)";
	case EACCES:
	case EPERM:
	case EROFS:
		return "make it writable";
	default:
		return "fix that";
	}
}

/*
 * A write of about `bytes` to the repository in `dir` failed. libgit2 may
 * report it with a stale message from an earlier lookup ("object not
 * found - failed to find pack entry") once the disk is full, so the write
 * is tried again as a plain file: if that fails too, its errno is the
 * cause. `fmt` says what could not be written ("cannot write gen_003").
 */
static int write_fail(const char *dir, size_t bytes, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	int error;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	error = probe_write(dir, bytes + 512);
	if (!error)
		return git_fail(what);
	return err_set(ERR_SYSTEM, "%s in %s: %s; %s and run the command again", what, dir,
		       strerror(error), write_remedy(error));
}

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
		rc = write_fail(*parent ? parent : "/", 4096, "cannot create the generations "
				"repository");
		git_libgit2_shutdown();
		return rc;
	}
	if (git_repository_config(&cfg, repo) < 0 || git_config_set_bool(cfg, "host.lab", 1) < 0) {
		int rc = write_fail(path, 256, "cannot mark the generations repository");
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

static void tag_name(char *out, size_t size, int number)
{
	snprintf(out, size, "gen_%03d", number);
}

/* What tag gen_NNN points at; ERR_NOTFOUND when there is no such tag. */
static int tag_target(store *s, int number, git_oid *out)
{
	char ref[64];

	snprintf(ref, sizeof(ref), "refs/tags/gen_%03d", number);
	if (git_reference_name_to_id(out, s->repo, ref) < 0)
		return err_set(ERR_NOTFOUND, "there is no generation gen_%03d", number);
	return 0;
}

static int newest_accepted(store *s, int below);

/* Nonzero if main points at generation `number`'s commit. */
static int is_main(store *s, int number)
{
	git_oid main_oid, oid;

	return git_reference_name_to_id(&main_oid, s->repo, STORE_MAIN_REF) == 0 &&
	       tag_target(s, number, &oid) == 0 && git_oid_equal(&main_oid, &oid);
}

/*
 * Generation `number` cannot be read: looking up its `what` (object `oid`)
 * returned `code`. Names the generation, the object, whether it is missing
 * or broken, and, for the live generation, how to go on from another one.
 */
static int damaged(store *s, int number, int code, const char *what, const git_oid *oid)
{
	const git_error *e = git_error_last();
	char id[8], cause[512], live[1024] = "";
	int other;

	git_oid_tostr(id, sizeof(id), oid);
	if (code == GIT_ENOTFOUND)
		snprintf(cause, sizeof(cause), "is missing from %s", s->path);
	else
		snprintf(cause, sizeof(cause), "cannot be read from %s: %s", s->path,
			 e && e->message ? e->message : "libgit2 failed");
	if (is_main(s, number) && (other = newest_accepted(s, number)) >= 0)
		snprintf(live, sizeof(live), "; it is the live generation: restore %s from a backup, "
			 "or make gen_%03d live with 'git -C %s update-ref %s gen_%03d'", s->path,
			 other, s->path, STORE_MAIN_REF, other);
	return err_set(ERR_GENERIC, "gen_%03d is damaged: its %s %s %s ('git -C %s fsck' lists "
		       "what else is)%s", number, what, id, cause, s->path, live);
}

/* Generation `number`'s commit; ERR_NOTFOUND when there is no such tag. */
static int lookup_commit(store *s, int number, git_commit **out)
{
	git_object *obj;
	git_oid oid;
	int rc;

	if ((rc = tag_target(s, number, &oid)) < 0)
		return rc;
	if ((rc = git_object_lookup(&obj, s->repo, &oid, GIT_OBJECT_ANY)) < 0)
		return damaged(s, number, rc, "commit", &oid);
	rc = git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	return rc < 0 ? damaged(s, number, rc, "tag's target", &oid) : 0;
}

/* Writes generation `number`'s files as a tree. */
static int write_tree(store *s, int number, const agent_files *files, git_oid *out)
{
	git_treebuilder *tb;
	size_t i;
	int rc = 0;

	if (git_treebuilder_new(&tb, s->repo, NULL) < 0)
		return git_fail("cannot build a tree");
	for (i = 0; i < files->count && rc == 0; i++) {
		git_oid blob;
		const agent_file *f = &files->items[i];
		if (git_blob_create_from_buffer(&blob, s->repo, f->text, strlen(f->text)) < 0 ||
		    git_treebuilder_insert(NULL, tb, f->name, &blob, GIT_FILEMODE_BLOB) < 0)
			rc = write_fail(s->path, strlen(f->text), "cannot write gen_%03d's %s",
					number, f->name);
	}
	if (rc == 0 && git_treebuilder_write(out, tb) < 0)
		rc = write_fail(s->path, 64 * files->count, "cannot write gen_%03d's tree", number);
	git_treebuilder_free(tb);
	return rc;
}

/* "gen_005: accepted, fitness 0.6123" and the trailers. */
static void commit_message(buf *msg, const store_gen *g)
{
	char parent[32] = "none";

	if (g->parent >= 0)
		tag_name(parent, sizeof(parent), g->parent);
	buf_printf(msg, "gen_%03d: %s, fitness %.4f\n\nGeneration: %d\nParent: %s\n"
		   "Status: %s\nFitness: %.6f\nReason: %s\n", g->number, g->status,
		   g->fitness, g->number, parent, g->status, g->fitness,
		   g->reason ? g->reason : "");
}

static int write_commit(store *s, const store_gen *g, const git_oid *tree_oid,
			int also_parent, git_oid *out)
{
	const git_commit *parents[2];
	git_commit *owned[2] = { NULL, NULL };
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	buf msg = BUF_INIT;
	size_t n = 0;
	int rc = 0;

	if (g->parent >= 0 && (rc = lookup_commit(s, g->parent, &owned[n])) == 0)
		parents[n] = owned[n], n++;
	if (rc == 0 && also_parent >= 0 && (rc = lookup_commit(s, also_parent, &owned[n])) == 0)
		parents[n] = owned[n], n++;
	commit_message(&msg, g);
	if (rc == 0 && (git_tree_lookup(&tree, s->repo, tree_oid) < 0 ||
			git_signature_now(&sig, "host", "host@localhost") < 0 ||
			git_commit_create(out, s->repo, NULL, sig, sig, "UTF-8", msg.data, tree,
					  n, parents) < 0))
		rc = write_fail(s->path, msg.len + 256, "cannot write gen_%03d's commit", g->number);
	buf_free(&msg);
	git_tree_free(tree);
	git_signature_free(sig);
	git_commit_free(owned[0]);
	git_commit_free(owned[1]);
	return rc;
}

int store_record(store *s, const store_gen *g, const agent_files *files, int also_parent)
{
	git_oid tree, commit, note;
	git_signature *sig = NULL;
	git_object *target = NULL;
	char tag[32], *text;
	int rc;

	if (g->number > STORE_MAX_NUMBER)
		return err_set(ERR_INVALID, "the lab is full: generation numbers end at gen_%d",
			       STORE_MAX_NUMBER);
	if ((rc = write_tree(s, g->number, files, &tree)) < 0 ||
	    (rc = write_commit(s, g, &tree, also_parent, &commit)) < 0)
		return rc;
	text = json_dumps(g->record, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		rc = err_set(ERR_SYSTEM, "out of memory");
	else if (git_signature_now(&sig, "host", "host@localhost") < 0 ||
		 git_note_create(&note, s->repo, STORE_NOTES_REF, sig, sig, &commit, text, 1) < 0)
		rc = write_fail(s->path, strlen(text) + 512, "cannot write gen_%03d's record (git note)",
				g->number);
	tag_name(tag, sizeof(tag), g->number);
	if (rc == 0 && (git_object_lookup(&target, s->repo, &commit, GIT_OBJECT_COMMIT) < 0 ||
			git_tag_create_lightweight(&note, s->repo, tag, target, 0) < 0))
		rc = write_fail(s->path, 64, "cannot write the tag %s", tag);
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
	int rc = lookup_commit(s, number, &commit);

	if (rc < 0)
		return rc;
	snprintf(log, sizeof(log), "host: main is gen_%03d", number);
	if (git_reference_create(&ref, s->repo, STORE_MAIN_REF, git_commit_id(commit), 1, log) < 0)
		rc = write_fail(s->path, 64, "cannot move main to gen_%03d", number);
	git_reference_free(ref);
	git_commit_free(commit);
	return rc;
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
	git_oid notes;
	json_error_t jerr;
	char id[8];

	*out = note_json(s, oid, &jerr);
	if (*out)
		return 0;
	git_oid_tostr(id, sizeof(id), oid);
	if (jerr.text[0])
		return err_set(ERR_INVALID, "gen_%03d's record (the git note on commit %s) is not "
			       "JSON: %s", number, id, jerr.text);
	if (git_reference_name_to_id(&notes, s->repo, STORE_NOTES_REF) < 0)
		return err_set(ERR_INVALID, "gen_%03d has no record: %s, which holds every "
			       "generation's record, is missing from %s; restore it from a backup",
			       number, STORE_NOTES_REF, s->path);
	return err_set(ERR_INVALID, "gen_%03d has no record: %s holds no note for its commit %s "
		       "('git -C %s log -p %s' shows when it went)", number, STORE_NOTES_REF, id,
		       s->path, STORE_NOTES_REF);
}

/* The newest generation below `below` whose record says accepted: as
 * each accepted generation is made live in turn, the one main pointed at
 * last. -1 when none can be read. */
static int newest_accepted(store *s, int below)
{
	int *numbers, found = -1;
	size_t n;

	if (store_numbers(s, &numbers, &n) < 0)
		return -1;
	while (n-- > 0 && found < 0) {
		store_gen g;
		if (numbers[n] < below && store_read(s, numbers[n], &g, NULL) == 0) {
			if (strcmp(g.status, "accepted") == 0)
				found = g.number;
			store_gen_free(&g);
		}
	}
	free(numbers);
	return found;
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
		if (tag_target(s, *number, &tagged) == 0 && git_oid_equal(&tagged, oid))
			return 0;
	}
	if (store_numbers(s, &numbers, &n) < 0)
		return ERR_GENERIC;
	while (n-- > 0 && rc == ERR_NOTFOUND) {
		if (tag_target(s, numbers[n], &tagged) == 0 && git_oid_equal(&tagged, oid)) {
			*number = numbers[n];
			rc = 0;
		}
	}
	free(numbers);
	return rc;
}

/* main is missing (`oid` NULL) or points at no generation: says so, and
 * how to restore it, never picking a generation in its place. */
static int main_lost(store *s, const git_oid *oid)
{
	int accepted = newest_accepted(s, STORE_MAX_NUMBER + 1);
	char restore[512] = "";

	if (accepted >= 0)
		snprintf(restore, sizeof(restore), ". gen_%03d is the newest accepted generation, "
			 "the last one main pointed at: restore main with 'git -C %s update-ref %s "
			 "gen_%03d'", accepted, s->path, STORE_MAIN_REF, accepted);
	if (oid)
		return err_set(ERR_INVALID, "the lab's main branch (%s) points at commit %.7s, which "
			       "is not a generation (no gen_NNN tag points at it)%s", STORE_MAIN_REF,
			       git_oid_tostr_s(oid), restore);
	if (accepted < 0)
		return err_set(ERR_NOTFOUND, "%s has no main branch yet", s->path);
	return err_set(ERR_NOTFOUND, "the lab's main branch (%s) is missing from %s, so the live "
		       "generation is unknown and host will not guess it or start over%s",
		       STORE_MAIN_REF, s->path, restore);
}

int store_main(store *s, int *number)
{
	git_oid oid;
	int rc;

	if (git_reference_name_to_id(&oid, s->repo, STORE_MAIN_REF) < 0)
		return main_lost(s, NULL);
	rc = generation_at(s, &oid, number);
	return rc == ERR_NOTFOUND ? main_lost(s, &oid) : rc;
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
		return git_fail("cannot list the generations");
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

/* Generation `number`'s files, the tree of `commit`. */
static int read_files(store *s, int number, git_commit *commit, agent_files *files)
{
	git_tree *tree;
	size_t i;
	int rc = 0;

	memset(files, 0, sizeof(*files));
	if ((rc = git_commit_tree(&tree, commit)) < 0)
		return damaged(s, number, rc, "tree", git_commit_tree_id(commit));
	for (i = 0; i < git_tree_entrycount(tree) && rc == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		git_blob *blob;
		char *text, what[128];
		if ((rc = git_blob_lookup(&blob, s->repo, git_tree_entry_id(e))) < 0) {
			snprintf(what, sizeof(what), "file %s", git_tree_entry_name(e));
			rc = damaged(s, number, rc, what, git_tree_entry_id(e));
			break;
		}
		text = strndup(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		rc = text ? agents_set(files, git_tree_entry_name(e), text)
			  : err_set(ERR_SYSTEM, "out of memory");
		free(text);
		git_blob_free(blob);
	}
	git_tree_free(tree);
	if (rc < 0)
		agents_free(files);
	return rc;
}

int store_read(store *s, int number, store_gen *g, agent_files *files)
{
	git_commit *commit;
	const char *status;
	int rc;

	memset(g, 0, sizeof(*g));
	if ((rc = lookup_commit(s, number, &commit)) < 0)
		return rc;
	rc = read_note(s, number, git_commit_id(commit), &g->record);
	if (rc == 0 && files)
		rc = read_files(s, number, commit, files);
	git_commit_free(commit);
	if (rc < 0) {
		store_gen_free(g);
		return rc;
	}
	g->number = number;
	g->parent = json_is_integer(json_object_get(g->record, "parent"))
		? (int)json_integer_value(json_object_get(g->record, "parent")) : -1;
	status = json_string_value(json_object_get(g->record, "status"));
	snprintf(g->status, sizeof(g->status), "%s", status ? status : "invalid");
	g->fitness = json_number_value(json_object_get(g->record, "fitness"));
	g->reason = strdup(json_string_value(json_object_get(g->record, "reason"))
			   ? json_string_value(json_object_get(g->record, "reason")) : "");
	return 0;
}

void store_gen_free(store_gen *g)
{
	free(g->reason);
	json_decref(g->record);
	memset(g, 0, sizeof(*g));
}

int store_diff(store *s, int a, int b, buf *out)
{
	git_commit *ca = NULL, *cb = NULL;
	git_tree *ta = NULL, *tb = NULL;
	git_diff *diff = NULL;
	int rc;

	if ((rc = lookup_commit(s, a, &ca)) == 0 && (rc = lookup_commit(s, b, &cb)) == 0 &&
	    (git_commit_tree(&ta, ca) < 0 || git_commit_tree(&tb, cb) < 0 ||
	     git_diff_tree_to_tree(&diff, s->repo, ta, tb, NULL) < 0 ||
	     git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, diff_append_line, out) < 0))
		rc = git_fail("cannot diff generations");
	git_diff_free(diff);
	git_tree_free(ta);
	git_tree_free(tb);
	git_commit_free(ca);
	git_commit_free(cb);
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
		return git_fail("cannot read the lab's settings");
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
		rc = write_fail(s->path, 1024, "cannot write the lab's setting %s", name);
	git_config_free(cfg);
	return rc;
}
