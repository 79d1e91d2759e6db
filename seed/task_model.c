/*
 * task_model.c - the seed task agent's conversation with the model: the
 * attempts, their prompts and the reviewer. task_agent.c, which declares
 * what it uses of this file, starts it and tunes its best solution after.
 *
 * With a language model (host_llm), the agent holds a conversation of
 * attempts, the first the solution it started from. A proposer is asked
 * for a complete improved solution; the host scores it (host_eval),
 * compile errors go back to the model for repair, and the attempt is kept
 * in the history with its status, score, the host's feedback and whether
 * it became the best solution. The proposer's prompt stays small: the
 * task, what is left of the budget and the limits of one evaluation, one
 * line per earlier attempt with the time its evaluation took beside the
 * limit (a solution near it times out on other cases), the best solution
 * with the feedback on that code, and the feedback on a rejected last
 * attempt under its own number. Between proposals a reviewer reads every
 * attempt in full and answers in a fixed format (kind of problem,
 * severity, suggested fix, confidence), which goes into the next proposer
 * prompt. Once the best solution reaches the task's target, the model is
 * not asked again.
 *
 * When the lab carries solutions, the agent starts from its parent
 * generation's solution for the task (host_task's carried_from), not the
 * task's initial one: the prompts name it by where it came from, and the
 * proposer's says so with the score the host gave it in this run, so that
 * a model builds on the work bought before it instead of starting over.
 *
 * The constants and the prompts below are this part of the strategy; the
 * meta agent improves the agent by rewriting them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REVIEW_MIN_CALLS 2        /* a review needs itself and a proposal after it */
#define FEEDBACK_CHARS 800        /* the most of one feedback quoted in a prompt */
#define REVIEW_FIELD_CHARS 400    /* the most of one reviewer's field passed on */

static const char system_prompt[] =
	"You are an expert C programmer improving a solution to a programming "
	"task. Reply with the complete improved solution in one ```c code block. "
	"Keep the interface exactly; use only the C library subset of stdlib.h, "
	"string.h, stdio.h (snprintf, sscanf), ctype.h and math.h; no main().";

/* The reviewer's system prompt. Its answer is parsed by the field names
 * (case and markdown do not matter); FIX is the one it cannot do without. */
static const char review_prompt[] =
	"You review attempts at improving a C solution to a programming task. "
	"You see the task and every attempt so far: its code, the score and "
	"feedback the host gave it, and whether it was kept as the best. Find the "
	"main problem that holds the score back and say how the next attempt "
	"should fix it. Reply with exactly these four lines and nothing else:\n"
	"KIND: compile_error, crash, timeout, wrong_output, weak_strategy, slow or other\n"
	"SEVERITY: low, medium or high\n"
	"FIX: one or two sentences saying what the next attempt should change\n"
	"CONFIDENCE: a number from 0 to 1\n";

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

/* Appends `code` in a ```c block whose closing fence is on a line of its own. */
static char *fenced(char *s, const char *code)
{
	size_t n = strlen(code);

	return append(s, "```c\n%s%s```\n", code, n && code[n - 1] == '\n' ? "" : "\n");
}

/* How many bytes of `s` to quote: at most `max`, never half a UTF-8
 * character, since the host refuses a prompt that is not valid UTF-8. */
static int clip(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	return (int)n;
}

/* One solution the model was shown or proposed, and what the host made
 * of it. */
typedef struct {
	char *code;          /* the code evaluated, after any repairs; NULL: none */
	char status[24];     /* the host's status, or "no code block" */
	double score;        /* meaningful when status is "ok" */
	double best_before;  /* the best score when it was proposed */
	double wall_ms;      /* how long its evaluation took */
	int wall_limit_ms;   /* of the limit; 0: not evaluated */
	int kept;            /* it became the best solution */
	char *feedback;      /* the host's feedback on this code */
} attempt;

/* The conversation with the model: every attempt, and which is best. */
typedef struct {
	const host_task_info *task;
	attempt *attempts;   /* [0] is the solution the agent started from, then
	                        the model's */
	int n;
	int best;            /* the index of the best solution */
	char *review;        /* the reviewer's advice; NULL: none */
	int reviewed;        /* the last attempt the reviewer had read */
	int proposals;       /* solutions to ask of the model */
	int repairs;         /* compile-error repairs per proposal */
} conversation;

static int reached(const host_task_info *task, const attempt *a)
{
	return strcmp(a->status, "ok") == 0 &&
	       (task->higher_is_better ? a->score >= task->target : a->score <= task->target);
}

