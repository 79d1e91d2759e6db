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
 * rewrite changes a few, each to a value other than its own, and notes
 * each change in memory.md, as a line like
 *     task_agent.c: STEP_FRACTION 0.3 -> 0.4
 * The archive tells which generations raised fitness; their changes are
 * repeated in the same direction, the others are tried the other way.
 * GI_CODE_PERCENT of the offline rewrites change code instead: GI edits
 * (meta_gi.c) of task_agent.c's or gi_search.c's functions, noted as
 *     GI: task_agent.c:162: '<' -> '<='
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

/* ---- meta_gi.c: GI edits of the task agent's code ---- */

/* Makes `edits` GI edits to `file`'s code and emits it, each rewrite
 * checked (host_check) `checks` times at most until one passes (0: the
 * first, unchecked). Notes each edit in `notes`. Returns 0 once one is
 * emitted, -1 when none is. */
int meta_gi_rewrite(const char *file, int edits, int checks, char *notes, size_t size);

/* ---- rewrite strategy (rewritten by the meta agent itself) ---- */
#define CHANGE_SCALE 0.35          /* relative size of a change */
#define CHANGES_PER_REWRITE 2      /* constants changed in task_agent.c */
#define SELF_REWRITE_PERCENT 25    /* how often it also changes these */
#define ARCHIVE_LINES 8            /* recent generations shown with their scores */
#define GI_REWRITE_PERCENT 30      /* rewrites of gi_search.c instead of task_agent.c */
#define GI_CODE_PERCENT 30         /* rewrites that make GI edits to code, not numbers */
#define GI_CODE_EDITS 1            /* GI edits in such a rewrite */

#define GI_CODE_CHECKS 4  /* GI rewrites checked (host_check) at most; 0: one, unchecked */
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

/* c's value moved in direction `dir`, as it is written: "%ld" or
 * "%.2f". A fraction stays within (0, 1). */
static void changed_value(char *number, size_t size, const constant *c, int dir)
{
	double v = c->value * (1 + dir * CHANGE_SCALE * (0.5 + host_rand() / 4294967296.0));

	if (c->integer) {
		long k = (long)(v + 0.5);
		if (k == (long)c->value)
			k += dir;
		snprintf(number, size, "%ld", k < 1 ? 1 : k);
		return;
	}
	if (fabs(v - c->value) < 0.005)  /* "%.2f" would write the same */
		v = c->value + dir * 0.01;
	if (c->value < 1)  /* fractions stay fractions */
		v = v < 0.01 ? 0.01 : v > 0.99 ? 0.99 : v;
	snprintf(number, size, "%.2f", v);
}

/* A new value for c, written in `number`: in the archive's direction,
 * else the other way. -1 when neither changes it (a bound holds it). */
static int new_value(char *number, size_t size, const constant *c, int dir)
{
	int k;

	for (k = 0; k < 2; k++, dir = -dir) {
		changed_value(number, size, c, dir);
		if (strtod(number, NULL) != c->value)
			return 0;
	}
	return -1;
}

/* Rewrites `count` random constants of `file`, each to a value other
 * than its own and none twice; notes each in `notes`. */
static int rewrite_file(const char *file, int count, json_t *archive, char *notes, size_t size)
{
	constant c[MAX_CONSTANTS];
	char *src = host_read(file), *out, number[32], done[MAX_CONSTANTS] = { 0 };
	int n = src ? find_constants(src, c, MAX_CONSTANTS) : 0, i, k, dir, changed = 0, noted = 0;
	size_t used;

	for (i = 0; i < count && changed < n; i++) {
		k = (int)(host_rand() % (unsigned)n);
		while (done[k])  /* the next one not changed yet */
			k = (k + 1) % n;
		done[k] = 1;
		changed++;
		dir = direction(file, c[k].name, archive);
		if (new_value(number, sizeof(number), &c[k], dir) < 0) {
			count++;  /* another one instead */
			continue;
		}
		out = malloc(strlen(src) + sizeof(number));
		memcpy(out, src, c[k].start);
		strcpy(out + c[k].start, number);
		strcat(out, src + c[k].end);
		used = strlen(notes);
		snprintf(notes + used, size - used, "%s: %s %g -> %s\n", file, c[k].name,
			 c[k].value, number);
		noted++;
		free(src);
		src = out;
		n = find_constants(src, c, MAX_CONSTANTS);
	}
	i = noted ? host_emit(file, src) : -1;
	free(src);
	return i;
}

/* "offline: task_agent.c STEP_SHRINK 0.6 -> 0.43, CANDIDATES 2 -> 3" for
 * notes of numbers; "offline GI: task_agent.c:162: '<' -> '<='" for GI
 * edits. */
static void summarise(char *summary, size_t size, const char *notes)
{
	const char *at, *line, *last = notes;
	size_t n = 0;
	int gi = strncmp(notes, "GI: ", 4) == 0;

	snprintf(summary, size, "offline%s:", gi ? " GI" : "");
	for (line = notes; gi && *line; line += n + (line[n] == '\n')) {
		n = strcspn(line, "\n");
		snprintf(summary + strlen(summary), size - strlen(summary), "%s %.*s",
			 line == notes ? "" : ";", (int)n - 4, line + 4);
	}
	for (line = notes; !gi && (at = strstr(line, ": ")) != NULL;
	     line = at + n + (at[n] == '\n')) {
		int same = line != notes && strncmp(line, last, (size_t)(at - line)) == 0 &&
			   last[at - line] == ':';  /* the same file as the change before */
		n = strcspn(at, "\n");
		snprintf(summary + strlen(summary), size - strlen(summary), "%s %.*s%s%.*s",
			 line == notes ? "" : ",", same ? 0 : (int)(at - line), line, same ? "" : " ",
			 (int)(n - 2), at + 2);
		last = line;
	}
}

/* Offline: GI edits of the task agent's code (GI_CODE_PERCENT of the
 * time), else new strategy constants; notes each change and a summary of
 * them in memory.md. */
static int rewrite_offline(json_t *archive)
{
	char notes[2048] = "", summary[2048];
	const char *focus = json_string_value(json_object_get(archive, "mutate"));
	unsigned draw = focus ? 0 : host_rand();  /* one draw picks the file and the kind */
	int search = !focus && (int)(draw % 100) < GI_REWRITE_PERCENT, rc = -1;
	int code = !focus && (int)(draw / 100 % 100) < GI_CODE_PERCENT;

	if (code)  /* when no GI rewrite passes its check, numbers change instead */
		code = meta_gi_rewrite(search ? "gi_search.c" : "task_agent.c", GI_CODE_EDITS,
				       GI_CODE_CHECKS, notes, sizeof(notes)) == 0;
	if (!code && search)
		rc = rewrite_file("gi_search.c", CHANGES_PER_REWRITE, archive, notes,
				  sizeof(notes));
	if (!code && rc < 0)  /* task_agent.c, also when the agent has no gi_search.c */
		rc = rewrite_file(focus ? focus : "task_agent.c", CHANGES_PER_REWRITE, archive, notes,
				  sizeof(notes));
	if (!code && rc == 0 && !focus && (int)(host_rand() % 100) < SELF_REWRITE_PERCENT)
		rewrite_file("meta_agent.c", 1, archive, notes, sizeof(notes));
	if (!code && rc < 0) {
		host_log("no strategy constants to rewrite");
		return -1;
	}
	host_log("%s", notes);
	summarise(summary, sizeof(summary), notes);
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
		rc = rewrite_offline(archive);
	json_decref(archive);
	return rc;
}
