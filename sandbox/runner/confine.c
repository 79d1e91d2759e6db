/*
 * confine.c - Landlock for sandboxed children; see confine.h.
 *
 * The ruleset handles every file-system right the running kernel knows, so
 * that anything not granted below is denied: reading is granted beneath the
 * given paths, nothing else anywhere. Newer rights (truncate, device ioctl),
 * the TCP rights and the scopes are added only when the kernel's ABI has
 * them; Debian's headers describe an older ABI, so the structure and the
 * newer constants are spelled out here.
 */
#include "confine.h"

#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The ruleset attribute as of ABI 6; older kernels are given a prefix. */
typedef struct {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
} confine_ruleset;

#define FS_ABI1 ((1ULL << 13) - 1)   /* execute .. make_sym */
#define FS_REFER (1ULL << 13)        /* ABI 2 */
#define FS_TRUNCATE (1ULL << 14)     /* ABI 3 */
#define FS_IOCTL_DEV (1ULL << 15)    /* ABI 5 */
#define NET_TCP ((1ULL << 0) | (1ULL << 1))   /* bind, connect: ABI 4 */
#define SCOPE_ALL ((1ULL << 0) | (1ULL << 1)) /* abstract unix, signal: ABI 6 */
#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

int confine_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);

	return abi > 0 ? (int)abi : 0;
}

static size_t ruleset_for(confine_ruleset *r, int abi)
{
	memset(r, 0, sizeof(*r));
	r->handled_access_fs = FS_ABI1;
	if (abi >= 2)
		r->handled_access_fs |= FS_REFER;
	if (abi >= 3)
		r->handled_access_fs |= FS_TRUNCATE;
	if (abi >= 5)
		r->handled_access_fs |= FS_IOCTL_DEV;
	if (abi >= 4)
		r->handled_access_net = NET_TCP;
	if (abi >= 6) {
		r->scoped = SCOPE_ALL;
		return sizeof(*r);
	}
	return abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
}

/* Grants reading beneath `path`; a file gets the file right only. */
static int allow_read(int ruleset, const char *path)
{
	struct landlock_path_beneath_attr rule;
	int fd = open(path, O_PATH | O_CLOEXEC), rc = 0;
	struct stat st;

	if (fd < 0)
		return err_sys("sandbox: cannot confine to %s", path);
	rule.parent_fd = fd;
	rule.allowed_access = FS_READ;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		rule.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0)
		rc = err_sys("sandbox: cannot allow reading %s", path);
	close(fd);
	return rc;
}

int confine_paths(const char *const *readable)
{
	confine_ruleset attr;
	int abi = confine_abi(), ruleset, rc = 0;
	size_t size;

	if (abi == 0)
		return err_set(ERR_SYSTEM, "sandbox: the kernel does not offer Landlock "
			       "(Linux 5.13 or later with landlock among its LSMs), so "
			       "untrusted code cannot be compiled confined");
	size = ruleset_for(&attr, abi);
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (ruleset < 0)
		return err_sys("sandbox: cannot create a Landlock ruleset");
	for (; *readable && rc == 0; readable++)
		rc = allow_read(ruleset, *readable);
	if (rc == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		rc = err_sys("sandbox: cannot set no_new_privs");
	if (rc == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
		rc = err_sys("sandbox: cannot enter the Landlock domain");
	close(ruleset);
	return rc;
}
