/*
 * runner_serve.c - a long-lived child for task code (score.c, oracle.c)
 * that answers request after request; see runner_serve in runner.h.
 *
 * This process only compiles the task's unit and forks: each request is
 * answered by a fork of its own, so the task's code starts from the same
 * state every time, and a request that finds a bug in it cannot change
 * how the next one is answered.
 */
#include "runner.h"

#include "channel.h"
#include "zygote.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define REQUEST_MAX (64u << 20)

char *runner_guarded_buffer(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = (size + page - 1) / page + 1;
	char *base = mmap(NULL, pages * page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (base == MAP_FAILED || mprotect(base + (pages - 1) * page, page, PROT_NONE) != 0)
		runner_fail("task code: cannot map an answer buffer");
	return base + (pages - 1) * page - size;
}
#define CHANNEL_CLOSED 3  /* a fork's exit status: the host is done */

void *runner_task_entry(const json_t *job, const char *kind, const char *file,
			const char *symbol, const compile_symbol *extra, size_t n_extra)
{
	compile_unit *unit = runner_prepared(job);
	void *entry;

	if (!unit)
		unit = runner_build(json_object_get(job, kind), kind, NULL, extra, n_extra);
	entry = compile_lookup(unit, symbol);
	if (!entry)
		runner_report_missing(kind, file, symbol, "the host");
	return entry;
}

/* The request's attachment (sandbox_call), when it names one: the frame
 * after it, as the member it names. */
static void read_attachment(json_t *request)
{
	const char *name = json_string_value(json_object_get(request, "attachment"));
	char *text;
	size_t len;

	if (!name)
		return;
	if (channel_recv(&text, &len, CHANNEL_FD, REQUEST_MAX, -1) < 0)
		_exit(CHANNEL_CLOSED);
	if (json_object_set_new(request, name, json_stringn(text, len)) < 0)
		runner_fail("task code: the request's attachment is not UTF-8 text");
	free(text);
}

/* A fresh fork for each request, made before the request comes so that
 * forking is off the host's path: locked down under the job's per-call
 * CPU time and memory, it reads one request, answers it and exits. */
static _Noreturn void serve_one(const json_t *job, runner_answer answer, void *ctx)
{
	const json_t *limits = json_object_get(job, "limits");
	int cpu_ms = (int)json_integer_value(json_object_get(job, "call_cpu_ms"));
	json_t *request;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	runner_lock_down_to(cpu_ms > 0 ? cpu_ms : 1,
			    json_integer_value(json_object_get(limits, "memory_mb")));
	if (channel_recv_json(&request, CHANNEL_FD, REQUEST_MAX, -1) < 0)
		_exit(CHANNEL_CLOSED);
	read_attachment(request);
	runner_finish(answer(ctx, request));
}

/* A fork that ended without its reply: how, for the host to classify. */
static void report_end(int status, const struct rusage *ru)
{
	double cpu_ms = (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e3 +
			(double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e3;
	json_t *frame = json_pack("{s:s, s:i, s:f}", "outcome", "ended",
				  "wait_status", status, "cpu_ms", cpu_ms);

	if (!frame || channel_send_json(CHANNEL_FD, frame) < 0)
		_exit(1);
	json_decref(frame);
}

_Noreturn void runner_serve(const json_t *job, runner_answer answer, void *ctx)
{
	for (;;) {
		struct rusage ru;
		int status = 0;
		pid_t pid = fork();

		if (pid == 0)
			serve_one(job, answer, ctx);
		if (pid < 0)
			runner_fail("task code: cannot fork");
		while (wait4(pid, &status, 0, &ru) < 0)
			if (errno != EINTR)
				runner_fail("task code: cannot wait for the answering process");
		if (WIFEXITED(status) && WEXITSTATUS(status) == CHANNEL_CLOSED)
			_exit(0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			report_end(status, &ru);
	}
}