/* "the initial solution", "the solution carried from gen_004" or
 * "attempt 2": how prompts name attempt i. */
static const char *attempt_name(char *buf, size_t size, const conversation *c, int i)
{
	if (i == 0 && c->task->carried_from >= 0)
		snprintf(buf, size, "the solution carried from gen_%03d", c->task->carried_from);
	else if (i == 0)
		return "the initial solution";
	else
		snprintf(buf, size, "attempt %d", i);
	return buf;
}

/* " in 0.653 s of the 2.000 s wall-time limit", or "" when `a` was not
 * evaluated. */
static char *timing(char *s, const attempt *a)
{
	if (a->wall_limit_ms <= 0)
		return s;
	return append(s, " in %.3f s of the %.3f s wall-time limit", a->wall_ms / 1000,
		      a->wall_limit_ms / 1000.0);
}

/* "attempt 2: scored 18.5 in 0.653 s of the 2.000 s wall-time limit,
 * rejected (the best was 20.25)" */
static char *describe(char *s, const conversation *c, int i)
{
	const attempt *a = &c->attempts[i];
	char name[64];

	s = append(s, "%s: ", attempt_name(name, sizeof(name), c, i));
	if (strcmp(a->status, "ok") == 0)
		s = append(s, "scored %g", a->score);
	else
		s = append(s, "%s", a->status);
	s = timing(s, a);
	if (i == 0)
		return s;
	return a->kept ? append(s, ", kept as the best")
		       : append(s, ", rejected (the best was %g)", a->best_before);
}

/* The host's feedback on an evaluation, with the compiler's diagnostics. */
static char *feedback_text(const host_eval_result *r)
{
	if (r->diagnostics && r->diagnostics[0])
		return append(NULL, "%s\n%s", r->feedback, r->diagnostics);
	return strdup(r->feedback);
}

/* Adds `code` (taken; NULL when the reply had none), scored `r`, to the
 * conversation, as the best solution if it scores better. Returns -1 when
 * memory runs out. */
static int record(conversation *c, char *code, const host_eval_result *r)
{
	attempt *a = realloc(c->attempts, (size_t)(c->n + 1) * sizeof(*a));

	if (!a) {
		free(code);
		host_log("%s: no memory to record attempt %d", c->task->name, c->n);
		return -1;
	}
	c->attempts = a;
	a += c->n;
	a->code = code;
	snprintf(a->status, sizeof(a->status), "%s", r->status);
	a->score = r->score;
	a->wall_ms = r->wall_ms;
	a->wall_limit_ms = r->wall_limit_ms;
	a->best_before = c->n ? c->attempts[c->best].score : r->score;
	a->feedback = feedback_text(r);
	a->kept = c->n == 0 || (strcmp(r->status, "ok") == 0 &&
				(c->task->higher_is_better ? r->score > a->best_before
				 : r->score < a->best_before));
	if (a->kept)
		c->best = c->n;
	if (c->n++ > 0) {
		char *line = describe(NULL, c, c->n - 1);
		host_log("%s: %s", c->task->name, line);
		free(line);
	}
	return 0;
}

static void forget(conversation *c)
{
	int i;

	for (i = 0; i < c->n; i++) {
		free(c->attempts[i].code);
		free(c->attempts[i].feedback);
	}
	free(c->attempts);
	free(c->review);
}

/* The model's reply to `prompt` (freed here); NULL, logged, when there is
 * none: offline, the budget is spent, or the call failed. */
static char *ask(const char *system, char *prompt)
{
	char *reply = host_llm(system, prompt);

	free(prompt);
	if (!reply)
		host_log("the model did not answer: %s", host_error());
	return reply;
}

/* The code block of the model's reply to `prompt` (freed here), or NULL. */
static char *ask_code(char *prompt)
{
	char *reply = ask(system_prompt, prompt), *code = NULL;

	if (reply) {
		code = host_extract_code(reply);
		free(reply);
	}
	return code;
}

/* Evaluates the model's `code` (taken), sending compile errors back for
 * repair, `repairs` times at most. Returns the code evaluated last, with
 * its result in *r; the last compile error stands when the model sends no
 * repair. NULL when no evaluation is left. */
static char *evaluate_with_repairs(char *code, host_eval_result *r, int repairs)
{
	char *prompt, *fixed;
	int k;

	for (k = 0;; k++) {
		if (host_eval(code, r) < 0) {
			host_log("the model's code was not evaluated: %s", host_error());
			free(code);
			return NULL;
		}
		if (strcmp(r->status, "compile_error") != 0 || k >= repairs)
			return code;
		prompt = fenced(append(NULL, "This C code does not compile:\n"), code);
		fixed = ask_code(append(prompt, "The compiler says:\n%s\n"
					"Reply with the corrected complete code.", r->diagnostics));
		if (!fixed)
			return code;
		free(code);
		code = fixed;
	}
}

