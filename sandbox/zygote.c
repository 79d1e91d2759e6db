/*
 * zygote.c - forking sandboxed children from a clean process, the host's
 * side; see zygote.h. The zygote itself is host-sandbox's
 * (zygote_serve.c).
 *
 * The host keeps one zygote per pool: untrusted jobs and task code (score.c)
 * never share a process family, so nothing a scorer compiled is inherited
 * by a child that runs a solution.
 */
#include "zygote.h"

#include "channel.h"
#include "error.h"
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define ZYGOTE_REPLY_MS 5000

static int send_fd(int sock, int fd)
{
	char byte = 'F';
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr msg;
	struct cmsghdr *cmsg;

	memset(&msg, 0, sizeof(msg));
	memset(control, 0, sizeof(control));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof(control);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

json_t *zygote_unit(const json_t *job)
{
	const json_t *driver = json_object_get(job, "driver");
	const json_t *scorer = json_object_get(job, "scorer");
	const json_t *oracle = json_object_get(job, "oracle");

	if (json_is_object(driver))
		return json_pack("{s:O, s:O?}", "driver", driver, "entry",
				 json_object_get(json_object_get(job, "solution"), "entry"));
	if (json_is_object(scorer))
		return json_pack("{s:O}", "scorer", scorer);
	if (json_is_object(oracle))
		return json_pack("{s:O}", "oracle", oracle);
	return NULL;
}

typedef struct {
	pid_t pid;
	int fd;
	json_t *prepared[ZYGOTE_PREPARED_MAX];  /* the units sent (zygote_unit) */
	size_t n_prepared;
	/* A child asked for ahead (zygote_spare): the host's end of its
	 * channel, -1 when none. Its pid is the zygote's next reply. */
	int spare_fd;
} zygote_state;

static zygote_state zygotes[ZYGOTE_POOLS] = {
	{ 0, -1, { NULL }, 0, -1 }, { 0, -1, { NULL }, 0, -1 },
};

/* Lets go of the units sent to a zygote that is gone or not this
 * process's. */
static void forget_prepared(zygote_state *zygote)
{
	while (zygote->n_prepared > 0)
		json_decref(zygote->prepared[--zygote->n_prepared]);
}

static int zygote_start(zygote_state *zygote, const char *runner)
{
	static char *const argv[] = { "host-sandbox", "--zygote", NULL };
	/* nothing of the host's environment; the libraries' symbols are bound
	 * once, here, rather than in every child on its first call of each */
	static char *const envp[] = { "LD_BIND_NOW=1", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int fds[2], high, rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
		return err_sys("sandbox: cannot create the zygote's socket");
	/* keep the zygote's end clear of 0-3, which the actions below reuse */
	high = fcntl(fds[1], F_DUPFD_CLOEXEC, CHANNEL_FD + 1);
	close(fds[1]);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, high, CHANNEL_FD);
	posix_spawn_file_actions_addclosefrom_np(&fa, CHANNEL_FD + 1);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
				 POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	rc = high < 0 ? errno : posix_spawn(&zygote->pid, runner, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (high >= 0)
		close(high);
	if (rc != 0) {
		close(fds[0]);
		errno = rc;
		return err_sys("sandbox: cannot start %s", runner);
	}
	zygote->fd = fds[0];
	forget_prepared(zygote);
	return 0;
}

/* The pid the zygote answers an 'F' with: -1 if none came within
 * `wait_ms`. */
static int read_pid(int fd, int wait_ms, pid_t *out)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	int32_t pid;

	if (poll(&pfd, 1, wait_ms) != 1 || read(fd, &pid, sizeof(pid)) != sizeof(pid) ||
	    pid <= 0)
		return -1;
	*out = pid;
	return 0;
}

/* Ends a child that never took a job. It is the host's own (CLONE_PARENT). */
static void end_child(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void stop_one(zygote_state *zygote)
{
	pid_t spare;

	if (zygote->pid > 0) {
		kill(zygote->pid, SIGKILL);
		waitpid(zygote->pid, NULL, 0);
	}
	/* the spare's pid, if the zygote forked it, is in the socket by now */
	if (zygote->spare_fd >= 0) {
		if (read_pid(zygote->fd, 0, &spare) == 0)
			end_child(spare);
		close(zygote->spare_fd);
	}
	if (zygote->fd >= 0)
		close(zygote->fd);
	zygote->fd = zygote->spare_fd = -1;
	zygote->pid = 0;
	forget_prepared(zygote);  /* the next zygote is told them again */
}

void zygote_stop(void)
{
	size_t i;

	for (i = 0; i < ZYGOTE_POOLS; i++)
		stop_one(&zygotes[i]);
}

void zygote_forget(void)
{
	size_t i;

	for (i = 0; i < ZYGOTE_POOLS; i++) {
		if (zygotes[i].fd >= 0)
			close(zygotes[i].fd);
		/* the spare is the owner's child, its pid the owner's reply */
		if (zygotes[i].spare_fd >= 0)
			close(zygotes[i].spare_fd);
		zygotes[i].fd = zygotes[i].spare_fd = -1;
		zygotes[i].pid = 0;
		forget_prepared(&zygotes[i]);
	}
}

/* The spare, if one was asked for and the zygote forked it; -1 if not.
 * A zygote that did not answer is stopped. */
static int take_spare(zygote_state *zygote, pid_t *pid, int *fd)
{
	int spare = zygote->spare_fd;

	if (spare < 0)
		return -1;
	zygote->spare_fd = -1;
	if (read_pid(zygote->fd, ZYGOTE_REPLY_MS, pid) == 0) {
		*fd = spare;
		return 0;
	}
	close(spare);
	stop_one(zygote);
	return -1;
}

/* Ends the spare, forked before a unit its job may need was compiled. */
static void drop_spare(zygote_state *zygote)
{
	pid_t pid;
	int fd;

	if (take_spare(zygote, &pid, &fd) == 0) {
		end_child(pid);
		close(fd);
	}
}

/* Asks for a child holding the far end of a new channel; *fd is the
 * near end. */
static int request_child(zygote_state *zygote, pid_t *pid, int *fd)
{
	int pair[2], rc = -1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
		return -1;
	if (send_fd(zygote->fd, pair[1]) == 0 && read_pid(zygote->fd, ZYGOTE_REPLY_MS, pid) == 0)
		rc = 0;
	close(pair[1]);
	if (rc == 0)
		*fd = pair[0];
	else
		close(pair[0]);
	return rc;
}

int zygote_child(pid_t *pid, int *fd, zygote_pool pool, const char *runner)
{
	zygote_state *zygote = &zygotes[pool];
	int attempt, rc;

	if (take_spare(zygote, pid, fd) == 0)
		return 0;
	for (attempt = 0; attempt < 2; attempt++) {
		if (zygote->fd < 0 && (rc = zygote_start(zygote, runner)) < 0)
			return rc;
		if (request_child(zygote, pid, fd) == 0)
			return 0;
		stop_one(zygote);  /* it died or hangs: start a fresh one */
	}
	return err_set(ERR_SYSTEM, "sandbox: the zygote (%s) does not answer", runner);
}

void zygote_spare(zygote_pool pool)
{
	zygote_state *zygote = &zygotes[pool];
	int pair[2];

	if (zygote->fd < 0 || zygote->spare_fd >= 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
		return;
	if (send_fd(zygote->fd, pair[1]) == 0) {
		zygote->spare_fd = pair[0];
	} else {
		close(pair[0]);
		stop_one(zygote);  /* the next child starts a fresh one */
	}
	close(pair[1]);
}

/* Sends 'P' and the unit's key; -1 if the zygote is gone. */
static int send_unit(zygote_state *zygote, const json_t *unit)
{
	char *key = json_dumps(unit, JSON_COMPACT | JSON_SORT_KEYS);
	int rc = -1;

	if (key && zygote->fd >= 0 && send(zygote->fd, "P", 1, MSG_NOSIGNAL) == 1 &&
	    channel_send(zygote->fd, key, strlen(key)) == 0)
		rc = 0;
	free(key);
	return rc;
}

/* Units are told apart by their whole content (json_equal), as children
 * tell them, so that two units never pass for one. */
int zygote_prepare(zygote_pool pool, const char *runner, const json_t *job)
{
	zygote_state *zygote = &zygotes[pool];
	json_t *unit = zygote_unit(job);
	size_t i;
	int rc = 0;

	if (!unit)
		return 0;
	for (i = 0; i < zygote->n_prepared && !json_equal(zygote->prepared[i], unit); i++)
		;
	if (i == zygote->n_prepared && i < ZYGOTE_PREPARED_MAX &&
	    (zygote->fd >= 0 || (rc = zygote_start(zygote, runner)) == 0)) {
		drop_spare(zygote);  /* forked without the unit */
		if (send_unit(zygote, unit) == 0) {
			zygote->prepared[zygote->n_prepared++] = unit;
			return 0;
		}
		stop_one(zygote);  /* zygote_child starts a fresh one */
	}
	json_decref(unit);
	return rc;
}
