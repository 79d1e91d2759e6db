/*
 * meta_prompt.c - the seed meta agent's prompt: the archive as text (the
 * limits and budgets, the tasks and what they ask, their best solutions
 * so far, generations in detail and in one line each), the agent files,
 * and the request, within the prompt's budget. Generations are named as
 * host names them (gen_007); texts cut to fit end after a word, with an
 * ellipsis. meta_agent.c and meta_model.c, which declare what they use of
 * this file, ask the model with it.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What it uses of meta_edits.c: `s` on one line in at most `max` bytes,
 * cut after a word with an ellipsis. */
char *meta_shorten(const char *s, size_t max);

/* Appends printf-style to a malloc'd string. */
char *meta_append(char *s, const char *fmt, ...)
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

/* The archive's generations: an object's "generations", or the archive
 * itself in the older form, an array. */
json_t *meta_generations(json_t *archive)
{
	return json_is_array(archive) ? archive : json_object_get(archive, "generations");
}

static double number(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *text(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* "gen_007": generation `n` as host names it. */
static const char *gen_name(char out[24], double n)
{
	snprintf(out, 24, "gen_%03d", (int)n);
	return out;
}

/* "parent gen_006", or "no parent" for gen_000, whose parent the archive
 * gives as itself. */
static const char *parent_name(char out[40], json_t *g)
{
	if (!json_is_number(json_object_get(g, "parent")) || number(g, "parent") < 0 ||
	    number(g, "parent") == number(g, "generation"))
		return "no parent";
	snprintf(out, 40, "parent gen_%03d", (int)number(g, "parent"));
	return out;
}

/* The generation numbered `n`, or NULL. */
static json_t *generation(json_t *archive, long n)
{
	json_t *gens = meta_generations(archive);
	size_t i;

	for (i = 0; i < json_array_size(gens); i++)
		if (json_integer_value(json_object_get(json_array_get(gens, i), "generation")) == n)
			return json_array_get(gens, i);
	return NULL;
}

/* The run's limits and what it has spent. */
static char *limits_text(json_t *archive)
{
	json_t *l = json_object_get(archive, "limits");
	char usd[64] = "no cap", tokens[64] = "no cap";

	if (!l)
		return NULL;
	if (number(l, "max_usd") > 0)
		snprintf(usd, sizeof(usd), "$%g", number(l, "max_usd"));
	if (number(l, "max_tokens") > 0)
		snprintf(tokens, sizeof(tokens), "%.0f", number(l, "max_tokens"));
	return meta_append(NULL, "Limits and budgets: %.0f evaluations per task per generation; %.0f "
		      "model calls per agent run (this rewrite's included); the meta agent has "
		      "%.0f s; this prompt at most %.0f characters. Spent so far: $%.4f (cap: %s), "
		      "%.0f tokens (cap: %s).\n%s\n\n", number(l, "evals_per_task"),
		      number(l, "llm_calls_per_run"), number(l, "meta_seconds"),
		      number(l, "prompt_max_chars"), number(l, "usd_spent"), usd,
		      number(l, "tokens_spent"), tokens, json_is_true(json_object_get(l, "carry"))
		      ? "Solutions are carried: each task agent starts from its parent generation's "
		      "solution for the task, so fitness measures what an agent adds to it."
		      : "Solutions are not carried: each task agent starts from the task's initial "
		      "solution.");
}

static char *tasks_text(json_t *archive)
{
	json_t *tasks = json_object_get(archive, "tasks"), *t;
	char *out = NULL;
	size_t i;

	for (i = 0; i < json_array_size(tasks); i++) {
		t = json_array_get(tasks, i);
		out = meta_append(out, "%s- %s: %s, %s is better; baseline %g, target %g\n",
			     out ? "" : "Tasks (a task's fitness is (score - baseline) / (target - "
			     "baseline), from 0 to 1; a generation's fitness is their mean):\n",
			     text(t, "name"), text(t, "metric"),
			     json_is_true(json_object_get(t, "higher_is_better")) ? "higher" : "lower",
			     number(t, "baseline"), number(t, "target"));
	}
	return out ? meta_append(out, "\n") : NULL;
}

/* Less of a task's description than this is not worth showing. */
#define DESCRIPTION_CHARS 2000

/* What each task asks, as its task agent is told, a line each. */
static char *about_text(json_t *archive)
{
	json_t *tasks = json_object_get(archive, "tasks"), *t;
	char *out = NULL, *said;
	size_t i;

	for (i = 0; i < json_array_size(tasks); i++) {
		t = json_array_get(tasks, i);
		if (!*text(t, "description"))
			continue;
		said = meta_shorten(text(t, "description"), DESCRIPTION_CHARS);
		out = meta_append(out, "%s- %s: %s\n", out ? "" : "What each task asks, as its task "
				  "agent is told:\n", text(t, "name"), said);
		free(said);
	}
	return out ? meta_append(out, "\n") : NULL;
}

/* "; longest evaluation 412 ms of 2000 ms" for a task's result, or ""
 * when the archive has no time for it. */
static const char *longest_text(char out[96], json_t *t)
{
	if (!json_is_number(json_object_get(t, "longest_eval_ms")))
		return "";
	snprintf(out, 96, "; longest evaluation %.0f ms", number(t, "longest_eval_ms"));
	if (number(t, "eval_limit_ms") > 0)
		snprintf(out + strlen(out), 96 - strlen(out), " of %.0f ms",
			 number(t, "eval_limit_ms"));
	return out;
}

/* One task's result of a generation in detail, and what its agent did. */
static char *task_detail(char *out, json_t *t)
{
	json_t *trace = json_object_get(t, "trace");
	char holdout[80], time[96], *status = meta_shorten(text(t, "holdout_status"), 40);
	size_t k;

	if (*status)  /* the host's held-out run failed: no score */
		snprintf(holdout, sizeof(holdout), "failed: %s", status);
	else
		snprintf(holdout, sizeof(holdout), "%g", number(t, "holdout"));
	free(status);
	out = meta_append(out, "- %s: training score %g, held-out %s (baseline %g, target %g); "
			  "agent %s%s%s; evaluations: %.0f (%.0f kept, %.0f failed%s); model "
			  "calls: %.0f\n", text(t, "name"), number(t, "train"), holdout,
			  number(t, "baseline"), number(t, "target"), text(t, "agent"),
			  *text(t, "problem") ? ": " : "", text(t, "problem"), number(t, "evals"),
			  number(t, "kept"), number(t, "failed"), longest_text(time, t),
			  number(t, "llm_calls"));
	for (k = 0; k < json_array_size(trace); k++)
		out = meta_append(out, "    %s\n", json_string_value(json_array_get(trace, k)));
	return out;
}

/* A generation in detail: outcome, summary, each task's scores and what
 * its task agent did. */
static char *detail_text(json_t *g, const char *title)
{
	json_t *tasks = json_object_get(g, "tasks");
	char gen[24], parent[40], *out;
	size_t i;

	out = meta_append(NULL, "%s, %s (%s): %s, fitness %.4f (held-out %.4f). %s\nWhat it "
			  "changed: %s\n", gen_name(gen, number(g, "generation")), title,
			  parent_name(parent, g), text(g, "status"), number(g, "fitness"),
			  number(g, "holdout"), text(g, "reason"),
			  *text(g, "summary") ? text(g, "summary") : "(no summary)");
	for (i = 0; i < json_array_size(tasks); i++)
		out = task_detail(out, json_array_get(tasks, i));
	return meta_append(out, "\n");
}

/* One line for generation `g`, with its scores per task if `scores`. */
static char *history_line(json_t *archive, json_t *g, int scores)
{
	json_t *parent = generation(archive, (long)number(g, "parent")), *tasks;
	char gen[24], from[40], was[40] = "";
	char *out;
	size_t i;

	if (strcmp(parent_name(from, g), "no parent") != 0 && parent)
		snprintf(was, sizeof(was), " (parent %.4f)", number(parent, "fitness"));
	out = meta_append(NULL, "%s (%s): %s, fitness %.4f%s: %s", gen_name(gen, number(g,
			  "generation")), parent_name(from, g), text(g, "status"),
			  number(g, "fitness"), was,
			  *text(g, "summary") ? text(g, "summary") : text(g, "reason"));

	tasks = scores ? json_object_get(g, "tasks") : NULL;
	for (i = 0; i < json_array_size(tasks); i++)
		out = meta_append(out, "%s%s %g", i ? ", " : " [", text(json_array_get(tasks, i), "name"),
			     number(json_array_get(tasks, i), "train"));
	return meta_append(out, "%s\n", json_array_size(tasks) ? "]" : "");
}

/* Cuts `s` (taken) to what fits in *room: whole or not at all (`whole`),
 * or its whole lines from the start, or from the end (`keep_end`). */
static char *fit(char *s, size_t *room, int whole, int keep_end)
{
	size_t n = s ? strlen(s) : 0, from = 0, to = n;
	char *out;

	if (n > *room && whole)
		to = 0;
	while (to - from > *room) {
		if (keep_end) {
			const char *nl = strchr(s + from, '\n');
			from = nl ? (size_t)(nl + 1 - s) : n;
		} else {
			for (to--; to > from && s[to - 1] != '\n'; to--)
				;
		}
	}
	*room -= to - from;
	out = strndup(s ? s + from : "", to - from);
	free(s);
	return out;
}

/* Agent file `name` as a fenced block in what is left of *room: as fit()
 * cuts it, saying so; NULL when less than `least` characters of it fit. */
static char *file_part(const char *name, size_t *room, int whole, int keep_end, size_t least)
{
	char *src = host_read(name), *kept, *out;
	size_t full = src ? strlen(src) : 0, frame = strlen(name) + 90, inner;

	if (!src || *room < frame + (least < full ? least : full)) {
		free(src);
		return NULL;
	}
	inner = *room - frame;
	kept = fit(src, &inner, whole, keep_end);
	out = !*kept ? NULL : meta_append(NULL, "%s%s:\n```\n%s%s```\n\n", name,
		strlen(kept) == full ? "" : keep_end ? " (its newest lines; the prompt's budget "
		"leaves out the rest)" : " (its first lines; the prompt's budget leaves out the rest)",
		kept, kept[strlen(kept) - 1] == '\n' ? "" : "\n");
	*room -= out ? strlen(out) : 0;
	free(kept);
	return out;
}

/* The generations not shown in detail, newest first, one line each. */
static char *history_text(json_t *archive, long parent, long last, int detailed)
{
	json_t *gens = meta_generations(archive), *g;
	char *out = NULL, *line;
	size_t i, shown = 0;

	for (i = json_array_size(gens); i-- > 0;) {
		g = json_array_get(gens, i);
		if ((long)number(g, "generation") == parent || (long)number(g, "generation") == last)
			continue;
		line = history_line(archive, g, shown++ < (size_t)detailed);
		out = meta_append(out, "%s%s", out ? "" : "Earlier generations, newest first:\n", line);
		free(line);
	}
	return out ? meta_append(out, "\n") : NULL;
}

/* Nonzero when task t's "cut" names `member`. */
static int was_cut(json_t *t, const char *member)
{
	json_t *cut = json_object_get(t, "cut");
	size_t i;

	for (i = 0; i < json_array_size(cut); i++)
		if (strcmp(json_string_value(json_array_get(cut, i)), member) == 0)
			return 1;
	return 0;
}

static const char solutions_head[] = "The best solution so far of each task: the highest "
	"training score in the lab, as a task agent wrote it. The agents you rewrite should "
	"reach it and beat it.\n";
static const char solutions_left[] = "Left out for the budget: the best solution of %s.\n\n";

/* The room the solutions' heading and the line naming those left out
 * take at most: kept from the start, so that the prompt always says
 * what it leaves out. */
static size_t solutions_note(json_t *archive)
{
	json_t *tasks = json_object_get(archive, "tasks");
	size_t i, n = 0;

	for (i = 0; i < json_array_size(tasks); i++)
		if (json_object_get(json_array_get(tasks, i), "best"))
			n += strlen(text(json_array_get(tasks, i), "name")) + 2;
	return n ? n + sizeof(solutions_head) + sizeof(solutions_left) : 0;
}

/* Task t's best solution as a fenced block; NULL when the archive left
 * its code out. */
static char *solution_block(json_t *t)
{
	json_t *best = json_object_get(t, "best");
	const char *code = text(best, "code");
	char gen[24];

	if (!*code)
		return NULL;
	return meta_append(NULL, "%s, from %s, training score %g%s:\n```c\n%s%s```\n\n",
			   text(t, "name"), gen_name(gen, number(best, "generation")),
			   number(best, "train"), was_cut(t, "best.code") ? " (its first lines: "
			   "the archive's budget left out the rest)" : "", code,
			   code[strlen(code) - 1] == '\n' ? "" : "\n");
}

/* Each task's best solution so far, whole or left out, in what is left
 * of *room (with the room kept for the note); those left out are named. */
static char *solutions_text(json_t *archive, size_t *room)
{
	json_t *tasks = json_object_get(archive, "tasks"), *t;
	size_t i, note = solutions_note(archive), used = 0;
	char *blocks = NULL, *left = NULL, *block, *out;

	for (i = 0; i < json_array_size(tasks); i++) {
		t = json_array_get(tasks, i);
		if (!json_object_get(t, "best"))
			continue;
		if ((block = solution_block(t)) && used + strlen(block) + note <= *room) {
			blocks = meta_append(blocks, "%s", block);
			used += strlen(block);
		} else {
			left = meta_append(left, "%s%s", left ? ", " : "", text(t, "name"));
		}
		free(block);
	}
	out = blocks || left ? meta_append(NULL, "%s%s", solutions_head, blocks ? blocks : "") : NULL;
	if (left)
		out = meta_append(out, solutions_left, left);
	free(blocks);
	free(left);
	return fit(out, room, 1, 0);
}

/* Less of task_agent.c than this (its strategy block and prompt) is not
 * worth a call to the model. */
#define TASK_AGENT_LEAST 2000

/* What is asked; a candidate with siblings (host evolve --parallel) is
 * told so, so that their rewrites differ even when their prompts would
 * not. */
static char *ask_text(json_t *archive)
{
	json_t *round = json_object_get(archive, "round");
	char *out = meta_append(NULL, "Propose one focused change as edit blocks, then the "
				"SUMMARY line.\n"), gen[24];

	if (number(round, "candidates") > 1)
		out = meta_append(out, "You are candidate %.0f of %.0f proposed in this round, "
				  "as %s; the others are asked the same, so prefer a change "
				  "they are less likely to make.\n", number(round, "candidate"),
				  number(round, "candidates"), gen_name(gen, number(round, "generation")));
	return out;
}

/* The prompt's parts, in order of need. */
enum { P_ASK, P_LIMITS, P_TASKS, P_TASK_AGENT, P_ABOUT, P_PARENT, P_LAST, P_AGENT_H,
       P_TASK_MODEL, P_SOLUTIONS, P_META, P_GI_SEARCH, P_META_MODEL, P_META_EDITS,
       P_META_PROMPT, P_HISTORY, P_MEMORY, P_COUNT };

/* The agent files shown whole or not at all, and memory.md. */
static const char *const part_files[P_COUNT] = {
	[P_AGENT_H] = "agent.h", [P_TASK_MODEL] = "task_model.c", [P_GI_SEARCH] = "gi_search.c",
	[P_META] = "meta_agent.c",
	[P_META_MODEL] = "meta_model.c", [P_META_EDITS] = "meta_edits.c",
	[P_META_PROMPT] = "meta_prompt.c", [P_MEMORY] = "memory.md",
};

/* Part `i` of the prompt, in what is left of *room. */
static char *prompt_part(int i, json_t *archive, size_t *room, long parent, long last,
			 int detailed)
{
	switch (i) {
	case P_ASK:
		return fit(ask_text(archive), room, 1, 0);
	case P_LIMITS:
		return fit(limits_text(archive), room, 1, 0);
	case P_TASKS:
		return fit(tasks_text(archive), room, 1, 0);
	case P_TASK_AGENT:
		return file_part("task_agent.c", room, 0, 0, TASK_AGENT_LEAST);
	case P_ABOUT:
		return fit(about_text(archive), room, 0, 0);
	case P_SOLUTIONS:
		return solutions_text(archive, room);
	case P_PARENT:
		return fit(generation(archive, parent) ? detail_text(generation(archive, parent),
			   "the one you are rewriting") : NULL, room, 0, 0);
	case P_LAST:
		return fit(last != parent ? detail_text(generation(archive, last), "the latest")
			   : NULL, room, 0, 0);
	case P_HISTORY:
		return fit(history_text(archive, parent, last, detailed), room, 0, 0);
	case P_MEMORY:
		return file_part("memory.md", room, 0, 1, 0);
	default:
		return file_part(part_files[i], room, 1, 0, 0);
	}
}

/* Room kept from the start for the line naming the agent files the
 * budget left out, so that the model knows what it was not shown. */
#define FILES_LEFT_NOTE 200

/* "Left out for the budget: meta_edits.c, ..." for the files among
 * parts[] that exist but did not fit, or NULL. */
static char *files_left(char *const part[P_COUNT])
{
	char *left = NULL, *src;
	int i;

	for (i = 0; i < P_COUNT; i++) {
		if (!part_files[i] || part[i] || !(src = host_read(part_files[i])))
			continue;
		free(src);
		left = meta_append(left, "%s%s", left ? ", " : "", part_files[i]);
	}
	return left ? meta_append(left, " (the prompt's budget, --llm-prompt-max, leaves "
				  "them out).\n\n") : NULL;
}

/*
 * The prompt, within `max` characters with the system prompt. Each part,
 * in order of need, gets what is left: the request, limits, tasks,
 * task_agent.c, what each task asks and the two generations in detail
 * (their ends cut if they must be), agent.h and task_model.c whole or not
 * at all, each task's best solution whole or named as left out, the meta
 * agent's files whole or not at all (a line names the files left out),
 * then the history and memory.md, their newest lines first: the oldest go
 * first. No file is sent twice; the parts are shown files first.
 */
char *meta_prompt(json_t *archive, size_t max, size_t system_len, int detailed)
{
	static const int shown[P_COUNT] = { P_AGENT_H, P_TASK_AGENT, P_TASK_MODEL, P_GI_SEARCH,
					    P_META, P_META_MODEL, P_META_EDITS, P_META_PROMPT, P_MEMORY,
					    P_LIMITS, P_TASKS, P_ABOUT, P_SOLUTIONS, P_HISTORY, P_LAST,
					    P_PARENT, P_ASK };
	json_t *gens = meta_generations(archive);
	json_t *latest = json_array_get(gens, json_array_size(gens) - 1);
	long parent = json_is_object(archive)
		? (long)json_integer_value(json_object_get(archive, "parent")) : -1;
	long last = latest ? (long)number(latest, "generation") : -1;
	size_t room = max > system_len ? max - system_len : 0, kept = solutions_note(archive);
	size_t files_note;
	char *part[P_COUNT], *prompt = NULL, *left;
	int i;

	kept = kept < room ? kept : room;  /* the note on solutions left out always fits */
	room -= kept;
	files_note = room > FILES_LEFT_NOTE ? FILES_LEFT_NOTE : room;
	room -= files_note;
	for (i = 0; i < P_COUNT; i++) {
		room += i == P_SOLUTIONS ? kept : 0;
		part[i] = prompt_part(i, archive, &room, parent, last, detailed);
	}
	left = part[P_TASK_AGENT] ? files_left(part) : NULL;
	for (i = 0; i < P_COUNT; i++) {
		if (part[P_TASK_AGENT])  /* without it the model has nothing to edit */
			prompt = meta_append(prompt, "%s", part[shown[i]] ? part[shown[i]] : "");
		if (left && shown[i] == P_MEMORY)  /* after the files shown */
			prompt = meta_append(prompt, "Left out for the budget: %s", left);
		free(part[shown[i]]);
	}
	free(left);
	return prompt;
}
