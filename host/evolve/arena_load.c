/*
 * arena_load.c - reading the arena's state back from the lab; see
 * arena_state_load in arena_internal.h.
 *
 * The arena resumes from the generation of its latest round: its arena/
 * folder names the code agents by generation, whose files and solutions
 * are read from their own trees. A lab without an arena starts one from
 * main: one code agent (main itself) and one test agent (main's
 * test_agent.c).
 */
#include "arena_internal.h"

#include "buf.h"
#include "error.h"
#include "propose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The arena's generations: the round of each. */
typedef struct {
	int number, round;
} arena_gen;

typedef struct {
	arena_gen *items;
	size_t n, size;
	int failed;
} arena_gens;

static int keep_arena_gen(void *ctx, const record *r)
{
	arena_gens *g = ctx;

	if (r->arena.round <= 0)
		return 0;
	if (g->n == g->size) {
		size_t size = g->size ? 2 * g->size : 16;
		arena_gen *grown = realloc(g->items, size * sizeof(*grown));
		if (!grown)
			return g->failed = err_set(ERR_SYSTEM, "out of memory");
		g->items = grown;
		g->size = size;
	}
	g->items[g->n].number = r->number;
	g->items[g->n++].round = r->arena.round;
	return 0;
}

/* The latest generation of the latest round below `below`, or NULL. */
static const arena_gen *latest_below(const arena_gens *g, int below)
{
	const arena_gen *best = NULL;
	size_t i;

	for (i = 0; i < g->n; i++)
		if (g->items[i].round < below && (!best || g->items[i].round >= best->round))
			best = &g->items[i];
	return best;
}

/* Code agent `c`'s files and solutions, from its generation. A solution
 * larger than the host takes from a task agent (by hand, or from an older
 * host) is left for the task's initial one, and counted: it would go into
 * every job of the code agent's rounds. */
static int read_coder(arena_coder *c, lab *l, task **tasks, size_t n_tasks)
{
	record r;
	size_t i;
	int rc = store_read(l->store, c->generation, &r, &c->files);

	if (rc < 0)
		return rc;
	c->fitness = r.fitness;
	record_free(&r);
	c->solutions = calloc(n_tasks + 1, sizeof(char *));
	if (!c->solutions)
		return err_set(ERR_SYSTEM, "out of memory");
	for (i = 0; rc == 0 && i < n_tasks; i++) {
		rc = store_solution(l->store, c->generation, tasks[i]->name, &c->solutions[i]);
		if (rc == 0 && strlen(c->solutions[i]) > evolve_solution_max(tasks[i])) {
			free(c->solutions[i]);
			c->solutions[i] = NULL;
			c->replaced++;
			rc = ERR_NOTFOUND;
		}
		if (rc == ERR_NOTFOUND && (c->solutions[i] = strdup(tasks[i]->initial_text)))
			rc = 0;
		else if (rc == ERR_NOTFOUND)
			rc = err_set(ERR_SYSTEM, "out of memory");
	}
	return rc;
}

static int damaged(int number, const char *file, const char *what)
{
	return err_set(ERR_INVALID, "gen_%03d: arena/%s %s; the arena cannot resume from it",
		       number, file, what);
}

