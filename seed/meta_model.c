/*
 * meta_model.c - the seed meta agent's requests to the model: the first,
 * and the next after a reply that could not be used.
 *
 * A reply whose blocks do not apply goes back with the host's error and
 * the nearest lines of the file. Once a file's blocks have missed
 * WHOLE_FILE_AFTER times, the model is asked for that whole file instead,
 * if it fits in the prompt's budget: a small model that cannot copy lines
 * exactly can still write a file. After EDIT_TRIES replies that cannot
 * be used, it stops. A reply whose files fail the check (meta_edits.c)
 * goes back with the check's diagnostics, the lines they name and the
 * reply, so that one slip does not cost a generation: REPAIR_TRIES times
 * at most. Each request is a host_llm call, counted in the run's calls
 * (--llm-calls); it stops when they are spent.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- what it uses of meta_prompt.c and meta_edits.c ---- */

/* Appends printf-style to a malloc'd string (NULL: a new one). */
char *meta_append(char *s, const char *fmt, ...);

/* The user prompt for `archive`: at most `max` characters with a system
 * prompt of `system_len`; NULL when not even the first 2000 characters
 * of task_agent.c fit. */
char *meta_prompt(json_t *archive, size_t max, size_t system_len, int detailed);

#define META_NAME_MAX 64  /* an agent file's name, its NUL included */

/* How a reply went: used, its edits did not apply, or their files
 * failed the check. */
enum { META_USED = 0, META_NOT_APPLIED = -1, META_NOT_CHECKED = -2 };

/* `n`, or less so that s[0..n) does not end inside a UTF-8 character. */
size_t meta_cut(const char *s, size_t n);

/* Uses the model's reply: its edit blocks, or with `whole` its fenced
 * block as the whole of that file. META_USED, or why not in `error`; a
 * file whose block did not match is named in `missed`. */
int meta_use_reply(const char *reply, const char *whole, char *missed, char *error,
		   size_t size);

#define PROMPT_MAX 64000      /* the prompt's budget when the archive gives none */
#define EDIT_TRIES 3          /* replies that cannot be used: the first and two more */
#define WHOLE_FILE_AFTER 2    /* replies whose blocks missed a file, then it is asked whole */
#define REPAIR_TRIES 2        /* candidates that fail the check, sent back */
#define WHOLE_WORDS 600       /* the words around a whole file's request */

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
	"apply, none is applied, and your reply comes back to you with the reason.\n"
	"The files your edits make are compiled and checked; if they fail, your "
	"reply comes back with the compiler's messages. When asked for a whole "
	"file, send all of it in one fenced code block, then the SUMMARY line.\n";

/* The talk with the model: its requests and how the replies went. */
typedef struct {
	size_t max;        /* the prompt's budget, the system prompt's included */
	char *base, *prompt;
	char *whole;       /* the file asked for whole; NULL: edit blocks */
	char missed[META_NAME_MAX];  /* whose block did not match in the last reply */
	int mismatches, failures, repairs;
} talk;

/* `base` again, after a reply that could not be used: with the error and
 * as much of the reply as the budget leaves room for. */
static char *retry_prompt(const talk *t, const char *reply, int rc, const char *error)
{
	size_t used = strlen(system_prompt) + strlen(t->base) + 400;  /* 400: the words around */
	size_t left = t->max > used ? t->max - used : 0, said, quoted;

	said = meta_cut(error, strlen(error) < left ? strlen(error) : left);
	left -= said;
	quoted = meta_cut(reply, strlen(reply) < left ? strlen(reply) : left);
	if (rc == META_NOT_CHECKED)
		return meta_append(strdup(t->base), "\n\nYour reply was:\n%.*s\n\nIts edit blocks "
				   "applied, but the files they made failed the host's check: "
				   "%.*s\nNone of it was kept: the files are as shown above. Send all "
				   "the edit blocks again, with the errors fixed, and the SUMMARY "
				   "line.", (int)quoted, reply, (int)said, error);
	return meta_append(strdup(t->base), "\n\nYour reply was:\n%.*s\n\nIts edit blocks did not "
			   "apply: %.*s\nNone of them was applied. Send all the edit blocks again, "
			   "corrected, and the SUMMARY line. Copy SEARCH lines from the file "
			   "exactly.", (int)quoted, reply, (int)said, error);
}

/* The request for the whole of t->whole, after `why`; NULL when the file
 * does not fit in the budget. The last reply fills what room is left. */
