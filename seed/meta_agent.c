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
 * blocks, each after a "FILE: name" line, and a SUMMARY line. The blocks
 * apply in order, each to the file as those before it left it, however
 * many sections name the file, and each file is emitted once; memory.md
 * notes how many blocks of each file were applied. If a block does not
 * apply, none is: the reply goes back to the model, with the host's
 * error and the nearest lines of the file, twice at most.
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
	"replacement lines\n>>>>>>> REPLACE\nSUMMARY: what you changed, and why\n"
	"The blocks apply in order, each to the file as the blocks before it left "
	"it, also when several sections name the same file. If a block does not "
	"apply, none is applied, and your reply comes back to you with the reason.\n";

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

/* Adds "SUMMARY: text" (and `notes` before it) to `memory`, memory.md's
 * text (NULL: the parent's), and emits it. */
static int note_in_memory(const char *memory, const char *notes, const char *summary)
{
	char *parent = memory ? NULL : host_read("memory.md"), *updated;
	int rc;

	if (!memory)
		memory = parent ? parent : "# What the meta agent tried\n\n";
	updated = meta_append(NULL, "%s%sSUMMARY: %s\n", memory, notes, summary);
	rc = host_emit("memory.md", updated);
	free(updated);
	free(parent);
	return rc;
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

/* The next "FILE: name" line from `p` (decorated or not), or NULL; a
 * line inside an edit block is the block's text, whatever it says.
 * *blocks counts the blocks passed on the way. */
static const char *next_file_line(const char *p, int *blocks)
{
	int in_block = 0;

	for (*blocks = 0; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (in_block)
			in_block = strncmp(p, ">>>>>>> REPLACE", 15) != 0;
		else if (strncmp(p, "<<<<<<< SEARCH", 14) == 0 && ++*blocks)
			in_block = 1;
		else if (strncmp(p + strspn(p, " `*#"), "FILE:", 5) == 0)
			return p;
	}
	return NULL;
}

/* A file the reply edits: its parent's text and its text as the reply's
 * sections so far left it. */
typedef struct {
	char *name, *parent, *text;
	int sections, blocks;
} edited_file;

#define MAX_EDITED 16  /* files one reply may edit */

/* The entry of `name` in files[0..*n), added (with the parent's text)
 * when it is not there yet; NULL with the reason in `error`. */
static edited_file *edited(edited_file *files, int *n, char *name, char *error, size_t size)
{
	int i;

	for (i = 0; i < *n; i++)
		if (strcmp(files[i].name, name) == 0) {
			free(name);
			return &files[i];
		}
	if (*n == MAX_EDITED || !(files[*n].parent = host_read(name))) {
		snprintf(error, size, "%s: %s", name, *n == MAX_EDITED ? "a reply may edit at "
			 "most 16 files" : "there is no such agent file");
		free(name);
		return NULL;
	}
	files[*n].name = name;
	files[*n].text = strdup(files[*n].parent);
	files[*n].sections = files[*n].blocks = 0;
	return &files[(*n)++];
}

/* Applies the section from `at` (its "FILE:" line) to `next` to the file
 * as the sections before it left it; `blocks` is how many it holds. */
static int apply_section(edited_file *files, int *n, const char *at, const char *next,
			 int blocks, char *error, size_t size)
{
	const char *body = strchr(at, '\n') ? strchr(at, '\n') + 1 : at + strlen(at);
	char *section = strndup(body, next ? (size_t)(next - body) : strlen(body)), *result;
	edited_file *f;

	at += strspn(at, " `*#") + 5;
	f = edited(files, n, file_name(at, body > at && body[-1] == '\n' ? body - 1 : body),
		   error, size);
	result = f ? host_apply_edits(f->text, section) : NULL;
	free(section);
	if (f && !result && f->sections > 0)
		snprintf(error, size, "%s, its FILE section %d (applied to the file as its "
			 "earlier sections left it): %s", f->name, f->sections + 1, host_error());
	else if (f && !result)
		snprintf(error, size, "%s: %s", f->name, host_error());
	if (!result)
		return -1;
	free(f->text);
	f->text = result;
	f->sections++;
	f->blocks += blocks;
	return 0;
}

/*
 * Applies the "FILE: name" sections of `reply` in order, each to its file
 * as the sections before it left it, into files[0..*n). -1, with the
 * reason in `error`, when a block does not apply, a block has no file, or
 * a file ends as it was: then nothing is applied, for the model's summary
 * speaks of every block.
 */
static int apply_sections(edited_file *files, int *n, const char *reply, char *error,
			  size_t size)
{
	int blocks, rc = 0, i;
	const char *at = next_file_line(reply, &blocks), *next;

	if (blocks > 0 || !at) {
		snprintf(error, size, blocks > 0 ? "an edit block comes before any 'FILE: name' "
			 "line; each block must follow the line naming its file" :
			 "no 'FILE: name' line followed by edit blocks");
		return -1;
	}
	for (; at && rc == 0; at = next) {
		next = next_file_line(strchr(at, '\n') ? strchr(at, '\n') + 1 : "", &blocks);
		rc = apply_section(files, n, at, next, blocks, error, size);
	}
	for (i = 0; rc == 0 && i < *n; i++)
		if (strcmp(files[i].text, files[i].parent) == 0) {
			snprintf(error, size, "%s: its blocks leave it as it was", files[i].name);
			rc = -1;
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

/* The reply's "SUMMARY:" line, whole (the host cuts the summary it
 * keeps after a word), else a summary of our own naming the files. */
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
	return strndup(at, n);
}

/*
 * Emits the edited files and memory.md, whose notes say per file how many
 * blocks were applied, then the SUMMARY line (the model's, or one naming
 * the files). A file the model edited is emitted once, with all its
 * edits: memory.md too, with the notes after them. On a refusal the files
 * emitted so far go back to their parent's text, and -1 says why in
 * `error`.
 */
static int emit_edits(const edited_file *files, int n, const char *reply, char *error,
		      size_t size)
{
	char *notes = NULL, *names = NULL, *summary;
	const char *memory = NULL;
	int i, rc = 0;

	for (i = 0; i < n; i++) {
		notes = meta_append(notes, "%s: the model's %d edit block%s applied, in order\n",
				    files[i].name, files[i].blocks, files[i].blocks == 1 ? "" : "s");
		names = meta_append(names, "%s%s", i ? ", " : "", files[i].name);
		if (strcmp(files[i].name, "memory.md") == 0)
			memory = files[i].text;
		else if (rc == 0 && (rc = host_emit(files[i].name, files[i].text)) < 0)
			snprintf(error, size, "%s: %s", files[i].name, host_error());
	}
	summary = summary_of(reply, names ? names : "");
	if (rc == 0 && (rc = note_in_memory(memory, notes ? notes : "", summary)) < 0)
		snprintf(error, size, "memory.md: %s", host_error());
	for (i = 0; rc < 0 && i < n; i++)
		host_emit(files[i].name, files[i].parent);
	free(summary);
	free(names);
	free(notes);
	return rc;
}

/* Applies the model's edits (see apply_sections) and emits the results;
 * -1 with the reason in `error` when they do not apply. */
static int apply_model_edits(const char *reply, char *error, size_t size)
{
	edited_file files[MAX_EDITED];
	int n = 0, i, rc = apply_sections(files, &n, reply, error, size);

	if (rc == 0)
		rc = emit_edits(files, n, reply, error, size);
	for (i = 0; i < n; i++) {
		free(files[i].name);
		free(files[i].parent);
		free(files[i].text);
	}
	return rc;
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
			   "apply: %.*s\nNone of them was applied. Send all the edit blocks again, "
			   "corrected, and the SUMMARY line. Copy SEARCH lines from the file "
			   "exactly.", (int)quoted, reply, (int)said, error);
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
	char *prompt = base ? strdup(base) : NULL, *reply, error[1200];
	int attempt, rc = -1;

	if (!base)
		host_log("a prompt of %zu characters leaves no room for task_agent.c", max);

	for (attempt = 0; base && attempt < EDIT_TRIES && attempt < calls && rc < 0; attempt++) {
		if (!(reply = host_llm(system_prompt, prompt)))
			break;
		rc = apply_model_edits(reply, error, sizeof(error));
		if (rc < 0) {
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
	return note_in_memory(NULL, notes, summary);
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
