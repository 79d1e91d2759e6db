/*
 * task_rubric.c - a quality task's rubric.json; see task_rubric_apply in
 * task_internal.h.
 *
 * rubric.json names each case by its input and gives its checks:
 *
 *     {"train": [{"case": "How long do I have to return an item?",
 *                 "checks": [{"says": "30 days", "weight": 2}, ...]}, ...],
 *      "holdout": [...]}
 *
 * The checks, validated (rubric.h), become the case's label: the one
 * channel that reaches score.c and nothing else. So the held-out checks
 * are as secret as held-out labels: in the task folder, which no sandbox
 * of an agent or a solution reads, and in score.c's requests only.
 * Every problem names the file and the entry, or the case left out.
 */
#include "task_internal.h"

#include "error.h"
#include "os.h"
#include "rubric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One split of the task and its part of rubric.json. */
typedef struct {
	const char *file;       /* rubric.json's path, for messages */
	const char *field;      /* "train" or "holdout" */
	const char *name;       /* "training" or "held-out" */
	task_case *cases;
	size_t n;
	const task_case *other; /* the other split, to say where a case is */
	size_t n_other;
	size_t *entry;          /* per case, the entry (1, 2...) that gave its checks */
} rubric_split;

static int has_input(const task_case *cases, size_t n, const char *input)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(cases[i].input, input) == 0)
			return 1;
	return 0;
}

/* Gives `checks`' text to every case of the split whose input is
 * `input` (entry k's). */
static int give_checks(rubric_split *s, size_t k, const char *where, const char *input,
		       const char *text)
{
	size_t i, given = 0;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->cases[i].input, input) != 0)
			continue;
		if (s->entry[i])
			return err_set(ERR_INVALID, "%s names the case \"%.80s\" again (%s entry "
				       "%zu did)", where, input, s->field, s->entry[i]);
		if (!(s->cases[i].label = strdup(text)))
			return err_set(ERR_SYSTEM, "out of memory");
		s->entry[i] = k;
		given++;
	}
	if (given > 0)
		return 0;
	return err_set(ERR_INVALID, "%s names the case \"%.80s\", which is not one of "
		       "task.json's %s cases%s", where, input, s->name,
		       !has_input(s->other, s->n_other, input) ? ""
		       : strcmp(s->field, "train") == 0 ? " (it is a held-out case)"
		       : " (it is a training case)");
}

/* Entry k (1, 2...) of the split: {"case": INPUT, "checks": [...]}. */
static int read_entry(rubric_split *s, size_t *checks, const json_t *entry, size_t k)
{
	static const char *const fields[] = { "case", "checks", NULL };
	const char *input = json_string_value(json_object_get(entry, "case"));
	char where[512], *text;
	size_t n;
	int rc;

	snprintf(where, sizeof(where), "%s: %s entry %zu", s->file, s->field, k);
	if (!json_is_object(entry))
		return err_set(ERR_INVALID, "%s: an entry is {\"case\": INPUT, \"checks\": [...]}",
			       where);
	if ((rc = task_known_fields(entry, where, "", fields)) < 0)
		return rc;
	if (!input)
		return err_set(ERR_INVALID, "%s: 'case' must be the input of one of task.json's "
			       "%s cases", where, s->name);
	if ((rc = rubric_canonical(&text, &n, json_object_get(entry, "checks"), where)) < 0)
		return rc;
	rc = give_checks(s, k, where, input, text);
	free(text);
	*checks += n;
	return rc;
}

/* The split's entries, then every case must have had one. */
static int read_split(rubric_split *s, size_t *checks, const json_t *entries)
{
	const json_t *entry;
	size_t i;
	int rc = 0;

	if (!json_is_array(entries))
		return err_set(ERR_INVALID, "%s: field '%s' must be a list of {\"case\": INPUT, "
			       "\"checks\": [...]}, one for each %s case", s->file, s->field,
			       s->name);
	if (!(s->entry = calloc(s->n + 1, sizeof(*s->entry))))
		return err_set(ERR_SYSTEM, "out of memory");
	json_array_foreach(entries, i, entry)
		if ((rc = read_entry(s, checks, entry, i + 1)) < 0)
			break;
	for (i = 0; rc == 0 && i < s->n; i++)
		if (!s->entry[i])
			rc = err_set(ERR_INVALID, "%s: %s case %zu of task.json, \"%.80s\", has no "
				     "checks: every case needs an entry in '%s'", s->file, s->name,
				     i + 1, s->cases[i].input, s->field);
	free(s->entry);
	s->entry = NULL;
	return rc;
}