static char *whole_prompt(const talk *t, const char *reply, const char *why)
{
	char *file = host_read(t->whole), *out = NULL;
	size_t used = strlen(system_prompt) + WHOLE_WORDS + 3 * strlen(t->whole);
	size_t left = file && t->max > used + strlen(file) ? t->max - used - strlen(file) : 0;
	size_t said = meta_cut(why, strlen(why) < left ? strlen(why) : left), quoted;

	quoted = meta_cut(reply, strlen(reply) < left - said ? strlen(reply) : left - said);
	if (left > 0)
		out = meta_append(NULL, "%.*s\n\nThis time do not send edit blocks. Here is %s as it "
				  "is now:\n```c\n%s```\n\nYour last reply was:\n%.*s\n\nMake the "
				  "change you meant in %s and send the whole file, changed, in one "
				  "fenced code block (```c ... ```), then the SUMMARY line. Send "
				  "every line of it: what you leave out is lost.", (int)said, why,
				  t->whole, file, (int)quoted, reply, t->whole);
	free(file);
	return out;
}

/* Asks for t->missed whole from now on, when its blocks have missed
 * WHOLE_FILE_AFTER times and it fits; or says why not. */
static void ask_whole(talk *t, const char *reply, const char *error)
{
	char *why = meta_append(NULL, "Your edit blocks for %s did not apply, %d times; the "
				"last time: %s", t->missed, t->mismatches, error);

	t->whole = strdup(t->missed);
	t->prompt = whole_prompt(t, reply, why);
	if (!t->prompt) {
		host_log("the whole of %s does not fit in a prompt of %zu characters: the model "
			 "is not asked for it", t->whole, t->max);
		free(t->whole);
		t->whole = NULL;
	}
	free(why);
}

/* The next request, after a reply that could not be used. */
static void next_prompt(talk *t, const char *reply, int rc, const char *error)
{
	char *why;

	free(t->prompt);
	t->prompt = NULL;
	if (!t->whole && t->missed[0] && ++t->mismatches == WHOLE_FILE_AFTER)
		ask_whole(t, reply, error);
	if (t->prompt)
		return;
	if (!t->whole) {
		t->prompt = retry_prompt(t, reply, rc, error);
		return;
	}
	why = rc == META_NOT_CHECKED
	      ? meta_append(NULL, "The whole %s you sent failed the host's check: %sNone of it "
			    "was kept.", t->whole, error)
	      : meta_append(NULL, "Your last reply could not be used: %s.", error);
	t->prompt = whole_prompt(t, reply, why);
	free(why);
}

/* Whether to stop after a reply that could not be used. */
static int give_up(talk *t, int rc, const char *error)
{
	if (rc == META_NOT_CHECKED) {
		host_log("the model's edits failed the check: %s", error);
		return ++t->repairs > REPAIR_TRIES;
	}
	host_log("the model's reply could not be used: %s", error);
	return ++t->failures >= EDIT_TRIES;
}

/* Asks the model for edits, with at most `calls` requests: a reply that
 * cannot be used, or whose files fail the check, goes back with the
 * reason. A quarter of the budget, up to 3000 characters, is kept for
 * that. Returns 0 once edits are emitted, -1 when none are. */
int meta_model_rewrite(json_t *archive, int calls, int detailed)
{
	double budget = json_number_value(json_object_get(json_object_get(archive, "limits"),
							  "prompt_max_chars"));
	talk t = { budget > 0 ? (size_t)budget : PROMPT_MAX, NULL, NULL, NULL, "", 0, 0, 0 };
	size_t room = t.max / 4 < 3000 ? t.max / 4 : 3000;
	char *reply, error[4000];
	int call, stop, rc = META_NOT_APPLIED;

	t.base = meta_prompt(archive, t.max - room, strlen(system_prompt), detailed);
	t.prompt = t.base ? strdup(t.base) : NULL;
	if (!t.base)
		host_log("a prompt of %zu characters leaves no room for task_agent.c", t.max);
	for (call = 0, stop = !t.prompt; !stop && call < calls; call++) {
		if (!(reply = host_llm(system_prompt, t.prompt))) {
			host_log("no reply from the model: %s", host_error());
			break;
		}
		rc = meta_use_reply(reply, t.whole, t.missed, error, sizeof(error));
		stop = rc == META_USED || give_up(&t, rc, error);
		if (!stop)
			next_prompt(&t, reply, rc, error);
		stop = stop || !t.prompt;
		free(reply);
	}
	free(t.prompt);
	free(t.base);
	free(t.whole);
	return rc == META_USED ? 0 : -1;
}
