/*
 * meta_agent.c - the seed meta agent.
 *
 * With a language model, it shows the model the agent sources, agent.h,
 * its notes and the archive: the limits and budgets, each task's
 * baseline and target, the scores of the generation it rewrites and of
 * the last one with what their task agents did (each proposal's score,
 * the feedback on failures), and one line per earlier generation saying
 * what it changed. The prompt keeps within the archive's budget, leaving
 * out the oldest history first. The model answers with SEARCH/REPLACE
 * blocks and a SUMMARY line; a block that does not apply goes back to it,
 * with the host's error and the nearest lines of the file, twice at most.
 *
 * Offline, or when the model's edits do not apply, it rewrites the
 * numbers of the strategy blocks: the
 * "#define NAME value" lines that follow a "strategy" comment in
 * task_agent.c and in this file. Each rewrite changes a few of them and
 * notes each change in memory.md, as a line like
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

/* The user prompt for `archive`: at most `max` characters with a system
 * prompt of `system_len`; the `detailed` latest generations of the
 * history get their scores per task. NULL when not even the first 2000
 * characters of task_agent.c fit. */
char *meta_prompt(json_t *archive, size_t max, size_t system_len, int detailed);

/* ---- rewrite strategy (rewritten by the meta agent itself) ---- */
#define CHANGE_SCALE 0.35          /* relative size of a change */
#define CHANGES_PER_REWRITE 2      /* constants changed in task_agent.c */
#define SELF_REWRITE_PERCENT 25    /* how often it also changes these */
#define ARCHIVE_LINES 8            /* recent generations shown with their scores */

#define PROMPT_MAX 64000           /* the prompt's budget when the archive gives none */
#define EDIT_TRIES 3               /* the model's first answer and two retries */

static const char system_prompt[] =
	"You improve the agents of a self-improving program written in C. A task "
	"agent improves solutions to tasks using host_eval; this meta agent "
	"rewrites the agents' sources. Both are compiled against agent.h and "
	"judged by the fitness of the solutions the task agent finds. Propose one "
	"focused change that should raise fitness. Reply with edit blocks, each "
	"after a line naming its file, then one line saying what you changed and "
	"why:\n"
	"FILE: task_agent.c\n<<<<<<< SEARCH\nexact existing lines\n=======\n"
	"replacement lines\n>>>>>>> REPLACE\nSUMMARY: what you changed, and why\n";

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

/* Adds "SUMMARY: text" (and `notes` before it) to memory.md. */
static void note_in_memory(const char *notes, const char *summary)
{
	char *memory = host_read("memory.md");
	char *updated = meta_append(NULL, "%s%sSUMMARY: %s\n",
			       memory ? memory : "# What the meta agent tried\n\n", notes, summary);

	host_emit("memory.md", updated);
	free(updated);
	free(memory);
}

/* The file named on a "FILE: name" line, without the decorations models
 * add (backticks, asterisks, blanks). */
static char *file_name(const char *at, const char *end)
{
	while (at < end && strchr(" `*", *at))
		at++;
	while (end > at && strchr(" `*\r", end[-1]))
		end--;
	return strndup(at, (size_t)(end - at));
}

/*
 * Applies the "FILE: name" sections of `reply` with host_apply_edits and
 * emits the results only if every section applies. On failure returns -1
 * with the host's error in `error`; `files` gets the names edited.
 */
static int apply_model_edits(const char *reply, char *error, size_t size, char *files, size_t fsize)
{
	char *names[8], *results[8];
	const char *at = strstr(reply, "FILE:");
	int n = 0, i, rc = 0;

	while (at && n < 8 && rc == 0) {
		const char *name_end = strchr(at, '\n');
		const char *next = name_end ? strstr(name_end, "\nFILE:") : NULL;
		char *section, *source;
		if (!name_end)
			break;
		names[n] = file_name(at + 5, name_end);
		section = strndup(name_end + 1, next ? (size_t)(next - name_end) : strlen(name_end + 1));
		source = host_read(names[n]);
		results[n] = source ? host_apply_edits(source, section) : NULL;
		if (!results[n]) {
			snprintf(error, size, "%s: %s", names[n], source ? host_error()
				 : "there is no such agent file");
			rc = -1;
		}
		n++;
		free(section);
		free(source);
		at = next ? next + 1 : NULL;
	}
	if (n == 0) {
		snprintf(error, size, "no 'FILE: name' line followed by edit blocks");
		rc = -1;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = host_emit(names[i], results[i]);
		snprintf(files + strlen(files), fsize - strlen(files), "%s%s", i ? ", " : "", names[i]);
		free(names[i]);
		free(results[i]);
	}
	return rc;
}

