/*
 * report_chart.c - the report's charts of generations, as inline SVG:
 * fitness, each task's scores and the spend per generation (the family
 * tree is report_tree.c); see report_internal.h.
 *
 * Every mark is an element with a class saying what it is (class="pt
 * accepted", "pt-task", "bar"...), so that the page can be checked by
 * counting elements and styled by one small stylesheet; each chart has
 * generation numbers along x and a legend whose marks are class "key".
 * A task's chart is in the task's own units: a failed run has no score,
 * so it breaks the line and is marked at the foot of the axis, never
 * drawn as a 0.
 */
#include "report_internal.h"

#include "print.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FOOT (REPORT_CHART_H - REPORT_MARGIN)

void report_chart_gens(buf *out, const char *id, const char *label, const report_scale *y,
		       const report_data *d, const legend_key *keys)
{
	int *numbers = calloc(d->gens.n + 1, sizeof(int));
	size_t i;

	for (i = 0; numbers && i < d->gens.n; i++)
		numbers[i] = d->gens.items[i].number;
	report_chart_open(out, id, label, y, numbers ? numbers : &(int){ 0 },
			  numbers ? d->gens.n : 0, "generation", keys);
	free(numbers);
}

void report_chart_fitness(buf *out, const report_data *d)
{
	static const legend_key keys[] = {
		{ "dot", "pt accepted", "accepted" }, { "dot", "pt rejected", "rejected" },
		{ "dot", "pt invalid", "invalid" }, { "dot", "pt interrupted", "interrupted" },
		{ "line", "best", "best accepted so far" }, { NULL, NULL, NULL },
	};
	double lo = 0, hi = 1, best = -1e300;
	report_scale s;
	buf line = BUF_INIT;
	size_t i;

	for (i = 0; i < d->gens.n; i++) {
		lo = d->gens.items[i].fitness < lo ? d->gens.items[i].fitness : lo;
		hi = d->gens.items[i].fitness > hi ? d->gens.items[i].fitness : hi;
	}
	s = report_scale_fit(lo, hi, 0);
	report_chart_gens(out, "chart-fitness", "fitness per generation", &s, d, keys);
	for (i = 0; i < d->gens.n; i++) {
		const record *g = &d->gens.items[i];
		if (g->status == RECORD_ACCEPTED && g->fitness > best)
			best = g->fitness;
		if (best > -1e300)
			buf_printf(&line, "%s%.1f,%.1f", line.len ? " " : "", report_x(i, d->gens.n),
				   report_scale_y(&s, best));
	}
	buf_printf(out, "<polyline class=\"best\" points=\"%s\"/>\n", buf_cstr(&line));
	for (i = 0; i < d->gens.n; i++) {
		const record *g = &d->gens.items[i];
		buf_printf(out, "<a href=\"#gen-%d\"><circle class=\"pt %s\" cx=\"%.1f\" cy=\"%.1f\" "
			   "r=\"%.1f\"><title>gen_%03d %s, fitness %.4f</title></circle></a>\n",
			   g->number, report_status_of(g), report_x(i, d->gens.n),
			   report_scale_y(&s, g->fitness), report_radius(d->gens.n, 4), g->number,
			   report_status_of(g), g->fitness);
	}
	buf_puts(out, "</svg>\n");
	buf_free(&line);
}

static void widen(double *lo, double *hi, double v)
{
	*lo = v < *lo ? v : *lo;
	*hi = v > *hi ? v : *hi;
}

/* The axis of task `name`'s chart, fitted to its training and held-out
 * runs that ended well, and to initial.c's training score where that is
 * near them: a starting point far below (0.65 to runs from 0.9297 to
 * 0.9346) would squash the runs into a flat line, so it is said at the
 * axis' edge instead (initial_lines). */
static report_scale task_scale(const report_data *d, const char *name)
{
	double lo = INFINITY, hi = -INFINITY, start_lo = INFINITY, start_hi = -INFINITY, span;
	const record_task *t;
	size_t i;

	for (i = 0; i < d->gens.n; i++) {
		if ((t = record_find_task(&d->gens.items[i], name)) != NULL) {
			if (!t->train_failed)
				widen(&lo, &hi, t->train);
			if (!record_holdout_failed(t))
				widen(&lo, &hi, t->holdout);
		}
		if ((t = report_initial(d, i, name)) != NULL && !t->train_failed)
			widen(&start_lo, &start_hi, t->train);
	}
	span = hi - lo;
	if (!(span > 0) || (start_lo >= lo - span && start_hi <= hi + span)) {
		widen(&lo, &hi, start_lo);  /* near enough, or nothing else to fit */
		widen(&lo, &hi, start_hi);
	}
	return report_scale_fit(lo, hi, 0);
}

