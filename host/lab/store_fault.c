/*
 * store_fault.c - what is wrong when the store fails; see store_internal.h.
 *
 * A failure names what is at fault: for a failed write, the system's
 * reason (a full disk, a file-size limit, a read-only directory) and what
 * to do about it; for a damaged lab, the generation, the object or ref
 * that is missing or broken, and how to go on. The store reports damage,
 * never works around it: no other generation is ever read or made live in
 * the place of a missing one, so the remedies only name the command that
 * would. A generation whose tree host did not write (a file named
 * ../../x, a link, a submodule) is damaged too: the check of every tree
 * is here, at the end.
 */
#include "store_internal.h"

#include "agents.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int store_git_fail(const char *what)
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

	/* a new file, never one already there: not a link's target, nor a
	 * file that has another name */
	snprintf(path, sizeof(path), "%s/host-probe-%d.tmp", dir, (int)getpid());
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
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
int store_write_fail(const char *dir, size_t bytes, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	int error;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	error = probe_write(dir, bytes + 512);
	if (!error)
		return store_git_fail(what);
	return err_set(ERR_SYSTEM, "%s in %s: %s; %s and run the command again", what, dir,
		       strerror(error), write_remedy(error));
}

/* Nonzero if generation `number`'s tree is there and passes the check. */
static int tree_usable(store *s, int number)
{
	git_commit *commit;
	git_tree *tree = NULL;
	int usable;

	if (store_lookup_commit(&commit, s, number) < 0)
		return 0;
	usable = git_commit_tree(&tree, commit) == 0 && store_check_tree(s, number, tree) == 0;
	git_tree_free(tree);
	git_commit_free(commit);
	return usable;
}

/* The newest generation below `below` whose record says accepted and
 * whose tree can be used: as each accepted generation is made live in
 * turn, the one main pointed at last. -1 when none can be read. */
/* Only generations below `below` are read: reading a damaged one would
 * ask this again. */
static int newest_accepted(store *s, int below)
{
	int *numbers, found = -1;
	size_t n;

	if (store_numbers(s, &numbers, &n) < 0)
		return -1;
	while (n-- > 0 && found < 0) {
		record r;
		if (numbers[n] < below && store_read(s, numbers[n], &r, NULL) == 0) {
			if (r.status == RECORD_ACCEPTED && tree_usable(s, r.number))
				found = r.number;
			record_free(&r);
		}
	}
	free(numbers);
	return found;
}

/* Nonzero if main points at generation `number`'s commit. */
static int is_main(store *s, int number)
{
	git_oid main_oid, oid;

	return git_reference_name_to_id(&main_oid, s->repo, STORE_MAIN_REF) == 0 &&
	       store_tag_target(&oid, s, number) == 0 && git_oid_equal(&main_oid, &oid);
}

/* When generation `number`, which cannot be used, is the live one: how to
 * go on from another ("; it is the live generation: `restore`, or ..."),
 * else "". `restore` may be NULL. */
static void live_remedy(char *out, size_t size, store *s, int number, const char *restore)
{
	int other;

	out[0] = '\0';
	if (is_main(s, number) && (other = newest_accepted(s, number)) >= 0)
		snprintf(out, size, "; it is the live generation: %s%smake gen_%03d live with "
			 "'git -C %s update-ref %s gen_%03d'", restore ? restore : "",
			 restore ? ", or " : "", other, s->path, STORE_MAIN_REF, other);
}

int store_damaged(store *s, int number, int code, const char *what, const git_oid *oid)
{
	const git_error *e = git_error_last();
	char id[8], cause[512], restore[512], live[1024];

	git_oid_tostr(id, sizeof(id), oid);
	if (code == GIT_ENOTFOUND)
		snprintf(cause, sizeof(cause), "is missing from %s", s->path);
	else
		snprintf(cause, sizeof(cause), "cannot be read from %s: %s", s->path,
			 e && e->message ? e->message : "libgit2 failed");
	snprintf(restore, sizeof(restore), "restore %s from a backup", s->path);
	live_remedy(live, sizeof(live), s, number, restore);
	return err_set(ERR_GENERIC, "gen_%03d is damaged: its %s %s %s ('git -C %s fsck' lists "
		       "what else is)%s", number, what, id, cause, s->path, live);
}

