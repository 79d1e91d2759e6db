/*
 * score.c - the fraction of cases whose answer is the label. Feedback
 * names the first wrong answers, on training cases only. The same in
 * every task of tests/gi/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int score_transcript(const char *transcript, const task_case *cases, int n_cases,
		     double *score, char *feedback, int feedback_size)
{
	const char *line = transcript;
	int i, right = 0, used = 0;

	for (i = 0; i < n_cases; i++) {
		char *end;
		long got = strtol(line, &end, 10);

		if (end == line || *end != '\n')
			return -1;
		line = end + 1;
		if (got == strtol(cases[i].label, NULL, 10)) {
			right++;
		} else if (feedback_size > 0 && used < feedback_size - 80) {
			used += snprintf(feedback + used, (size_t)(feedback_size - used),
					 "%s[%s] should give %s, not %ld", used ? "; " : "",
					 cases[i].input, cases[i].label, got);
		}
	}
	*score = n_cases ? (double)right / n_cases : 0;
	if (feedback_size > 0 && used == 0)
		snprintf(feedback, (size_t)feedback_size, "all %d cases right", n_cases);
	return 0;
}
