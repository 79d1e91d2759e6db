/*
 * arena_state.c - the arena's state, and its files under a generation's
 * arena/ folder; see arena_internal.h.
 *
 * The files are the state's JSON edge: state.json, one NAME.json per
 * task, one NAME.c per test agent. A file that does not read as the arena
 * wrote it is an error naming the generation and the file: a damaged
 * arena is never resumed from a guess.
 */
#include "arena_internal.h"

#include "buf.h"
#include "error.h"
#include "propose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_FILE "state.json"

static int set_name(char *out, const char *prefix, int n)
{
	snprintf(out, ARENA_NAME_MAX, "%s%d", prefix, n);
	return 0;
}

int arena_add_coder(arena_state *s, size_t copy)
{
	arena_coder *grown = realloc(s->coders, (s->n_coders + 1) * sizeof(*grown)), *c, *from;
	size_t i;
	int rc = 0;

	if (!grown)
		return err_set(ERR_SYSTEM, "out of memory");
	s->coders = grown;
	from = &grown[copy];
	c = memset(&grown[s->n_coders], 0, sizeof(*c));
	set_name(c->name, "c", ++s->named_coders);
	c->generation = from->generation;
	c->fitness = from->fitness;
	c->solutions = calloc(s->n_tasks + 1, sizeof(char *));
	rc = c->solutions ? agents_copy(&c->files, &from->files)
			  : err_set(ERR_SYSTEM, "out of memory");
	for (i = 0; rc == 0 && i < s->n_tasks; i++)
		if (!(c->solutions[i] = strdup(from->solutions[i])))
			rc = err_set(ERR_SYSTEM, "out of memory");
	s->n_coders++;
	if (rc < 0)
		arena_drop_coder(s, s->n_coders - 1);
	return rc;
}

int arena_tester_files(agent_files *out, const arena_coder *coder, const char *source)
{
	int rc = agents_copy(out, &coder->files);

	if (rc == 0 && (rc = agents_set(out, PROPOSE_FILE, source)) < 0)
		agents_free(out);
	return rc;
}

int arena_add_tester(arena_state *s, const char *source, int round)
{
	arena_tester *grown = realloc(s->testers, (s->n_testers + 1) * sizeof(*grown)), *t;

	if (!grown)
		return err_set(ERR_SYSTEM, "out of memory");
	s->testers = grown;
	t = memset(&grown[s->n_testers], 0, sizeof(*t));
	if (!(t->source = strdup(source)))
		return err_set(ERR_SYSTEM, "out of memory");
	set_name(t->name, "t", ++s->named_testers);
	t->born = round;
	s->n_testers++;
	return 0;
}

static void free_coder(arena_coder *c, size_t n_tasks)
{
	size_t i;

	for (i = 0; c->solutions && i < n_tasks; i++)
		free(c->solutions[i]);
	free(c->solutions);
	agents_free(&c->files);
}

void arena_drop_coder(arena_state *s, size_t i)
{
	free_coder(&s->coders[i], s->n_tasks);
	memmove(&s->coders[i], &s->coders[i + 1], (s->n_coders - i - 1) * sizeof(*s->coders));
	s->n_coders--;
}

void arena_drop_tester(arena_state *s, size_t i)
{
	free(s->testers[i].source);
	memmove(&s->testers[i], &s->testers[i + 1], (s->n_testers - i - 1) * sizeof(*s->testers));
	s->n_testers--;
}

static void free_cases(arena_cases *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->items[i].input);
		free(c->items[i].label);
		free(c->items[i].reason);
	}
	free(c->items);
	memset(c, 0, sizeof(*c));
}

void arena_state_free(arena_state *s)
{
	size_t i;

	for (i = 0; i < s->n_coders; i++)
		free_coder(&s->coders[i], s->n_tasks);
	for (i = 0; i < s->n_testers; i++)
		free(s->testers[i].source);
	for (i = 0; s->grown && i < s->n_tasks; i++)
		free_cases(&s->grown[i]);
	for (i = 0; s->history && i < s->n_tasks; i++)
		arena_history_free(&s->history[i]);
	free(s->coders);
	free(s->testers);
	free(s->grown);
	free(s->history);
	memset(s, 0, sizeof(*s));
}