/* initial.c's scores where generation i's measure began, as a title. */
static void initial_title(buf *out, const report_data *d, size_t i, const record_task *t)
{
	buf text = BUF_INIT;

	cli_initial_text(&text, t);
	buf_printf(out, "<title>initial.c, as gen_%03d scored it: ",
		   d->gens.items[d->began[i]].number);
	report_escape(out, buf_cstr(&text));
	buf_puts(out, "</title>");
	buf_free(&text);
}

/* initial.c's training score as a level line, one segment for each run
 * of generations of one measure, titled with its scores. One off the
 * axis is written at its edge, and one whose run failed (no score) says
 * so at the top. Returns how many it drew. */
static int initial_lines(buf *out, const report_data *d, const char *name, const report_scale *s)
{
	size_t i, j, n = d->gens.n;
	char score[32];
	int drawn = 0;

	for (i = 0; i < n; i = j) {
		const record_task *t = report_initial(d, i, name);
		double x1 = report_x(i, n), x2;
		int below, above;

		for (j = i + 1; j < n && d->began[j] == d->began[i]; j++)
			;
		if (!t)
			continue;
		x2 = report_x(j - 1, n);
		below = !t->train_failed && t->train < s->lo;
		above = t->train_failed || t->train > s->hi;
		if (below || above)
			buf_printf(out, "<text class=\"initial off\" x=\"%.1f\" y=\"%.1f\">initial.c %s"
				   "%s", x1 + 4, below ? REPORT_CHART_H - REPORT_MARGIN - 4.0
				   : REPORT_MARGIN + 12.0, t->train_failed ? "failed" :
				   cli_score(score, t->train), t->train_failed ? "" : below
				   ? ", below the axis" : ", above the axis");
		else
			buf_printf(out, "<line class=\"initial\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				   "y2=\"%.1f\">", x1 - (x1 == x2) * 4, report_scale_y(s, t->train),
				   x2 + (x1 == x2) * 4, report_scale_y(s, t->train));
		initial_title(out, d, i, t);
		buf_puts(out, below || above ? "</text>\n" : "</line>\n");
		drawn++;
	}
	return drawn;
}

/* A line through a task's scores: "M x,y L x,y ...", broken where a
 * run failed (`down` 0: the next point starts a new piece). */
typedef struct {
	buf d;
	int down;
} score_line;

static void line_to(score_line *l, int failed, double x, double y)
{
	if (!failed)
		buf_printf(&l->d, "%s%.1f,%.1f", l->down ? " L" : l->d.len ? " M" : "M", x, y);
	l->down = !failed;
}

/* One generation's marks on a task's chart: its point (at the foot when
 * its training run failed, and a square there when its held-out run
 * did), and the lines' next points. */
static void task_point(buf *out, score_line *train, score_line *held, const record *g,
		       const record_task *t, double x, size_t n, const report_scale *s,
		       const char *title)
{
	char holdout[64];

	line_to(train, t->train_failed != NULL, x, report_scale_y(s, t->train));
	line_to(held, record_holdout_failed(t), x, report_scale_y(s, t->holdout));
	cli_holdout_score(holdout, sizeof(holdout), t);
	buf_printf(out, "<circle class=\"pt-task%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\">"
		   "<title>gen_%03d %s: train ", t->train_failed ? " failed" : "", x,
		   t->train_failed ? FOOT : report_scale_y(s, t->train), report_radius(n, 3),
		   g->number, title);
	report_train(out, t);
	buf_puts(out, ", held-out ");
	report_escape(out, holdout);
	buf_puts(out, "</title></circle>\n");
	if (record_holdout_failed(t)) {
		buf_printf(out, "<rect class=\"holdout-failed\" x=\"%.1f\" y=\"%d\" width=\"6\" "
			   "height=\"6\"><title>gen_%03d %s: held-out ", x - 3, FOOT - 3, g->number,
			   title);
		report_escape(out, holdout);
		buf_puts(out, "</title></rect>\n");
	}
}

/* Task k's training and held-out scores per generation, in its units,
 * and initial.c's where its measure began. */
