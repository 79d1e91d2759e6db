/*
 * child_score.c - the score job: a task's score.c scores a transcript
 * against the cases and their labels; see runner.h.
 *
 * Tasks are trusted, but their bugs must not take the host down, so
 * score.c runs in a child of its own like everything else compiled:
 * confined, under limits, behind the seccomp filter. These children come
 * from a zygote that never runs untrusted code (sandbox.c), so score.c and
 * the labels never exist in a process that does. The feedback buffer ends
 * at an unmapped page: a score.c that writes past the size it was given
 * crashes here, with its name on the report, instead of corrupting memory.
 */
#include "runner.h"

#include "error.h"
#include "utf8.h"
#include "zygote.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FEEDBACK_MAX (1 << 20)

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

	if (!list)
		runner_fail("score: out of memory");
	for (i = 0; i < n; i++) {
		const json_t *c = json_array_get(cases, i);
		list[i].input = json_string_value(json_object_get(c, "input"));
		list[i].label = json_string_value(json_object_get(c, "label"));
		if (!list[i].input)
			runner_fail("job: a case needs an input");
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

_Noreturn void runner_score_job(const json_t *job)
{
	const json_t *cases = json_object_get(job, "cases");
	const char *transcript = json_string_value(json_object_get(job, "transcript"));
	json_int_t size = json_integer_value(json_object_get(job, "feedback_size"));
	score_case *list = read_cases(cases);
	double score = 0;
	char *feedback;
	score_fn fn;
	json_t *result;
	int rc;

	if (!transcript || size < 0 || size > FEEDBACK_MAX)
		runner_fail("job: a score job needs a transcript and a feedback size");
	runner_enter(job);
	fn = build_scorer(job);
	feedback = guarded_buffer((size_t)size);
	if (size > 0)
		feedback[0] = '\0';
	runner_lock_down(job);
	rc = fn(transcript, list, (int)json_array_size(cases), &score, feedback, (int)size);
	if (size > 0) {
		feedback[size - 1] = '\0';
		utf8_repair(feedback);
	}
	result = json_pack("{s:s, s:i, s:s}", "outcome", "ok", "status", rc,
			   "feedback", size > 0 ? feedback : "");
	if (isfinite(score))  /* JSON has no NaN: a missing score says so */
		json_object_set_new(result, "score", json_real(score));
	runner_finish(result);
}
