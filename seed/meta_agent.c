/*
 * meta_agent.c - the seed meta agent.
 *
 * With a language model, it shows the model the agent sources, agent.h,
 * its notes and the archive (meta_prompt.c), and asks it for edits
 * (meta_model.c), which are applied and checked (meta_edits.c) and, when
 * they fail, sent back.
 *
 * Offline, or when the model's edits cannot be used, it rewrites the
 * numbers of the strategy blocks, the "#define NAME value" lines after a
 * "strategy" comment: task_agent.c's, gi_search.c's (the task agent's
 * genetic improvement; GI_REWRITE_PERCENT of the time) and its own. Each
 * rewrite changes a few and notes each change in memory.md, as a line like
 *     task_agent.c: STEP_FRACTION 0.3 -> 0.4
 * The archive tells which generations raised fitness; their changes are
 * repeated in the same direction, the others are tried the other way.
 * Either way memory.md gets a "SUMMARY: ..." line, which the host takes
 * as the generation's summary. When the archive asks for a mutation of
 * one file ("mutate": "test_agent.c", from the arena), only that file's
 * strategy constants change.
 *
 * The constants below are its own strategy, which it may rewrite too.
 */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- meta_prompt.c: the model's prompt ---- */

/* Appends printf-style to a malloc'd string (NULL: a new one). */
char *meta_append(char *s, const char *fmt, ...);

/* The archive's generations: an object's "generations", or the archive
 * itself in the older form, an array. */
json_t *meta_generations(json_t *archive);

/* ---- meta_model.c and meta_edits.c: the model's edits ---- */

/* Asks the model for edits, checks them and emits them, with at most
 * `calls` requests; a prompt shows the `detailed` latest generations with
 * their scores per task. Returns 0 once edits are emitted, -1 when none
 * are. */
int meta_model_rewrite(json_t *archive, int calls, int detailed);

/* Adds `notes` and "SUMMARY: text" to `memory` (NULL: the parent's
 * memory.md) and emits it. */
int meta_note(const char *memory, const char *notes, const char *summary);

/* ---- rewrite strategy (rewritten by the meta agent itself) ---- */
#define CHANGE_SCALE 0.35          /* relative size of a change */
#define CHANGES_PER_REWRITE 2      /* constants changed in task_agent.c */
#define SELF_REWRITE_PERCENT 25    /* how often it also changes these */
#define ARCHIVE_LINES 8            /* recent generations shown with their scores */
#define GI_REWRITE_PERCENT 30      /* rewrites of gi_search.c's constants instead */

#define MAX_CONSTANTS 16

typedef struct {
	char name[48];
	size_t start, end;   /* where the number's text is in the source */
	double value;
	int integer;
} constant;

/* Finds the "#define NAME number" lines of the strategy block. */
static int find_constants(const char *src, constant *c, int max)
{
	const char *line = strstr(src, "strategy (rewritten");
	int n = 0;

	while (line && (line = strchr(line, '\n')) != NULL && n < max) {
		char *end;
		const char *value;
		line++;
		if (strncmp(line, "#define ", 8) != 0 ||
		    sscanf(line + 8, "%47s", c[n].name) != 1)
			break;
		value = line + 8 + strlen(c[n].name);
		while (*value == ' ' || *value == '\t')
			value++;
		c[n].value = strtod(value, &end);
		if (end == value)
			break;
		c[n].start = (size_t)(value - src);
		c[n].end = (size_t)(end - src);
		c[n].integer = memchr(value, '.', (size_t)(end - value)) == NULL;
		n++;
	}
	return n;
}

/* +1 or -1: the direction that helped the last time `name` changed, or a
 * coin flip when the archive does not say. */
static int direction(const char *file, const char *name, json_t *archive)
{
	json_t *gens = meta_generations(archive), *gen, *parent;
	char pattern[128];
	size_t i;

	snprintf(pattern, sizeof(pattern), "%s: %s ", file, name);
	for (i = json_array_size(gens); i-- > 0;) {
		const char *changes, *at;
		double from, to, gain;

		gen = json_array_get(gens, i);
		changes = json_string_value(json_object_get(gen, "changes"));
		at = changes ? strstr(changes, pattern) : NULL;
		parent = json_array_get(gens, (size_t)json_integer_value(json_object_get(gen, "parent")));
		if (!at || !parent || sscanf(at + strlen(pattern), "%lf -> %lf", &from, &to) != 2)
			continue;
		gain = json_number_value(json_object_get(gen, "fitness")) -
		       json_number_value(json_object_get(parent, "fitness"));
		if (gain != 0)
			return (to > from) == (gain > 0) ? 1 : -1;
	}
	return host_rand() % 2 ? 1 : -1;
}

