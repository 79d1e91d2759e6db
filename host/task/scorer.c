/*
 * scorer.c - scoring in a sandbox; see scorer.h.
 *
 * Each task's score.c runs in one long-lived sandboxed child (see
 * sandbox_call) that gets a transcript with the cases and their labels per
 * request and scores it in a fresh fork, within budget.score_ms from
 * task.json and the host's memory cap: not what a solution gets.
 */
#include "scorer.h"

#include "error.h"
#include "task_code.h"

#include <stdlib.h>
#include <string.h>

#define SCORER_FEEDBACK_MAX 4096
#define SCORER_MEMORY_MB 256

/* The transcript follows the request as its attachment (sandbox_call):
 * it is the largest part, and it is text already. */
static json_t *score_request(double cpu_ns, const task_case *cases, size_t n_cases,
			     int feedback_size)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list && i < n_cases; i++)
		if (json_array_append_new(list, json_pack("{s:s, s:s?}", "input", cases[i].input,
							  "label", cases[i].label)) < 0)
			break;
	if (!list || i < n_cases) {
		json_decref(list);
		return NULL;
	}
	return json_pack("{s:s, s:o, s:i, s:f}", "attachment", "transcript", "cases", list,
			 "feedback_size", feedback_size, "cpu_ns", cpu_ns);
}

static int read_result(const task *t, const sandbox_outcome *o, double *score, buf *feedback)
{
	const json_t *value = json_object_get(o->result, "score");
	const char *text = json_string_value(json_object_get(o->result, "feedback"));
	int status = (int)json_integer_value(json_object_get(o->result, "status"));

	if (o->status != SANDBOX_OK)
		return task_code_fault(t, "score.c", "scoring", o, SCORER_MEMORY_MB);
	if (feedback && text)
		buf_puts(feedback, text);
	if (status < 0)
		return err_set(ERR_INVALID, "malformed transcript: %s", text ? text : "");
	if (!json_is_number(value))
		return err_set(ERR_GENERIC, "task %s: score.c gave a score that is not a "
			       "finite number", t->name);
	*score = json_number_value(value);
	return 0;
}

int scorer_score(task *t, const char *transcript, double cpu_ns,
		 const task_case *cases, size_t n_cases, double *score, buf *feedback)
{
	sandbox_limits limits = { t->score_ms, t->score_ms, SCORER_MEMORY_MB };
	sandbox_outcome o;
	int rc;

	*score = 0;
	rc = task_code_call(&o, t, "scorer", "score.c", t->score_text,
			    score_request(cpu_ns, cases, n_cases,
					  feedback ? SCORER_FEEDBACK_MAX : 0), transcript, &limits);
	if (rc < 0)
		return rc;
	rc = read_result(t, &o, score, feedback);
	sandbox_outcome_free(&o);
	if (rc < 0)
		*score = 0;
	return rc;
}
