/*
 * task_agent.c - the seed task agent.
 *
 * With a language model (host_llm), it shows the model the task, the
 * interface, the best solution so far and the host's feedback, and asks
 * for a complete improved solution; compile errors go back to the model
 * for repair. Then, and always when offline, it tunes the numbers the task
 * marks as tunable, TUNE(value, lo, hi): each round moves one or two
 * parameters of the best solution, asks the host to score the candidates
 * (host_eval) and keeps any that score better. When a round brings
 * nothing, the steps get smaller; when they get too small, the search
 * starts again with big steps.
 *
 * The constants and the prompt below are the whole strategy. The meta
 * agent improves this agent by rewriting them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- search strategy (rewritten by the meta agent) ---- */
#define STEP_FRACTION 0.30        /* first step, as a fraction of a range */
#define STEP_SHRINK 0.60          /* step factor after a round without gain */
#define MIN_STEP 0.02             /* below this the search restarts */
#define CANDIDATES 6              /* candidates per round */
#define PARAMS_PER_CANDIDATE 2    /* parameters one candidate moves */
#define MODEL_PROPOSALS 3         /* solutions asked of the model */
#define REPAIRS 2                 /* compile-error repairs per proposal */

static const char system_prompt[] =
	"You are an expert C programmer improving a solution to a programming "
	"task. Reply with the complete improved solution in one ```c code block. "
	"Keep the interface exactly; use only the C library subset of stdlib.h, "
	"string.h, stdio.h (snprintf, sscanf), ctype.h and math.h; no main().";

#define MAX_PARAMS 32

typedef struct {
	size_t start, end;   /* where the value's text is in the source */
	double value, lo, hi;
	int integer;         /* the value is written without a decimal point */
} tune_param;

/* Finds the TUNE(value, lo, hi) uses with three numbers. */
static int find_params(const char *src, tune_param *p, int max)
{
	const char *at = src;
	int n = 0;

	while (n < max && (at = strstr(at, "TUNE(")) != NULL) {
		char *end;
		const char *value = at + 5;
		at = value;
		while (*value == ' ')
			value++;
		p[n].value = strtod(value, &end);
		if (end == value || sscanf(end, " , %lf , %lf )", &p[n].lo, &p[n].hi) != 2 ||
		    p[n].lo >= p[n].hi)
			continue;
		p[n].start = (size_t)(value - src);
		p[n].end = (size_t)(end - src);
		p[n].integer = memchr(value, '.', (size_t)(end - value)) == NULL;
		n++;
	}
	return n;
}

/* The source with every parameter's value replaced by `values`. */
static char *with_values(const char *src, const tune_param *p, int n, const double *values)
{
	size_t size = strlen(src) + (size_t)n * 32 + 1, used = 0, from = 0;
	char *out = malloc(size);
	int i;

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		memcpy(out + used, src + from, p[i].start - from);
		used += p[i].start - from;
		if (p[i].integer)
			used += (size_t)snprintf(out + used, 32, "%d", (int)values[i]);
		else
			used += (size_t)snprintf(out + used, 32, "%.4f", values[i]);
		from = p[i].end;
	}
	strcpy(out + used, src + from);
	return out;
}

static double random_unit(void)
{
	return host_rand() / 4294967296.0;
}

/* Moves `count` random parameters of `best` by up to `step` of their range. */
static void perturb(const tune_param *p, int n, const double *best, double *out,
		    double step, int count)
{
	int i;

	memcpy(out, best, (size_t)n * sizeof(double));
	for (i = 0; i < count; i++) {
		int k = (int)(host_rand() % (unsigned)n);
		double v = out[k] + (random_unit() * 2 - 1) * step * (p[k].hi - p[k].lo);
		v = v < p[k].lo ? p[k].lo : v > p[k].hi ? p[k].hi : v;
		out[k] = p[k].integer ? (double)(long)(v + 0.5) : v;
	}
}

static int better(double a, double b, int higher_is_better)
{
	return higher_is_better ? a > b : a < b;
}

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