/* A case with a label of its own would have two. */
static int refuse_labels(const char *file, const task_case *cases, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cases[i].label)
			return err_set(ERR_INVALID, "%s: %s case %zu of task.json has a label; in a "
				       "task with a rubric, a case's checks are its label", file,
				       name, i + 1);
	return 0;
}

static int apply(task *t, const char *file, const json_t *root)
{
	static const char *const fields[] = { "train", "holdout", NULL };
	rubric_split train = { file, "train", "training", t->train, t->n_train, t->holdout,
			       t->n_holdout, NULL };
	rubric_split holdout = { file, "holdout", "held-out", t->holdout, t->n_holdout,
				 t->train, t->n_train, NULL };
	size_t checks = 0;
	int rc;

	if (!json_is_object(root))
		return err_set(ERR_INVALID, "%s: expected a JSON object {\"train\": [...], "
			       "\"holdout\": [...]}", file);
	if ((rc = task_known_fields(root, file, "", fields)) < 0 ||
	    (rc = refuse_labels(file, t->train, t->n_train, "training")) < 0 ||
	    (rc = refuse_labels(file, t->holdout, t->n_holdout, "held-out")) < 0 ||
	    (rc = read_split(&train, &checks, json_object_get(root, "train"))) < 0 ||
	    (rc = read_split(&holdout, &checks, json_object_get(root, "holdout"))) < 0)
		return rc;
	t->rubric_checks = checks;
	return 0;
}

void task_knowledge(buf *out, const task *t)
{
	size_t i;

	for (i = 0; i < t->n_headers; i++)
		buf_printf(out, "=== %s ===\n%s%s", t->headers[i].name, t->headers[i].text,
			   i + 1 < t->n_headers ? "\n" : "");
}

/* Copies of n cases' inputs, with no label: what a rubric is checked on. */
static task_case *unlabelled(const task_case *cases, size_t n)
{
	task_case *copy = calloc(n + 1, sizeof(*copy));
	size_t i;

	for (i = 0; copy && i < n; i++)
		copy[i].input = cases[i].input;
	return copy;
}

int task_rubric_check(size_t *checks, const task *t, const json_t *rubric, const char *file)
{
	task view = *t;
	size_t i;
	int rc;

	view.train = unlabelled(t->train, t->n_train);
	view.holdout = unlabelled(t->holdout, t->n_holdout);
	rc = view.train && view.holdout ? apply(&view, file, rubric)
	     : err_set(ERR_SYSTEM, "out of memory");
	*checks = rc == 0 ? view.rubric_checks : 0;
	for (i = 0; view.train && i < t->n_train; i++)
		free((char *)view.train[i].label);
	for (i = 0; view.holdout && i < t->n_holdout; i++)
		free((char *)view.holdout[i].label);
	free(view.train);
	free(view.holdout);
	return rc;
}

int task_rubric_apply(task *t, const char *task_json)
{
	const char *slash = strrchr(task_json, '/');
	json_error_t jerr;
	json_t *root;
	char *path;
	int rc;

	/* beside task.json, named as the user named that: tasks/t/rubric.json */
	if (asprintf(&path, "%.*srubric.json", slash ? (int)(slash - task_json + 1) : 0,
		     task_json) < 0)
		return err_set(ERR_SYSTEM, "out of memory");
	if (!os_is_file(path)) {
		free(path);
		return 0;
	}
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	rc = root ? apply(t, path, root) : err_set(ERR_INVALID, "%s:%d: %s", path, jerr.line,
						   jerr.text);
	json_decref(root);
	free(path);
	return rc;
}