size_t arena_case_bytes(const char *input, const char *label)
{
	json_t *both = json_pack("[s, s]", input, label);
	size_t n = both ? json_dumpb(both, NULL, 0, JSON_COMPACT) : 0;

	json_decref(both);
	return n ? n : ARENA_GROWN_MAX + 1;  /* not measured: it never fits */
}

task_case *arena_training(const arena_state *s, task *t, size_t i, size_t *n)
{
	const arena_cases *g = &s->grown[i];
	task_case *all = calloc(t->n_train + g->n + 1, sizeof(*all));
	size_t k;

	*n = 0;
	if (!all) {
		err_set(ERR_SYSTEM, "out of memory");
		return NULL;
	}
	for (k = 0; k < t->n_train; k++)
		all[(*n)++] = t->train[k];
	for (k = 0; k < g->n; k++) {
		all[*n].input = g->items[k].input;
		all[(*n)++].label = g->items[k].label;
	}
	return all;
}

/* ---- writing ---- */

/* Task NAME.json: its grown set, and its history. */
static json_t *cases_json(const arena_cases *g, const arena_history *h, const char *task_name)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list && i < g->n; i++) {
		const arena_case *c = &g->items[i];
		if (json_array_append_new(list, json_pack("{s:s, s:s, s:i, s:s, s:s?}", "input",
			c->input, "label", c->label, "round", c->round, "test_agent", c->agent,
			"reason", c->reason)) < 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list ? json_pack("{s:s, s:o, s:o}", "task", task_name, "cases", list, "history",
				arena_history_json(h)) : NULL;
}

static json_t *state_json(const arena_state *s, task **tasks)
{
	json_t *coders = json_array(), *testers = json_array(), *names = json_array();
	size_t i;

	for (i = 0; names && i < s->n_tasks; i++)
		json_array_append_new(names, json_string(tasks[i]->name));
	for (i = 0; coders && i < s->n_coders; i++)
		json_array_append_new(coders, json_pack("{s:s, s:i, s:f}", "name", s->coders[i].name,
			"generation", s->coders[i].generation, "fitness", s->coders[i].fitness));
	for (i = 0; testers && i < s->n_testers; i++) {
		const arena_tester *t = &s->testers[i];
		json_array_append_new(testers, json_pack("{s:s, s:i, s:i, s:i, s:i}", "name",
			t->name, "exposed", t->exposed, "proposed", t->proposed, "rejected",
			t->rejected, "born", t->born));
	}
	return json_pack("{s:i, s:o, s:o, s:o, s:{s:i, s:i}}", "round", s->round, "tasks", names,
			 "code_agents", coders, "test_agents", testers, "named", "code_agents",
			 s->named_coders, "test_agents", s->named_testers);
}

/* Adds `json` as `name`, dumped with sorted keys: diffs stay small. */
static int set_json(agent_files *out, const char *name, json_t *json)
{
	char *text = json ? json_dumps(json, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
	int rc = text ? agents_set(out, name, text)
		      : err_set(ERR_SYSTEM, "cannot write the arena's %s (out of memory, or "
				"text that is not UTF-8)", name);

	free(text);
	json_decref(json);
	return rc;
}

int arena_state_files(agent_files *out, const arena_state *s, task **tasks)
{
	char name[300];
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = set_json(out, STATE_FILE, state_json(s, tasks));
	for (i = 0; rc == 0 && i < s->n_tasks; i++) {
		snprintf(name, sizeof(name), "%s.json", tasks[i]->name);
		rc = set_json(out, name, cases_json(&s->grown[i], &s->history[i], tasks[i]->name));
	}
	for (i = 0; rc == 0 && i < s->n_testers; i++) {
		snprintf(name, sizeof(name), "%s.c", s->testers[i].name);
		rc = agents_set(out, name, s->testers[i].source);
	}
	if (rc < 0)
		agents_free(out);
	return rc;
}
