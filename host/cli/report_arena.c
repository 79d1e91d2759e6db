/*
 * report_arena.c - the arena's chart: the arms race of one task; see
 * report_internal.h.
 *
 * One point per round, at the round's best code agent (its accepted
 * generation): the score on the task's own training cases, on the grown
 * set and on held-out cases, and a bar for the cases the round added.
 * The grown set's line has a second point a little before each round's:
 * the solution the code agent started the round with, on the set the
 * test agents had just grown. The line drops there (their blow) and
 * rises to the round's point (the code agent's answer), or does not.
 */
#include "report_internal.h"

#include "print.h"

#include <stdlib.h>

int report_has_arena(const report_data *d)
{
	size_t i;

	for (i = 0; i < d->gens.n; i++)
		if (d->gens.items[i].arena.round > 0)
			return 1;
	return 0;
}

/* The accepted generation of each round that has task `name`. */
static size_t round_picks(const report_data *d, const char *name, size_t *picks)
{
	size_t i, n = 0;

	for (i = 0; i < d->gens.n; i++) {
		const record *g = &d->gens.items[i];
		if (g->arena.round > 0 && g->status == RECORD_ACCEPTED && record_find_task(g, name))
			picks[n++] = i;
	}
	return n;
}

/* The chart's values: per round, the scores on the original cases, on
 * the grown set before and after the round's answer, and held-out. */
enum { ORIGINAL, BEFORE, GROWN, HELD_OUT, N_SERIES };

/* Where a round's "before" point goes: a third of the way back to the
 * round before. */
static double before_x(size_t i, size_t n)
{
	double gap = n > 1 ? report_x(1, n) - report_x(0, n) : 60;

	return report_x(i, n) - gap / 3;
}

static void series(buf *out, const char *cls, double *const v[N_SERIES], int which, size_t n,
		   double lo, double hi)
{
	size_t i;

	buf_printf(out, "<polyline class=\"%s\" points=\"", cls);
	for (i = 0; i < n; i++) {
		if (which == GROWN)  /* a sawtooth: the blow, then the answer */
			buf_printf(out, "%s%.1f,%.1f", i ? " " : "", before_x(i, n),
				   report_y(v[BEFORE][i], lo, hi));
		buf_printf(out, "%s%.1f,%.1f", i || which == GROWN ? " " : "", report_x(i, n),
			   report_y(v[which][i], lo, hi));
	}
	buf_puts(out, "\"/>\n");
}

static void marks(buf *out, const report_data *d, const size_t *picks, size_t n,
		  double *const v[N_SERIES], double lo, double hi, int most_added)
{
	static const char *const cls[N_SERIES] = { "original", "grown", "grown", "held-out" };
	static const char *const what[N_SERIES] = {
		"original", "grown set before the round's answer", "grown set", "held-out",
	};
	size_t i, k;

	for (i = 0; i < n; i++) {
		const record *g = &d->gens.items[picks[i]];
		double x = report_x(i, n), top = report_y(g->arena.added, 0, most_added);
		buf_printf(out, "<rect class=\"bar added\" x=\"%.1f\" y=\"%.1f\" width=\"6\" "
			   "height=\"%.1f\"><title>round %d (gen_%03d): +%d case%s, %d rejected"
			   "</title></rect>\n", x - 3, top,
			   report_y(0, 0, most_added) - top, g->arena.round, g->number,
			   g->arena.added, g->arena.added == 1 ? "" : "s", g->arena.rejected);
		for (k = 0; k < N_SERIES; k++)
			buf_printf(out, "<circle class=\"pt arena %s\" cx=\"%.1f\" cy=\"%.1f\" "
				   "r=\"%.1f\"><title>round %d (gen_%03d): %s %s</title></circle>\n",
				   cls[k], k == BEFORE ? before_x(i, n) : x,
				   report_y(v[k][i], lo, hi), report_radius(n, 3), g->arena.round,
				   g->number, what[k], cli_score((char[32]){ 0 }, v[k][i]));
	}
}

void report_chart_arena(buf *out, const report_data *d, const char *name)
{
	static const legend_key keys[] = {
		{ "line", "original", "original cases" }, { "line", "grown", "grown set" },
		{ "line", "holdout", "held-out" }, { "box", "bar added", "cases added" },
		{ NULL, NULL, NULL },
	};
	size_t *picks = calloc(d->gens.n + 1, sizeof(*picks)), n, i;
	double *values[N_SERIES] = { NULL }, lo, hi;
	report_scale s;
	int *rounds = NULL, most_added = 1;
	buf id = BUF_INIT, label = BUF_INIT;

	n = picks ? round_picks(d, name, picks) : 0;
	for (i = 0; i < N_SERIES; i++)
		values[i] = calloc(n + 1, sizeof(double));
	rounds = calloc(n + 1, sizeof(int));
	if (n == 0 || !values[ORIGINAL] || !values[BEFORE] || !values[GROWN] ||
	    !values[HELD_OUT] || !rounds)
		goto done;
	for (i = 0; i < n; i++) {
		const record *g = &d->gens.items[picks[i]];
		const record_task *t = record_find_task(g, name);
		values[ORIGINAL][i] = t->has_split ? t->original : t->train;
		values[BEFORE][i] = t->has_split ? t->grown_before : t->train;
		values[GROWN][i] = t->has_split ? t->grown : t->train;
		values[HELD_OUT][i] = t->holdout;
		rounds[i] = g->arena.round;
		most_added = g->arena.added > most_added ? g->arena.added : most_added;
	}
	lo = hi = values[ORIGINAL][0];
	for (i = 0; i < N_SERIES * n; i++) {
		double v = values[i / n][i % n];
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	s = report_scale_fit(lo, hi, 0);  /* in the task's units, fitted */
	buf_printf(&id, "chart-arena-%s", name);
	buf_printf(&label, "%s: the arms race (scores, and cases added, per round)", name);
	report_chart_open(out, buf_cstr(&id), buf_cstr(&label), &s, rounds, n, "arena round", keys);
	series(out, "original", values, ORIGINAL, n, s.lo, s.hi);
	series(out, "grown", values, GROWN, n, s.lo, s.hi);
	series(out, "holdout", values, HELD_OUT, n, s.lo, s.hi);
	marks(out, d, picks, n, values, s.lo, s.hi, most_added);
	buf_puts(out, "</svg>\n");
done:
	for (i = 0; i < N_SERIES; i++)
		free(values[i]);
	free(rounds);
	free(picks);
	buf_free(&id);
	buf_free(&label);
}
