/*
 * score.c - accuracy of the recorded verdicts against the labels.
 *
 * Feedback names at most five misclassified cases. It is only asked for
 * on training cases; the host passes no feedback buffer for held-out
 * cases, so they are never named.
 */
#include <stdio.h>
#include <string.h>

/* Writes `s` as a C string literal, so that "\n" and "" are visible. */
static int quote(char *out, int size, const char *s)
{
	int used = snprintf(out, (size_t)size, "\"");

	for (; *s && used < size - 8; s++) {
		if (*s == '\n')
			used += snprintf(out + used, (size_t)(size - used), "\\n");
		else if (*s == '\t')
			used += snprintf(out + used, (size_t)(size - used), "\\t");
		else if (*s == '"' || *s == '\\')
			used += snprintf(out + used, (size_t)(size - used), "\\%c", *s);
		else if ((unsigned char)*s < 32)
			used += snprintf(out + used, (size_t)(size - used), "\\x%02x", (unsigned char)*s);
		else
			used += snprintf(out + used, (size_t)(size - used), "%c", *s);
	}
	return used + snprintf(out + used, (size_t)(size - used), "\"");
}

int score_transcript(const char *transcript, const task_case *cases,
		     int n_cases, double *score, char *feedback,
		     int feedback_size)
{
	int i, correct = 0, wrong = 0, used = 0;
	char shown[160];

	if ((int)strlen(transcript) != n_cases || n_cases == 0) {
		if (feedback_size > 0)
			snprintf(feedback, (size_t)feedback_size,
				 "expected %d verdicts, got %d", n_cases, (int)strlen(transcript));
		return -1;
	}
	for (i = 0; i < n_cases; i++) {
		int said = transcript[i] == '1';
		int truth = cases[i].label && strcmp(cases[i].label, "1") == 0;

		if (transcript[i] != '0' && transcript[i] != '1')
			return -1;
		if (said == truth) {
			correct++;
			continue;
		}
		if (feedback_size > 0 && wrong++ < 5 && used < feedback_size) {
			quote(shown, sizeof(shown), cases[i].input);
			used += snprintf(feedback + used, (size_t)(feedback_size - used),
					 "%s%s should be %s", used ? "; " : "", shown,
					 truth ? "valid" : "invalid");
		}
	}
	*score = (double)correct / n_cases;
	if (feedback_size > 0 && used == 0)
		snprintf(feedback, (size_t)feedback_size, "all %d cases correct", n_cases);
	return 0;
}
