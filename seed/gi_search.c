/*
 * gi_search.c - the search of genetic improvement (see gi.h): first-
 * improvement local search over patches of edits, as in PyGGI and Magpie
 * (Blot & Petke, IEEE TEVC 2021, where it beat genetic programming).
 *
 * A neighbour of the current patch drops one of its edits or adds one
 * drawn by the weights below. Every variant is compiled and scored by
 * host_eval on the training cases; one already seen is not scored again.
 * The first neighbour that scores better becomes the current patch, and
 * so does one that scores the same (a neutral move, which crosses a
 * plateau). Where scores vary from run to run (a timed task), a gain must
 * hold when scored a second time. After GI_RESTART_AFTER variants without a gain, or as many
 * draws in a row of variants seen before, the search restarts: from the
 * best patch (GI_RESTART_FROM_BEST percent of the time) or from the
 * original program, out of a dead end the best patch may be. The best
 * patch is then minimised: each edit is left out in turn, and stays
 * out when the variant scores as well without it, so the patch returned
 * holds only edits that help. Evaluations for that are kept aside.
 *
 * The constants below are the whole strategy; the meta agent rewrites
 * them, and offline makes GI edits to the functions too (meta_gi.c), so
 * every local is given a value where it is declared: an edit that drops
 * an assignment reads a known value. The same host_rand seed gives the
 * same search.
 */
#include "gi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- GI strategy (rewritten by the meta agent) ---- */
#define GI_WEIGHT_DELETE 8         /* how often each kind of edit is drawn */
#define GI_WEIGHT_REPLACE 5
#define GI_WEIGHT_INSERT 5
#define GI_WEIGHT_SWAP 3
#define GI_WEIGHT_OPERAND 30
#define GI_WEIGHT_CONDITION 4
#define GI_WEIGHT_OPERATOR 20
#define GI_WEIGHT_CONSTANT 20
#define GI_DROP_PERCENT 20         /* neighbours that drop an edit rather than add one */
#define GI_MAX_EDITS 6             /* edits a patch holds at most */
#define GI_RESTART_AFTER 30        /* variants without a gain before a restart */
#define GI_RESTART_FROM_BEST 50    /* restarts from the best patch; the others from none */

#define DRAWS_PER_EVAL 20          /* neighbours drawn per evaluation, seen ones included */

typedef struct {
	gi_edit e[GI_MAX_EDITS];
	int n;
} patch;

/* A variant scored: its text's hash, and how it scored. */
typedef struct {
	unsigned long long hash;
	int ok;
	double score;
} variant;

typedef struct {
	gi_program *p;
	int higher, evals, used;   /* evaluations allowed, and used */
	double target;             /* the task's: a score that needs no better */
	int compiled, ok, again, restarts, gains;
	int noisy;                 /* scores vary from run to run; -1: not known */
	int refuted;               /* gains a second evaluation did not confirm */
	variant *seen;             /* open addressing; hash 0: empty */
	unsigned mask;
} search;

static const int weights[GI_KINDS] = {
	[GI_DELETE] = GI_WEIGHT_DELETE, [GI_REPLACE] = GI_WEIGHT_REPLACE,
	[GI_INSERT] = GI_WEIGHT_INSERT, [GI_SWAP] = GI_WEIGHT_SWAP,
	[GI_OPERAND] = GI_WEIGHT_OPERAND, [GI_CONDITION] = GI_WEIGHT_CONDITION,
	[GI_OPERATOR] = GI_WEIGHT_OPERATOR, [GI_CONSTANT] = GI_WEIGHT_CONSTANT,
};

static int better(const search *s, double a, double b)
{
	return s->higher ? a > b : a < b;
}

/* Whether `score` reaches the task's target, past which fitness does
 * not grow: the search ends there. */
static int reached(const search *s, double score)
{
	return s->higher ? score >= s->target : score <= s->target;
}

static unsigned long long hash_of(const char *text)
{
	unsigned long long h = 1469598103934665603ULL;

	for (; *text; text++)
		h = (h ^ (unsigned char)*text) * 1099511628211ULL;
	return h ? h : 1;
}

/* The entry of `text` in the variants seen: found, or free for it. */
static variant *lookup(search *s, const char *text)
{
	unsigned long long h = hash_of(text);
	unsigned i = (unsigned)h & s->mask;

	while (s->seen[i].hash && s->seen[i].hash != h)
		i = (i + 1) & s->mask;
	s->seen[i].hash = h;
	return &s->seen[i];
}

/* Scores `text` (taken): 1 when it runs ok, its score in *score; 0 when
 * it fails; -1 when no evaluation is left. *again says it was seen
 * before, and its result stands without a new evaluation. */
