/*
 * driver.c - asks support_answer every question and records each answer
 * on a line of its own: line breaks and other control characters become
 * spaces. The rubric is not here; the host checks the answers against it.
 */
#include "support.h"

#include <string.h>

static char answer[SUPPORT_ANSWER_MAX + 1];

int driver_run(const char *const *inputs, int n_inputs)
{
	int i, k, len;

	for (i = 0; i < n_inputs; i++) {
		memset(answer, 0, sizeof(answer));
		support_answer(inputs[i], answer, SUPPORT_ANSWER_MAX);
		answer[SUPPORT_ANSWER_MAX - 1] = '\0';
		len = (int)strlen(answer);
		for (k = 0; k < len; k++)
			if ((unsigned char)answer[k] < ' ' || answer[k] == 127)
				answer[k] = ' ';
		transcript_write(answer, len);
		transcript_write("\n", 1);
	}
	return 0;
}
