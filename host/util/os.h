/*
 * os.h - the few operating-system chores the host repeats: reading whole
 * files (up to a cap), opening its own files without following links,
 * finding its own installation, removing a scratch tree, and a monotonic
 * clock. Each returns an error code and sets err_last() on failure.
 */
#ifndef HOST_OS_H
#define HOST_OS_H

#include "error.h"

#include <stddef.h>

/* Reads a whole file into a new NUL-terminated string (free() it).
 * `len` may be NULL. ERR_NOTFOUND if the file does not exist. */
HOST_MUST_CHECK int os_read_file(char **out, size_t *len, const char *path);

/* os_read_file of a file whose size is capped: it reads at most `max` + 1
 * bytes, so a larger file costs no more memory than that, and is an
 * ERR_INVALID error "PATH is larger than MAX bytes". */
HOST_MUST_CHECK int os_read_file_max(char **out, size_t *len, const char *path, size_t max);

/* Writes `len` bytes to `path`, replacing it. */
HOST_MUST_CHECK int os_write_file(const char *path, const char *data, size_t len);

/* Reads the rest of the open file `fd`, as os_read_file does; `name` is
 * what errors call it. */
HOST_MUST_CHECK int os_read_fd(char **out, size_t *len, int fd, const char *name);

/* os_read_fd, reading at most `max` + 1 bytes, as os_read_file_max. */
HOST_MUST_CHECK int os_read_fd_max(char **out, size_t *len, int fd, const char *name, size_t max);

/*
 * Opens a file host keeps for itself (a lab's lock, its journal) with
 * open(2)'s `flags` (a new file is 0644), never through a link: a symbolic
 * link at `path`, anything but a regular file, and, when opening for
 * writing, a file with other hard links are refused with a message naming
 * them, before anything is truncated or written. So a link left in a lab
 * cannot turn host's writes onto someone else's file. ERR_NOTFOUND when
 * it does not exist and `flags` has no O_CREAT. Returns the descriptor.
 */
HOST_MUST_CHECK int os_open_nolink(const char *path, int flags);

/* Writes all `len` bytes to `fd`; `name` is what errors call it. */
HOST_MUST_CHECK int os_write_fd(int fd, const char *data, size_t len, const char *name);

/* The directory holding the running executable, without a trailing slash
 * (free() it). */
HOST_MUST_CHECK int os_exe_dir(char **out);

/* "<directory of the running executable>/name" (free() it): where host
 * finds what is installed beside it. */
HOST_MUST_CHECK int os_beside_exe(char **out, const char *name);

/* "dir/name" as a new string (free() it); NULL when memory runs out. */
char *os_path_join(const char *dir, const char *name);

int os_is_dir(const char *path);
int os_is_file(const char *path);

/* Removes `path` and everything below it. Missing paths are not an error. */
int os_remove_tree(const char *path);

/* Creates a private scratch directory $TMPDIR/PREFIX-PID-XXXXXX (free()
 * the path; remove it with os_remove_tree). The first call for a prefix
 * also removes the ones left by processes that no longer exist, which a
 * kill -9 leaves behind. */
HOST_MUST_CHECK int os_make_scratch(char **out, const char *prefix);

/* Milliseconds from an arbitrary fixed point, never going backwards. */
double os_now_ms(void);

#endif
