/*
 * sandbox.c - the parent side of a sandboxed run; see sandbox.h.
 *
 * The child is forked by the zygote (zygote.c) from a clean host-sandbox
 * process: its own process group, an empty environment, /dev/null on 0-2,
 * the channel on 3 and nothing else open. The parent sends the job, serves requests until a
 * final frame arrives or the deadline passes, then kills the whole process
 * group and reaps it. How the child ended (its final frame, or the signal
 * and CPU time from wait4) decides the outcome.
 */
#include "sandbox.h"

#include "buf.h"
#include "channel.h"
#include "error.h"
#include "os.h"
#include "zygote.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define SANDBOX_FRAME_MAX (16u << 20)   /* one message from a child */
#define SANDBOX_TOTAL_MAX (64u << 20)   /* everything read from a child */
#define SANDBOX_JOB_MAX (64u << 20)     /* a job, as host-sandbox reads it */
#define TOTAL_EXCEEDED (-100)           /* recv_frame: SANDBOX_TOTAL_MAX */

static char *sandbox_runner;

int sandbox_set_runner(const char *path)
{
	char *copy = strdup(path);

	if (!copy)
		return err_set(ERR_SYSTEM, "out of memory");
	free(sandbox_runner);
	sandbox_runner = copy;
	return 0;
}

static int find_runner(const char **out)
{
	int rc;

	if (!sandbox_runner && (rc = os_beside_exe(&sandbox_runner, "host-sandbox")) < 0)
		return rc;
	if (access(sandbox_runner, X_OK) != 0)
		return err_set(ERR_NOTFOUND, "sandbox: cannot run %s (is the build complete?)",
			       sandbox_runner);
	*out = sandbox_runner;
	return 0;
}

static void set_outcome(sandbox_outcome *out, sandbox_status status,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_outcome(sandbox_outcome *out, sandbox_status status,
			const char *fmt, ...)
{
	buf detail = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&detail, fmt, ap);
	va_end(ap);
	free(out->detail);
	out->status = status;
	out->detail = buf_detach(&detail);
}

/* Receives one frame as a JSON object, counting bytes against the cap on
 * everything a child may send. */
static int recv_frame(json_t **out, int fd, double deadline, size_t *total)
{
	char *text;
	size_t len;
	int rc;

	*out = NULL;
	rc = channel_recv(&text, &len, fd, SANDBOX_FRAME_MAX, deadline);
	if (rc < 0)
		return rc;
	*total += len + 4;
	if (*total > SANDBOX_TOTAL_MAX) {
		free(text);
		return TOTAL_EXCEEDED;
	}
	*out = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return CHANNEL_BAD_JSON;
	}
	return 0;
}

/* Reads frames until the final one. Returns 1 when a final frame arrived
 * (in out->result), 0 when the outcome is already decided, and -1 when the
 * channel closed so that only the exit status can tell. */
static int serve(sandbox_outcome *out, int fd, const sandbox_limits *limits,
		 double deadline, sandbox_handler handler, void *ctx)
{
	sandbox_status bad = handler ? SANDBOX_PROTOCOL_ERROR : SANDBOX_BAD_OUTPUT;
	size_t total = 0;
	int gone = 0;  /* the child closed its end: read what it sent, reply no more */

	for (;;) {
		json_t *msg, *reply = NULL;
		int rc = recv_frame(&msg, fd, deadline, &total);

		if (rc == CHANNEL_TIMEOUT) {
			set_outcome(out, SANDBOX_TIMEOUT,
				    "no result within the %d ms deadline",
				    limits->wall_ms);
			return 0;
		}
		if (rc == CHANNEL_EOF || rc == CHANNEL_IO)
			return -1;
		if (rc == TOTAL_EXCEEDED) {
			set_outcome(out, bad, "the child sent more than %u MB in all",
				    SANDBOX_TOTAL_MAX >> 20);
			return 0;
		}
		if (rc < 0) {
			set_outcome(out, bad, "%s", channel_strerror(rc));
			return 0;
		}
		if (!json_object_get(msg, "op")) {
			out->result = msg;
			return 1;
		}
		if (!handler || handler(ctx, msg, &reply) < 0) {
			set_outcome(out, SANDBOX_PROTOCOL_ERROR, "bad request: %s",
				    handler ? err_last() : "no services are offered");
			json_decref(msg);
			json_decref(reply);
			return 0;
		}
		if (!gone && channel_send_json(fd, reply) < 0)
			gone = 1;
		json_decref(msg);
		json_decref(reply);
	}
}

