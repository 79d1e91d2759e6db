/*
 * test_agent.c - the seed test agent.
 *
 * In the arena (host evolve --arena) it proposes inputs that the current
 * solution may get wrong. The host labels each one with the task's
 * oracle, which the agent never sees: a label the agent gives is only its
 * guess, and a proposal whose guess the oracle contradicts is thrown away.
 *
 * With a language model, it shows the model the task, the solution, some
 * of the cases so far and the latest of the earlier rounds' proposals
 * with what became of each (the request's "history"), and asks for new
 * inputs that break the solution, each with its label and the reason it
 * should break it.
 *
 * Then, and always offline, it mutates the cases so far into inputs
 * neither a case nor proposed before (in this round or, as far as the
 * history goes back, an earlier one): it inserts,
 * deletes, swaps or replaces characters, drawing the new ones from each
 * class of character a rule may name (letters, digits, the punctuation
 * the task's description mentions, whitespace, control characters,
 * characters outside ASCII), and it stretches a run of letters to the
 * lengths the description names, one below, at and one above each. It
 * leaves the labels to the oracle.
 *
 * It is a unit of its own in the arena: it uses nothing of the other
 * agent files. The constants below are its strategy, which the meta agent
 * may rewrite.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- test strategy (rewritten by the meta agent) ---- */
#define BOUNDARY_PERCENT 30        /* proposals that stretch a run to a named length */
#define EDITS_PER_PROPOSAL 1       /* character edits in one mutated proposal */
#define MODEL_SHARE 0.75           /* of the proposals asked of the model */
#define TRIES_PER_PROPOSAL 8       /* mutations tried for a new input */

#define MAX_INPUT 1024             /* the longest input it proposes */
#define MAX_LENGTHS 32             /* lengths read from the description */
#define PROMPT_CASES 40            /* cases shown to the model */
#define PROMPT_HISTORY 40          /* earlier proposals shown to the model */
#define PROMPT_HISTORY_CHARS 4000  /* and the most characters they take */

static const char test_prompt[] =
	"You write test cases that break solutions to a programming task. You see "
	"the task, the current solution in C and some labelled cases. Find inputs "
	"that this solution classifies wrongly under the task's rules. Reply with a "
	"JSON array only, each item {\"input\": string, \"label\": the correct label "
	"as in the cases shown, \"reason\": why the solution gets it wrong}. Do not "
	"propose again what was proposed in earlier rounds: learn from what became of it.";

/* Characters drawn from each class a rule may name; punctuation comes
 * from the task's description. */
static const char *const classes[] = {
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"0123456789",
	" \t\n",
	"\x01\x1f\x7f",
};

typedef struct {
	char punct[64];              /* the description's punctuation */
	int lengths[MAX_LENGTHS];    /* the numbers it names, as lengths */
	int n_lengths;
} task_words;

static void read_description(task_words *w, const char *text)
{
	const char *at;

	memset(w, 0, sizeof(*w));
	for (at = text; at && *at; at++) {
		if (strchr("@.-_%+!#$&'*/=?^`{|}~", *at) && !strchr(w->punct, *at) &&
		    strlen(w->punct) < sizeof(w->punct) - 1)
			strncat(w->punct, at, 1);
		if (*at >= '1' && *at <= '9' && (at == text || !strchr("0123456789(", at[-1])) &&
		    w->n_lengths < MAX_LENGTHS) {
			int n = atoi(at);
			if (n >= 2 && n <= MAX_INPUT / 2)
				w->lengths[w->n_lengths++] = n;
		}
	}
}

static unsigned int pick(unsigned int n)
{
	return n ? host_rand() % n : 0;
}

/* A character of a random class; non-ASCII comes as UTF-8 "é". */
static int random_char(const task_words *w, char out[3])
{
	unsigned int k = pick(6);

	if (k < 4) {
		out[0] = classes[k][pick((unsigned)strlen(classes[k]))];
		return 1;
	}
	if (k == 4 && w->punct[0]) {
		out[0] = w->punct[pick((unsigned)strlen(w->punct))];
		return 1;
	}
	out[0] = (char)0xc3;
	out[1] = (char)0xa9;
	return 2;
}

/* Nonzero for a byte inside a character of more than one byte: edits
 * leave those alone, so that the input stays UTF-8. */
static int wide(char c)
{
	return (unsigned char)c >= 0x80;
}

/* One edit of s (of length *n, room for MAX_INPUT): insert, delete,
 * swap or replace. */