/* Where the agent started, when the lab carried its parent's solution to
 * it: its origin and the host's score of it in this run. */
static char *starting_point(char *s, const conversation *c)
{
	const attempt *a = &c->attempts[0];

	if (c->task->carried_from < 0)
		return s;
	s = append(s, "\nStarting point: the solution carried from gen_%03d, the parent "
		   "generation's solution for this task, which ", c->task->carried_from);
	if (strcmp(a->status, "ok") == 0)
		s = append(s, "scored %g on the training cases", a->score);
	else
		s = append(s, "ended as %s on the training cases", a->status);
	return append(s, " when the host evaluated it in this run. Build on it rather than "
		      "start over.\n");
}

/* The proposer's prompt, small whatever the history: the task, the
 * budget, a carried start, one line per attempt, the best solution with
 * the feedback on it, the feedback on a rejected last attempt and the
 * reviewer's advice. */
static char *proposer_prompt(const conversation *c, const host_budget_info *b)
{
	const host_task_info *t = c->task;
	const attempt *best = &c->attempts[c->best], *last = &c->attempts[c->n - 1];
	char name[64], *s;
	int i;

	s = fenced(append(NULL, "Task: %s\n\nInterface (%s):\n", t->description, t->name),
		   t->interface);
	s = append(s, "Score: %s, %s is better; the target is %g.\n", t->metric,
		   t->higher_is_better ? "higher" : "lower", t->target);
	s = append(s, "Left: %d evaluation%s and %d model call%s, this one included. One "
		   "evaluation may take %d ms of wall time, %d ms of CPU time and %d MB of "
		   "memory.\n", b->evals_left, b->evals_left == 1 ? "" : "s", b->llm_calls_left,
		   b->llm_calls_left == 1 ? "" : "s", t->wall_ms, t->cpu_ms, t->memory_mb);
	s = starting_point(s, c);
	if (c->n > 1)
		s = append(s, "\nYour attempts so far:\n");
	for (i = 1; i < c->n; i++)
		s = append(describe(append(s, "- "), c, i), "\n");
	s = timing(append(s, "\nThe best solution so far, %s, scoring %g",
			  attempt_name(name, sizeof(name), c, c->best), best->score), best);
	s = append(s, ":\n");
	s = append(fenced(s, best->code), "Feedback on this code: %.*s\n",
		   clip(best->feedback, FEEDBACK_CHARS), best->feedback);
	if (!last->kept)
		s = append(s, "\nFeedback on %s, which was rejected (its code is not the code "
			   "above): %.*s\n", attempt_name(name, sizeof(name), c, c->n - 1),
			   clip(last->feedback, FEEDBACK_CHARS), last->feedback);
	if (c->review)
		s = append(s, "\nA reviewer who read the attempts up to attempt %d says: %s\n",
			   c->reviewed, c->review);
	return append(s, "\nWrite an improved complete solution.");
}

/* The reviewer's prompt: the task and every attempt in full. */
static char *review_request(const conversation *c)
{
	const host_task_info *t = c->task;
	char name[64], *s;
	int i;

	s = append(NULL, "The task, %s: %s\nScore: %s, %s is better; baseline %g, target %g.\n"
		   "\nThe solution's header:\n", t->name, t->description, t->metric,
		   t->higher_is_better ? "higher" : "lower", t->baseline, t->target);
	s = fenced(s, t->interface);
	for (i = 0; i < c->n; i++) {
		const attempt *a = &c->attempts[i];
		s = append(describe(append(s, "\n--- "), c, i), "\n");
		s = a->code ? fenced(s, a->code) : append(s, "(no code)\n");
		s = append(s, "Feedback on %s: %.*s\n", attempt_name(name, sizeof(name), c, i),
			   clip(a->feedback, FEEDBACK_CHARS), a->feedback);
	}
	return append(s, "\nReview these attempts.");
}

/* The value of the line "KEY: value" of the reviewer's reply, or NULL.
 * Lenient: any case, and markdown around the key ("**Fix:**", "- FIX:"). */
