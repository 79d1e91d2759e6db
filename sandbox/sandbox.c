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

#include "buf.h"
#include "channel.h"
#include "error.h"
#include "os.h"
#include "page.h"
#include "parent.h"
#include "utf8.h"

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
	/* The folder of the job's headers, or NULL: removed once the code
	 * starts, its compile over, so that a host killed while an agent
	 * runs (a task agent may wait minutes for a model) leaves nothing. */
	const char *workdir;
	/* A solution's run: its page, and the clock read at its mark. */
	const page_map *page;
	int clock_wanted;
	double clock_start_ns;  /* -1: not marked */
} child_run;

/* What serve found. */
enum {
	SERVED_RESULT = 1,   /* a final frame, in out->result */
	SERVED_DECIDED = 0,  /* the outcome is decided already */
	SERVED_CLOSED = -1,  /* the channel closed: only the exit status can tell */
	SERVED_FAILED = -2   /* the host failed; err_last() says how */
};

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
	if (run->workdir)
		os_remove_tree(run->workdir);
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

/* Whether the next thing the child sent is a single byte rather than a
 * frame, whose first byte is 0 (frames are under 16 MB): a solution's
 * process says PAGE_LOCKED so once it is locked down. */
static int next_is_byte(const child_run *run)
{
	struct pollfd pfd = { run->fd, POLLIN, 0 };
	double left = run->deadline - os_now_ms();
	char byte;

	if (left <= 0 || poll(&pfd, 1, (int)left + 1) != 1)
		return 0;  /* parent_recv_frame says what it is */
	return recv(run->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 1 && byte != 0;
}

/* A timed run's mark: its CPU time so far, read while it is stopped,
 * starts the span; then the child may go on. */
static int mark_clock(child_run *run)
{
	char go = PAGE_MARK;

	if (!run->clock_wanted)
		return err_set(ERR_INVALID, "this job has no clock");
	if (run->clock_start_ns >= 0)
		return err_set(ERR_INVALID, "the clock was marked twice");
	if (parent_cpu_ns(&run->clock_start_ns, run->pid, 1) < 0)
		return ERR_SYSTEM;
	(void)send(run->fd, &go, 1, MSG_NOSIGNAL);  /* if the child is gone, the next read says */
	return 0;
}

/* PAGE_END: the process waits off the CPU. A timed run's is stopped to
 * read its clock; the host then makes the result from its own copy of
 * the page, which a process that went on running cannot change. */
static int end_run(sandbox_outcome *out, child_run *run)
{
	double end_ns = -1, cpu_ns = -1;

	if (run->clock_wanted && parent_cpu_ns(&end_ns, run->pid, 0) < 0)
		return ERR_SYSTEM;
	if (run->clock_start_ns >= 0)
		cpu_ns = end_ns - run->clock_start_ns;
	out->result = page_result(run->page->page, run->page->transcript_max, cpu_ns);
	return out->result ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

/* The frame that answers PAGE_ASK: the handler's "text", or why there
 * is none. */
static int send_answer(int fd, const json_t *reply, const char *reason)
{
	const char *text = json_string_value(json_object_get(reply, "text"));
	const char *refusal = json_string_value(json_object_get(reply, "error"));
	const char *said = text ? text : refusal ? refusal : reason;
	buf frame = BUF_INIT;

	buf_printf(&frame, "%c%.*s", text ? PAGE_ANSWERED : PAGE_NO_MODEL,
		   (int)utf8_valid_prefix(said, strnlen(said, PAGE_ANSWER_MAX)), said);
	if (buf_failed(&frame) < 0)
		return ERR_SYSTEM;
	(void)channel_send(fd, frame.data, frame.len);  /* if the child is gone, the next read says */
	buf_free(&frame);
	return 0;
}

/*
 * PAGE_ASK: the request in the page goes to the handler and its answer
 * back as one frame (page.h). A request the page does not hold whole is
 * answered "no model", as a model that cannot answer is. The time the
 * handler took is the host's, not the solution's: the deadline moves on.
 */
static int answer_ask(child_run *run, double *excused_ms)
{
	sandbox_request req = { .channel = run->fd, .excused_ms = 0 };
	json_t *request, *reply = NULL;
	int rc = 0;

	if (!run->handler)
		return err_set(ERR_INVALID, "the solution asked for a model, which its task "
			       "does not offer");
	if ((request = page_request(run->page->page)) != NULL)
		rc = run->handler(run->ctx, request, &reply, &req);
	json_decref(request);
	if (rc == 0)
		rc = send_answer(run->fd, reply, err_last());
	json_decref(reply);
	run->deadline += req.excused_ms;
	*excused_ms += req.excused_ms;
	return rc;
}

/*
 * After lockdown a solution's process writes single bytes (page.h): it
 * holds no way to send a frame, so nothing the solution writes can pass
 * for the runner's result, and the host makes the result from the page.
 * Returns as serve does; a byte out of turn is the run's protocol_error.
 */
static int serve_bytes(sandbox_outcome *out, child_run *run)
{
	double excused_ms = 0;  /* the model's time, not the solution's */
	int locked = 0;

	for (;;) {
		char byte;
		int rc = channel_recv_byte(&byte, run->fd, run->deadline), bad = 0;

		if (rc == CHANNEL_TIMEOUT) {
			timed_out(out, run->limits, excused_ms);
			return SERVED_DECIDED;
		}
		if (rc < 0)
			return SERVED_CLOSED;
		if (!locked && byte == PAGE_LOCKED)
			locked = 1;
		else if (locked && byte == PAGE_MARK)
			bad = mark_clock(run);
		else if (locked && byte == PAGE_ASK)
			bad = answer_ask(run, &excused_ms);
		else if (locked && byte == PAGE_END)
			return end_run(out, run) < 0 ? SERVED_FAILED : SERVED_RESULT;
		else
			bad = err_set(ERR_INVALID, "the solution wrote to the host's channel "
				      "(byte %d)", (unsigned char)byte);
		if (bad == ERR_SYSTEM)
			return SERVED_FAILED;
		if (bad < 0) {
			parent_set_outcome(out, SANDBOX_PROTOCOL_ERROR, "bad request: %s", err_last());
			return SERVED_DECIDED;
		}
	}
}

/* A frame that could not be read: what it means for the run. */
static int frame_fault(sandbox_outcome *out, const child_run *run, int rc, double excused_ms)
{
	sandbox_status bad = run->handler ? SANDBOX_PROTOCOL_ERROR : SANDBOX_BAD_OUTPUT;

	if (rc == CHANNEL_TIMEOUT)
		timed_out(out, run->limits, excused_ms);
	else if (rc == CHANNEL_EOF || rc == CHANNEL_IO)
		return SERVED_CLOSED;
	else if (rc == PARENT_TOTAL_EXCEEDED)
		parent_set_outcome(out, bad, "the child sent more than %u MB in all",
				   PARENT_TOTAL_MAX >> 20);
	else
		parent_set_outcome(out, bad, "%s", channel_strerror(rc));
	return SERVED_DECIDED;
}

/* A request frame: the code mark, or one for the handler, answered. */
static int serve_one(sandbox_outcome *out, child_run *run, const json_t *msg,
		     sandbox_request *req, int *gone)
{
	json_t *reply = NULL;
	int rc;

	req->excused_ms = 0;
	rc = is_op(msg, "code") ? mark_code(run) : serve_request(run, msg, &reply, req);
	if (rc < 0) {
		parent_set_outcome(out, SANDBOX_PROTOCOL_ERROR, "bad request: %s", err_last());
		json_decref(reply);
		return rc;
	}
	if (req->excused_ms > 0)
		run->deadline += req->excused_ms;
	/* the code mark is one way; a child that closed its end gets no more */
	if (reply && !*gone && channel_send_json(run->fd, reply) < 0)
		*gone = 1;
	json_decref(reply);
	return 0;
}

/* Reads frames until the final one. */
static int serve(sandbox_outcome *out, child_run *run)
{
	sandbox_request req = { .channel = run->fd, .excused_ms = 0 };
	double excused_ms = 0;  /* the services' time, not the child's */
	size_t total = 0;
	int gone = 0;

	for (;;) {
		json_t *msg;
		int rc;

		if (run->page && next_is_byte(run))
			return serve_bytes(out, run);
		rc = parent_recv_frame(&msg, run->fd, run->deadline, &total, PARENT_TOTAL_MAX);
		if (rc < 0)
			return frame_fault(out, run, rc, excused_ms);
		if (!json_object_get(msg, "op")) {
			out->result = msg;
			return SERVED_RESULT;
		}
		rc = serve_one(out, run, msg, &req, &gone);
		json_decref(msg);
		if (rc < 0)
			return SERVED_DECIDED;
		excused_ms += req.excused_ms;
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
 * (its failure "error", a build's "compile_error") are believed only
 * before any generated code ran: afterwards the code could have sent
 * them, to pass its failure off as the host's or the task's. A
 * solution's frames all come before (serve_bytes); its time is the host's
 * own reading (end_run).
 */
static int classify_final(sandbox_outcome *out, const child_run *run)
{
	static const char *const runner_only[] = { "error", "compile_error" };
	sandbox_status bad = run->handler ? SANDBOX_PROTOCOL_ERROR : SANDBOX_BAD_OUTPUT;
	const char *outcome = json_string_value(json_object_get(out->result, "outcome"));
	const json_t *cpu_ns = json_object_get(out->result, "cpu_ns");
	size_t i;

	for (i = 0; run->code_started && outcome && i < sizeof(runner_only) / sizeof(*runner_only);
	     i++)
		if (strcmp(outcome, runner_only[i]) == 0) {
			parent_set_outcome(out, SANDBOX_PROTOCOL_ERROR, "the code sent a "
					   "report only the runner makes (outcome '%s')",
					   runner_only[i]);
			return 0;
		}
	if (run->page && json_is_number(cpu_ns))
		out->cpu_ns = json_number_value(cpu_ns);
	return parent_classify_result(out, bad);
}

/* A child that ended without a result: how, from its wait status, or
 * from a solution's page when it says (the memory limit, a forbidden
 * call, which a solution's process reports there). */
static int classify_end(sandbox_outcome *out, const child_run *run, int status,
			const struct rusage *ru)
{
	json_t *end = run->page && WIFEXITED(status) ? page_end(run->page->page) : NULL;

	if (!end) {
		parent_classify_exit(out, status, ru, run->limits);
		return 0;
	}
	out->result = end;
	return parent_classify_result(out, SANDBOX_BAD_OUTPUT);
}

/* Serves the child `pid` on `fd`, which took the job unless `unsent`,
 * to its end. */
static int run_child(sandbox_outcome *out, const json_t *job, pid_t pid, int fd, int unsent,
		     const sandbox_limits *limits, sandbox_handler handler, void *ctx,
		     const page_map *page)
{
	child_run run = { .fd = fd, .limits = limits, .handler = handler, .ctx = ctx,
			  .workdir = json_string_value(json_object_get(job, "workdir")),
			  .page = page, .clock_start_ns = -1,
			  .clock_wanted = json_is_true(json_object_get(job, "clock")) };
	struct rusage ru;
	int status = 0, served = SERVED_CLOSED;

	run.pid = pid;
	run.deadline = os_now_ms() + limits->wall_ms;
	if (!unsent)
		served = serve(out, &run);
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);  /* in case it had not made its group yet */
	if (served == SERVED_RESULT) {
		reap_later(pid);
		return classify_final(out, &run);
	}
	while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	if (served == SERVED_FAILED)
		return ERR_SYSTEM;
	if (served == SERVED_CLOSED)
		return classify_end(out, &run, status, &ru);
	return 0;
}

/* A solution job's page (page.h), named in the job; others have none. */
static int make_page(page_map *out, json_t *job)
{
	const char *kind = json_string_value(json_object_get(job, "kind"));
	json_int_t max = json_integer_value(json_object_get(job, "transcript_max"));
	int rc;

	memset(out, 0, sizeof(*out));
	out->id = -1;
	/* a job without a valid cap is the child's to refuse, with its name */
	if (!kind || strcmp(kind, "solution") != 0 || max <= 0 || max > PAGE_TRANSCRIPT_CAP)
		return 0;
	if ((rc = page_make(out, (size_t)max)) == 0 &&
	    json_object_set_new(job, "page", json_integer(out->id)) < 0) {
		page_unmap(out);
		rc = err_set(ERR_SYSTEM, "out of memory");
	}
	return rc;
}

int sandbox_run(sandbox_outcome *out, json_t *job,
		const sandbox_limits *limits, sandbox_handler handler,
		void *ctx)
{
	double start = os_now_ms();
	char *workdir = NULL, *text = NULL;
	page_map page = { .id = -1 };
	size_t len = 0;
	pid_t pid = 0;
	int fd = -1, rc;

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
		rc = make_page(&page, job);
	if (rc == 0)
		rc = parent_encode_job(&text, &len, job);
	if (rc == 0 && (rc = parent_start_child(&pid, &fd, ZYGOTE_UNTRUSTED, job, text, len)) >= 0) {
		/* the next run's child is forked, and copies its pages
		 * (prefault.h), while this one compiles and runs: the host
		 * only waits meanwhile. Not beside a timed run, whose CPU
		 * time it could disturb: that one's spare comes after it. */
		if (!json_is_true(json_object_get(job, "clock")))
			zygote_spare(ZYGOTE_UNTRUSTED);
		rc = run_child(out, job, pid, fd, rc, limits, handler, ctx,
			       page.page ? &page : NULL);
	}
	if (fd >= 0)
		close(fd);
	zygote_spare(ZYGOTE_UNTRUSTED);  /* if none was asked for above */
	page_unmap(&page);
	free(text);
	if (workdir)
		os_remove_tree(workdir);
	free(workdir);
	out->elapsed_ms = os_now_ms() - start;
	if (rc == 0 && !out->detail)
		parent_set_outcome(out, SANDBOX_BAD_OUTPUT, "no result");
	return rc;
}