static void edit(char *s, size_t *n, const task_words *w)
{
	char c[3];
	size_t at = pick((unsigned)*n + 1), len;
	unsigned int kind = pick(4);

	if ((at < *n && wide(s[at])) || (at + 1 < *n && wide(s[at + 1])))
		return;
	if (*n == 0 || kind == 0) {
		len = (size_t)random_char(w, c);
		if (*n + len >= MAX_INPUT)
			return;
		memmove(s + at + len, s + at, *n - at + 1);
		memcpy(s + at, c, len);
		*n += len;
		return;
	}
	at = at >= *n ? *n - 1 : at;
	if (kind == 1) {
		memmove(s + at, s + at + 1, *n - at);
		(*n)--;
	} else if (kind == 2 && at + 1 < *n) {
		char t = s[at];
		s[at] = s[at + 1];
		s[at + 1] = t;
	} else if (random_char(w, c) == 1) {
		s[at] = c[0];
	}
}

/* Stretches or shrinks the run of letters around a random place to a
 * length the description names, give or take one. */
static void stretch(char *s, size_t *n, const task_words *w)
{
	size_t at = pick((unsigned)*n), from = at, to = at, len;
	int target;

	if (!w->n_lengths || *n == 0)
		return;
	target = w->lengths[pick((unsigned)w->n_lengths)] + (int)pick(3) - 1;
	while (from > 0 && strchr(classes[0], s[from - 1]) && s[from - 1])
		from--;
	while (to < *n && strchr(classes[0], s[to]) && s[to])
		to++;
	len = to - from;
	if (*n - len + (size_t)target >= MAX_INPUT)
		return;
	memmove(s + from + target, s + to, *n - to + 1);
	memset(s + from, 'a', (size_t)target);
	*n = *n - len + (size_t)target;
}

/* Nonzero when `input` is already a case, a proposal, or was proposed
 * in an earlier round (an entry of the history without an input is a
 * count of refused or malformed ones). */
static int known(const json_t *cases, const json_t *proposals, const json_t *history,
		 const char *input)
{
	const json_t *lists[3] = { cases, proposals, history }, *item;
	const char *had;
	size_t i, k;

	for (k = 0; k < 3; k++)
		json_array_foreach(lists[k], i, item)
			if ((had = json_string_value(json_object_get(item, "input"))) &&
			    strcmp(had, input) == 0)
				return 1;
	return 0;
}

/* Adds one new mutation of a random case to `proposals`. */
static void mutate_one(json_t *proposals, const json_t *cases, const json_t *history,
		       const task_words *w)
{
	char s[MAX_INPUT + 4], why[160];
	int try, e;

	for (try = 0; try < TRIES_PER_PROPOSAL; try++) {
		size_t k = pick((unsigned)json_array_size(cases)), n;
		const char *from = json_string_value(json_object_get(json_array_get(cases, k), "input"));
		int boundary = (int)pick(100) < BOUNDARY_PERCENT;

		if (!from || strlen(from) >= MAX_INPUT)  /* cut, it might split a character */
			continue;
		snprintf(s, MAX_INPUT, "%s", from);
		n = strlen(s);
		if (boundary)
			stretch(s, &n, w);
		for (e = 0; !boundary && e < EDITS_PER_PROPOSAL; e++)
			edit(s, &n, w);
		if (known(cases, proposals, history, s))
			continue;
		snprintf(why, sizeof(why), "%s of case %zu", boundary ? "a length at a limit"
			 : "an edit", k + 1);
		json_array_append_new(proposals, json_pack("{s:s, s:s}", "input", s, "reason", why));
		return;
	}
}

/* An outcome of the history in words, for the model. */
static const char *outcome_words(const char *outcome)
{
	static const char *const words[][2] = {
		{ "added", "added: a solution got it wrong, it is a case now" },
		{ "over_cap", "a solution got it wrong, but the round had no room for it" },
		{ "passed", "passed: every solution got it right" },
		{ "contradicted", "contradicted: the oracle's label is not yours" },
		{ "duplicate", "a duplicate: already a case, or proposed twice" },
		{ "refused", "refused by the oracle (their inputs are not shown)" },
		{ "malformed", "were no proposals (no string input, too long, or too many)" },
	};
	size_t i;

	for (i = 0; outcome && i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(outcome, words[i][0]) == 0)
			return words[i][1];
	return outcome ? outcome : "?";
}

/* An entry of the history as a line of the prompt, a new string:
 * - round 1, "a@b.c": contradicted: ... (the oracle's label 0, yours 1) */
