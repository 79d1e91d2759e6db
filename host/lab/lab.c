/*
 * lab.c - the lab directory, its lock and its journal; see lab.h.
 *
 * The lock, the journal and the journal's temporary file are opened with
 * os_open_nolink: a lab may come from anyone, and a link left in place of
 * one of them would otherwise turn host's writes onto the link's target.
 */
#include "lab.h"

#include "error.h"
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* A journal holds a generation's number and a newline. */
#define LAB_JOURNAL_MAX 32

static int lab_paths(lab *l, const char *dir)
{
	memset(l, 0, sizeof(*l));
	l->lock_fd = -1;
	l->dir = strdup(dir);
	l->agent_dir = os_path_join(dir, "agent_code");
	l->gen_dir = os_path_join(dir, "generations");
	l->lock_path = l->gen_dir ? os_path_join(l->gen_dir, "host.lock") : NULL;
	l->journal_path = l->gen_dir ? os_path_join(l->gen_dir, "host.journal") : NULL;
	if (!l->dir || !l->agent_dir || !l->lock_path || !l->journal_path) {
		lab_close(l);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	return 0;
}

void lab_close(lab *l)
{
	if (l->lock_fd >= 0)
		close(l->lock_fd);  /* releases the flock */
	store_free(l->store);
	free(l->dir);
	free(l->agent_dir);
	free(l->gen_dir);
	free(l->lock_path);
	free(l->journal_path);
	memset(l, 0, sizeof(*l));
	l->lock_fd = -1;
}

int lab_lock_holder(const lab *l)
{
	char text[32] = "";
	int fd = os_open_nolink(l->lock_path, O_RDONLY), pid = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);
		return 0;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n > 0)
		pid = atoi(text);
	return pid > 0 ? pid : -1;
}

static int take_lock(lab *l)
{
	char pid[32];
	int fd = os_open_nolink(l->lock_path, O_RDWR | O_CREAT);

	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int holder;
		close(fd);
		holder = lab_lock_holder(l);
		return err_set(ERR_GENERIC, "another host process (pid %d) is writing the lab in %s; "
			       "wait for it to finish", holder, l->dir);
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, pid, strlen(pid)) != (ssize_t)strlen(pid)) {
		close(fd);
		return err_sys("cannot write %s", l->lock_path);
	}
	l->lock_fd = fd;
	return 0;
}

/* Writes `text` to `path` through a temporary file, flushed, then renamed. */
static int write_atomically(const char *path, const char *text)
{
	buf tmp = BUF_INIT;
	int fd = -1, rc = 0;
	size_t len = strlen(text);

	buf_printf(&tmp, "%s.tmp", path);
	if ((rc = buf_failed(&tmp)) < 0 ||
	    (fd = os_open_nolink(tmp.data, O_WRONLY | O_CREAT | O_TRUNC)) < 0) {
		buf_free(&tmp);
		return rc < 0 ? rc : fd;
	}
	if ((rc = os_write_fd(fd, text, len, tmp.data)) == 0 && fsync(fd) != 0)
		rc = err_sys("cannot write %s", tmp.data);
	if (close(fd) != 0 && rc == 0)
		rc = err_sys("cannot write %s", tmp.data);
	if (rc == 0 && rename(tmp.data, path) != 0)
		rc = err_sys("cannot write %s", path);
	if (rc < 0)
		unlink(tmp.data);
	buf_free(&tmp);
	return rc;
}

int lab_checkout(lab *l)
{
	agent_files live;
	record g;
	int number, rc;

	if ((rc = store_main(l->store, &number)) < 0 ||
	    (rc = store_read(l->store, number, &g, &live)) < 0)
		return rc;
	record_free(&g);
	rc = agents_sync(&live, l->agent_dir);
	agents_free(&live);
	return rc;
}

int lab_make_live(lab *l, int number)
{
	char text[32];
	int rc;

	snprintf(text, sizeof(text), "%d\n", number);
	if ((rc = write_atomically(l->journal_path, text)) < 0 ||
	    (rc = store_set_main(l->store, number)) < 0 ||
	    (rc = lab_checkout(l)) < 0)
		return rc;
	if (unlink(l->journal_path) != 0)
		return err_sys("cannot remove %s", l->journal_path);
	return 0;
}

static int remove_stale_lock(const char *path, const struct stat *st, int type,
			     struct FTW *ftw)
{
	size_t len = strlen(path);

	(void)st;
	(void)ftw;
	if (type == FTW_F && len > 5 && strcmp(path + len - 5, ".lock") == 0 &&
	    strcmp(path + len - 9, "host.lock") != 0)
		unlink(path);
	return 0;
}

