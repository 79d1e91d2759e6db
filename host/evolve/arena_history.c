/*
 * arena_history.c - what became of the test agents' proposals, so that
 * a test agent's next rounds see it and need not repeat itself (agent.h's
 * "history" of test_agent_propose's request); see arena_internal.h.
 *
 * A task keeps its latest entries, within ARENA_HISTORY_MAX and
 * ARENA_HISTORY_BYTES: they go into every request, and into the arena's
 * state in each generation's tree. A proposal the oracle refused is only
 * counted, its input never kept: the arena refuses a held-out case the
 * same way, before the oracle sees it, and an ordinary input shown as
 * refused would name it. Within a round the entries are in outcome order,
 * not the order they were proposed in, so that where the count of refused
 * ones stands says nothing of which proposal they were.
 */
#include "arena_internal.h"

#include "error.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const outcome_names[ARENA_OUTCOMES] = {
	"added", "over_cap", "passed", "contradicted", "duplicate", "refused", "malformed",
};

static int counted(arena_outcome o)
{
	return o == ARENA_REFUSED || o == ARENA_MALFORMED;
}

static void free_tried(arena_tried *e)
{
	free(e->input);
	free(e->guess);
	free(e->label);
}

void arena_history_free(arena_history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free_tried(&h->items[i]);
	free(h->items);
	memset(h, 0, sizeof(*h));
}

static json_t *tried_json(const arena_tried *e)
{
	json_t *json = json_pack("{s:i, s:s, s:s}", "round", e->round, "test_agent", e->agent,
				 "outcome", outcome_names[e->outcome]);

	if (json && counted(e->outcome) && json_object_set_new(json, "count",
							     json_integer(e->count)) < 0)
		goto fail;
	if (json && e->input && json_object_set_new(json, "input", json_string(e->input)) < 0)
		goto fail;
	if (json && e->guess && json_object_set_new(json, "guess", json_string(e->guess)) < 0)
		goto fail;
	if (json && e->label && json_object_set_new(json, "label", json_string(e->label)) < 0)
		goto fail;
	return json;
fail:
	json_decref(json);
	return NULL;
}

/* e->bytes, its size as JSON: what it takes of ARENA_HISTORY_BYTES. */
static int measure(arena_tried *e)
{
	json_t *json = tried_json(e);

	e->bytes = json ? json_dumpb(json, NULL, 0, JSON_COMPACT) : 0;
	json_decref(json);
	return e->bytes ? 0 : err_set(ERR_SYSTEM, "out of memory, or a proposal that is not "
				      "UTF-8");
}

static arena_tried *append(arena_history *h)
{
	arena_tried *grown = realloc(h->items, (h->n + 1) * sizeof(*grown));

	if (!grown)
		return NULL;
	h->items = grown;
	return memset(&grown[h->n], 0, sizeof(*grown));
}

/* The count entry of (round, agent, outcome) in `h`, made when missing. */
static arena_tried *count_of(arena_history *h, int number, const char *agent,
			     arena_outcome outcome)
{
	arena_tried *e;
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->items[i].outcome == outcome && h->items[i].round == number &&
		    strcmp(h->items[i].agent, agent) == 0)
			return &h->items[i];
	if (!(e = append(h)))
		return NULL;
	e->round = number;
	e->outcome = outcome;
	snprintf(e->agent, sizeof(e->agent), "%s", agent);
	h->n++;
	return e;
}

static int add_count(arena_history *h, int number, const char *agent, arena_outcome outcome,
		     int n)
{
	arena_tried *e = count_of(h, number, agent, outcome);

	if (!e)
		return err_set(ERR_SYSTEM, "out of memory");
	e->count = e->count > INT_MAX - n ? INT_MAX : e->count + n;  /* a count read may be any */
	return measure(e);
}

int arena_history_malformed(arena_history *round, int number, const char *agent, int n)
{
	return n > 0 ? add_count(round, number, agent, ARENA_MALFORMED, n) : 0;
}

static char *copy(const char *text, int *failed)
{
	char *out = text ? strdup(text) : NULL;

	*failed |= text && !out;
	return out;
}

