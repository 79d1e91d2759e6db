/*
 * zygote_serve.c - the zygote itself, in host-sandbox: it forks a child
 * for each descriptor the host sends and compiles the units it names
 * ahead; see zygote_serve.h. zygote.h gives the protocol, zygote.c the
 * host's side of it.
 */
#include "zygote_serve.h"

#include "channel.h"
#include "lockdown.h"
#include "prefault.h"
#include "zygote.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Receives one request byte and the descriptor that may come with it;
 * *fd is -1 when none came. Returns the byte, or -1 at EOF or on error. */
static int recv_request(int sock, int *fd)
{
	char byte;
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr msg;
	struct cmsghdr *cmsg;
	ssize_t n;

	*fd = -1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof(control);
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg && cmsg->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	return (unsigned char)byte;
}

/* The new child: the channel takes the control socket's place. */
static int become_child(int control_fd, int job_fd)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, 0);
	if (dup2(job_fd, control_fd) < 0)
		_exit(1);
	close(job_fd);
	prefault_now();
	return 0;
}

/* Answers an 'F' request: clones a child, which returns 0 from here. */
static int serve_fork(int control_fd, int job_fd)
{
	int32_t pid;

	/* like fork(), but the child's parent is the host */
	pid = (int32_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		return become_child(control_fd, job_fd);
	close(job_fd);
	return write(control_fd, &pid, sizeof(pid)) == sizeof(pid) ? 1 : -1;
}

int zygote_serve(int control_fd, zygote_prepare_fn prepare)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return -1;
	lockdown_leave_network();
	prefault_note();
	for (;;) {
		int job_fd, rc = 1, kind = recv_request(control_fd, &job_fd);
		char *key = NULL;

		if (kind == 'F' && job_fd >= 0) {
			rc = serve_fork(control_fd, job_fd);
		} else if (kind == 'P' && job_fd < 0 &&
			   channel_recv(&key, NULL, control_fd, ZYGOTE_KEY_MAX, -1) == 0) {
			prepare(key);
			free(key);
			prefault_note();
		} else {
			if (job_fd >= 0)
				close(job_fd);
			rc = -1;
		}
		if (rc <= 0)
			return rc;
	}
}
