/*
 * child_score.c - the scorer: a task's score.c scores transcripts against
 * the cases and their labels, request after request; see runner.h.
 *
 * Tasks are trusted, but their bugs must not take the host down, so
 * score.c runs in a child of its own like everything else compiled:
 * confined, under limits, behind the seccomp filter. It is a long-lived
 * child of the zygote that never runs untrusted code (service.c), so
 * score.c and the labels never exist in a process that does; it scores
 * each transcript in a fork of its own. The feedback buffer ends at an
 * unmapped page: a score.c that writes past the size it was given crashes
 * there, with its name on the report, instead of corrupting memory.
 */
#include "runner.h"

#include "channel.h"
#include "error.h"
#include "utf8.h"
#include "zygote.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define FEEDBACK_MAX (64 << 10)
#define REQUEST_MAX (64u << 20)
#define CHANNEL_CLOSED 3  /* a fork's exit status: the host is done */

/* The layout of task_case in task_abi.h. */
typedef struct {
	const char *input;
	const char *label;
} score_case;

typedef int (*score_fn)(const char *transcript, const score_case *cases, int n_cases,
			double *score, char *feedback, int feedback_size);

/* The measured CPU time of the run whose transcript is being scored, as
 * the host sent it with the request; see task_abi.h. */
static double request_cpu_ns = -1;

static double transcript_cpu_ns(void)
{
	return request_cpu_ns;
}

static const compile_symbol scorer_symbols[] = {
	{ "transcript_cpu_ns", (const void *)transcript_cpu_ns },
};

void runner_prepare_scorer(const json_t *spec, const char *key)
{
	compile_unit *unit;

	if (runner_compile(&unit, NULL, json_object_get(spec, "scorer"), NULL,
			   scorer_symbols, 1, 1) == 0)
		runner_keep_prepared(key, unit);
}

/* `size` bytes whose end touches a page that is not mapped. */
static char *guarded_buffer(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = (size + page - 1) / page + 1;
	char *base = mmap(NULL, pages * page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (base == MAP_FAILED || mprotect(base + (pages - 1) * page, page, PROT_NONE) != 0)
		runner_fail("score: cannot map the feedback buffer");
	return base + (pages - 1) * page - size;
}

static score_case *read_cases(const json_t *cases)
{
	size_t n = json_array_size(cases), i;
	score_case *list = calloc(n + 1, sizeof(*list));

	for (i = 0; list && i < n; i++) {
		const json_t *c = json_array_get(cases, i);
		list[i].input = json_string_value(json_object_get(c, "input"));
		list[i].label = json_string_value(json_object_get(c, "label"));
		if (!list[i].input) {
			free(list);
			return NULL;
		}
	}
	return list;
}

static score_fn build_scorer(const json_t *job)
{
	char *key = zygote_unit_key(job);
	compile_unit *unit = runner_prepared(key);
	score_fn fn;

	free(key);
	if (!unit)
		unit = runner_build(json_object_get(job, "scorer"), "scorer", NULL,
				    scorer_symbols, 1);
	fn = (score_fn)compile_lookup(unit, "score_transcript");
	if (!fn)
		runner_report_missing("scorer", "score.c", "score_transcript", "the host");
	return fn;
}

/* One request {"transcript", "cases", "feedback_size", "cpu_ns"}: the
 * reply. */
static json_t *score_one(score_fn fn, const json_t *request)
{
	const json_t *cases = json_object_get(request, "cases");
	const char *transcript = json_string_value(json_object_get(request, "transcript"));
	json_int_t size = json_integer_value(json_object_get(request, "feedback_size"));
	score_case *list = read_cases(cases);
	double score = 0;
	char *feedback;
	json_t *reply;
	int rc;

	if (!list || !transcript || size < 0 || size > FEEDBACK_MAX)
		return json_pack("{s:s, s:s}", "outcome", "error", "message",
				 "score: a request needs a transcript, cases and a feedback size");
	feedback = guarded_buffer((size_t)size);
	if (json_is_number(json_object_get(request, "cpu_ns")))
		request_cpu_ns = json_number_value(json_object_get(request, "cpu_ns"));
	rc = fn(transcript, list, (int)json_array_size(cases), &score, feedback, (int)size);
	if (size > 0) {
		feedback[size - 1] = '\0';
		utf8_repair(feedback);
	}
	reply = json_pack("{s:s, s:i, s:s}", "outcome", "ok", "status", rc,
			  "feedback", size > 0 ? feedback : "");
	if (reply && isfinite(score))  /* JSON has no NaN: a missing score says so */
		json_object_set_new(reply, "score", json_real(score));
	return reply;
}

/* A fresh fork for each request, made before the request comes so that
 * forking is off the host's path: locked down under the job's per-call
 * CPU time and memory, it reads one request, scores it and replies. */
static _Noreturn void serve_one(score_fn fn, const json_t *job)
{
	const json_t *limits = json_object_get(job, "limits");
	int cpu_ms = (int)json_integer_value(json_object_get(job, "call_cpu_ms"));
	json_t *request;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	runner_lock_down_to(cpu_ms > 0 ? cpu_ms : 1,
			    json_integer_value(json_object_get(limits, "memory_mb")));
	if (channel_recv_json(&request, CHANNEL_FD, REQUEST_MAX, -1) < 0)
		_exit(CHANNEL_CLOSED);
	runner_finish(score_one(fn, request));
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

/*
 * Serves requests until the host closes the channel. This process only
 * compiles score.c and forks: each request is scored by a fork of its
 * own, so score.c starts from the same state every time, and a transcript
 * that finds a bug in it cannot change how the next one is scored.
 */
_Noreturn void runner_scorer_job(const json_t *job)
{
	score_fn fn;

	runner_enter(job);
	fn = build_scorer(job);
	for (;;) {
		struct rusage ru;
		int status = 0;
		pid_t pid = fork();

		if (pid == 0)
			serve_one(fn, job);
		if (pid < 0)
			runner_fail("score: cannot fork");
		while (wait4(pid, &status, 0, &ru) < 0)
			if (errno != EINTR)
				runner_fail("score: cannot wait for the scoring process");
		if (WIFEXITED(status) && WEXITSTATUS(status) == CHANNEL_CLOSED)
			_exit(0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			report_end(status, &ru);
	}
}
