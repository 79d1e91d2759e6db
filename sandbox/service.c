/*
 * service.c - long-lived sandboxed children for task code; see sandbox.h.
 *
 * A task's score.c is called for every evaluation. Starting, confining
 * and compiling a child per call would cost more than the scoring itself,
 * so each scorer runs in one child that answers request after request: a
 * fresh fork of it serves each one (runner_score.c), and it reports how a
 * fork that did not answer ended. These children come from the task-code zygote, which never
 * runs untrusted code. A child that overruns a call's deadline or breaks
 * the protocol is killed with its forks, reported like a one-shot run, and
 * started afresh by the next call.
 *
 * Entries are owned by the process that started them: a process forked
 * from the host (a worker) starts its own rather than share a channel.
 */
#include "sandbox.h"

#include "channel.h"
#include "error.h"
#include "os.h"
#include "parent.h"
#include "zygote.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define SERVICES_MAX 16
#define SERVICE_CPU_MS (24 * 3600 * 1000)  /* the service's own, over all calls */

typedef struct {
	json_t *unit;   /* zygote_unit of the job that started it; NULL: free */
	pid_t pid;
	pid_t owner;    /* the process that started it */
	int fd;
} service;

static service services[SERVICES_MAX];
static size_t next_victim;  /* the entry to replace when all are taken */

/* Kills and reaps the child; with `out`, says how it ended. */
static void end(service *s, sandbox_outcome *out, const sandbox_limits *limits)
{
	struct rusage ru;
	int status = 0;

	kill(-s->pid, SIGKILL);
	kill(s->pid, SIGKILL);
	while (wait4(s->pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	if (out)
		parent_classify_exit(out, status, &ru, limits);
	close(s->fd);
	json_decref(s->unit);
	memset(s, 0, sizeof(*s));
}

/* Lets go of entries inherited from a parent process: their channels
 * belong to it. */
static void forget_inherited(void)
{
	size_t i;

	for (i = 0; i < SERVICES_MAX; i++)
		if (services[i].unit && services[i].owner != getpid()) {
			close(services[i].fd);
			json_decref(services[i].unit);
			memset(&services[i], 0, sizeof(services[i]));
		}
}

static service *find(const json_t *unit)
{
	size_t i;

	for (i = 0; i < SERVICES_MAX; i++)
		if (services[i].unit && json_equal(services[i].unit, unit))
			return &services[i];
	return NULL;
}

static service *free_entry(void)
{
	size_t i;

	for (i = 0; i < SERVICES_MAX; i++)
		if (!services[i].unit)
			return &services[i];
	i = next_victim++ % SERVICES_MAX;
	end(&services[i], NULL, NULL);
	return &services[i];
}

static int start(service **out, json_t *unit, json_t *job, const sandbox_limits *limits)
{
	sandbox_limits own = { limits->wall_ms, SERVICE_CPU_MS, limits->memory_mb };
	service *s = free_entry();
	char *text = NULL;
	size_t len = 0;
	int fd = -1, rc = parent_attach_limits(job, &own, NULL);

	if (rc == 0 && json_object_set_new(job, "call_cpu_ms", json_integer(limits->cpu_ms)) < 0)
		rc = err_set(ERR_SYSTEM, "out of memory");

	if (rc == 0)
		rc = parent_encode_job(&text, &len, job);
	/* a child that took no job still gets an entry: the call then reads
	 * how it ended */
	if (rc == 0 && (rc = parent_start_child(&s->pid, &fd, ZYGOTE_TASK_CODE, job, text,
						len)) > 0)
		rc = 0;
	free(text);
	if (rc < 0) {
		json_decref(unit);
		return rc;
	}
	s->unit = unit;
	s->owner = getpid();
	s->fd = fd;
	*out = s;
	return 0;
}

/* The fork that served a request ended without its reply; the service
 * says how, and stays. */
static void classify_fork(sandbox_outcome *out, const json_t *reply,
			  const sandbox_limits *limits)
{
	double cpu_ms = json_number_value(json_object_get(reply, "cpu_ms"));
	struct rusage ru;

	memset(&ru, 0, sizeof(ru));
	ru.ru_utime.tv_sec = (time_t)(cpu_ms / 1000);
	ru.ru_utime.tv_usec = (suseconds_t)((cpu_ms - (double)ru.ru_utime.tv_sec * 1000) * 1000);
	parent_classify_exit(out, (int)json_integer_value(json_object_get(reply, "wait_status")),
			     &ru, limits);
}

/* One request and its reply. The child stays when it answered, or when
 * it reports that the fork serving the request ended. */
static int exchange(sandbox_outcome *out, service *s, const json_t *request,
		    const char *attachment, const sandbox_limits *limits)
{
	double deadline = os_now_ms() + limits->wall_ms;
	size_t total = 0;
	json_t *reply;
	int rc;

	/* if it fails, the child has ended, and the reply says how */
	if (channel_send_json(s->fd, request) == 0 && attachment)
		channel_send(s->fd, attachment, strlen(attachment));
	rc = parent_recv_frame(&reply, s->fd, deadline, &total, PARENT_FRAME_MAX);
	if (rc == CHANNEL_TIMEOUT) {
		parent_set_outcome(out, SANDBOX_TIMEOUT, "no reply within the %d ms deadline",
				   limits->wall_ms);
		end(s, NULL, limits);
		return 0;
	}
	if (rc == CHANNEL_EOF || rc == CHANNEL_IO || rc == CHANNEL_TRUNCATED) {
		end(s, out, limits);
		return 0;
	}
	if (rc < 0) {
		parent_set_outcome(out, SANDBOX_BAD_OUTPUT, "%s", channel_strerror(rc));
		end(s, NULL, limits);
		return 0;
	}
	if (json_is_integer(json_object_get(reply, "wait_status"))) {
		classify_fork(out, reply, limits);
		json_decref(reply);
		return 0;
	}
	out->result = reply;
	rc = parent_classify_result(out, SANDBOX_BAD_OUTPUT);
	if (rc < 0 || out->status != SANDBOX_OK)
		end(s, NULL, limits);  /* it reported its own end, or the job was wrong */
	return rc;
}

int sandbox_call(sandbox_outcome *out, json_t *job, const json_t *request,
		 const char *attachment, const sandbox_limits *limits)
{
	double start_ms = os_now_ms();
	json_t *unit = zygote_unit(job);
	service *s;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->cpu_ns = -1;
	if (!unit)
		return err_set(ERR_INVALID, "sandbox: a service job names no unit to run");
	forget_inherited();
	s = find(unit);
	if (s)
		json_decref(unit);
	else
		rc = start(&s, unit, job, limits);
	if (rc == 0)
		rc = exchange(out, s, request, attachment, limits);
	out->elapsed_ms = os_now_ms() - start_ms;
	return rc;
}

void sandbox_stop(void)
{
	size_t i;

	forget_inherited();
	for (i = 0; i < SERVICES_MAX; i++)
		if (services[i].unit)
			end(&services[i], NULL, NULL);
	zygote_stop();
}