static int score_of(search *s, char *text, double *score, int *again)
{
	variant *v = NULL;
	host_eval_result r = { 0 };
	int rc = -1;

	*again = 0;
	if (!text)
		return -1;
	v = lookup(s, text);
	if (v->ok >= 0) {
		*again = 1;
		*score = v->score;
		rc = v->ok;
	} else if (s->used < s->evals && host_eval(text, &r) == 0) {
		s->used++;
		s->compiled += strcmp(r.status, "compile_error") != 0;
		rc = v->ok = strcmp(r.status, "ok") == 0;
		s->ok += rc;
		*score = v->score = r.score;
	}
	free(text);
	return rc;
}

/* Whether the gain of `next`, scored *v, over `than` stands. Where
 * scores vary (a timed task), it must beat `than` when scored again too,
 * and *v becomes the worse of the two; the first gain tells whether they
 * do: a score that comes again the same never varies. */
static int confirmed(search *s, const patch *next, double *v, double than)
{
	char *text = s->noisy && s->used < s->evals ? gi_apply(s->p, next->e, next->n) : NULL;
	host_eval_result r = { 0 };
	int ok = 0;

	if (!text)
		return s->noisy != 1;  /* known to be exact, or no evaluation left */
	ok = host_eval(text, &r) == 0;
	free(text);
	if (!ok)
		return s->noisy != 1;
	s->used++;
	s->compiled++;  /* it did before */
	ok = strcmp(r.status, "ok") == 0;
	s->ok += ok;
	if (s->noisy < 0)
		s->noisy = !ok || r.score != *v;
	if (!s->noisy)
		return 1;
	if (!ok || !better(s, r.score, than)) {
		s->refuted++;
		return 0;
	}
	*v = better(s, *v, r.score) ? r.score : *v;
	return 1;
}

/* A kind of edit drawn by the weights, among those with places. */
static int draw_kind(const search *s)
{
	int k = 0, total = 0, r = 0;

	for (k = 0; k < GI_KINDS; k++)
		total += gi_places(s->p, k) ? weights[k] : 0;
	if (total <= 0)
		return -1;
	r = (int)(host_rand() % (unsigned)total);
	for (k = 0; k < GI_KINDS; k++)
		if (gi_places(s->p, k) && (r -= weights[k]) < 0)
			return k;
	return -1;
}

static void drop(patch *p, int k)
{
	memmove(&p->e[k], &p->e[k + 1], (size_t)(p->n - k - 1) * sizeof(gi_edit));
	p->n--;
}

/* A neighbour of `cur`: one edit fewer (0), or one more (1). -1: none
 * drawn. */
static int neighbour(patch *next, const search *s, const patch *cur)
{
	*next = *cur;
	if (cur->n > 0 && (cur->n == GI_MAX_EDITS || (int)(host_rand() % 100) < GI_DROP_PERCENT)) {
		drop(next, (int)(host_rand() % (unsigned)cur->n));
		return 0;
	}
	if (gi_draw(&next->e[next->n], s->p, draw_kind(s)) < 0)
		return -1;
	next->n++;
	return 1;
}

/* Leaves out each edit of `best` in turn, last first, and keeps it out
 * when the variant scores as well without it. First go the edits that
 * change nothing (a later edit of the same place wins), at no cost. */
static void minimise(search *s, patch *best, double *score)
{
	patch without = { .n = 0 };
	double v = 0;
	char *text = gi_apply(s->p, best->e, best->n), *other = NULL;
	int k = 0, rc = 0, again = 0;

	for (k = best->n - 1; text && k >= 0; k--) {
		without = *best;
		drop(&without, k);
		other = gi_apply(s->p, without.e, without.n);
		if (other && strcmp(other, text) == 0)
			*best = without;
		free(other);
	}
	free(text);
	for (k = best->n - 1; k >= 0; k--) {
		without = *best;
		drop(&without, k);
		rc = score_of(s, gi_apply(s->p, without.e, without.n), &v, &again);
		if (rc < 0)
			return;
		if (rc == 1 && !better(s, *score, v)) {
			*best = without;
			*score = v;
		}
	}
}

/* Starts the search again: from the best patch, or from the original. */
static void restart(search *s, patch *cur, double *cur_score, const patch *best,
		    double best_score, double origin)
{
	int from_best = (int)(host_rand() % 100) < GI_RESTART_FROM_BEST;

	cur->n = from_best ? best->n : 0;
	memcpy(cur->e, best->e, sizeof(best->e));
	*cur_score = from_best ? best_score : origin;
	s->restarts++;
}

/* The search proper, from the empty patch `best`, scored *best_score,
 * while evaluations last, keeping one aside per edit of the best patch
 * to minimise it. */
