/*
 * scorer.c - compiles and calls score.c; see scorer.h.
 */
#include "scorer.h"

#include "compile.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

#define SCORER_FEEDBACK_MAX 4096

typedef int (*score_fn)(const char *transcript, const task_case *cases,
			int n_cases, double *score, char *feedback,
			int feedback_size);

struct scorer {
	compile_unit *unit;
	score_fn score;
};

int scorer_load(scorer **out, const task *t)
{
	const char *dirs[] = { t->dir, NULL };
	compile_source src = { "score.c", t->score_text };
	compile_diags diags = { NULL, 0 };
	compile_options opts = { NULL, dirs, NULL, 0 };
	buf prelude = BUF_INIT, message = BUF_INIT;
	scorer *s;
	int rc;

	*out = NULL;
	if (task_abi_prelude(&prelude) < 0 || !(s = calloc(1, sizeof(*s)))) {
		buf_free(&prelude);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	opts.prelude = prelude.data;
	rc = compile_build(&s->unit, &diags, &src, 1, &opts);
	if (rc == 0 && !(s->score = (score_fn)compile_lookup(s->unit, "score_transcript")))
		rc = err_set(ERR_INVALID, "%s/score.c: score_transcript is not defined",
			     t->dir);
	else if (rc < 0) {
		compile_diags_format(&message, &diags, 1);
		rc = err_set(ERR_INVALID, "task %s: score.c does not compile:\n%s",
			     t->name, buf_cstr(&message));
	}
	buf_free(&message);
	buf_free(&prelude);
	compile_diags_free(&diags);
	if (rc < 0) {
		scorer_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int scorer_score(const scorer *s, const char *transcript,
		 const task_case *cases, size_t n_cases, double *score,
		 buf *feedback)
{
	char text[SCORER_FEEDBACK_MAX] = "";
	int rc;

	*score = 0;
	rc = s->score(transcript, cases, (int)n_cases, score, text,
		      feedback ? (int)sizeof(text) : 0);
	text[sizeof(text) - 1] = '\0';
	if (feedback)
		buf_puts(feedback, text);
	if (rc < 0) {
		*score = 0;
		return err_set(ERR_INVALID, "malformed transcript: %s", text);
	}
	return 0;
}

void scorer_free(scorer *s)
{
	if (!s)
		return;
	compile_unit_free(s->unit);
	free(s);
}
