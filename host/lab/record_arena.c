/*
 * record_arena.c - an arena generation's part of its record, and its
 * JSON; see record.h.
 */
#include "record.h"

#include "text.h"

#include <stdio.h>
#include <string.h>

/* The events are written by the engine from what test agents said: they
 * go into the note as one line without controls, as they come out. */
json_t *record_arena_to_json(const record_arena *a)
{
	char events[sizeof(a->events)];

	snprintf(events, sizeof(events), "%s", a->events);
	text_one_line(events);
	return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:I, s:I, s:I, "
			 "s:f}", "round", a->round, "code_agent", a->code_agent, "grown", a->grown,
			 "proposed", a->proposed, "rejected", a->rejected, "malformed", a->malformed,
			 "passed", a->passed, "added", a->added, "over_cap", a->over_cap, "checks",
			 a->checks, "events", events, "llm_calls", (json_int_t)a->llm_calls,
			 "tokens_in", (json_int_t)a->tokens_in, "tokens_out",
			 (json_int_t)a->tokens_out, "usd", a->usd);
}

static int count(const json_t *json, const char *key)
{
	json_int_t n = json_integer_value(json_object_get(json, key));

	return n < 0 ? 0 : n > 1000000000 ? 1000000000 : (int)n;
}

void record_arena_from_json(record_arena *out, const json_t *json)
{
	const char *events = json_string_value(json_object_get(json, "events"));

	memset(out, 0, sizeof(*out));
	if (!json_is_object(json))
		return;
	out->round = count(json, "round");
	out->code_agent = count(json, "code_agent");
	out->grown = count(json, "grown");
	out->proposed = count(json, "proposed");
	out->rejected = count(json, "rejected");
	out->malformed = count(json, "malformed");
	out->passed = count(json, "passed");
	out->added = count(json, "added");
	out->over_cap = count(json, "over_cap");
	out->checks = count(json, "checks");
	out->llm_calls = (long)json_integer_value(json_object_get(json, "llm_calls"));
	out->tokens_in = (long)json_integer_value(json_object_get(json, "tokens_in"));
	out->tokens_out = (long)json_integer_value(json_object_get(json, "tokens_out"));
	out->usd = json_number_value(json_object_get(json, "usd"));
	snprintf(out->events, sizeof(out->events), "%s", events ? events : "");
	text_one_line(out->events);
}