int store_note_fault(store *s, int number, const git_oid *oid, const json_error_t *jerr)
{
	git_oid notes;
	char id[8];

	git_oid_tostr(id, sizeof(id), oid);
	if (jerr->text[0])
		return err_set(ERR_INVALID, "gen_%03d's record (the git note on commit %s) is not "
			       "JSON: %s", number, id, jerr->text);
	if (git_reference_name_to_id(&notes, s->repo, STORE_NOTES_REF) < 0)
		return err_set(ERR_INVALID, "gen_%03d has no record: %s, which holds every "
			       "generation's record, is missing from %s; restore it from a backup",
			       number, STORE_NOTES_REF, s->path);
	return err_set(ERR_INVALID, "gen_%03d has no record: %s holds no note for its commit %s "
		       "('git -C %s log -p %s' shows when it went)", number, STORE_NOTES_REF, id,
		       s->path, STORE_NOTES_REF);
}

int store_main_lost(store *s, const git_oid *oid)
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

/*
 * The names in a generation's tree become file names: checkout writes its
 * agent files into agent_code/. And a tree is anyone's to write: a lab is
 * handed over as a directory, and git makes trees host never would. So
 * every entry of a tree is checked before anything of it is read, and
 * every entry host writes passes the same check, so that host can read
 * whatever it wrote:
 *
 *   at the top     agent files, named as agents_valid_name says and not
 *                  after a host header, within the caps of agents.h; and
 *                  the folders solutions/ and arena/;
 *   in those two   files with plain names: a task's name and ".c", the
 *                  arena's NAME.json and NAME.c.
 *
 * Nothing else: no symbolic link, no submodule, no other folder, no name
 * that climbs out of its folder (.., a/b, /x) or carries a control
 * character to a terminal. A tree that breaks this is an error naming the
 * generation and the entry, and nothing of it is used.
 */

/* Generation `number`'s tree holds `entry` (its path, fit to be shown),
 * which `fault` ("is a symbolic link"). */
static int bad_entry(store *s, int number, const char *entry, const char *fault)
{
	char live[1024];

	live_remedy(live, sizeof(live), s, number, NULL);
	return err_set(ERR_INVALID, "gen_%03d cannot be used: '%s' in its tree %s. host writes "
		       "no such tree, so it was made or changed by other means; nothing of it "
		       "was used%s", number, entry, fault, live);
}

int store_plain_name(const char *name)
{
	size_t i;

	for (i = 0; name[i]; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_' || name[i] == '-' ||
		      name[i] == '.'))
			return 0;
	return i > 0 && i <= 255 && name[0] != '.';
}

/* Why `name`, of `mode`, cannot be an entry of a generation's `folder`
 * (NULL: the top of its tree), or NULL when it can. */
static const char *entry_fault(const char *folder, const char *name, git_filemode_t mode)
{
	if (mode == GIT_FILEMODE_LINK)
		return "is a symbolic link";
	if (mode == GIT_FILEMODE_COMMIT)
		return "is a submodule (a gitlink)";
	if (mode == GIT_FILEMODE_TREE)
		return folder ? "is a folder inside a folder"
		       : strcmp(name, STORE_SOLUTIONS) != 0 && strcmp(name, STORE_ARENA) != 0
		       ? "is a folder other than " STORE_SOLUTIONS "/ and " STORE_ARENA "/" : NULL;
	if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
		return "is not a file";
	if (folder)
		return store_plain_name(name) ? NULL : "is not a plain file name ([A-Za-z0-9_.-]+, "
		       "not starting with '.')";
	if (!agents_valid_name(name))
		return "is not an agent file ([a-z0-9_]+.c, [a-z0-9_]+.h or memory.md)";
	if (agents_reserved_name(name))
		return "is the name of one of the host's headers, which agents cannot replace";
	return NULL;
}

/* "folder/name" as it may be shown: at most about 80 bytes, any byte
 * that is not printable ASCII a '?'. */
