/*
 * sandbox.c - one-shot sandboxed runs of untrusted code; see sandbox.h.
 *
 * The child is forked by the untrusted zygote (zygote.c) from a clean
 * host-sandbox process: its own process group, an empty environment,
 * /dev/null on 0-2, the channel on 3 and nothing else open. The parent
 * sends the job, serves requests until a final frame arrives or the
 * deadline passes, then kills the whole process group and reaps it. How
 * the child ended (its final frame, or the signal and CPU time from wait4)
 * decides the outcome (parent.c).
 */
#include "sandbox.h"

#include "channel.h"
#include "error.h"
#include "os.h"
#include "parent.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void timed_out(sandbox_outcome *out, const sandbox_limits *limits, double excused_ms)
{
	char waited[96] = "";

	if (excused_ms > 0)
		snprintf(waited, sizeof(waited), ", not counting %.1f s of waiting for the "
			 "host's services", excused_ms / 1000);
	parent_set_outcome(out, SANDBOX_TIMEOUT, "no result within the %d ms deadline%s",
			   limits->wall_ms, waited);
}

/* A one-shot child being served. */
typedef struct {
	int fd;
	pid_t pid;
	const sandbox_limits *limits;
	double deadline;
	sandbox_handler handler;
	void *ctx;
	/* The child said its generated code starts ({"op": "code"}): every
	 * frame from then on may be that code's, not the runner's. */
	int code_started;
} child_run;

static int is_op(const json_t *msg, const char *name)
{
	const char *op = json_string_value(json_object_get(msg, "op"));

	return op && strcmp(op, name) == 0;
}

/* The mark before an agent's code runs. Only the first counts: the code
 * that runs after it could send another, which proves nothing. */
static int mark_code(child_run *run)
{
	if (run->code_started)
		return err_set(ERR_INVALID, "the code's start was marked twice");
	run->code_started = 1;
	return 0;
}

/* Serves one request frame with the handler. */
static int serve_request(child_run *run, const json_t *msg, json_t **reply,
			 sandbox_request *req)
{
	if (!run->handler)
		return err_set(ERR_INVALID, "no services are offered");
	return run->handler(run->ctx, msg, reply, req);
}

/* Reads frames until the final one. Returns 1 when a final frame arrived
 * (in out->result), 0 when the outcome is already decided, and -1 when the
 * channel closed so that only the exit status can tell. */
static int serve(sandbox_outcome *out, child_run *run)
{
	sandbox_status bad = run->handler ? SANDBOX_PROTOCOL_ERROR : SANDBOX_BAD_OUTPUT;
	sandbox_request req = { .channel = run->fd, .excused_ms = 0 };
	double excused_ms = 0;  /* the services' time, not the child's */
	size_t total = 0;
	int gone = 0;  /* the child closed its end: read what it sent, reply no more */

	for (;;) {
		json_t *msg, *reply = NULL;
		int rc = parent_recv_frame(&msg, run->fd, run->deadline, &total, PARENT_TOTAL_MAX);

		if (rc == CHANNEL_TIMEOUT) {
			timed_out(out, run->limits, excused_ms);
			return 0;
		}
		if (rc == CHANNEL_EOF || rc == CHANNEL_IO)
			return -1;
		if (rc == PARENT_TOTAL_EXCEEDED) {
			parent_set_outcome(out, bad, "the child sent more than %u MB in all",
					   PARENT_TOTAL_MAX >> 20);
			return 0;
		}
		if (rc < 0) {
			parent_set_outcome(out, bad, "%s", channel_strerror(rc));
			return 0;
		}
		if (!json_object_get(msg, "op")) {
			out->result = msg;
			return 1;
		}
		if (is_op(msg, "code")) {  /* one way: no reply */
			rc = mark_code(run);
			json_decref(msg);
			if (rc == 0)
				continue;
			parent_set_outcome(out, SANDBOX_PROTOCOL_ERROR, "bad request: %s", err_last());
			return 0;
		}
		req.excused_ms = 0;
		if (serve_request(run, msg, &reply, &req) < 0) {
			parent_set_outcome(out, SANDBOX_PROTOCOL_ERROR, "bad request: %s", err_last());
			json_decref(msg);
			json_decref(reply);
			return 0;
		}
		if (req.excused_ms > 0) {
			run->deadline += req.excused_ms;
			excused_ms += req.excused_ms;
		}
		if (!gone && channel_send_json(run->fd, reply) < 0)
			gone = 1;
		json_decref(msg);
		json_decref(reply);
	}
}

