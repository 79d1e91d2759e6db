/*
 * rubric_draft.c - a quality task's rubric drafted by the model; see
 * rubric_draft.h.
 *
 * Writing a rubric is reading the knowledge base for each question and
 * noting the facts an answer must state and the near misses it must not:
 * a model's work, which a person then reviews. So the draft goes to a
 * file of its own, and is written only whole and sound: each case's
 * checks validated as rubric.h validates them, the whole as check-task
 * validates a rubric.json (every case once, no other), so that a draft
 * the user renames is a rubric the task loads. A reply that is not one
 * JSON object of checks names the case and what is wrong, and nothing is
 * written. The calls are the host's own, counted under the run's caps,
 * recorded and replayed as every call is.
 */
#include "rubric_draft.h"

#include "error.h"
#include "os.h"
#include "rubric.h"
#include "text.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char draft_system[] =
	"You write the rubric of one case of a task: checks of the facts a good answer must "
	"state and of the wrong facts it must not, drawn from the knowledge base only. A "
	"check is {\"says\": PHRASE}, {\"any\": [PHRASE, ...]} (one of these phrasings), or "
	"{\"not\": PHRASE} (a wrong fact a poor answer might state, such as another "
	"product's price), with an optional \"weight\", a positive number (1 if left out; 2 "
	"for the key fact). Phrases are matched as whole words and numbers in any case: "
	"keep each short (a few words, or a number with its unit: \"$5.99\", \"30 days\"), "
	"and give other phrasings with \"any\". Give 2 to 5 checks. Reply with one JSON "
	"object and nothing else: {\"checks\": [...]}.";

/* The prompt for case `i` of a split of `n` named `name`. */
static char *user_prompt(const task *t, const char *name, size_t i, size_t n,
			 const char *input)
{
	buf b = BUF_INIT;

	buf_puts(&b, "Task: ");
	text_append_line(&b, t->description);
	buf_puts(&b, "\n\nKnowledge base (the task's headers):\n\n");
	task_knowledge(&b, t);
	buf_printf(&b, "\n\nThe case (%s case %zu of %zu):\n", name, i + 1, n);
	text_append_line(&b, input);
	buf_puts(&b, "\n");
	return buf_failed(&b) < 0 ? (buf_free(&b), NULL) : buf_detach(&b);
}

/* The checks of a reply, validated; `where` names the case. */
static int read_checks(json_t **out, const char *reply, const char *where)
{
	char *text = text_unfence(reply), *canonical = NULL;
	json_t *root = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const json_t *checks = json_object_get(root, "checks");
	size_t n;
	int rc;

	*out = NULL;
	if (!text)
		rc = err_set(ERR_SYSTEM, "out of memory");
	else if (!json_is_object(root) || json_object_size(root) != 1 || !checks)
		rc = err_set(ERR_INVALID, "%s: the model's reply is not one JSON object "
			     "{\"checks\": [...]}", where);
	else if ((rc = rubric_canonical(&canonical, &n, checks, where)) == 0)
		*out = json_incref((json_t *)checks);
	free(canonical);
	free(text);
	json_decref(root);
	return rc;
}

/* Case i of a split: one call, its checks appended to `entries`. */
static int draft_case(json_t *entries, rubric_draft_result *out, const task *t,
		      llm_client *llm, const char *name, const task_case *cases, size_t i,
		      size_t n)
{
	char tag[80], where[200], *prompt = user_prompt(t, name, i, n, cases[i].input);
	char *reply = NULL;
	json_t *checks = NULL;
	int rc;

	if (!prompt)
		return err_set(ERR_SYSTEM, "out of memory");
	snprintf(tag, sizeof(tag), "rubric draft %s %zu", name, i + 1);
	snprintf(where, sizeof(where), "%s case %zu of %zu, \"%.60s\"", name, i + 1, n,
		 cases[i].input);
	utf8_repair(where);
	llm_set_tag(llm, tag);
	rc = llm_chat(llm, draft_system, prompt, 0, &reply, &out->used);
	llm_set_tag(llm, NULL);
	if (rc == 0 && (rc = read_checks(&checks, reply, where)) == 0 &&
	    json_array_append_new(entries, json_pack("{s:s, s:o}", "case", cases[i].input,
						     "checks", checks)) < 0)
		rc = err_set(ERR_SYSTEM, "out of memory");
	else if (rc < 0 && !reply) {
		char why[600];  /* err_set writes where err_last points */

		snprintf(why, sizeof(why), "%s", err_last());
		rc = err_set(rc, "%s: the model gave no checks: %s", where, why);
	}
	free(reply);
	free(prompt);
	return rc;
}