static int name_of(char *out, const json_t *item)
{
	const char *name = json_string_value(json_object_get(item, "name"));

	if (!name || !*name || strlen(name) >= ARENA_NAME_MAX || strspn(name,
	    "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name))
		return -1;
	strcpy(out, name);
	return 0;
}

static int read_testers(arena_state *s, const json_t *list, const agent_files *files, int number)
{
	const json_t *item;
	char file[ARENA_NAME_MAX + 4];
	size_t i;

	json_array_foreach(list, i, item) {
		arena_tester *t;
		char name[ARENA_NAME_MAX];
		const char *source;
		if (name_of(name, item) < 0)
			return damaged(number, "state.json", "names a test agent wrongly");
		snprintf(file, sizeof(file), "%s.c", name);
		if (!(source = agents_get(files, file)))
			return damaged(number, file, "is missing");
		if (arena_add_tester(s, source, (int)json_integer_value(json_object_get(item, "born"))) < 0)
			return ERR_SYSTEM;
		t = &s->testers[s->n_testers - 1];
		strcpy(t->name, name);
		t->exposed = (int)json_integer_value(json_object_get(item, "exposed"));
		t->proposed = (int)json_integer_value(json_object_get(item, "proposed"));
		t->rejected = (int)json_integer_value(json_object_get(item, "rejected"));
	}
	return 0;
}

static int read_coders(arena_state *s, const json_t *list, lab *l, task **tasks, int number)
{
	const json_t *item;
	size_t i;
	int rc = 0;

	s->coders = calloc(json_array_size(list) + 1, sizeof(*s->coders));
	if (!s->coders)
		return err_set(ERR_SYSTEM, "out of memory");
	json_array_foreach(list, i, item) {
		arena_coder *c = &s->coders[s->n_coders];
		if (name_of(c->name, item) < 0 || !json_is_integer(json_object_get(item, "generation")))
			return damaged(number, "state.json", "names a code agent wrongly");
		c->generation = (int)json_integer_value(json_object_get(item, "generation"));
		s->n_coders++;
		if ((rc = read_coder(c, l, tasks, s->n_tasks)) < 0)
			return rc;
	}
	return 0;
}

/* A task's history, the "history" of its NAME.json (`file`). */
static int read_history(arena_history *out, const json_t *list, const char *file, int number)
{
	char why[300];
	int rc = arena_history_read(out, list);

	if (rc != ERR_INVALID)
		return rc;
	snprintf(why, sizeof(why), "%s", err_last());
	return damaged(number, file, why);
}

/* Task i's grown set and history from NAME.json, when the arena has
 * one. The cases the host grew fit in ARENA_GROWN_MAX; of a set that
 * does not (written by hand, or by an older host), the first cases that
 * fit are kept, as they would have been, and the rest counted in
 * out->dropped: a set that no job can carry would end every later
 * round. */
static int read_cases(arena_cases *out, arena_history *history, const agent_files *files,
		      const char *task_name, int number)
{
	char file[300];
	const char *text;
	json_t *json, *item;
	size_t i;
	int rc = 0;

	snprintf(file, sizeof(file), "%s.json", task_name);
	if (!(text = agents_get(files, file)))
		return 0;
	json = json_loads(text, 0, NULL);
	if (!json_is_array(json_object_get(json, "cases")))
		rc = damaged(number, file, "is not a list of cases");
	out->items = calloc(json_array_size(json_object_get(json, "cases")) + 1,
			    sizeof(*out->items));
	if (rc == 0 && !out->items)
		rc = err_set(ERR_SYSTEM, "out of memory");
	json_array_foreach(rc == 0 ? json_object_get(json, "cases") : NULL, i, item) {
		arena_case *c = &out->items[out->n];
		const char *input = json_string_value(json_object_get(item, "input"));
		const char *label = json_string_value(json_object_get(item, "label"));
		const char *reason = json_string_value(json_object_get(item, "reason"));
		const char *agent = json_string_value(json_object_get(item, "test_agent"));
		size_t bytes;
		if (!input || !label) {
			rc = damaged(number, file, "holds a case without an input or a label");
			break;
		}
		bytes = arena_case_bytes(input, label);
		if (out->dropped || out->n >= ARENA_MAX_CASES ||
		    bytes > ARENA_GROWN_MAX - out->bytes) {
			out->dropped++;
			continue;
		}
		out->bytes += bytes;
		c->input = strdup(input);
		c->label = strdup(label);
		c->reason = reason ? strdup(reason) : NULL;
		c->round = (int)json_integer_value(json_object_get(item, "round"));
		snprintf(c->agent, sizeof(c->agent), "%s", agent ? agent : "");
		out->n++;
		if (!c->input || !c->label || (reason && !c->reason)) {
			rc = err_set(ERR_SYSTEM, "out of memory");
			break;
		}
	}
	if (rc == 0)
		rc = read_history(history, json_object_get(json, "history"), file, number);
	json_decref(json);
	return rc;
}

static const char *state_name(const void *list, size_t i)
{
	return json_string_value(json_array_get(list, i));
}

static const char *task_name(const void *list, size_t i)
{
	return ((task *const *)list)[i]->name;
}

/* The arena resumes on the set of tasks it ran on, in any order (grown
 * sets and solutions are read by name), or not at all: a grown set and
 * the code agents' solutions of a task left out would be lost. */
static int same_tasks(const json_t *names, task **tasks, size_t n, int number)
{
	buf had = BUF_INIT, has = BUF_INIT;
	int rc;

	evolve_task_set(&had, names, json_array_size(names), state_name);
	evolve_task_set(&has, tasks, n, task_name);
	if ((rc = buf_failed(&had)) == 0 && (rc = buf_failed(&has)) == 0 && names &&
	    strcmp(buf_cstr(&had), buf_cstr(&has)) != 0)
		rc = err_set(ERR_INVALID, "the arena in this lab runs on %s (gen_%03d); run it "
			     "with --tasks %s", buf_cstr(&had), number, buf_cstr(&had));
	buf_free(&had);
	buf_free(&has);
	return rc;
}

static int resume(arena_state *s, lab *l, task **tasks, int number)
{
	agent_files files;
	json_t *state;
	const json_t *named;
	size_t i;
	int rc = store_read_folder(l->store, number, STORE_ARENA, &files);

	if (rc < 0)
		return rc;
	state = json_loads(agents_get(&files, "state.json") ? agents_get(&files, "state.json") : "",
			   0, NULL);
	if (!json_is_object(state) || !json_is_array(json_object_get(state, "code_agents")))
		rc = damaged(number, "state.json", "is missing or not the arena's state");
	if (rc == 0)
		rc = same_tasks(json_object_get(state, "tasks"), tasks, s->n_tasks, number);
	named = json_object_get(state, "named");
	s->round = (int)json_integer_value(json_object_get(state, "round"));
	for (i = 0; rc == 0 && i < s->n_tasks; i++)
		rc = read_cases(&s->grown[i], &s->history[i], &files, tasks[i]->name, number);
	if (rc == 0)
		rc = read_testers(s, json_object_get(state, "test_agents"), &files, number);
	if (rc == 0)
		rc = read_coders(s, json_object_get(state, "code_agents"), l, tasks, number);
	s->named_coders = (int)json_integer_value(json_object_get(named, "code_agents"));
	s->named_testers = (int)json_integer_value(json_object_get(named, "test_agents"));
	if (rc == 0 && (s->n_coders == 0 || s->n_testers == 0))
		rc = damaged(number, "state.json", "has no code agent or no test agent");
	json_decref(state);
	agents_free(&files);
	return rc;
}

/* A new arena: main as its code agent, main's test_agent.c its test agent. */
static int start(arena_state *s, lab *l, task **tasks)
{
	arena_coder *c;
	const char *source;
	int live, rc = store_main(l->store, &live);

	if (rc < 0)
		return rc;
	if (!(s->coders = calloc(1, sizeof(*s->coders))))
		return err_set(ERR_SYSTEM, "out of memory");
	c = &s->coders[0];
	c->generation = live;
	s->n_coders = 1;
	snprintf(c->name, sizeof(c->name), "c%d", ++s->named_coders);
	if ((rc = read_coder(c, l, tasks, s->n_tasks)) < 0)
		return rc;
	if (!(source = agents_get(&c->files, PROPOSE_FILE)))
		return err_set(ERR_NOTFOUND, "gen_%03d has no test agent (%s): the arena needs "
			       "one; add agent_code/%s and record it with host commit", live,
			       PROPOSE_FILE, PROPOSE_FILE);
	return arena_add_tester(s, source, 1);
}

static int fresh(arena_state *s, size_t n_tasks)
{
	memset(s, 0, sizeof(*s));
	s->n_tasks = n_tasks;
	s->grown = calloc(n_tasks + 1, sizeof(*s->grown));
	s->history = calloc(n_tasks + 1, sizeof(*s->history));
	return s->grown && s->history ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

/*
 * Resumes from the latest round. A round whose commit was cut short (a
 * kill, a full disk) names generations that were never stored: the
 * round before it is resumed instead, and the cut round is made again.
 */
int arena_state_load(arena_state *s, lab *l, task **tasks, size_t n_tasks)
{
	arena_gens g = { NULL, 0, 0, 0 };
	const arena_gen *from;
	int rc = store_each(l->store, keep_arena_gen, &g), below = 1 << 30;

	rc = rc < 0 ? rc : g.failed;
	while (rc == 0 && (rc = fresh(s, n_tasks)) == 0) {
		from = latest_below(&g, below);
		rc = from ? resume(s, l, tasks, from->number) : start(s, l, tasks);
		if (rc != ERR_NOTFOUND || !from)
			break;
		arena_state_free(s);  /* a generation it names is missing */
		below = from->round;
		rc = 0;
	}
	if (rc < 0)
		arena_state_free(s);
	free(g.items);
	return rc;
}
