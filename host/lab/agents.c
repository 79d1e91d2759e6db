/*
 * agents.c - agent directories: the files, their names, loading and writing;
 * see agents.h.
 */
#include "agents.h"

#include "error.h"
#include "os.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int agents_valid_name(const char *name)
{
	size_t len = strlen(name), i;

	if (strcmp(name, "memory.md") == 0)
		return 1;
	if (len < 3 || len > 64 || name[len - 2] != '.' ||
	    (name[len - 1] != 'c' && name[len - 1] != 'h'))
		return 0;
	for (i = 0; i < len - 2; i++)
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) &&
		    name[i] != '_')
			return 0;
	return 1;
}

int agents_reserved_name(const char *name)
{
	/* agent.h, host/cc/libc/, jansson's two headers, and tcc's include/ */
	static const char *const reserved[] = {
		"agent.h", "assert.h", "ctype.h", "errno.h", "inttypes.h", "limits.h",
		"math.h", "stdint.h", "stdio.h", "stdlib.h", "string.h", "strings.h",
		"jansson.h", "jansson_config.h", "float.h", "stdalign.h", "stdarg.h",
		"stdbool.h", "stddef.h", "stdnoreturn.h", "tcclib.h", "varargs.h",
	};
	size_t i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(name, reserved[i]) == 0)
			return 1;
	return 0;
}

static agent_file *find(const agent_files *files, const char *name)
{
	size_t i;

	for (i = 0; i < files->count; i++)
		if (strcmp(files->items[i].name, name) == 0)
			return &files->items[i];
	return NULL;
}

const char *agents_get(const agent_files *files, const char *name)
{
	agent_file *f = find(files, name);

	return f ? f->text : NULL;
}

static int compare_files(const void *a, const void *b)
{
	return strcmp(((const agent_file *)a)->name, ((const agent_file *)b)->name);
}

int agents_same(const agent_files *a, const agent_files *b)
{
	size_t i;

	if (a->count != b->count)
		return 0;
	for (i = 0; i < a->count; i++)  /* both sorted by name */
		if (strcmp(a->items[i].name, b->items[i].name) != 0 ||
		    strcmp(a->items[i].text, b->items[i].text) != 0)
			return 0;
	return 1;
}

int agents_set(agent_files *files, const char *name, const char *text)
{
	agent_file *f = find(files, name), *grown;
	char *copy;

	if (!*text) {  /* an empty text removes the file */
		if (f) {
			free(f->name);
			free(f->text);
			*f = files->items[--files->count];
			qsort(files->items, files->count, sizeof(agent_file), compare_files);
		}
		return 0;
	}
	if (!(copy = strdup(text)))
		return err_set(ERR_SYSTEM, "out of memory");
	if (f) {
		free(f->text);
		f->text = copy;
		return 0;
	}
	grown = realloc(files->items, (files->count + 1) * sizeof(agent_file));
	if (!grown || !(grown[files->count].name = strdup(name))) {
		free(copy);
		if (grown)
			files->items = grown;
		return err_set(ERR_SYSTEM, "out of memory");
	}
	grown[files->count].text = copy;
	files->items = grown;
	files->count++;
	qsort(files->items, files->count, sizeof(agent_file), compare_files);
	return 0;
}

/*
 * Agent directories are read and written through a descriptor of the
 * directory opened with O_NOFOLLOW, and their entries with openat and
 * O_NOFOLLOW or replaced by renameat: host follows no symbolic link in
 * them, so neither reading nor writing one reaches outside it.
 */
static int open_agent_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), error = errno;
	char target[4096];
	ssize_t n;

	if (fd >= 0)
		return fd;
	if (error == ENOENT)
		return err_set(ERR_NOTFOUND, "%s: no such agent directory", dir);
	if ((error == ELOOP || error == ENOTDIR) &&
	    (n = readlink(dir, target, sizeof(target) - 1)) >= 0) {
		target[n] = '\0';
		return err_set(ERR_INVALID, "%s is a symbolic link (to %s); host follows no links in "
			       "agent directories: replace it with a real directory", dir, target);
	}
	errno = error;
	return err_sys("cannot read %s", dir);
}

static int not_an_agent_file(const char *dir, const char *name)
{
	return err_set(ERR_INVALID, "%s: '%s' is not an agent file (agent files are "
		       "[a-z0-9_]+.c, [a-z0-9_]+.h and memory.md)", dir, name);
}

/* Opens entry `name` of the directory `dfd` for reading, refusing a link
 * and anything but a regular file. */
static int open_entry(int dfd, const char *dir, const char *name)
{
	struct stat st;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 && errno == ELOOP)
		return err_set(ERR_INVALID, "%s: '%s' is a symbolic link; host follows no links in "
			       "agent directories: replace it with the file itself", dir, name);
	if (fd < 0)
		return err_sys("cannot read %s/%s", dir, name);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return not_an_agent_file(dir, name);
	}
	return fd;
}

/* Adds entry `name` of the directory `dfd`; *total counts the bytes of
 * the files read so far, and its cap bounds what the next one may add. */
