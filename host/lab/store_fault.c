/*
 * store_fault.c - what is wrong when the store fails; see store_internal.h.
 *
 * A failure names what is at fault: for a failed write, the system's
 * reason (a full disk, a file-size limit, a read-only directory) and what
 * to do about it; for a damaged lab, the generation, the object or ref
 * that is missing or broken, and how to go on. The store reports damage,
 * never works around it: no other generation is ever read or made live in
 * the place of a missing one, so the remedies only name the command that
 * would.
 */
#include "store_internal.h"

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

/* The newest generation below `below` whose record says accepted: as
 * each accepted generation is made live in turn, the one main pointed at
 * last. -1 when none can be read. */
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
			if (r.status == RECORD_ACCEPTED)
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

int store_damaged(store *s, int number, int code, const char *what, const git_oid *oid)
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