int arena_history_note(arena_history *round, int number, const char *agent,
		       arena_outcome outcome, const char *input, const char *guess,
		       const char *label)
{
	arena_tried *e;
	int failed = 0;

	if (counted(outcome))
		return add_count(round, number, agent, outcome, 1);
	if (!(e = append(round)))
		return err_set(ERR_SYSTEM, "out of memory");
	e->round = number;
	e->outcome = outcome;
	e->count = 1;
	snprintf(e->agent, sizeof(e->agent), "%s", agent);
	e->input = copy(input, &failed);
	e->guess = copy(guess, &failed);
	e->label = copy(label, &failed);
	round->n++;
	return failed ? err_set(ERR_SYSTEM, "out of memory") : measure(e);
}

/* Keeps the entries of `all` (consumed) that fit the bounds, newest
 * first: one too large is left out, and the older ones still looked at. */
static void keep_bounded(arena_history *h, arena_tried *all, size_t n)
{
	size_t i, bytes = 0;

	h->items = all;
	h->n = 0;
	for (i = 0; i < n; i++) {
		if (h->n < ARENA_HISTORY_MAX && all[i].bytes <= ARENA_HISTORY_BYTES - bytes) {
			bytes += all[i].bytes;
			all[h->n++] = all[i];
		} else {
			free_tried(&all[i]);
		}
	}
}

int arena_history_push(arena_history *h, arena_history *round)
{
	arena_tried *all = calloc(h->n + round->n + 1, sizeof(*all));
	size_t n = 0, i;
	int o;

	if (!all)
		return err_set(ERR_SYSTEM, "out of memory");
	for (o = 0; o < ARENA_OUTCOMES; o++)  /* stable: proposal order within an outcome */
		for (i = 0; i < round->n; i++)
			if (round->items[i].outcome == (arena_outcome)o)
				all[n++] = round->items[i];
	for (i = 0; i < h->n; i++)
		all[n++] = h->items[i];
	free(round->items);
	free(h->items);
	memset(round, 0, sizeof(*round));
	keep_bounded(h, all, n);
	return 0;
}

json_t *arena_history_json(const arena_history *h)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list && i < h->n; i++)
		if (json_array_append_new(list, tried_json(&h->items[i])) < 0) {
			json_decref(list);
			return NULL;
		}
	return list;
}

static int outcome_of(arena_outcome *out, const char *name)
{
	int o;

	for (o = 0; name && o < ARENA_OUTCOMES; o++)
		if (strcmp(name, outcome_names[o]) == 0) {
			*out = (arena_outcome)o;
			return 0;
		}
	return -1;
}

/* One entry of a stored history into `h`; 1 when it is not one. */
static int read_tried(arena_history *h, const json_t *item)
{
	const char *agent = json_string_value(json_object_get(item, "test_agent"));
	const char *input = json_string_value(json_object_get(item, "input"));
	const json_t *round = json_object_get(item, "round");
	json_int_t count = json_integer_value(json_object_get(item, "count"));
	arena_outcome o;

	if (!agent || strlen(agent) >= ARENA_NAME_MAX || !json_is_integer(round) ||
	    outcome_of(&o, json_string_value(json_object_get(item, "outcome"))) < 0 ||
	    !counted(o) != !!input || (counted(o) && (count < 1 || count > INT_MAX)))
		return 1;
	if (counted(o))
		return add_count(h, (int)json_integer_value(round), agent, o, (int)count);
	return arena_history_note(h, (int)json_integer_value(round), agent, o, input,
				  json_string_value(json_object_get(item, "guess")),
				  json_string_value(json_object_get(item, "label")));
}

int arena_history_read(arena_history *out, const json_t *list)
{
	const json_t *item;
	arena_tried *all;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!list)
		return 0;  /* an older host's arena: no history yet */
	if (!json_is_array(list))
		return err_set(ERR_INVALID, "holds a history that is not a list");
	json_array_foreach(list, i, item)
		if ((rc = read_tried(out, item)) != 0)
			break;
	if (rc == 1)
		rc = err_set(ERR_INVALID, "holds a history whose entry %zu is not one the arena "
			     "writes", i + 1);
	if (rc == 0) {
		all = out->items;
		keep_bounded(out, all, out->n);
	} else {
		arena_history_free(out);
	}
	return rc;
}