int sandbox_child_gone(const sandbox_request *req)
{
	struct pollfd p;

	if (!req)
		return 0;
	p.fd = req->channel;
	p.events = POLLRDHUP;
	p.revents = 0;
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

/*
 * A child that sent its result is killed but not waited for: the kernel
 * tears its memory down on the other core while the host scores. It is
 * reaped, without blocking, at the start of a later run.
 */
static pid_t reap_pending[64];
static size_t reap_count;

static void reap_finished(int block)
{
	size_t i = 0;

	while (i < reap_count) {
		pid_t done = waitpid(reap_pending[i], NULL, block ? 0 : WNOHANG);
		if (done == 0 || (done < 0 && errno == EINTR)) {
			i++;
			continue;
		}
		reap_pending[i] = reap_pending[--reap_count];
	}
}

static void reap_later(pid_t pid)
{
	if (reap_count == sizeof(reap_pending) / sizeof(reap_pending[0]))
		reap_finished(1);
	reap_pending[reap_count++] = pid;
}

/*
 * The final frame decides. The outcomes only the runner's own path sends
 * (its failure "error", a build's "compile_error", a worker's "ended")
 * are believed only before any generated code ran: afterwards the code
 * could have sent them, to pass its failure off as the host's or the
 * task's. The time is the runner's reading, from a runner that never
 * runs the code it measures (child_solution.c).
 */
static int classify_final(sandbox_outcome *out, const child_run *run, int timed)
{
	static const char *const runner_only[] = { "error", "compile_error", "ended" };
	sandbox_status bad = run->handler ? SANDBOX_PROTOCOL_ERROR : SANDBOX_BAD_OUTPUT;
	const char *outcome = json_string_value(json_object_get(out->result, "outcome"));
	const json_t *cpu_ns = json_object_get(out->result, "cpu_ns");
	size_t i;

	for (i = 0; run->code_started && outcome && i < 3; i++)
		if (strcmp(outcome, runner_only[i]) == 0) {
			parent_set_outcome(out, SANDBOX_PROTOCOL_ERROR, "the code sent a "
					   "report only the runner makes (outcome '%s')",
					   runner_only[i]);
			return 0;
		}
	if (outcome && strcmp(outcome, "ended") == 0) {
		parent_classify_ended(out, out->result, run->limits);
		return 0;
	}
	if (timed && json_is_number(cpu_ns) && json_number_value(cpu_ns) >= 0)
		out->cpu_ns = json_number_value(cpu_ns);
	return parent_classify_result(out, bad);
}

static int run_child(sandbox_outcome *out, const json_t *job, const char *text, size_t len,
		     const sandbox_limits *limits, sandbox_handler handler, void *ctx,
		     int fds[2])
{
	child_run run = { .fd = fds[0], .limits = limits, .handler = handler, .ctx = ctx,
			  .code_started = 0 };
	struct rusage ru;
	pid_t pid = 0;
	int unsent, status = 0, served = -1;

	unsent = parent_start_child(&pid, ZYGOTE_UNTRUSTED, job, text, len, fds);
	if (unsent < 0)
		return unsent;
	run.pid = pid;
	run.deadline = os_now_ms() + limits->wall_ms;
	if (!unsent)
		served = serve(out, &run);
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);  /* in case it had not made its group yet */
	if (served > 0) {
		reap_later(pid);
		return classify_final(out, &run, json_is_true(json_object_get(job, "clock")));
	}
	while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	if (served < 0)
		parent_classify_exit(out, status, &ru, limits);
	return 0;
}

int sandbox_run(sandbox_outcome *out, json_t *job,
		const sandbox_limits *limits, sandbox_handler handler,
		void *ctx)
{
	double start = os_now_ms();
	char *workdir = NULL, *text = NULL;
	size_t len = 0;
	int fds[2], rc;

	memset(out, 0, sizeof(*out));
	out->cpu_ns = -1;
	reap_finished(0);
	/* only a job that brings headers needs a folder to put them in: the
	 * others work in "/", where the child, confined, can read nothing */
	if (json_array_size(json_object_get(job, "headers")) > 0 &&
	    (rc = os_make_scratch(&workdir, "host-sandbox")) < 0)
		return rc;
	rc = parent_attach_limits(job, limits, workdir);
	if (rc == 0)
		rc = parent_encode_job(&text, &len, job);
	if (rc == 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
		rc = err_sys("sandbox: cannot create a channel");
	if (rc == 0) {
		rc = run_child(out, job, text, len, limits, handler, ctx, fds);
		close(fds[0]);
	}
	free(text);
	if (workdir)
		os_remove_tree(workdir);
	free(workdir);
	out->elapsed_ms = os_now_ms() - start;
	if (rc == 0 && !out->detail)
		parent_set_outcome(out, SANDBOX_BAD_OUTPUT, "no result");
	return rc;
}