/* `n`, or less so that s[0..n) does not end inside a UTF-8 character. */
static size_t utf8_cut(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* The reply's "SUMMARY:" line, one line of at most 200 bytes, else a
 * summary of our own naming the files. */
static char *summary_of(const char *reply, const char *files)
{
	const char *at = reply;
	size_t n;

	while (at && strncmp(at + strspn(at, " *"), "SUMMARY:", 8) != 0)
		at = (at = strchr(at, '\n')) ? at + 1 : NULL;
	if (!at)
		return meta_append(NULL, "the model edited %s (it sent no SUMMARY line)", files);
	at += strspn(at, " *") + 8;
	at += strspn(at, " ");
	n = strcspn(at, "\r\n");
	while (n > 0 && strchr(" *", at[n - 1]))
		n--;
	return strndup(at, utf8_cut(at, n < 200 ? n : 200));
}

/* The prompt again, after a reply whose blocks did not apply: with as
 * much of the reply as the budget leaves room for, and the error. */
static char *retry_prompt(const char *base, const char *reply, const char *error, size_t max)
{
	size_t used = strlen(system_prompt) + strlen(base) + 300;  /* 300: the words around */
	size_t left = max > used ? max - used : 0, said, quoted;

	said = utf8_cut(error, strlen(error) < left ? strlen(error) : left);
	left -= said;
	quoted = utf8_cut(reply, strlen(reply) < left ? strlen(reply) : left);
	return meta_append(strdup(base), "\n\nYour reply was:\n%.*s\n\nIts edit blocks did not "
			   "apply: %.*s\nSend all the edit blocks again, corrected, and the SUMMARY "
			   "line. Copy SEARCH lines from the file exactly.", (int)quoted, reply,
			   (int)said, error);
}

/* Asks the model for edits; a reply whose blocks do not apply goes back
 * with the error (the nearest lines of the file in it), twice at most.
 * A quarter of the budget, up to 3000 characters, is kept for that. */
static int rewrite_with_model(json_t *archive, int calls)
{
	double budget = json_number_value(json_object_get(json_object_get(archive, "limits"),
							  "prompt_max_chars"));
	size_t max = budget > 0 ? (size_t)budget : PROMPT_MAX, room = max / 4 < 3000 ? max / 4 : 3000;
	char *base = meta_prompt(archive, max - room, strlen(system_prompt), ARCHIVE_LINES);
	char *prompt = base ? strdup(base) : NULL, *reply, error[1200], files[200], *summary;
	int attempt, rc = -1;

	if (!base)
		host_log("a prompt of %zu characters leaves no room for task_agent.c", max);

	for (attempt = 0; base && attempt < EDIT_TRIES && attempt < calls && rc < 0; attempt++) {
		if (!(reply = host_llm(system_prompt, prompt)))
			break;
		files[0] = '\0';
		rc = apply_model_edits(reply, error, sizeof(error), files, sizeof(files));
		if (rc == 0) {
			summary = summary_of(reply, files);
			note_in_memory("", summary);
			free(summary);
		} else {
			host_log("the model's edits did not apply: %s", error);
			free(prompt);
			prompt = retry_prompt(base, reply, error, max);
		}
		free(reply);
	}
	free(prompt);
	free(base);
	return rc;
}

/* Offline: rewrites strategy constants, and notes each change and a
 * summary of them in memory.md. */
static int rewrite_constants(json_t *archive)
{
	char notes[2048] = "", summary[2048] = "offline:", *at, *line, *last = notes;
	size_t n = 0;
	const char *focus = json_string_value(json_object_get(archive, "mutate"));
	int rc = rewrite_file(focus ? focus : "task_agent.c", CHANGES_PER_REWRITE, archive, notes,
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
	note_in_memory(notes, summary);
	return 0;
}

int meta_agent_rewrite(const char *archive_text)
{
	json_t *archive = json_loads(archive_text, 0, NULL);
	host_budget_info budget;
	int rc = -1;

	/* a mutation the arena asks for changes one file's constants */
	if (!json_object_get(archive, "mutate") && host_budget(&budget) == 0 &&
	    budget.llm_calls_left > 0)
		rc = rewrite_with_model(archive, budget.llm_calls_left);
	if (rc < 0)
		rc = rewrite_constants(archive);
	json_decref(archive);
	return rc;
}
