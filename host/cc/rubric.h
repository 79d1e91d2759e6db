/*
 * rubric.h - a quality task's rubric: per case, weighted checks an answer
 * must meet, matched exactly and cheaply.
 *
 * A check is a fact the answer must state ({"says": PHRASE}, or one of
 * several phrasings: {"any": [PHRASE, ...]}) or must not state ({"not":
 * PHRASE or [PHRASE, ...]}: a wrong policy, a made-up price), with a
 * positive "weight" (1 when left out). The host validates a task's
 * rubric.json with rubric_canonical and gives each case's checks to
 * score.c as the case's label; score.c applies them with rubric_score,
 * which the scorer's sandbox offers it (task_abi.h), so every task
 * matches by the same rules:
 *
 * - text is compared as tokens: words (runs of letters, lower-cased;
 *   bytes outside ASCII count as letters) and numbers (runs of digits,
 *   with "," thousands groups and a "." decimal part); everything else
 *   (spaces, punctuation, and beyond ASCII the no-break space and
 *   Unicode's General Punctuation: dashes, curly quotes) only separates
 *   them. A phrase matches where its
 *   tokens occur in a row in the answer: whole words ("return" is not in
 *   "returns"), any case, any spacing or punctuation between them;
 * - numbers match by value: "30", "30.00" and "30.0" are one number;
 * - "$30", "30 dollars", "30 dollar" and "30 USD" are the money amount
 *   30. A phrase's money amount matches only money; a plain number
 *   matches the same number, money or not ("30" is in "$30");
 * - "%" is the word "percent": "15%" matches "15 percent".
 *
 * Nothing else is inferred (no plurals, no number words, no synonyms):
 * a rubric lists the phrasings it accepts with "any".
 */
#ifndef HOST_RUBRIC_H
#define HOST_RUBRIC_H

#include "error.h"

#include <jansson.h>
#include <stddef.h>

#define RUBRIC_CHECKS_MAX 64      /* checks of one case */
#define RUBRIC_PHRASES_MAX 32     /* phrasings of one check */
#define RUBRIC_PHRASE_MAX 200     /* bytes of one phrase */

/*
 * Validates `checks`, one case's list of checks as rubric.json gives
 * them, and makes its canonical text: the label score.c gets for the case
 * (compact JSON, every weight written). *out is that text (free() it),
 * *n the number of checks. ERR_INVALID names what is wrong after `where`:
 * "WHERE, check 2: 'weight' must be a positive number".
 */
HOST_MUST_CHECK int rubric_canonical(char **out, size_t *n, const json_t *checks,
				     const char *where);

/*
 * task_abi.h's rubric_score: scores `answer` against `rubric`, a case's
 * canonical checks. *score is the weight of the checks met over the
 * weight of all, from 0 to 1. When feedback_size > 0, writes the checks
 * not met, "; "-separated ("missing \"30 days\"; says \"60 days\", which
 * it must not"), or "" when all are. Returns 0, or -1 when `rubric` is
 * not a valid rubric (the feedback says why).
 */
int rubric_score(const char *answer, const char *rubric, double *score, char *feedback,
		 int feedback_size);

#endif
