/*
 * task_agent.c - the seed task agent.
 *
 * It starts from `initial`: the task's initial solution or, when the lab
 * carries solutions, its parent generation's (host_task's carried_from),
 * which it has the host score first like any other. With a language model
 * (host_llm) it holds a conversation of attempts with it (task_model.c:
 * a proposer, repairs of compile errors, a reviewer), until the target is
 * reached or the proposals, calls or evaluations run out.
 *
 * Then, and always when offline, it tunes the numbers the task marks as
 * tunable, TUNE(value, lo, hi): each round moves one or two parameters of
 * the best solution, asks the host to score the candidates (host_eval)
 * and keeps any that score better. When a round brings nothing, the steps
 * get smaller; when they get too small, the search starts again with big
 * steps, TUNE_PASSES times in all. The evaluations left, all of them when
 * there is nothing to tune, go to genetic improvement of the best
 * solution's code (gi.h: edits of its statements, operators and numbers,
 * found by local search).
 *
 * The constants below, and the prompts and constants of task_model.c,
 * are the whole strategy. The meta agent improves this agent by rewriting
 * them: its prompt shows task_agent.c first and whole, then task_model.c.
 * Offline it also makes GI edits to the functions (meta_gi.c), so every
 * local is given a value where it is declared: an edit that drops an
 * assignment reads a known value, and a seed still gives the same run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- task_model.c: the conversation with the model ---- */

/* Holds a conversation with the model from `initial`, which the host
 * scored `r`: up to `proposals` proposals while calls and evaluations
 * last (none offline), each compile error sent back `repairs` times at
 * most. Returns the best solution (a new string; NULL: out of memory),
 * its score in *score. */
char *task_model_improve(const host_task_info *task, const char *initial,
			 const host_eval_result *r, int proposals, int repairs, double *score);

#include "gi.h"

/* ---- search strategy (rewritten by the meta agent) ---- */
#define STEP_FRACTION 0.30        /* first step, as a fraction of a range */
#define STEP_SHRINK 0.60          /* step factor after a round without gain */
#define MIN_STEP 0.02             /* below this the search restarts */
#define CANDIDATES 6              /* candidates per round */
#define PARAMS_PER_CANDIDATE 2    /* parameters one candidate moves */
#define MODEL_PROPOSALS 3         /* solutions asked of the model */
#define REPAIRS 2                 /* compile-error repairs per proposal */
#define TUNE_PASSES 1             /* the tuner's passes to small steps; then GI */

#define MAX_PARAMS 32
#define MAX_ROUNDS 10000  /* the tuner stops there, should an edit stop its spending */

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
		char *end = NULL;
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
	int i = 0;

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
	int i = 0;

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

/* Tunes the TUNE parameters of `*best` until its steps have got too
 * small TUNE_PASSES times, or evaluations run out. */
static void tune(const host_task_info *task, char **best_source, double *best_score)
{
	tune_param params[MAX_PARAMS] = { { 0 } };
	double best[MAX_PARAMS] = { 0 }, candidate[MAX_PARAMS] = { 0 }, step = STEP_FRACTION;
	char *base = strdup(*best_source);
	int n = find_params(base, params, MAX_PARAMS), i = 0, c = 0, spent = n == 0, passes = 0;
	int rounds = 0;
	host_eval_result r = { 0 };

	for (i = 0; i < n; i++)
		best[i] = params[i].value;
	for (rounds = 0; !spent && rounds < MAX_ROUNDS; rounds++) {
		int improved = 0;
		for (c = 0; c < CANDIDATES && !spent; c++) {
			char *source = NULL;
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
		if (step < MIN_STEP) {
			step = STEP_FRACTION;  /* restart with big steps, or stop */
			spent = spent || ++passes >= TUNE_PASSES;
		}
	}
	free(base);
}

char *task_agent_improve(const char *initial)
{
	host_task_info task = { 0 };
	host_budget_info budget = { 0 };
	host_eval_result r = { 0 };
	double best_score = 0;
	char *best = NULL, *code = NULL;

	if (host_task(&task) < 0 || host_eval(initial, &r) < 0) {
		host_log("cannot start: %s", host_error());
		return NULL;
	}
	best = task_model_improve(&task, initial, &r, MODEL_PROPOSALS, REPAIRS, &best_score);
	if (best)
		tune(&task, &best, &best_score);
	if (best && host_budget(&budget) == 0 &&
	    (code = gi_improve(best, &best_score, budget.evals_left)) != NULL) {
		free(best);
		best = code;
	}
	return best;
}
