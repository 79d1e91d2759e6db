/*
 * child_score.c - the scorer: a task's score.c scores transcripts against
 * the cases and their labels, request after request; see runner.h.
 *
 * Tasks are trusted, but their bugs must not take the host down, so
 * score.c runs in a child of its own like everything else compiled:
 * confined, under limits, behind the seccomp filter. It is a long-lived
 * child of the zygote that never runs untrusted code (service.c), so
 * score.c and the labels never exist in a process that does. The feedback
 * buffer ends at an unmapped page: a score.c that writes past the size it
 * was given crashes here, with its name on the report, instead of
 * corrupting memory.
 */
#include "runner.h"

#include "channel.h"
#include "error.h"
#include "utf8.h"
#include "zygote.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FEEDBACK_MAX (64 << 10)
#define REQUEST_MAX (64u << 20)

/* The layout of task_case in task_abi.h. */
typedef struct {
	const char *input;
	const char *label;
} score_case;

typedef int (*score_fn)(const char *transcript, const score_case *cases, int n_cases,
			double *score, char *feedback, int feedback_size);

void runner_prepare_scorer(const json_t *spec, const char *key)
{
	compile_unit *unit;

	if (runner_compile(&unit, NULL, json_object_get(spec, "scorer"), NULL, NULL, 0, 1) == 0)
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
		unit = runner_build(json_object_get(job, "scorer"), "scorer", NULL, NULL, 0);
	fn = (score_fn)compile_lookup(unit, "score_transcript");
	if (!fn)
		runner_report_missing("scorer", "score.c", "score_transcript", "the host");
	return fn;
}

/* One request {"transcript", "cases", "feedback_size"}: the reply. */
static json_t *score_one(score_fn fn, const json_t *request, char *feedback)
{
	const json_t *cases = json_object_get(request, "cases");
	const char *transcript = json_string_value(json_object_get(request, "transcript"));
	json_int_t size = json_integer_value(json_object_get(request, "feedback_size"));
	score_case *list = read_cases(cases);
	double score = 0;
	json_t *reply;
	int rc;

	if (!list || !transcript || size < 0 || size > FEEDBACK_MAX) {
		free(list);
		return json_pack("{s:s, s:s}", "outcome", "error", "message",
				 "score: a request needs a transcript, cases and a feedback size");
	}
	memset(feedback - size, 0, (size_t)size);
	rc = fn(transcript, list, (int)json_array_size(cases), &score, feedback - size, (int)size);
	free(list);
	if (size > 0) {
		feedback[-1] = '\0';
		utf8_repair(feedback - size);
	}
	reply = json_pack("{s:s, s:i, s:s}", "outcome", "ok", "status", rc,
			  "feedback", size > 0 ? feedback - size : "");
	if (reply && isfinite(score))  /* JSON has no NaN: a missing score says so */
		json_object_set_new(reply, "score", json_real(score));
	return reply;
}

/* Serves requests until the host closes the channel. The feedback buffer
 * is the largest a request may ask for; each request's ends where it ends. */
_Noreturn void runner_scorer_job(const json_t *job)
{
	char *feedback_end;
	score_fn fn;

	runner_enter(job);
	fn = build_scorer(job);
	feedback_end = guarded_buffer(FEEDBACK_MAX) + FEEDBACK_MAX;
	runner_lock_down(job);
	for (;;) {
		json_t *request, *reply;

		if (channel_recv_json(&request, CHANNEL_FD, REQUEST_MAX, -1) < 0)
			_exit(0);
		reply = score_one(fn, request, feedback_end);
		json_decref(request);
		if (!reply)
			runner_finish(NULL);
		if (channel_send_json(CHANNEL_FD, reply) < 0)
			_exit(0);
		json_decref(reply);
	}
}