static int load_entry(agent_files *out, int dfd, const char *dir, const char *name,
		      size_t *total)
{
	size_t max = AGENTS_MAX_BYTES - *total, len;
	char *text = NULL;
	int fd, rc;

	if (!agents_valid_name(name))
		return not_an_agent_file(dir, name);
	if (agents_reserved_name(name))
		return err_set(ERR_INVALID, "%s: '%s' is the name of one of the host's headers, "
			       "which agents cannot replace; rename it", dir, name);
	if (out->count >= AGENTS_MAX_FILES)
		return err_set(ERR_INVALID, "%s: more than %d agent files", dir, AGENTS_MAX_FILES);
	if ((fd = open_entry(dfd, dir, name)) < 0)
		return fd;
	rc = os_read_fd_max(&text, &len, fd, name, max < AGENTS_MAX_FILE_BYTES ? max
								  : AGENTS_MAX_FILE_BYTES);
	if (rc == ERR_INVALID && max < AGENTS_MAX_FILE_BYTES)
		rc = err_set(rc, "%s: the agent files are larger than %u MB in all, the cap of an "
			     "agent's files", dir, AGENTS_MAX_BYTES >> 20);
	else if (rc == ERR_INVALID)
		rc = err_set(rc, "%s: '%s' is larger than %u MB, the cap of one agent file", dir,
			     name, AGENTS_MAX_FILE_BYTES >> 20);
	else if (rc == 0)
		rc = *text ? agents_set(out, name, text)
			   : err_set(ERR_INVALID, "%s: '%s' is empty", dir, name);
	*total += rc == 0 ? len : 0;
	close(fd);
	free(text);
	return rc;
}

int agents_copy(agent_files *out, const agent_files *from)
{
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; rc == 0 && i < from->count; i++)
		rc = agents_set(out, from->items[i].name, from->items[i].text);
	if (rc < 0)
		agents_free(out);
	return rc;
}

int agents_load(agent_files *out, const char *dir)
{
	struct dirent *ent;
	int fd = open_agent_dir(dir), rc = 0;
	size_t total = 0;
	DIR *d;

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return fd;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return err_sys("cannot read %s", dir);
	}
	while (rc == 0 && (ent = readdir(d)) != NULL)
		if (ent->d_name[0] != '.')
			rc = load_entry(out, dirfd(d), dir, ent->d_name, &total);
	closedir(d);
	if (rc == 0 && !out->count)
		rc = err_set(ERR_INVALID, "%s: no agent files", dir);
	if (rc < 0)
		agents_free(out);
	return rc;
}

/* Writes `text` as entry `name` of the directory `dfd`: a new temporary
 * file, flushed, renamed over `name` (so a link there is replaced, not
 * followed). */
static int write_entry(int dfd, const char *dir, const char *name, const char *text)
{
	static const char tmp[] = ".tmp-agent-file";
	int fd, rc;

	unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_sys("cannot write %s/%s", dir, name);
	rc = os_write_fd(fd, text, strlen(text), name);
	if (rc == 0 && fsync(fd) != 0)
		rc = err_sys("cannot write %s/%s", dir, name);
	if (close(fd) != 0 && rc == 0)
		rc = err_sys("cannot write %s/%s", dir, name);
	if (rc == 0 && renameat(dfd, tmp, dfd, name) != 0)
		rc = err_sys("cannot write %s/%s", dir, name);
	if (rc < 0)
		unlinkat(dfd, tmp, 0);
	return rc;
}

/* Removes the agent files of the directory `dfd` that `keep` does not
 * have (a link is removed itself, never its target). */
static int prune_entries(int dfd, const char *dir, const agent_files *keep)
{
	int fd = dup(dfd), rc = 0;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *ent;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return err_sys("cannot read %s", dir);
	}
	while (rc == 0 && (ent = readdir(d)) != NULL)
		if (agents_valid_name(ent->d_name) && !agents_get(keep, ent->d_name) &&
		    unlinkat(dfd, ent->d_name, 0) != 0)
			rc = err_sys("cannot remove %s/%s", dir, ent->d_name);
	closedir(d);
	return rc;
}

static int write_files(const agent_files *files, const char *dir, int prune)
{
	size_t i;
	int fd, rc = 0;

	for (i = 0; i < files->count; i++)
		if (!agents_valid_name(files->items[i].name))
			return err_set(ERR_INVALID, "%s: '%s' is not an agent file name; nothing "
				       "was written", dir, files->items[i].name);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return err_sys("cannot create %s", dir);
	if ((fd = open_agent_dir(dir)) < 0)
		return fd;
	for (i = 0; i < files->count && rc == 0; i++)
		rc = write_entry(fd, dir, files->items[i].name, files->items[i].text);
	if (rc == 0 && prune)
		rc = prune_entries(fd, dir, files);
	close(fd);
	return rc;
}

int agents_write(const agent_files *files, const char *dir)
{
	return write_files(files, dir, 0);
}

int agents_sync(const agent_files *files, const char *dir)
{
	return write_files(files, dir, 1);
}

void agents_free(agent_files *files)
{
	size_t i;

	for (i = 0; i < files->count; i++) {
		free(files->items[i].name);
		free(files->items[i].text);
	}
	free(files->items);
	files->items = NULL;
	files->count = 0;
}

const char *agents_default_dir(void)
{
	return os_is_dir("agent_code") ? "agent_code" : "seed";
}
