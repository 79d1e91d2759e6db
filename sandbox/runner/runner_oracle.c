/*
 * runner_oracle.c - a task's oracle: oracle.c labels inputs, request after
 * request; see runner.h.
 *
 * The oracle is the task's own code, run like score.c: in a long-lived
 * child of the task-code zygote, which never runs an agent's or a
 * solution's code, each request answered by a fork of its own
 * (runner_serve). Test agents propose inputs, the host asks the oracle
 * for their labels, so a case can only break a solution if the task
 * agrees with its label.
 */
#include "runner.h"

#include "utf8.h"

#include <stdlib.h>
#include <string.h>

#define LABEL_MAX 4096

typedef int (*oracle_fn)(const char *input, char *label, int label_size);

static oracle_fn oracle;

void runner_prepare_oracle(const json_t *spec)
{
	compile_unit *unit;

	if (runner_compile(&unit, NULL, json_object_get(spec, "oracle"), NULL, NULL, 0, 1) == 0)
		runner_keep_prepared(spec, unit);
}

/* One input's label, or null when the oracle refuses the input. */
static json_t *label_one(const char *input, char *label)
{
	label[0] = '\0';
	if (oracle(input, label, LABEL_MAX) != 0)
		return json_null();
	label[LABEL_MAX - 1] = '\0';
	utf8_repair(label);
	return json_string(label);
}

/* {"inputs": [...]}: {"outcome": "ok", "labels": [label or null, ...]}. */
static json_t *answer_labels(void *ctx, const json_t *request)
{
	const json_t *inputs = json_object_get(request, "inputs"), *input;
	json_t *labels = json_array();
	char *label = runner_guarded_buffer(LABEL_MAX);
	size_t i;

	(void)ctx;
	if (!json_is_array(inputs) || !labels)
		return json_pack("{s:s, s:s}", "outcome", "error", "message",
				 "oracle: a request needs a list of inputs");
	json_array_foreach(inputs, i, input) {
		if (!json_is_string(input))
			return json_pack("{s:s, s:s}", "outcome", "error", "message",
					 "oracle: an input is not a string");
		json_array_append_new(labels, label_one(json_string_value(input), label));
	}
	return json_pack("{s:s, s:o}", "outcome", "ok", "labels", labels);
}

_Noreturn void runner_oracle_job(const json_t *job)
{
	runner_enter(job);
	oracle = (oracle_fn)runner_task_entry(job, "oracle", "oracle.c", "oracle_label", NULL, 0);
	runner_serve(job, answer_labels, NULL);
}