/* The model's code for `prompt`; NULL when it cannot or will not answer. */
static char *ask(char *prompt)
{
	char *reply = host_llm(system_prompt, prompt), *code = NULL;

	free(prompt);
	if (reply) {
		code = host_extract_code(reply);
		free(reply);
	}
	return code;
}

/* Evaluates the model's code, sending compile errors back for repair.
 * Returns the code that was evaluated last (in *r), or NULL. */
static char *evaluate_with_repairs(char *code, host_eval_result *r)
{
	int k;

	for (k = 0; code; k++) {
		if (host_eval(code, r) < 0) {
			free(code);
			return NULL;
		}
		if (strcmp(r->status, "compile_error") != 0 || k == REPAIRS)
			return code;
		code = ask(append(append(NULL, "This C code does not compile:\n```c\n%s```\n", code),
				  "The compiler says:\n%s\nReply with the corrected complete code.",
				  r->diagnostics));
	}
	return NULL;
}

/* Asks the model for better solutions than `*best`, keeping the best. */
static void improve_with_model(const host_task_info *task, char **best, double *best_score,
			       const char *first_feedback)
{
	char *feedback = strdup(first_feedback), *code;
	host_eval_result r;
	int p;

	for (p = 0; p < MODEL_PROPOSALS; p++) {
		code = ask(append(append(NULL, "Task: %s\n\nInterface (%s):\n```c\n%s```\n",
					 task->description, task->name, task->interface),
				  "Current best solution, scoring %g (%s, %s is better):\n```c\n%s```\n"
				  "Feedback from the last evaluation: %s\n"
				  "Write an improved complete solution.", *best_score, task->metric,
				  task->higher_is_better ? "higher" : "lower", *best, feedback));
		code = evaluate_with_repairs(code, &r);
		if (!code)
			break;
		free(feedback);
		feedback = strdup(r.feedback);
		if (strcmp(r.status, "ok") == 0 && better(r.score, *best_score, task->higher_is_better)) {
			host_log("%s: the model raised %g to %g", task->name, *best_score, r.score);
			free(*best);
			*best = code;
			*best_score = r.score;
		} else {
			free(code);
		}
	}
	free(feedback);
}

/* Tunes the TUNE parameters of `*best` while evaluations last. */
static void tune(const host_task_info *task, char **best_source, double *best_score)
{
	tune_param params[MAX_PARAMS];
	double best[MAX_PARAMS], candidate[MAX_PARAMS], step = STEP_FRACTION;
	char *base = strdup(*best_source);
	int n = find_params(base, params, MAX_PARAMS), i, c, spent = n == 0;
	host_eval_result r;

	for (i = 0; i < n; i++)
		best[i] = params[i].value;
	while (!spent) {
		int improved = 0;
		for (c = 0; c < CANDIDATES && !spent; c++) {
			char *source;
			perturb(params, n, best, candidate, step, PARAMS_PER_CANDIDATE);
			source = with_values(base, params, n, candidate);
			spent = !source || host_eval(source, &r) < 0;
			if (!spent && strcmp(r.status, "ok") == 0 &&
			    better(r.score, *best_score, task->higher_is_better)) {
				host_log("%s: %g -> %g", task->name, *best_score, r.score);
				memcpy(best, candidate, (size_t)n * sizeof(double));
				*best_score = r.score;
				free(*best_source);
				*best_source = source;
				improved = 1;
			} else {
				free(source);
			}
		}
		step = improved ? step : step * STEP_SHRINK;
		if (step < MIN_STEP)
			step = STEP_FRACTION;  /* restart with big steps */
	}
	free(base);
}

char *task_agent_improve(const char *initial)
{
	host_task_info task;
	host_budget_info budget;
	host_eval_result r;
	double best_score;
	char *best;

	if (host_task(&task) < 0 || host_eval(initial, &r) < 0) {
		host_log("cannot start: %s", host_error());
		return NULL;
	}
	best_score = r.score;
	best = strdup(initial);
	if (host_budget(&budget) == 0 && budget.llm_calls_left > 0)
		improve_with_model(&task, &best, &best_score, r.feedback);
	tune(&task, &best, &best_score);
	return best;
}
