/*
 * runner_score.c - the scorer: a task's score.c scores transcripts against
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

#include "error.h"
#include "rubric.h"
#include "utf8.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FEEDBACK_MAX (64 << 10)

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

/* What score.c may call besides the allowlist: the run's CPU time, and
 * the host's matching of an answer against a rubric (rubric.h), so that
 * every task applies its checks by the same rules. */
static const compile_symbol scorer_symbols[] = {
	{ "transcript_cpu_ns", (const void *)transcript_cpu_ns },
	{ "rubric_score", (const void *)rubric_score },
};

#define SCORER_SYMBOLS (sizeof(scorer_symbols) / sizeof(scorer_symbols[0]))

void runner_prepare_scorer(const json_t *spec)
{
	compile_unit *unit;

	if (runner_compile(&unit, NULL, json_object_get(spec, "scorer"), NULL,
			   scorer_symbols, SCORER_SYMBOLS, 1) == 0)
		runner_keep_prepared(spec, unit);
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
	feedback = runner_guarded_buffer((size_t)size);
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

static score_fn scorer;

static json_t *answer_score(void *ctx, const json_t *request)
{
	(void)ctx;
	return score_one(scorer, request);
}

/* Serves score requests until the host closes the channel (runner_serve). */
_Noreturn void runner_scorer_job(const json_t *job)
{
	runner_enter(job);
	scorer = (score_fn)runner_task_entry(job, "scorer", "score.c", "score_transcript",
					     scorer_symbols, SCORER_SYMBOLS);
	runner_serve(job, answer_score, NULL);
}