static int read_journal(char **text, const char *path)
{
	int fd = os_open_nolink(path, O_RDONLY), rc;

	*text = NULL;
	if (fd < 0)
		return fd;
	rc = os_read_fd_max(text, NULL, fd, path, LAB_JOURNAL_MAX);
	close(fd);
	return rc;
}

/* Finishes a step a killed process left half done. libgit2's own lock
 * files (refs/tags/gen_003.lock ...) are stale too: this process holds
 * the lab's lock, so no other writer can be using them. */
static int recover(lab *l)
{
	char *text = NULL;
	int number, rc;
	record g;

	nftw(l->gen_dir, remove_stale_lock, 16, FTW_PHYS);
	if ((rc = read_journal(&text, l->journal_path)) == ERR_NOTFOUND)
		return os_is_dir(l->agent_dir) ? 0 : lab_checkout(l);
	if (rc < 0)
		return rc;
	number = atoi(text);
	free(text);
	if ((rc = store_read(l->store, number, &g, NULL)) == 0) {
		record_free(&g);
		return lab_make_live(l, number);
	}
	if (rc != ERR_NOTFOUND)  /* damaged: leave the journal for when it is repaired */
		return rc;
	/* the generation was never tagged: the step did not happen */
	if (unlink(l->journal_path) != 0)
		return err_sys("cannot remove %s", l->journal_path);
	return lab_checkout(l);
}

int lab_exists(const char *dir)
{
	char *a = os_path_join(dir, "agent_code"), *g = os_path_join(dir, "generations");
	int taken = (a && os_is_dir(a)) || (g && os_is_dir(g));

	free(a);
	free(g);
	return taken;
}

int lab_create(lab *l, const char *dir)
{
	struct stat st;
	int rc;

	if ((rc = lab_paths(l, dir)) < 0)
		return rc;
	/* anything by those names, a file or a link too: lab_discard removes them */
	if (lstat(l->gen_dir, &st) == 0 || lstat(l->agent_dir, &st) == 0) {
		rc = err_set(ERR_INVALID, "%s already holds a lab (%s exists); nothing was changed",
			     dir, lstat(l->gen_dir, &st) == 0 ? "generations" : "agent_code");
		lab_close(l);
		return rc;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		rc = err_sys("cannot create %s", dir);
	l->created = rc == 0;
	if (rc == 0)
		rc = store_create(&l->store, l->gen_dir);
	if (rc == 0)
		rc = take_lock(l);
	if (rc < 0)
		lab_discard(l);
	return rc;
}

void lab_discard(lab *l)
{
	char failure[1024];

	snprintf(failure, sizeof(failure), "%s", err_last());
	if (l->created) {
		os_remove_tree(l->agent_dir);
		os_remove_tree(l->gen_dir);
	}
	lab_close(l);
	err_set(ERR_GENERIC, "%s", failure);  /* the failure that led here, not a cleanup's */
}

/* generations/ itself is not followed either: as a link it would take
 * the lock, the journal and every write of the store elsewhere. */
static int refuse_linked_store(const lab *l)
{
	struct stat st;

	if (lstat(l->gen_dir, &st) == 0 && S_ISLNK(st.st_mode))
		return err_set(ERR_INVALID, "%s is a symbolic link; host works in no lab "
			       "folder through a link: make it the repository itself",
			       l->gen_dir);
	return 0;
}

int lab_open(lab *l, const char *dir, int for_write)
{
	int rc;

	if ((rc = lab_paths(l, dir)) < 0)
		return rc;
	rc = refuse_linked_store(l);
	if (rc == 0)
		rc = store_open(&l->store, l->gen_dir);
	if (rc == 0 && for_write && (rc = take_lock(l)) == 0)
		rc = recover(l);
	if (rc < 0)
		lab_close(l);
	return rc;
}

static void describe_change(buf *changes, const char *what, const char *name)
{
	if (changes)
		buf_printf(changes, "%s %s\n", what, name);
}

int lab_hand_edits(lab *l, buf *changes)
{
	agent_files live, current;
	record g;
	int number, count = 0, rc;
	size_t i;

	if ((rc = store_main(l->store, &number)) < 0 ||
	    (rc = store_read(l->store, number, &g, &live)) < 0)
		return rc;
	record_free(&g);
	if ((rc = agents_load(&current, l->agent_dir)) < 0) {
		agents_free(&live);
		return rc;
	}
	for (i = 0; i < live.count; i++) {
		const char *now = agents_get(&current, live.items[i].name);
		if (!now || strcmp(now, live.items[i].text) != 0) {
			describe_change(changes, now ? "modified" : "deleted", live.items[i].name);
			count++;
		}
	}
	for (i = 0; i < current.count; i++)
		if (!agents_get(&live, current.items[i].name)) {
			describe_change(changes, "added", current.items[i].name);
			count++;
		}
	agents_free(&live);
	agents_free(&current);
	return count;
}