static char *review_field(const char *reply, const char *key)
{
	const char *line, *end, *p;
	size_t n, k = strlen(key);

	for (line = reply; line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		p = line + strspn(line, " \t*-#>`_");
		if (strncasecmp(p, key, k) != 0)
			continue;
		p += k + strspn(p + k, " *_`");
		if (*p != ':')
			continue;
		p += 1 + strspn(p + 1, " \t*_`");
		n = end ? (size_t)(end - p) : strlen(p);
		while (n > 0 && strchr(" \t\r*_`", p[n - 1]))
			n--;
		if (n > 0)
			return strndup(p, (size_t)clip(p, n < REVIEW_FIELD_CHARS ? n : REVIEW_FIELD_CHARS));
	}
	return NULL;
}

/* The reviewer's confidence from 0 to 1 when it is a number ("0.8",
 * "80%"); a word ("high") is passed on as it is. Takes `field`. */
static char *confidence(char *field)
{
	char *end;
	double v;

	if (!field)
		return NULL;
	v = strtod(field, &end);
	if (end == field)
		return field;
	free(field);
	if (*end == '%' || v > 1)
		v /= 100;
	return append(NULL, "%.2f", v < 0 ? 0 : v > 1 ? 1 : v);
}

/* The reviewer's reply as advice for the proposer; NULL without a FIX,
 * since the other fields alone give the proposer nothing to do. */
static char *advice(const char *reply)
{
	char *kind = review_field(reply, "KIND"), *severity = review_field(reply, "SEVERITY");
	char *fix = review_field(reply, "FIX"), *sure = confidence(review_field(reply, "CONFIDENCE"));
	char *s = NULL;

	if (fix)
		s = append(NULL, "kind of problem: %s; severity: %s; confidence: %s.\n"
			   "Suggested fix: %s", kind ? kind : "not stated",
			   severity ? severity : "not stated", sure ? sure : "not stated", fix);
	free(kind);
	free(severity);
	free(fix);
	free(sure);
	return s;
}

/* Asks the reviewer about every attempt so far. Its advice replaces the
 * last one, which was about fewer attempts; a prompt says how many. */
static void review(conversation *c)
{
	char *reply = ask(review_prompt, review_request(c));

	free(c->review);
	c->review = reply ? advice(reply) : NULL;
	c->reviewed = c->n - 1;
	if (c->review)
		host_log("%s: review: %s", c->task->name, c->review);
	else if (reply)
		host_log("%s: the review has no FIX line; the proposer does not get it",
			 c->task->name);
	free(reply);
}

/* Asks the proposer once and records how its code scored. Returns -1 when
 * the model did not answer or no evaluation is left. */
static int propose(conversation *c, const host_budget_info *b)
{
	static const host_eval_result no_code = { "no code block", 0,
		"the reply had no ```c code block", "" };
	char *reply = ask(system_prompt, proposer_prompt(c, b)), *code;
	host_eval_result r;

	if (!reply)
		return -1;
	code = host_extract_code(reply);
	free(reply);
	if (!code)
		return record(c, NULL, &no_code);
	code = evaluate_with_repairs(code, &r, c->repairs);
	return code ? record(c, code, &r) : -1;
}

/* Asks the model for better solutions than the best so far while
 * proposals, calls and evaluations last and the target is not reached. */
static void improve_with_model(conversation *c)
{
	host_budget_info b;
	int p;

	for (p = 0; p < c->proposals; p++) {
		if (reached(c->task, &c->attempts[c->best])) {
			host_log("%s: %g reaches the target %g; the model is not asked again",
				 c->task->name, c->attempts[c->best].score, c->task->target);
			return;
		}
		if (host_budget(&b) < 0 || b.llm_calls_left < 1 || b.evals_left < 1)
			return;
		if (c->n > 1 && b.llm_calls_left >= REVIEW_MIN_CALLS) {
			review(c);
			host_budget(&b);
		}
		if (propose(c, &b) < 0)
			return;
	}
}


char *task_model_improve(const host_task_info *task, const char *initial,
			 const host_eval_result *r, int proposals, int repairs, double *score)
{
	conversation c = { task, NULL, 0, 0, NULL, 0, proposals, repairs };
	host_budget_info budget;
	char *best;

	if (record(&c, strdup(initial), r) < 0)
		return NULL;
	if (task->carried_from >= 0) {  /* the lab carried its parent's solution */
		char *line = describe(NULL, &c, 0);
		host_log("%s: starts from %s", task->name, line);
		free(line);
	}
	if (host_budget(&budget) == 0 && budget.llm_calls_left > 0)
		improve_with_model(&c);
	best = strdup(c.attempts[c.best].code);
	*score = c.attempts[c.best].score;
	forget(&c);
	return best;
}