/* The child closed the channel without a final frame. */
static void classify_exit(sandbox_outcome *out, int status,
			  const struct rusage *ru, const sandbox_limits *limits)
{
	double cpu_ms = (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e3 +
			(double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e3;
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;

	if (sig == SIGXCPU || (sig == SIGKILL && cpu_ms >= limits->cpu_ms))
		set_outcome(out, SANDBOX_TIMEOUT, "CPU time limit of %d ms exceeded",
			    limits->cpu_ms);
	else if (sig == SIGSYS)
		set_outcome(out, SANDBOX_FORBIDDEN, "a forbidden system call");
	else if (sig) {
		out->signal = sig;
		set_outcome(out, SANDBOX_CRASH, "crashed (SIG%s)", sigabbrev_np(sig));
	} else
		set_outcome(out, SANDBOX_BAD_OUTPUT,
			    "exited with status %d without a result",
			    WEXITSTATUS(status));
}

/* The child sent a final frame: its "outcome" member says how it ended. */
static int classify_result(sandbox_outcome *out, sandbox_status bad)
{
	const char *outcome = json_string_value(json_object_get(out->result, "outcome"));
	const char *message = json_string_value(json_object_get(out->result, "message"));

	if (!outcome)
		outcome = "";
	if (strcmp(outcome, "ok") == 0) {
		set_outcome(out, SANDBOX_OK, "ok");
	} else if (strcmp(outcome, "compile_error") == 0) {
		set_outcome(out, SANDBOX_COMPILE_ERROR, "the code does not compile");
	} else if (strcmp(outcome, "memory") == 0) {
		set_outcome(out, SANDBOX_MEMORY, "memory limit exceeded");
	} else if (strcmp(outcome, "forbidden") == 0) {
		json_t *nr = json_object_get(out->result, "syscall");
		char *name = json_is_integer(nr) ? seccomp_syscall_resolve_num_arch(
			SCMP_ARCH_NATIVE, (int)json_integer_value(nr)) : NULL;
		out->syscall = name;
		set_outcome(out, SANDBOX_FORBIDDEN, "forbidden system call %s",
			    name ? name : "(unknown)");
	} else if (strcmp(outcome, "bad_output") == 0) {
		set_outcome(out, SANDBOX_BAD_OUTPUT, "%s", message ? message : "bad output");
	} else if (strcmp(outcome, "error") == 0) {
		return err_set(ERR_GENERIC, "sandbox: %s", message ? message : "failed");
	} else {
		set_outcome(out, bad, "a final message without a known outcome");
	}
	return 0;
}

static int attach_job_settings(json_t *job, const sandbox_limits *limits,
			       const char *workdir)
{
	if ((workdir && json_object_set_new(job, "workdir", json_string(workdir)) < 0) ||
	    json_object_set_new(job, "limits", json_pack("{s:i, s:i, s:i}",
			"wall_ms", limits->wall_ms, "cpu_ms", limits->cpu_ms,
			"memory_mb", limits->memory_mb)) < 0)
		return err_set(ERR_SYSTEM, "out of memory");
	return 0;
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

/* Untrusted code and the task's own code come from different zygotes. */
static zygote_pool pool_for(const json_t *job)
{
	const char *kind = json_string_value(json_object_get(job, "kind"));

	return kind && strcmp(kind, "score") == 0 ? ZYGOTE_TASK_CODE : ZYGOTE_UNTRUSTED;
}

/* The job as one frame's text, refused above what host-sandbox reads. */
static int encode_job(char **out, size_t *len, const json_t *job)
{
	*out = json_dumps(job, JSON_COMPACT);
	if (!*out)
		return err_set(ERR_INVALID, "sandbox: the job cannot be encoded "
			       "(its text must be valid UTF-8)");
	*len = strlen(*out);
	if (*len > SANDBOX_JOB_MAX) {
		int rc = err_set(ERR_INVALID, "sandbox: the job is %.1f MB, above the "
				 "sandbox's limit of %u MB", (double)*len / (1 << 20),
				 SANDBOX_JOB_MAX >> 20);
		free(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

/* Starts the child, then sends the job: a job larger than the socket's
 * buffer can only be written while the child reads it. */
static int start_child(pid_t *pid, const json_t *job, const char *text, size_t len,
		       int fds[2])
{
	zygote_pool pool = pool_for(job);
	const char *runner = NULL;
	int rc = find_runner(&runner);

	if (rc == 0)
		rc = zygote_prepare(pool, runner, job);
	if (rc == 0)
		rc = zygote_fork(pid, pool, runner, fds[1]);
	close(fds[1]);
	if (rc < 0)
		return rc;
	return channel_send(fds[0], text, len) == 0 ? 0 : 1;
}

static int run_child(sandbox_outcome *out, const json_t *job, const char *text, size_t len,
		     const sandbox_limits *limits, sandbox_handler handler, void *ctx,
		     int fds[2])
{
	struct rusage ru;
	double deadline;
	pid_t pid = 0;
	int unsent, status = 0, served = -1;

	unsent = start_child(&pid, job, text, len, fds);
	if (unsent < 0)
		return unsent;
	deadline = os_now_ms() + limits->wall_ms;
	if (!unsent)
		served = serve(out, fds[0], limits, deadline, handler, ctx);
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);  /* in case it had not made its group yet */
	if (served > 0) {
		reap_later(pid);
		return classify_result(out, handler ? SANDBOX_PROTOCOL_ERROR : SANDBOX_BAD_OUTPUT);
	}
	while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	if (served < 0)
		classify_exit(out, status, &ru, limits);
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
	reap_finished(0);
	/* only a job that brings headers needs a folder to put them in: the
	 * others work in "/", where the child, confined, can read nothing */
	if (json_array_size(json_object_get(job, "headers")) > 0 &&
	    (rc = os_make_scratch(&workdir, "host-sandbox")) < 0)
		return rc;
	rc = attach_job_settings(job, limits, workdir);
	if (rc == 0)
		rc = encode_job(&text, &len, job);
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
		set_outcome(out, SANDBOX_BAD_OUTPUT, "no result");
	return rc;
}

void sandbox_outcome_free(sandbox_outcome *out)
{
	free(out->syscall);
	free(out->detail);
	json_decref(out->result);
	memset(out, 0, sizeof(*out));
}

const char *sandbox_status_name(sandbox_status status)
{
	static const char *const names[] = {
		"ok", "compile_error", "timeout", "crash", "memory",
		"forbidden", "bad_output", "protocol_error",
	};

	if ((unsigned)status < sizeof(names) / sizeof(names[0]))
		return names[status];
	return "unknown";
}
