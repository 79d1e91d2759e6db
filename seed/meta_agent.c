/*
 * meta_agent.c - the seed meta agent.
 *
 * With a language model, it shows the model agent.h, the agent sources,
 * its notes and the archive summary, and asks for SEARCH/REPLACE edit
 * blocks. The host applies them; a block that does not apply goes back to
 * the model once with the host's error.
 *
 * Offline, or when the model's edits do not apply, it rewrites the
 * numbers of the strategy blocks: the
 * "#define NAME value" lines that follow a "strategy" comment in
 * task_agent.c and in this file. Each rewrite changes a few of them and
 * notes each change in memory.md, as a line like
 *     task_agent.c: STEP_FRACTION 0.3 -> 0.4
 * The archive tells which generations raised fitness; their changes are
 * repeated in the same direction, the others are tried the other way.
 *
 * The constants below are its own strategy, which it may rewrite too.
 */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- rewrite strategy (rewritten by the meta agent itself) ---- */
#define CHANGE_SCALE 0.35          /* relative size of a change */
#define CHANGES_PER_REWRITE 2      /* constants changed in task_agent.c */
#define SELF_REWRITE_PERCENT 25    /* how often it also changes these */
#define ARCHIVE_LINES 8            /* recent generations shown to the model */

static const char system_prompt[] =
	"You improve the agents of a self-improving program written in C. A task "
	"agent improves solutions to tasks using host_eval; this meta agent "
	"rewrites the agents' sources. Both are compiled against agent.h and "
	"judged by the fitness of the solutions the task agent finds. Propose one "
	"focused change that should raise fitness. Reply only with edit blocks, "
	"each after a line naming its file:\n"
	"FILE: task_agent.c\n<<<<<<< SEARCH\nexact existing lines\n=======\n"
	"replacement lines\n>>>>>>> REPLACE\n";

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
	char pattern[128];
	size_t i;
	json_t *gen;

	snprintf(pattern, sizeof(pattern), "%s: %s ", file, name);
	for (i = json_array_size(archive); i-- > 0;) {
		const char *changes, *at;
		json_t *parent;
		double from, to, gain;

		gen = json_array_get(archive, i);
		changes = json_string_value(json_object_get(gen, "changes"));
		at = changes ? strstr(changes, pattern) : NULL;
		parent = json_array_get(archive, (size_t)json_integer_value(json_object_get(gen, "parent")));
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

static int rewrite_constants(const char *archive_text);

/* Appends printf-style to a malloc'd string. */
static char *append(char *s, const char *fmt, ...)
{
	size_t len = s ? strlen(s) : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = realloc(s, len + (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s + len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static char *model_prompt(const char *archive_text)
{
	static const char *const files[] = { "agent.h", "task_agent.c", "meta_agent.c", "memory.md" };
	json_t *archive = json_loads(archive_text, 0, NULL), *g;
	char *prompt = NULL, *text;
	size_t i, n = json_array_size(archive);

	for (i = 0; i < 4; i++) {
		text = host_read(files[i]);
		if (text)
			prompt = append(prompt, "%s:\n```\n%s```\n\n", files[i], text);
		free(text);
	}
	prompt = append(prompt, "Recent generations (fitness 0..1, higher is better):\n");
	for (i = n > ARCHIVE_LINES ? n - ARCHIVE_LINES : 0; i < n; i++) {
		g = json_array_get(archive, i);
		prompt = append(prompt, "gen %d (parent %d): %s, fitness %.4f: %s\n",
				(int)json_integer_value(json_object_get(g, "generation")),
				(int)json_integer_value(json_object_get(g, "parent")),
				json_string_value(json_object_get(g, "status")),
				json_number_value(json_object_get(g, "fitness")),
				json_string_value(json_object_get(g, "reason")));
	}
	json_decref(archive);
	return append(prompt, "\nPropose one change as edit blocks.");
}

/*
 * Applies the "FILE: name" sections of `reply` with host_apply_edits and
 * emits the results only if every section applies. On failure returns -1
 * with the host's error in `error`.
 */
static int apply_model_edits(const char *reply, char *error, size_t size)
{
	char *names[8], *results[8];
	const char *at = strstr(reply, "FILE: ");
	int n = 0, i, rc = 0;

	while (at && n < 8 && rc == 0) {
		const char *name_end = strchr(at, '\n');
		const char *next = name_end ? strstr(name_end, "\nFILE: ") : NULL;
		char *section, *source;
		if (!name_end)
			break;
		names[n] = strndup(at + 6, (size_t)(name_end - at - 6));
		section = strndup(name_end + 1, next ? (size_t)(next - name_end) : strlen(name_end + 1));
		source = host_read(names[n]);
		results[n] = source ? host_apply_edits(source, section) : NULL;
		if (!results[n]) {
			snprintf(error, size, "%s: %s", names[n], host_error());
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
		free(names[i]);
		free(results[i]);
	}
	return rc;
}

/* Asks the model for edits; one retry with the error if they do not apply. */
static int rewrite_with_model(const char *archive_text)
{
	char *prompt = model_prompt(archive_text), *reply, error[600];
	int attempt, rc = -1;

	for (attempt = 0; attempt < 2 && rc < 0; attempt++) {
		reply = host_llm(system_prompt, prompt);
		if (!reply)
			break;
		rc = apply_model_edits(reply, error, sizeof(error));
		free(reply);
		if (rc < 0) {
			host_log("the model's edits did not apply: %s", error);
			prompt = append(prompt, "\n\nYour edit blocks did not apply: %s\n"
					"Send corrected blocks; SEARCH text must match exactly.", error);
		}
	}
	free(prompt);
	return rc;
}

int meta_agent_rewrite(const char *archive_text)
{
	host_budget_info budget;

	if (host_budget(&budget) == 0 && budget.llm_calls_left > 0 &&
	    rewrite_with_model(archive_text) == 0) {
		char *memory = host_read("memory.md"), *updated;
		updated = append(NULL, "%s- rewrite by the model\n",
				 memory ? memory : "# What the meta agent tried\n\n");
		host_emit("memory.md", updated);
		free(updated);
		free(memory);
		return 0;
	}
	return rewrite_constants(archive_text);
}

static int rewrite_constants(const char *archive_text)
{
	json_t *archive = json_loads(archive_text, 0, NULL);
	char notes[2048] = "", *memory = host_read("memory.md"), *updated;
	int rc = rewrite_file("task_agent.c", CHANGES_PER_REWRITE, archive, notes, sizeof(notes));

	if (rc == 0 && (int)(host_rand() % 100) < SELF_REWRITE_PERCENT)
		rewrite_file("meta_agent.c", 1, archive, notes, sizeof(notes));
	json_decref(archive);
	if (rc < 0) {
		host_log("no strategy constants to rewrite");
		free(memory);
		return -1;
	}
	host_log("%s", notes);
	updated = malloc((memory ? strlen(memory) : 0) + strlen(notes) + 64);
	sprintf(updated, "%s%s", memory ? memory : "# What the meta agent tried\n\n", notes);
	host_emit("memory.md", updated);
	free(updated);
	free(memory);
	return 0;
}