static double changed_value(const constant *c, int dir)
{
	double v = c->value * (1 + dir * CHANGE_SCALE * (0.5 + host_rand() / 4294967296.0));

	if (c->integer) {
		long k = (long)(v + 0.5);
		if (k == (long)c->value)
			k += dir;
		return k < 1 ? 1 : (double)k;
	}
	if (c->value < 1)  /* fractions stay fractions */
		v = v < 0.01 ? 0.01 : v > 0.99 ? 0.99 : v;
	return v;
}

/* Rewrites `count` random constants of `file`; notes each in `notes`. */
static int rewrite_file(const char *file, int count, json_t *archive, char *notes, size_t size)
{
	constant c[MAX_CONSTANTS];
	char *src = host_read(file), *out, number[32];
	int n = src ? find_constants(src, c, MAX_CONSTANTS) : 0, i, k;
	size_t used;

	if (n == 0) {
		free(src);
		return -1;
	}
	for (i = 0; i < count; i++) {
		k = (int)(host_rand() % (unsigned)n);
		double v = changed_value(&c[k], direction(file, c[k].name, archive));
		if (c[k].integer)
			snprintf(number, sizeof(number), "%ld", (long)v);
		else
			snprintf(number, sizeof(number), "%.2f", v);
		out = malloc(strlen(src) + sizeof(number));
		memcpy(out, src, c[k].start);
		strcpy(out + c[k].start, number);
		strcat(out, src + c[k].end);
		used = strlen(notes);
		snprintf(notes + used, size - used, "%s: %s %g -> %s\n", file, c[k].name,
			 c[k].value, number);
		free(src);
		src = out;
		n = find_constants(src, c, MAX_CONSTANTS);
	}
	i = host_emit(file, src);
	free(src);
	return i;
}

/* Offline: rewrites strategy constants, and notes each change and a
 * summary of them in memory.md. */
static int rewrite_constants(json_t *archive)
{
	char notes[2048] = "", summary[2048] = "offline:", *at, *line, *last = notes;
	size_t n = 0;
	const char *focus = json_string_value(json_object_get(archive, "mutate"));
	int rc = !focus && (int)(host_rand() % 100) < GI_REWRITE_PERCENT ?
		 rewrite_file("gi_search.c", CHANGES_PER_REWRITE, archive, notes, sizeof(notes)) : -1;
	if (rc < 0)  /* task_agent.c, also when the agent has no gi_search.c */
		rc = rewrite_file(focus ? focus : "task_agent.c", CHANGES_PER_REWRITE, archive, notes,
				  sizeof(notes));

	if (rc == 0 && !focus && (int)(host_rand() % 100) < SELF_REWRITE_PERCENT)
		rewrite_file("meta_agent.c", 1, archive, notes, sizeof(notes));
	if (rc < 0) {
		host_log("no strategy constants to rewrite");
		return -1;
	}
	host_log("%s", notes);
	for (line = notes; (at = strstr(line, ": ")) != NULL; line = at + n + (at[n] == '\n')) {
		int same = line != notes && strncmp(line, last, (size_t)(at - line)) == 0 &&
			   last[at - line] == ':';  /* the same file as the change before */
		n = strcspn(at, "\n");
		snprintf(summary + strlen(summary), sizeof(summary) - strlen(summary), "%s %.*s%s%.*s",
			 line == notes ? "" : ",", same ? 0 : (int)(at - line), line, same ? "" : " ",
			 (int)(n - 2), at + 2);
		last = line;
	}
	return meta_note(NULL, notes, summary);
}

int meta_agent_rewrite(const char *archive_text)
{
	json_t *archive = json_loads(archive_text, 0, NULL);
	host_budget_info budget;
	int rc = -1;

	/* a mutation the arena asks for changes one file's constants */
	if (!json_object_get(archive, "mutate") && host_budget(&budget) == 0 &&
	    budget.llm_calls_left > 0)
		rc = meta_model_rewrite(archive, budget.llm_calls_left, ARCHIVE_LINES);
	if (rc < 0)
		rc = rewrite_constants(archive);
	json_decref(archive);
	return rc;
}
