/* A meta agent that asks the model and does not wait for the answer: it
 * writes host_llm's request, with a 40,000-byte prompt, into the channel
 * itself and returns a second later without reading the reply, while the
 * host still waits for the model on its behalf. Its rewrite is one more
 * line in memory.md, so that every generation it makes is valid. It asks
 * only when a model is offered: offline (validation's smoke run) it is a
 * plain meta agent. (tests/hostile/raw.h is prepended.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROMPT_BYTES 40000
#define LINGER_MS 1000.0  /* the host has sent the request long before */

static double now_ms(void)
{
	struct { long sec, nsec; } ts = { 0, 0 };

	raw_syscall(228 /* clock_gettime */, 1 /* CLOCK_MONOTONIC */, (long)&ts, 0);
	return (double)ts.sec * 1e3 + (double)ts.nsec / 1e6;
}

/* {"op": "llm", "system": "s", "user": "xxx..."} as one frame. */
static void ask_without_waiting(void)
{
	static const char head[] = "{\"op\": \"llm\", \"system\": \"s\", \"user\": \"";
	size_t len = sizeof(head) - 1 + PROMPT_BYTES + 2, sent = 0;
	char *frame = malloc(len + 4);
	long n = 1;

	if (!frame)
		return;
	frame[0] = (char)(len >> 24);
	frame[1] = (char)(len >> 16);
	frame[2] = (char)(len >> 8);
	frame[3] = (char)len;
	memcpy(frame + 4, head, sizeof(head) - 1);
	memset(frame + 4 + sizeof(head) - 1, 'x', PROMPT_BYTES);
	memcpy(frame + 4 + len - 2, "\"}", 2);
	while (sent < len + 4 && n > 0) {
		n = raw_syscall(1 /* write */, 3 /* the channel */, (long)(frame + sent),
				(long)(len + 4 - sent));
		sent += n > 0 ? (size_t)n : 0;
	}
	free(frame);
}

int meta_agent_rewrite(const char *archive)
{
	char *memory = host_read("memory.md"), *next;
	host_budget_info budget;
	double start;
	int rc;

	(void)archive;
	next = malloc((memory ? strlen(memory) : 0) + 32);
	if (!next)
		return -1;
	sprintf(next, "%sasked the model\n", memory ? memory : "");
	rc = host_emit("memory.md", next);
	free(next);
	free(memory);
	if (rc == 0 && host_budget(&budget) == 0 && budget.llm_calls_left > 0) {
		ask_without_waiting();
		for (start = now_ms(); now_ms() - start < LINGER_MS;)
			;
	}
	return rc;
}
