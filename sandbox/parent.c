/*
 * parent.c - what the parent side of the sandbox shares; see parent.h.
 */
#include "parent.h"

#include "buf.h"
#include "channel.h"
#include "error.h"
#include "os.h"

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

int parent_find_runner(const char **out)
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

void parent_set_outcome(sandbox_outcome *out, sandbox_status status, const char *fmt, ...)
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

int parent_recv_frame(json_t **out, int fd, double deadline, size_t *total, size_t cap)
{
	char *text;
	size_t len;
	int rc;

	*out = NULL;
	rc = channel_recv(&text, &len, fd, PARENT_FRAME_MAX, deadline);
	if (rc < 0)
		return rc;
	*total += len + 4;
	if (*total > cap) {
		free(text);
		return PARENT_TOTAL_EXCEEDED;
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

void parent_classify_exit(sandbox_outcome *out, int status, const struct rusage *ru,
			  const sandbox_limits *limits)
{
	double cpu_ms = (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e3 +
			(double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e3;
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;

	if (sig == SIGXCPU || (sig == SIGKILL && cpu_ms >= limits->cpu_ms))
		parent_set_outcome(out, SANDBOX_TIMEOUT, "CPU time limit of %d ms exceeded",
			    limits->cpu_ms);
	else if (sig == SIGSYS)
		parent_set_outcome(out, SANDBOX_FORBIDDEN, "a forbidden system call");
	else if (sig) {
		out->signal = sig;
		parent_set_outcome(out, SANDBOX_CRASH, "crashed (SIG%s)", sigabbrev_np(sig));
	} else
		parent_set_outcome(out, SANDBOX_BAD_OUTPUT,
			    "exited with status %d without a result",
			    WEXITSTATUS(status));
}

int parent_classify_result(sandbox_outcome *out, sandbox_status bad)
{
	const char *outcome = json_string_value(json_object_get(out->result, "outcome"));
	const char *message = json_string_value(json_object_get(out->result, "message"));
	const char *stage = json_string_value(json_object_get(out->result, "stage"));

	if (!outcome)
		outcome = "";
	if (strcmp(outcome, "ok") == 0) {
		parent_set_outcome(out, SANDBOX_OK, "ok");
	} else if (strcmp(outcome, "compile_error") == 0 && stage && strcmp(stage, "driver") == 0) {
		/* the driver is built from the task alone, before any solution runs */
		parent_set_outcome(out, SANDBOX_TASK_ERROR, "the task's driver.c does not compile; "
				   "the task must be fixed, not the solution");
	} else if (strcmp(outcome, "compile_error") == 0) {
		parent_set_outcome(out, SANDBOX_COMPILE_ERROR, "the code does not compile");
	} else if (strcmp(outcome, "memory") == 0) {
		parent_set_outcome(out, SANDBOX_MEMORY, "memory limit exceeded");
	} else if (strcmp(outcome, "forbidden") == 0) {
		json_t *nr = json_object_get(out->result, "syscall");
		char *name = json_is_integer(nr) ? seccomp_syscall_resolve_num_arch(
			SCMP_ARCH_NATIVE, (int)json_integer_value(nr)) : NULL;
		out->syscall = name;
		parent_set_outcome(out, SANDBOX_FORBIDDEN, "forbidden system call %s",
			    name ? name : "(unknown)");
	} else if (strcmp(outcome, "bad_output") == 0) {
		parent_set_outcome(out, SANDBOX_BAD_OUTPUT, "%s", message ? message : "bad output");
	} else if (strcmp(outcome, "error") == 0) {
		return err_set(ERR_GENERIC, "sandbox: %s", message ? message : "failed");
	} else {
		parent_set_outcome(out, bad, "a final message without a known outcome");
	}
	return 0;
}

/* Waits until `pid` has stopped or died; a stop is consumed, a death is
 * left for the caller's wait. */
static int wait_off_cpu(pid_t pid)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	while (waitid(P_PID, (id_t)pid, &info, WSTOPPED | WEXITED | WNOWAIT) != 0)
		if (errno != EINTR)
			return err_sys("sandbox: cannot wait for the child to stop");
	if (info.si_code != CLD_STOPPED)
		return 0;
	while (waitid(P_PID, (id_t)pid, &info, WSTOPPED) != 0)
		if (errno != EINTR)
			return err_sys("sandbox: cannot wait for the child to stop");
	return 0;
}

int parent_cpu_ns(double *out, pid_t pid, int resume)
{
	struct timespec ts;
	clockid_t clock;
	int rc;

	*out = -1;
	if (kill(pid, SIGSTOP) != 0)
		return err_sys("sandbox: cannot stop the child to read its CPU clock");
	if ((rc = wait_off_cpu(pid)) < 0)
		return rc;
	if ((rc = clock_getcpuclockid(pid, &clock)) != 0)
		return err_set(ERR_SYSTEM, "sandbox: cannot find the child's CPU clock: %s",
			       strerror(rc));
	if (clock_gettime(clock, &ts) != 0)
		return err_sys("sandbox: cannot read the child's CPU clock");
	*out = (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
	if (resume && kill(pid, SIGCONT) != 0)
		return err_sys("sandbox: cannot continue the child");
	return 0;
}

int parent_attach_limits(json_t *job, const sandbox_limits *limits, const char *workdir)
{
	if ((workdir && json_object_set_new(job, "workdir", json_string(workdir)) < 0) ||
	    json_object_set_new(job, "limits", json_pack("{s:i, s:i, s:i}",
			"wall_ms", limits->wall_ms, "cpu_ms", limits->cpu_ms,
			"memory_mb", limits->memory_mb)) < 0)
		return err_set(ERR_SYSTEM, "out of memory");
	return 0;
}

int parent_encode_job(char **out, size_t *len, const json_t *job)
{
	*out = json_dumps(job, JSON_COMPACT);
	if (!*out)
		return err_set(ERR_INVALID, "sandbox: the job cannot be encoded "
			       "(its text must be valid UTF-8)");
	*len = strlen(*out);
	if (*len > PARENT_JOB_MAX) {
		int rc = err_set(ERR_INVALID, "sandbox: the job is %.1f MB, above the "
				 "sandbox's limit of %u MB", (double)*len / (1 << 20),
				 PARENT_JOB_MAX >> 20);
		free(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

int parent_start_child(pid_t *pid, int *fd, zygote_pool pool, const json_t *job,
		       const char *text, size_t len)
{
	const char *runner = NULL;
	int rc = parent_find_runner(&runner);

	*fd = -1;
	if (rc == 0)
		rc = zygote_prepare(pool, runner, job);
	if (rc == 0)
		rc = zygote_child(pid, fd, pool, runner);
	if (rc < 0)
		return rc;
	return channel_send(*fd, text, len) == 0 ? 0 : 1;
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
		"forbidden", "bad_output", "protocol_error", "task_error",
	};

	if ((unsigned)status < sizeof(names) / sizeof(names[0]))
		return names[status];
	return "unknown";
}
