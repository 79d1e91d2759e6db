/*
 * os.c - file, path and clock helpers; see os.h.
 */
#include "os.h"

#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The buffer for the next read of a file of at most `max` bytes: doubled
 * when fewer than 4096 bytes are free, but never past max + 1 bytes and
 * the terminator, so that a larger file is found out by one byte. */
static int grow(char **data, size_t *cap, size_t used, size_t max, const char *name)
{
	size_t limit = max < SIZE_MAX - 2 ? max + 2 : SIZE_MAX, size;
	char *bigger;

	if (*cap - used >= 4096 || *cap >= limit)
		return 0;
	size = *cap ? *cap * 2 : 8192;
	if (size > limit)
		size = limit;
	if (!(bigger = realloc(*data, size)))
		return err_set(ERR_SYSTEM, "%s: out of memory", name);
	*data = bigger;
	*cap = size;
	return 0;
}

int os_read_fd_max(char **out, size_t *len, int fd, const char *name, size_t max)
{
	char *data = NULL;
	size_t used = 0, cap = 0;
	ssize_t n;
	int rc = 0;

	*out = NULL;
	while (rc == 0) {
		if ((rc = grow(&data, &cap, used, max, name)) < 0)
			break;
		n = read(fd, data + used, cap - used - 1);
		if (n == 0)
			break;
		if (n < 0 && errno != EINTR)
			rc = err_sys("cannot read %s", name);
		used += n > 0 ? (size_t)n : 0;
		if (used > max)
			rc = err_set(ERR_INVALID, "%s is larger than %zu bytes", name, max);
	}
	if (rc < 0) {
		free(data);
		return rc;
	}
	data[used] = '\0';
	*out = data;
	if (len)
		*len = used;
	return 0;
}

int os_read_fd(char **out, size_t *len, int fd, const char *name)
{
	return os_read_fd_max(out, len, fd, name, SIZE_MAX);
}

int os_read_file_max(char **out, size_t *len, const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	*out = NULL;
	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(ERR_NOTFOUND, "%s: no such file", path);
		return err_sys("cannot open %s", path);
	}
	rc = os_read_fd_max(out, len, fd, path, max);
	close(fd);
	return rc;
}

int os_read_file(char **out, size_t *len, const char *path)
{
	return os_read_file_max(out, len, path, SIZE_MAX);
}

/* Why `path` could not be opened as a file of host's own: open's `error`. */
static int open_refused(const char *path, int flags, int error)
{
	char target[4096];
	ssize_t n;

	if (error == ELOOP && (n = readlink(path, target, sizeof(target) - 1)) >= 0) {
		target[n] = '\0';
		return err_set(ERR_INVALID, "%s is a symbolic link (to %s); host opens no file of "
			       "its own through a link: remove it", path, target);
	}
	if (error == ENOENT)
		return err_set(ERR_NOTFOUND, "%s: no such file", path);
	errno = error;
	return err_sys("cannot %s %s", flags & O_CREAT ? "create" : "open", path);
}

/* 0 if the open file `fd` may be host's own `path`, else why not. */
static int check_own(int fd, const char *path, int writing)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return err_sys("cannot open %s", path);
	if (!S_ISREG(st.st_mode))
		return err_set(ERR_INVALID, "%s is not a regular file; remove it", path);
	if (writing && st.st_nlink > 1)
		return err_set(ERR_INVALID, "%s has other names (hard links); host writes no file "
			       "of its own that is also another: remove it", path);
	return 0;
}

int os_open_nolink(const char *path, int flags)
{
	int fd, rc;

	/* O_NONBLOCK: a FIFO put there must not hang the open (on the regular
	 * file it has to be, it means nothing). O_TRUNC waits for the checks. */
	fd = open(path, (flags & ~O_TRUNC) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd < 0)
		return open_refused(path, flags, errno);
	rc = check_own(fd, path, (flags & O_ACCMODE) != O_RDONLY);
	if (rc == 0 && (flags & O_TRUNC) && ftruncate(fd, 0) != 0)
		rc = err_sys("cannot write %s", path);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int os_write_fd(int fd, const char *data, size_t len, const char *name)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys("cannot write %s", name);
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int os_write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return err_sys("cannot create %s", path);
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return err_sys("cannot write %s", path);
	}
	if (fclose(f) != 0)
		return err_sys("cannot write %s", path);
	return 0;
}

int os_exe_dir(char **out)
{
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	char *slash;

	*out = NULL;
	if (n < 0)
		return err_sys("cannot find the host executable");
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (slash)
		*slash = '\0';
	*out = strdup(path);
	return *out ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

int os_beside_exe(char **out, const char *name)
{
	char *dir;
	int rc = os_exe_dir(&dir);

	*out = NULL;
	if (rc < 0)
		return rc;
	*out = os_path_join(dir, name);
	free(dir);
	return *out ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

char *os_path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *path = malloc(a + b + 2);

	if (!path)
		return NULL;
	memcpy(path, dir, a);
	path[a] = '/';
	memcpy(path + a + 1, name, b + 1);
	return path;
}

int os_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int os_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int os_remove_tree(const char *path)
{
	if (rmdir(path) == 0 || errno == ENOENT)  /* the common, empty case */
		return 0;
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 &&
	    errno != ENOENT)
		return err_sys("cannot remove %s", path);
	return 0;
}

static const char *scratch_root(void)
{
	const char *tmp = getenv("TMPDIR");

	return tmp && *tmp ? tmp : "/tmp";
}

/* Removes PREFIX-PID-* directories whose process is gone. */
static void sweep_scratch(const char *prefix)
{
	DIR *d = opendir(scratch_root());
	size_t len = strlen(prefix);
	struct dirent *ent;

	while (d && (ent = readdir(d)) != NULL) {
		char *path;
		long pid;
		if (strncmp(ent->d_name, prefix, len) != 0 || ent->d_name[len] != '-')
			continue;
		pid = strtol(ent->d_name + len + 1, NULL, 10);
		if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		path = os_path_join(scratch_root(), ent->d_name);
		if (path)
			os_remove_tree(path);
		free(path);
	}
	if (d)
		closedir(d);
}

int os_make_scratch(char **out, const char *prefix)
{
	static char swept[4][32];
	char name[96];
	size_t i;

	for (i = 0; i < 4 && swept[i][0] && strcmp(swept[i], prefix) != 0; i++)
		;
	if (i < 4 && !swept[i][0]) {
		sweep_scratch(prefix);
		snprintf(swept[i], sizeof(swept[i]), "%s", prefix);
	}
	snprintf(name, sizeof(name), "%s-%d-XXXXXX", prefix, (int)getpid());
	*out = os_path_join(scratch_root(), name);
	if (!*out)
		return err_set(ERR_SYSTEM, "out of memory");
	if (!mkdtemp(*out)) {
		int rc = err_sys("cannot create a directory in %s", scratch_root());
		free(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

double os_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
