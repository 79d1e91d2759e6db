/*
 * zygote.c - forking sandboxed children from a clean process; see zygote.h.
 *
 * Protocol on the control socket: the host sends one byte carrying a
 * descriptor (SCM_RIGHTS); the zygote answers with the new child's pid as
 * 4 bytes. EOF on the control socket ends the zygote.
 */
#include "zygote.h"

#include "channel.h"
#include "error.h"
#include "lockdown.h"
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
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

static int recv_fd(int sock)
{
	char byte;
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr msg;
	struct cmsghdr *cmsg;
	ssize_t n;
	int fd;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof(control);
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	cmsg = n == 1 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/* The new child: the channel takes the control socket's place. */
static int become_child(int control_fd, int job_fd)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, 0);
	if (dup2(job_fd, control_fd) < 0)
		_exit(1);
	close(job_fd);
	return 0;
}

int zygote_serve(int control_fd)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return -1;
	lockdown_leave_network();
	for (;;) {
		int job_fd = recv_fd(control_fd);
		int32_t pid;

		if (job_fd < 0)
			return -1;
		/* like fork(), but the child's parent is the host */
		pid = (int32_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
		if (pid == 0)
			return become_child(control_fd, job_fd);
		close(job_fd);
		if (write(control_fd, &pid, sizeof(pid)) != sizeof(pid))
			return -1;
	}
}

static struct {
	pid_t pid;
	int fd;
} zygote = { 0, -1 };

static int zygote_start(const char *runner)
{
	static char *const argv[] = { "host-sandbox", "--zygote", NULL };
	static char *const envp[] = { NULL };
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
	rc = high < 0 ? errno : posix_spawn(&zygote.pid, runner, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (high >= 0)
		close(high);
	if (rc != 0) {
		close(fds[0]);
		errno = rc;
		return err_sys("sandbox: cannot start %s", runner);
	}
	zygote.fd = fds[0];
	return 0;
}

void zygote_stop(void)
{
	if (zygote.fd >= 0)
		close(zygote.fd);
	if (zygote.pid > 0) {
		kill(zygote.pid, SIGKILL);
		waitpid(zygote.pid, NULL, 0);
	}
	zygote.fd = -1;
	zygote.pid = 0;
}

void zygote_forget(void)
{
	if (zygote.fd >= 0)
		close(zygote.fd);
	zygote.fd = -1;
	zygote.pid = 0;
}

static int request_child(pid_t *out, int child_fd)
{
	struct pollfd pfd = { zygote.fd, POLLIN, 0 };
	int32_t pid;

	if (send_fd(zygote.fd, child_fd) < 0 ||
	    poll(&pfd, 1, ZYGOTE_REPLY_MS) != 1 ||
	    read(zygote.fd, &pid, sizeof(pid)) != sizeof(pid) || pid <= 0)
		return -1;
	*out = pid;
	return 0;
}

int zygote_fork(pid_t *out, const char *runner, int child_fd)
{
	int attempt, rc;

	for (attempt = 0; attempt < 2; attempt++) {
		if (zygote.fd < 0 && (rc = zygote_start(runner)) < 0)
			return rc;
		if (request_child(out, child_fd) == 0)
			return 0;
		zygote_stop();  /* it died or hangs: start a fresh one */
	}
	return err_set(ERR_SYSTEM, "sandbox: the zygote (%s) does not answer", runner);
}
