/*
 * rubric_draft.h - `host rubric TASK`: a model drafts a quality task's
 * rubric checks, for every case, from its questions and its knowledge
 * base, into a file the user reviews before it becomes rubric.json.
 */
#ifndef HOST_RUBRIC_DRAFT_H
#define HOST_RUBRIC_DRAFT_H

#include "error.h"

#include "llm.h"
#include "task.h"

#include <stddef.h>

/* The file a draft goes to unless told: beside rubric.json, which a draft
 * never replaces unless asked to (--out rubric.json --force). */
#define RUBRIC_DRAFT_FILE "rubric.draft.json"

typedef struct {
	const char *path;      /* NULL: RUBRIC_DRAFT_FILE in the task's folder */
	int force;             /* replace `path` if it exists */
} rubric_draft_options;

typedef struct {
	char *path;            /* the file written */
	size_t cases, checks;
	llm_usage used;        /* the calls made, whatever became of them */
} rubric_draft_result;

/*
 * Asks the model (`llm`; NULL is an error saying a model is needed) for
 * the checks of each of t's training and held-out cases, one call a case
 * (tagged "rubric draft training 3"), each prompt holding the task's
 * description, its headers (the knowledge base) and the case's input.
 * Each reply must be one JSON object {"checks": [...]} whose checks
 * rubric.h accepts; the whole draft must then pass the checks host
 * check-task makes of a rubric.json (task_rubric_check). Only then is it
 * written, in full, to the file: a reply that is not, an existing file
 * without `force`, or a task whose cases have labels of their own, write
 * nothing and say why. *out is filled, out->used even on an error.
 */
HOST_MUST_CHECK int rubric_draft(rubric_draft_result *out, const task *t, llm_client *llm,
				 const rubric_draft_options *o);

void rubric_draft_result_free(rubric_draft_result *r);

#endif
