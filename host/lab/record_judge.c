/*
 * record_judge.c - a judged task's part of its record: the model's grades
 * of the solution's answers, their spread, the reasons given on training
 * cases and what the judge cost, as JSON and in words for host log, host
 * show and the report; see record.h.
 *
 * The grades are kept with the spread the decision compares (evolve_noise.c
 * says how), so that a reader sees why a change was, or was not, taken.
 * Held-out cases have their means only: a grade's reason could quote a
 * held-out answer or its secret checks, and a record reaches prompts.
 */
#include "record_internal.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

int record_judge_add(json_t *task, const record_judge *j)
{
	json_t *json;

	if (j->repeats <= 0)
		return 0;
	json = json_pack("{s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:s?, s:O?, s:I, s:I, s:I, "
			 "s:f}", "repeats", j->repeats, "weight", j->weight, "train", j->train,
			 "train_min", j->train_min, "train_max", j->train_max, "holdout",
			 j->holdout, "holdout_min", j->holdout_min, "holdout_max", j->holdout_max,
			 "failed", j->failed, "problem", j->problem, "cases", j->cases, "calls",
			 (json_int_t)j->calls, "tokens_in", (json_int_t)j->tokens_in, "tokens_out",
			 (json_int_t)j->tokens_out, "usd", j->usd);
	return json ? json_object_set_new(task, "judge", json) : -1;
}

static double number(const json_t *json, const char *key)
{
	return json_number_value(json_object_get(json, key));
}

static long count(const json_t *json, const char *key)
{
	json_int_t n = json_integer_value(json_object_get(json, key));

	return n < 0 ? 0 : (long)n;
}

int record_judge_from_json(record_judge *out, const json_t *json)
{
	const json_t *cases = json_object_get(json, "cases");
	long repeats = count(json, "repeats");

	memset(out, 0, sizeof(*out));
	if (!json_is_object(json) || repeats <= 0)
		return 0;
	out->repeats = repeats > 64 ? 64 : (int)repeats;
	out->weight = number(json, "weight");
	out->train = number(json, "train");
	out->train_min = number(json, "train_min");
	out->train_max = number(json, "train_max");
	out->holdout = number(json, "holdout");
	out->holdout_min = number(json, "holdout_min");
	out->holdout_max = number(json, "holdout_max");
	out->failed = (int)(count(json, "failed") > 64 ? 64 : count(json, "failed"));
	out->problem = record_member(json, "problem");
	out->cases = json_is_array(cases) ? json_incref((json_t *)cases) : NULL;
	out->calls = count(json, "calls");
	out->tokens_in = count(json, "tokens_in");
	out->tokens_out = count(json, "tokens_out");
	out->usd = number(json, "usd");
	if (json_is_string(json_object_get(json, "problem")) && !out->problem) {
		record_judge_free(out);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	return 0;
}

int record_judge_copy(record_judge *out, const record_judge *from)
{
	*out = *from;
	out->problem = record_text(from->problem, RECORD_LINE);
	json_incref(from->cases);  /* shared: never changed once made */
	if (from->problem && !out->problem) {
		record_judge_free(out);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	return 0;
}

void record_judge_free(record_judge *j)
{
	free(j->problem);
	json_decref(j->cases);
	memset(j, 0, sizeof(*j));
}

void record_judge_describe(buf *out, const record_task *t)
{
	const record_judge *j = &t->judge;

	if (j->repeats <= 0)
		return;
	buf_printf(out, "%s judged %d time%s: %.4g (%.4g to %.4g) on training, %.4g (%.4g to "
		   "%.4g) held-out, weight %.4g; %ld call%s, $%.4f", t->name, j->repeats,
		   j->repeats == 1 ? "" : "s", j->train, j->train_min, j->train_max, j->holdout,
		   j->holdout_min, j->holdout_max, j->weight, j->calls, j->calls == 1 ? "" : "s",
		   j->usd);
	if (j->failed)
		buf_printf(out, "; %d grading%s failed, counted 0: %s", j->failed,
			   j->failed == 1 ? "" : "s", j->problem ? j->problem : "");
}
