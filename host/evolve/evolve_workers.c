/*
 * evolve_workers.c - work done at once in forked processes; see
 * evolve_workers.h.
 *
 * Each worker is a fork of the host (the agents it runs are sandboxed as
 * ever) that says what it likes on the way and finally sends back what it
 * did, over a socket: {"said": ...} on the way, then {"result", "error"}.
 *
 * A signal reaches this process only, so a stop is passed on through a
 * flag shared with the workers. Should this process die, its workers die
 * with it (PR_SET_PDEATHSIG): nothing outlives the process that holds the
 * lab's lock.
 */
#include "evolve_workers.h"

#include "channel.h"
#include "error.h"
#include "evolve.h"
#include "zygote.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS_MESSAGE_MAX (64u << 20)  /* a candidate's record and files */
#define WORKERS_TICK_MS 200              /* how often a stop is looked for */

_Static_assert(EVOLVE_MAX_TASKS <= EVOLVE_WORKERS_MAX, "a worker for each task");
_Static_assert(EVOLVE_MAX_PARALLEL <= EVOLVE_WORKERS_MAX, "a worker for each candidate");

/* The workers of one run. */
typedef struct {
	const evolve_workers_job *job;
	pid_t pid[EVOLVE_WORKERS_MAX];
	int fd[EVOLVE_WORKERS_MAX];      /* a started one's channel; -1 once it ended */
	volatile sig_atomic_t *stop;     /* shared with the workers */
	size_t started, ended;
} pool;

void evolve_workers_say(evolve_worker *w, json_t *msg)
{
	json_t *said = msg ? json_pack("{s:o}", "said", msg) : NULL;

	if (said)
		channel_send_json(w->fd, said);
	json_decref(said);
}

/* Worker i's process: does its work and sends back what it did. */
static _Noreturn void worker(const pool *p, size_t i, int fd, pid_t owner)
{
	evolve_worker self = { i, p->stop, fd };
	json_t *out = NULL, *msg;
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != owner)  /* it died before the line above */
		_exit(1);
	zygote_forget();  /* the owner's zygote answers the owner only */
	rc = llm_after_fork(p->job->llm);
	if (rc == 0)
		rc = p->job->work(&out, p->job->ctx, &self);
	msg = json_pack("{s:o?, s:s}", "result", out, "error", rc == 0 ? "" : err_last());
	if (!msg || channel_send_json(fd, msg) < 0)
		_exit(1);
	_exit(rc == 0 ? 0 : 1);
}

static int start(pool *p)
{
	size_t i = p->started;
	pid_t owner = getpid();
	int pair[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
		return err_sys("cannot start %s", p->job->what);
	fflush(NULL);  /* nothing buffered is written twice */
	if ((p->pid[i] = fork()) < 0) {
		close(pair[0]);
		close(pair[1]);
		return err_sys("cannot start %s", p->job->what);
	}
	if (p->pid[i] == 0) {
		close(pair[0]);
		worker(p, i, pair[1], owner);
	}
	close(pair[1]);
	p->fd[i] = pair[0];
	p->started++;
	return 0;
}

/* Reads one message of worker i: something said on the way, or its end,
 * when it is reaped and done. */
static int hear(pool *p, size_t i)
{
	const evolve_workers_job *job = p->job;
	json_t *msg = NULL;
	const json_t *said, *out;
	const char *error = NULL;
	int status = 0, rc = channel_recv_json(&msg, p->fd[i], WORKERS_MESSAGE_MAX, -1);

	if (rc == 0 && (said = json_object_get(msg, "said")) != NULL) {
		if (job->said)
			job->said(job->ctx, i, said);
		json_decref(msg);
		return 0;
	}
	if (rc == 0) {  /* a message came: "" unless it names an error */
		error = json_string_value(json_object_get(msg, "error"));
		error = error ? error : "";
	}
	out = json_object_get(msg, "result");
	close(p->fd[i]);
	p->fd[i] = -1;
	waitpid(p->pid[i], &status, 0);
	p->ended++;
	rc = job->done(job->ctx, i, json_is_null(out) ? NULL : out, error, status);
	json_decref(msg);
	return rc;
}

static void pass_stop(pool *p)
{
	if (p->job->stopping && p->job->stopping(p->job->ctx))
		*p->stop = 1;
}

/* Waits until a running worker (the oldest, when in order) speaks or
 * ends, and hears it, passing a stop on meanwhile. */
static int hear_some(pool *p)
{
	struct pollfd fds[EVOLVE_WORKERS_MAX];
	size_t who[EVOLVE_WORKERS_MAX], n = 0, i;
	int rc = 0, ready;

	for (i = 0; i < p->started && !(p->job->in_order && n); i++)
		if (p->fd[i] >= 0) {
			fds[n].fd = p->fd[i];
			fds[n].events = POLLIN;
			fds[n].revents = 0;
			who[n++] = i;
		}
	ready = poll(fds, n, WORKERS_TICK_MS);
	if (ready < 0 && errno != EINTR)  /* read them as they come, then */
		rc = err_sys("cannot wait for %s", p->job->what);
	pass_stop(p);
	for (i = 0; i < n; i++)
		if (rc < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) {
			int heard = hear(p, who[i]);
			rc = rc ? rc : heard;
		}
	return rc;
}

int evolve_workers_run(const evolve_workers_job *job)
{
	size_t at_once = job->at_once && job->at_once < job->n ? job->at_once : job->n;
	pool p = { .job = job, .started = 0, .ended = 0 };
	int rc = 0;

	if (job->n > EVOLVE_WORKERS_MAX)
		return err_set(ERR_INVALID, "at most %d workers can run at once", EVOLVE_WORKERS_MAX);
	p.stop = mmap(NULL, sizeof(*p.stop), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (p.stop == MAP_FAILED)
		return err_sys("cannot share the stop flag with %s", job->what);
	*p.stop = 0;
	pass_stop(&p);
	while (p.ended < p.started || (rc == 0 && p.started < job->n)) {
		while (rc == 0 && p.started < job->n && p.started - p.ended < at_once)
			rc = start(&p);
		if (p.ended < p.started) {
			int heard = hear_some(&p);
			rc = rc ? rc : heard;
		}
	}
	munmap((void *)p.stop, sizeof(*p.stop));
	return rc;
}