static void shown_entry(char *out, size_t size, const char *folder, const char *name)
{
	size_t i, n;

	snprintf(out, size, "%s%s%.80s%s", folder ? folder : "", folder ? "/" : "", name,
		 strlen(name) > 80 ? "..." : "");
	for (i = 0, n = strlen(out); i < n; i++)
		if ((unsigned char)out[i] < ' ' || (unsigned char)out[i] > '~')
			out[i] = '?';
}

int store_check_entry(int number, const char *folder, const char *name, git_filemode_t mode)
{
	const char *fault = entry_fault(folder, name, mode);
	char entry[128];

	if (!fault)
		return 0;
	shown_entry(entry, sizeof(entry), folder, name);
	return err_set(ERR_INVALID, "cannot write gen_%03d: '%s' %s", number, entry, fault);
}

/* Entry `e` of generation `number`'s `folder` (NULL: the top). */
static int check_entry(store *s, int number, const char *folder, const git_tree_entry *e)
{
	const char *fault = entry_fault(folder, git_tree_entry_name(e), git_tree_entry_filemode(e));
	char entry[128];

	if (!fault)
		return 0;
	shown_entry(entry, sizeof(entry), folder, git_tree_entry_name(e));
	return bad_entry(s, number, entry, fault);
}

/* Every entry of the folder `e` of generation `number`'s tree. */
static int check_folder(store *s, int number, const git_tree_entry *e)
{
	const char *name = git_tree_entry_name(e);
	git_tree *folder;
	size_t i;
	int rc = git_tree_lookup(&folder, s->repo, git_tree_entry_id(e));

	if (rc < 0)
		return store_damaged(s, number, rc, name, git_tree_entry_id(e));
	for (i = 0; rc == 0 && i < git_tree_entrycount(folder); i++)
		rc = check_entry(s, number, name, git_tree_entry_byindex(folder, i));
	git_tree_free(folder);
	return rc;
}

/* Counts agent file `e` against the caps, by the size its object's header
 * says: an object over them is never read. */
static int count_agent_file(store *s, git_odb *odb, int number, const git_tree_entry *e,
			    size_t *files, size_t *bytes)
{
	char what[160], entry[128], fault[128];
	git_object_t type;
	size_t size;
	int rc = git_odb_read_header(&size, &type, odb, git_tree_entry_id(e));

	shown_entry(entry, sizeof(entry), NULL, git_tree_entry_name(e));
	if (rc < 0) {
		snprintf(what, sizeof(what), "file %s", entry);
		return store_damaged(s, number, rc, what, git_tree_entry_id(e));
	}
	if (type != GIT_OBJECT_BLOB)
		snprintf(fault, sizeof(fault), "is not a file but a %s", git_object_type2string(type));
	else if (++*files > AGENTS_MAX_FILES)
		snprintf(fault, sizeof(fault), "is agent file number %zu, past the cap of %d",
			 *files, AGENTS_MAX_FILES);
	else if (size > AGENTS_MAX_FILE_BYTES)
		snprintf(fault, sizeof(fault), "is larger than %u MB, the cap of one agent file",
			 AGENTS_MAX_FILE_BYTES >> 20);
	else if ((*bytes += size) > AGENTS_MAX_BYTES)
		snprintf(fault, sizeof(fault), "takes the agent files past %u MB in all, the cap "
			 "of an agent's files", AGENTS_MAX_BYTES >> 20);
	else
		return 0;
	return bad_entry(s, number, entry, fault);
}

int store_check_tree(store *s, int number, const git_tree *tree)
{
	size_t i, files = 0, bytes = 0;
	git_odb *odb;
	int rc = git_repository_odb(&odb, s->repo);

	if (rc < 0)
		return store_git_fail("cannot read the generations repository");
	for (i = 0; rc == 0 && i < git_tree_entrycount(tree); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		if ((rc = check_entry(s, number, NULL, e)) < 0)
			break;
		if (git_tree_entry_filemode(e) == GIT_FILEMODE_TREE)
			rc = check_folder(s, number, e);
		else
			rc = count_agent_file(s, odb, number, e, &files, &bytes);
	}
	git_odb_free(odb);
	return rc;
}