static char *history_line(const json_t *e)
{
	const char *label = json_string_value(json_object_get(e, "label"));
	const char *guess = json_string_value(json_object_get(e, "guess"));
	const char *what = outcome_words(json_string_value(json_object_get(e, "outcome")));
	const json_t *input = json_object_get(e, "input");
	int round = (int)json_integer_value(json_object_get(e, "round"));
	char *shown = json_is_string(input) ? json_dumps(input, JSON_ENCODE_ANY) : NULL;
	size_t size = (shown ? strlen(shown) : 0) + 300, used;
	char *line = malloc(size);

	if (line && shown)
		snprintf(line, size, "- round %d, %s: %s", round, shown, what);
	else if (line)
		snprintf(line, size, "- round %d: %d %s", round,
			 (int)json_integer_value(json_object_get(e, "count")), what);
	free(shown);
	if (!line)
		return NULL;
	used = strlen(line);
	if (label || guess)
		snprintf(line + used, size - used, " (%s%.40s%s%s%.40s)", label ? "the oracle's label "
			 : "", label ? label : "", label && guess ? ", " : "",
			 guess ? "yours " : "", guess ? guess : "");
	used = strlen(line);
	snprintf(line + used, size - used, "\n");
	return line;
}

/* The newest entries of the request's history that fit the prompt's
 * share, as lines: a new string, "" when there are none. */
static char *history_text(const json_t *request)
{
	const json_t *history = json_object_get(request, "history");
	char *text = malloc(PROMPT_HISTORY_CHARS + 1), *line;
	size_t i, used = 0, lines = 0;

	if (!text)
		return NULL;
	text[0] = '\0';
	for (i = 0; i < json_array_size(history) && lines < PROMPT_HISTORY; i++) {
		if (!(line = history_line(json_array_get(history, i))))
			break;
		if (strlen(line) <= PROMPT_HISTORY_CHARS - used) {  /* else too long: skipped */
			memcpy(text + used, line, strlen(line) + 1);
			used += strlen(line);
			lines++;
		}
		free(line);
	}
	return text;
}

/* The model's proposals, appended to `proposals`, at most `max`. */
static void ask_model(json_t *proposals, const json_t *request, size_t max)
{
	host_task_info task;
	json_t *shown = json_array(), *reply_json, *item;
	const json_t *cases = json_object_get(request, "cases");
	const char *solution = json_string_value(json_object_get(request, "solution"));
	char *cases_text, *history, *prompt, *reply;
	const char *start, *end;
	size_t i;

	for (i = 0; i < json_array_size(cases) && i < PROMPT_CASES; i++)
		json_array_append(shown, json_array_get(cases, i));
	cases_text = json_dumps(shown, JSON_COMPACT);
	json_decref(shown);
	history = history_text(request);
	prompt = solution && cases_text && history && host_task(&task) == 0
		 ? malloc(strlen(task.description) + strlen(cases_text) + strlen(solution) +
			  strlen(history) + 300) : NULL;
	if (prompt)
		sprintf(prompt, "Task: %s\n\nSolution:\n```c\n%s\n```\n\nCases: %s\n\n%s%s%s"
			"Propose %zu inputs.\n", task.description, solution, cases_text,
			history[0] ? "Earlier proposals, newest first, and what became of each:\n"
			: "", history, history[0] ? "\n" : "", max);
	free(cases_text);
	free(history);
	if (!prompt)
		return;
	reply = host_llm(test_prompt, prompt);
	free(prompt);
	start = reply ? strchr(reply, '[') : NULL;
	end = reply ? strrchr(reply, ']') : NULL;
	reply_json = start && end > start ? json_loadb(start, (size_t)(end - start + 1), 0, NULL)
		     : NULL;
	json_array_foreach(reply_json, i, item)
		if (json_array_size(proposals) < max &&
		    json_is_string(json_object_get(item, "input")))
			json_array_append(proposals, item);
	if (!reply_json)
		host_log("the model gave no proposals: %s", reply ? "no JSON array" : host_error());
	json_decref(reply_json);
	free(reply);
}

char *test_agent_propose(const char *request_text)
{
	json_t *request = json_loads(request_text, 0, NULL);
	json_t *proposals = json_array(), *cases = json_object_get(request, "cases");
	size_t max = (size_t)json_integer_value(json_object_get(request, "max")), tries;
	host_budget_info budget;
	host_task_info task;
	task_words words;
	char *out;

	read_description(&words, host_task(&task) == 0 ? task.description : "");
	if (host_budget(&budget) == 0 && budget.llm_calls_left > 0)
		ask_model(proposals, request, (size_t)(max * MODEL_SHARE + 0.5));
	for (tries = 0; json_array_size(cases) && json_array_size(proposals) < max &&
	     tries < 4 * max; tries++)
		mutate_one(proposals, cases, json_object_get(request, "history"), &words);
	host_log("proposed %zu inputs", json_array_size(proposals));
	out = json_dumps(proposals, JSON_COMPACT);
	json_decref(proposals);
	json_decref(request);
	return out;
}