static void local_search(search *s, patch *best, double *best_score)
{
	patch cur = *best, next = { .n = 0 };
	double origin = *best_score, cur_score = origin, v = 0;
	int stall = 0, again_in_a_row = 0, draws = 0, rc = 0, again = 0, added = 0;
	char line[300] = "";

	while (s->used + best->n < s->evals && draws++ < s->evals * DRAWS_PER_EVAL &&
	       !reached(s, *best_score)) {
		if (stall >= GI_RESTART_AFTER || again_in_a_row >= GI_RESTART_AFTER) {
			restart(s, &cur, &cur_score, best, *best_score, origin);
			stall = again_in_a_row = 0;
		}
		if ((added = neighbour(&next, s, &cur)) < 0)
			continue;
		rc = score_of(s, gi_apply(s->p, next.e, next.n), &v, &again);
		if (rc < 0)
			return;
		s->again += again;
		again_in_a_row = again ? again_in_a_row + 1 : 0;
		if (again)
			continue;
		stall++;
		if (rc == 1 && better(s, v, cur_score) && !confirmed(s, &next, &v, cur_score))
			continue;  /* noise */
		if (rc == 1 && !better(s, cur_score, v)) {  /* better, or a neutral move */
			stall = better(s, v, cur_score) ? 0 : stall;
			cur = next;
			cur_score = v;
		}
		if (rc == 1 && better(s, v, *best_score)) {
			if (added)
				gi_describe(line, sizeof(line), s->p, &next.e[next.n - 1]);
			host_log("GI: variant %d scored %g (the best was %g) with %d edit%s; this move "
				 "%s%s", s->used, v, *best_score, next.n, next.n == 1 ? "" : "s",
				 added ? "added " : "", added ? line : "dropped an edit");
			*best = next;
			*best_score = v;
			s->gains++;
		}
	}
}

static double seconds_left(void)
{
	host_budget_info b = { 0 };

	return host_budget(&b) == 0 ? b.seconds_left : 0;
}

/* The end of the log: what was searched, and the patch kept. */
static void summary(const search *s, const patch *best, int found, double from, double to,
		    double seconds)
{
	char edits[700] = "", line[300] = "";
	size_t used = 0;
	int k = 0;

	for (k = 0; k < best->n && used < sizeof(edits); k++) {
		gi_describe(line, sizeof(line), s->p, &best->e[k]);
		used += (size_t)snprintf(edits + used, sizeof(edits) - used, "; %s", line);
	}
	host_log("GI: %d variants scored in %.1f s (%.0f a second): %d compiled, %d ran ok, %d "
		 "gains; %d seen again, not scored; %d restarts", s->used, seconds,
		 seconds > 0 ? s->used / seconds : 0.0, s->compiled, s->ok, s->gains, s->again,
		 s->restarts);
	if (s->noisy == 1)
		host_log("GI: scores vary from run to run: a gain counted when a second evaluation "
			 "confirmed it; %d did not", s->refuted);
	if (best->n)
		host_log("GI: kept %g -> %g, a patch of %d edit%s (of %d before minimising)%s",
			 from, to, best->n, best->n == 1 ? "" : "s", found, edits);
	else
		host_log("GI: no patch scored better than %g", from);
}

char *gi_improve(const char *source, double *score, int evals)
{
	search s = { NULL, 1, evals, 0, 0, 0, 0, 0, 0, 0, -1, 0, NULL, 0 };
	host_task_info task = { 0 };
	patch best = { .n = 0 };
	double best_score = *score, start = seconds_left();
	unsigned size = 64;
	char *out = NULL;
	variant *first = NULL;
	int k = 0, found = 0;

	if (host_task(&task) == 0) {
		s.higher = task.higher_is_better;
		s.target = task.target;
	}
	if (evals < 1 || reached(&s, *score) || !(s.p = gi_parse(source))) {
		host_log("GI: %s", evals < 1 ? "no evaluations left for it" : reached(&s, *score) ?
			 "the solution reaches the task's target already" : "nothing to edit: no "
			 "function body it can parse");
		return NULL;
	}
	while (size < (unsigned)evals * 4)
		size *= 2;
	s.mask = size - 1;
	if (!(s.seen = calloc(size, sizeof(variant)))) {
		host_log("GI: no memory for %u variants", size);
		gi_free(s.p);
		return NULL;
	}
	for (k = 0; k < (int)size; k++)
		s.seen[k].ok = -1;
	host_log("GI: up to %d evaluation%s; edits can start at %d statements, %d operands, %d "
		 "conditions, %d operators, %d numbers", evals, evals == 1 ? "" : "s",
		 gi_places(s.p, GI_DELETE),
		 gi_places(s.p, GI_OPERAND), gi_places(s.p, GI_CONDITION),
		 gi_places(s.p, GI_OPERATOR), gi_places(s.p, GI_CONSTANT));
	first = lookup(&s, source);  /* the solution itself is not scored again */
	first->ok = 1;
	first->score = *score;
	local_search(&s, &best, &best_score);
	found = best.n;
	minimise(&s, &best, &best_score);
	summary(&s, &best, found, *score, best_score, start - seconds_left());
	if (best.n && (out = gi_apply(s.p, best.e, best.n)) != NULL)
		*score = best_score;
	free(s.seen);
	gi_free(s.p);
	return out;
}
