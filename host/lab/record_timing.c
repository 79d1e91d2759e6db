/*
 * record_timing.c - a timed task's part of its record: the spread of its
 * runs and the comparison with the parent that decided it, as JSON and in
 * words for host log and the report; see record.h.
 *
 * The spread is what a difference in fitness must beat on such a task, so
 * it is kept with the score it qualifies and shown beside it.
 */
#include "record.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static json_t *paired_json(const record_timing *t)
{
	if (t->same)
		return json_string("same");
	if (t->paired <= 0)
		return NULL;
	return json_pack("{s:i, s:f, s:f, s:f, s:f, s:f, s:f}", "runs", t->paired, "median",
			 t->paired_median, "parent_median", t->parent_median, "fitness",
			 t->paired_fitness, "parent_fitness", t->parent_fitness, "p_better",
			 t->p_better, "p_worse", t->p_worse);
}

int record_timing_add(json_t *task, const record_timing *t)
{
	json_t *json;

	if (t->runs <= 0 && t->paired <= 0 && !t->same)
		return 0;
	json = json_pack("{s:i, s:f, s:f, s:f, s:o*}", "runs", t->runs, "median", t->median,
			 "min", t->min, "max", t->max, "paired", paired_json(t));
	return json_object_set_new(task, "timing", json);
}

static double number(const json_t *json, const char *key)
{
	return json_number_value(json_object_get(json, key));
}

/* A count read from a note: from 0 to 64, the most runs there are. */
static int count(const json_t *json, const char *key)
{
	json_int_t n = json_integer_value(json_object_get(json, key));

	return n < 0 ? 0 : n > 64 ? 64 : (int)n;
}

void record_timing_from_json(record_timing *out, const json_t *json)
{
	const json_t *paired = json_object_get(json, "paired");

	memset(out, 0, sizeof(*out));
	out->runs = count(json, "runs");
	out->median = number(json, "median");
	out->min = number(json, "min");
	out->max = number(json, "max");
	out->same = json_is_string(paired) && strcmp(json_string_value(paired), "same") == 0;
	out->paired = count(paired, "runs");
	out->paired_median = number(paired, "median");
	out->parent_median = number(paired, "parent_median");
	out->paired_fitness = number(paired, "fitness");
	out->parent_fitness = number(paired, "parent_fitness");
	out->p_better = number(paired, "p_better");
	out->p_worse = number(paired, "p_worse");
}

void record_timing_describe(buf *out, const record_task *task, int parent)
{
	const record_timing *t = &task->timing;

	if (t->runs <= 0 && t->paired <= 0 && !t->same)
		return;
	buf_printf(out, "%s", task->name);
	if (t->runs > 0) {
		buf_printf(out, " %.4g", t->median);
		if (t->median != 0 && isfinite(t->median))
			buf_printf(out, " ±%.1f%%", 100 * (t->max - t->min) / fabs(2 * t->median));
		buf_printf(out, " (median of %d runs, %.4g to %.4g)", t->runs, t->min, t->max);
	}
	if (t->same)
		buf_printf(out, "; the same solution as gen_%03d's, not measured against it",
			   parent);
	else if (t->paired > 0)
		buf_printf(out, "; against gen_%03d in %d interleaved runs each: medians %.4g and "
			   "its %.4g, p(better) %.3g, p(worse) %.3g", parent, t->paired,
			   t->paired_median, t->parent_median, t->p_better, t->p_worse);
}
