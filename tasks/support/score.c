/*
 * score.c - each answer against its question's rubric, with the host's
 * rubric_score (task_abi.h): the checks are the case's label, which the
 * host makes from rubric.json. A question scores the weight of the checks
 * its answer meets over the weight of all; the score is the mean over
 * the questions.
 *
 * Feedback names each question that missed a check, and the checks it
 * missed. It is only asked for on training cases; the host passes no
 * feedback buffer for held-out cases, so neither they nor their checks
 * are ever named.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOWN_CHARS 60   /* of a question, in the feedback */
#define MISSED_MAX 1024  /* of one answer's missed checks */

typedef struct {
	char *text;      /* the feedback; size 0 for held-out cases */
	int size, used;
} report;

static void say(report *rep, const char *fmt, ...)
{
	va_list ap;

	if (rep->used >= rep->size - 1)
		return;
	va_start(ap, fmt);
	rep->used += vsnprintf(rep->text + rep->used, (size_t)(rep->size - rep->used), fmt, ap);
	va_end(ap);
}

/* Scores answer `line` to case i (0, 1...) into *total. */
static int score_answer(const char *line, const task_case *c, int i, double *total,
			report *rep)
{
	char missed[MISSED_MAX] = "";
	const char *more = (int)strlen(c->input) > SHOWN_CHARS ? "..." : "";
	double s;

	if (rubric_score(line, c->label, &s, missed, rep->size > 0 ? MISSED_MAX : 0) < 0) {
		say(rep, "case %d: %s", i + 1, missed);
		return -1;
	}
	*total += s;
	if (s < 1)
		say(rep, "%s%d \"%.*s%s\" %.2f: %s", rep->used > 0 ? " | " : "", i + 1,
		    SHOWN_CHARS, c->input, more, s, missed);
	return 0;
}

int score_transcript(const char *transcript, const task_case *cases, int n_cases,
		     double *score, char *feedback, int feedback_size)
{
	report rep = { feedback, feedback_size, 0 };
	const char *p = transcript, *end;
	double total = 0;
	char *line;
	int i, rc = 0;

	if (feedback_size > 0)
		feedback[0] = '\0';
	for (i = 0; i < n_cases && rc == 0; i++, p = end + 1) {
		if (!(end = strchr(p, '\n'))) {
			say(&rep, "expected %d answers, one a line; the transcript has %d", n_cases, i);
			return -1;
		}
		if (!(line = malloc((size_t)(end - p) + 1)))
			return -1;
		memcpy(line, p, (size_t)(end - p));
		line[end - p] = '\0';
		rc = score_answer(line, &cases[i], i, &total, &rep);
		free(line);
	}
	if (rc == 0 && *p)
		say(&rep, "the transcript goes on after the last answer");
	if (rc < 0 || *p)
		return -1;
	*score = n_cases > 0 ? total / n_cases : 0;
	if (rep.used == 0)
		say(&rep, "all %d answers meet every check", n_cases);
	return 0;
}