/* Every case of a split, in order, as rubric.json's list for it. */
static int draft_split(json_t *root, rubric_draft_result *out, const task *t, llm_client *llm,
		       const char *field, const char *name, const task_case *cases, size_t n)
{
	json_t *entries = json_array();
	size_t i;
	int rc = entries ? 0 : err_set(ERR_SYSTEM, "out of memory");

	for (i = 0; rc == 0 && i < n; i++)
		rc = draft_case(entries, out, t, llm, name, cases, i, n);
	if (rc == 0 && json_object_set(root, field, entries) < 0)
		rc = err_set(ERR_SYSTEM, "out of memory");
	json_decref(entries);
	out->cases += rc == 0 ? n : 0;
	return rc;
}

/* What must hold before any call: a model, a task a rubric suits, and
 * no file to replace unless asked. */
static int refuse(const task *t, llm_client *llm, const char *path, int force)
{
	size_t i;

	if (!llm)
		return err_set(ERR_INVALID, "drafting checks needs a model: give --llm PROVIDER "
			       "(or set HOST_LLM), or --replay FILE");
	for (i = 0; t->rubric_checks == 0 && i < t->n_train + t->n_holdout; i++)
		if ((i < t->n_train ? t->train[i] : t->holdout[i - t->n_train]).label)
			return err_set(ERR_INVALID, "task %s's cases have labels of their own, and a "
				       "case of a task with a rubric has its checks as its label",
				       t->name);
	if (!force && (os_is_file(path) || os_is_dir(path)))
		return err_set(ERR_INVALID, "%s exists: review it and move it away, or give "
			       "--force to replace it", path);
	return 0;
}

/* Writes the draft whole: to a file beside it, then renamed over it. */
static int write_draft(const char *path, const json_t *root)
{
	char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER), *tmp = NULL;
	int rc;

	if (!text || asprintf(&tmp, "%s.tmp", path) < 0) {
		free(text);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	if ((rc = os_write_file(tmp, text, strlen(text))) == 0 && rename(tmp, path) < 0)
		rc = err_sys("%s", path);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	free(text);
	return rc;
}

int rubric_draft(rubric_draft_result *out, const task *t, llm_client *llm,
		 const rubric_draft_options *o)
{
	json_t *root = json_object();
	int rc;

	memset(out, 0, sizeof(*out));
	out->path = o->path ? strdup(o->path) : os_path_join(t->dir, RUBRIC_DRAFT_FILE);
	if (!out->path || !root)
		rc = err_set(ERR_SYSTEM, "out of memory");
	else if ((rc = refuse(t, llm, out->path, o->force)) == 0 &&
		 (rc = draft_split(root, out, t, llm, "train", "training", t->train,
				   t->n_train)) == 0 &&
		 (rc = draft_split(root, out, t, llm, "holdout", "held-out", t->holdout,
				   t->n_holdout)) == 0 &&
		 (rc = task_rubric_check(&out->checks, t, root, out->path)) == 0)
		rc = write_draft(out->path, root);
	json_decref(root);
	return rc;
}

void rubric_draft_result_free(rubric_draft_result *r)
{
	free(r->path);
	memset(r, 0, sizeof(*r));
}