void report_chart_task(buf *out, const report_data *d, size_t k)
{
	static const legend_key keys[] = {
		{ "line", "train", "training" }, { "line", "holdout", "held-out" },
		{ "line", "initial", "initial.c" }, { NULL, NULL, NULL },
	};
	static const legend_key keys_alone[] = {
		{ "line", "train", "training" }, { "line", "holdout", "held-out" },
		{ NULL, NULL, NULL },
	};
	const char *name = d->tasks[k];
	score_line train = { BUF_INIT, 0 }, held = { BUF_INIT, 0 };
	buf points = BUF_INIT, lines = BUF_INIT, id = BUF_INIT, label = BUF_INIT, title = BUF_INIT;
	report_scale s = task_scale(d, name);
	size_t i;
	int has_initial = initial_lines(&lines, d, name, &s) > 0;

	buf_printf(&id, "chart-task-%s", name);
	buf_printf(&label, "%s (%s)", name, d->units[k] ? d->units[k] : "score");
	report_escape(&title, name);  /* for the points' titles */
	report_chart_gens(out, buf_cstr(&id), buf_cstr(&label), &s, d,
			  has_initial ? keys : keys_alone);
	for (i = 0; i < d->gens.n; i++) {
		const record_task *t = record_find_task(&d->gens.items[i], name);
		if (t)
			task_point(&points, &train, &held, &d->gens.items[i], t,
				   report_x(i, d->gens.n), d->gens.n, &s, buf_cstr(&title));
	}
	buf_printf(out, "%s<path class=\"train\" d=\"%s\"/>\n<path class=\"holdout\" d=\"%s\"/>\n"
		   "%s</svg>\n", buf_cstr(&lines), buf_cstr(&train.d), buf_cstr(&held.d),
		   buf_cstr(&points));
	buf_free(&train.d);
	buf_free(&held.d);
	buf_free(&points);
	buf_free(&lines);
	buf_free(&id);
	buf_free(&label);
	buf_free(&title);
}

/* Offline, nothing was spent: the page says so, with no empty chart.
 * With a model whose price is not known, the spend is in tokens. */
void report_chart_spend(buf *out, const report_data *d)
{
	static const legend_key dollars[] = { { "box", "bar", "dollars" }, { NULL, NULL, NULL } };
	static const legend_key tokens[] = { { "box", "bar", "tokens" }, { NULL, NULL, NULL } };
	double usd = 0, most_tokens = 0, v, top;
	long calls = 0;
	report_scale s;
	size_t i;

	for (i = 0; i < d->gens.n; i++) {
		const record_budget *b = &d->gens.items[i].budget;
		usd = b->usd > usd ? b->usd : usd;
		v = (double)(b->tokens_in + b->tokens_out);
		most_tokens = v > most_tokens ? v : most_tokens;
		calls += b->llm_calls;
	}
	if (usd <= 0 && most_tokens <= 0) {  /* nothing to draw */
		if (calls)
			buf_printf(out, "<p id=\"spend\">Spend: %ld model calls, with no tokens or "
				   "dollars recorded.</p>\n", calls);
		else
			buf_puts(out, "<p id=\"spend\" class=\"offline\">Spend: none, offline: no "
				 "generation called a model.</p>\n");
		return;
	}
	s = report_scale_fit(0, usd > 0 ? usd : most_tokens, usd > 0 ? 0 : 1);
	buf_puts(out, "<figure id=\"spend\"><figcaption>Spend per generation.</figcaption>\n");
	report_chart_gens(out, "chart-spend", usd > 0 ? "spend per generation (dollars)"
			  : "spend per generation (tokens; the model's price is not known)", &s, d,
			  usd > 0 ? dollars : tokens);
	for (i = 0; i < d->gens.n; i++) {
		const record_budget *b = &d->gens.items[i].budget;
		long used = b->tokens_in + b->tokens_out;

		v = usd > 0 ? b->usd : (double)used;
		top = report_scale_y(&s, v);
		buf_printf(out, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"4\" height=\"%.1f\">"
			   "<title>gen_%03d: %ld tokens, $%.4f</title></rect>\n",
			   report_x(i, d->gens.n) - 2, top, report_scale_y(&s, 0) - top,
			   d->gens.items[i].number, used, b->usd);
	}
	buf_puts(out, "</svg>\n</figure>\n");
}
