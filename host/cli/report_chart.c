/*
 * report_chart.c - the report's charts, as inline SVG: fitness, each
 * task's scores, the family tree and the spend per generation; see
 * report_internal.h.
 *
 * Every mark is an element with a class saying what it is (class="pt
 * accepted", "node", "bar"...), so that the page can be checked by
 * counting elements and styled by one small stylesheet; each chart has
 * generation numbers along x and a legend whose marks are class "key".
 */
#include "report_internal.h"

#define CHART_W REPORT_CHART_W
#define CHART_H REPORT_CHART_H
#define MARGIN REPORT_MARGIN

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double report_x(size_t i, size_t n)
{
	return MARGIN + (n > 1 ? (double)i * (CHART_W - 2 * MARGIN) / (double)(n - 1) : 0);
}

/* Markers shrink as generations crowd, so that 200 stay apart. */
double report_radius(size_t n, double most)
{
	double gap = n > 1 ? (double)(CHART_W - 2 * MARGIN) / (double)(n - 1) : most;
	double r = gap * 0.4;

	return r > most ? most : r < 1.2 ? 1.2 : r;
}

double report_y(double v, double lo, double hi)
{
	return CHART_H - MARGIN - (hi > lo ? (v - lo) / (hi - lo) : 0) * (CHART_H - 2 * MARGIN);
}

/* The legend, top right, one key after another; `keys` ends with a NULL
 * label. Its marks are of class "key", which nothing counts as data. */
static void legend(buf *out, const legend_key *keys)
{
	double x = CHART_W - MARGIN;
	size_t i, n;

	for (n = 0; keys[n].label; n++)
		x -= 24 + 6.5 * (double)strlen(keys[n].label);
	for (i = 0; i < n; i++) {
		const legend_key *k = &keys[i];
		if (strcmp(k->mark, "dot") == 0)
			buf_printf(out, "<circle class=\"key %s\" cx=\"%.1f\" cy=\"26\" r=\"4\"/>",
				   k->cls, x + 5);
		else if (strcmp(k->mark, "line") == 0)
			buf_printf(out, "<line class=\"key %s\" x1=\"%.1f\" y1=\"26\" x2=\"%.1f\" "
				   "y2=\"26\"/>", k->cls, x, x + 12);
		else
			buf_printf(out, "<rect class=\"key %s\" x=\"%.1f\" y=\"21\" width=\"10\" "
				   "height=\"10\"/>", k->cls, x);
		buf_printf(out, "<text class=\"legend\" x=\"%.1f\" y=\"30\">", x + 16);
		report_escape(out, k->label);
		buf_puts(out, "</text>\n");
		x += 24 + 6.5 * (double)strlen(k->label);
	}
}

/* The numbers under the x axis: at most ten, evenly spread. */
static void x_ticks(buf *out, const int *numbers, size_t n)
{
	size_t shown = n < 10 ? n : 10, k;

	for (k = 0; k < shown; k++) {
		size_t i = shown > 1 ? k * (n - 1) / (shown - 1) : 0;
		buf_printf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%d\">%d</text>", report_x(i, n) - 4,
			   CHART_H - MARGIN + 14, numbers[i]);
	}
	buf_puts(out, "\n");
}

void report_chart_open(buf *out, const char *id, const char *label, double bottom, double top,
		       const int *numbers, size_t n, const char *x_name, const legend_key *keys)
{
	buf_puts(out, "<svg id=\"");
	report_escape(out, id);
	buf_printf(out, "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
		   "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
		   CHART_W, CHART_H, CHART_W, CHART_H);
	report_escape(out, label);
	buf_printf(out, "\">\n<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		   "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
		   "<text x=\"4\" y=\"%d\">%.3g</text><text x=\"4\" y=\"%d\">%.3g</text>"
		   "<text x=\"%d\" y=\"%d\">%s</text>\n<text class=\"title\" x=\"%d\" y=\"16\">",
		   MARGIN, CHART_H - MARGIN, CHART_W - MARGIN, CHART_H - MARGIN,
		   MARGIN, MARGIN, MARGIN, CHART_H - MARGIN,
		   MARGIN, top, CHART_H - MARGIN, bottom, CHART_W / 2, CHART_H - 4, x_name, MARGIN);
	report_escape(out, label);
	buf_puts(out, "</text>\n");
	x_ticks(out, numbers, n);
	legend(out, keys);
}

/* A chart with the generations along x. */
static void chart_open(buf *out, const char *id, const char *label, double bottom, double top,
		       const report_data *d, const legend_key *keys)
{
	int *numbers = calloc(d->gens.n + 1, sizeof(int));
	size_t i;

	for (i = 0; numbers && i < d->gens.n; i++)
		numbers[i] = d->gens.items[i].number;
	report_chart_open(out, id, label, bottom, top, numbers ? numbers : &(int){ 0 },
			  numbers ? d->gens.n : 0, "generation", keys);
	free(numbers);
}


void report_chart_fitness(buf *out, const report_data *d)
{
	double lo = 0, hi = 1, best = -1e300;
	size_t i;
	buf line = BUF_INIT;

	for (i = 0; i < d->gens.n; i++) {
		lo = d->gens.items[i].fitness < lo ? d->gens.items[i].fitness : lo;
		hi = d->gens.items[i].fitness > hi ? d->gens.items[i].fitness : hi;
	}
	static const legend_key keys[] = {
		{ "dot", "pt accepted", "accepted" }, { "dot", "pt rejected", "rejected" },
		{ "dot", "pt invalid", "invalid" }, { "dot", "pt interrupted", "interrupted" },
		{ "line", "best", "best accepted so far" }, { NULL, NULL, NULL },
	};

	chart_open(out, "chart-fitness", "fitness per generation", lo, hi, d, keys);
	for (i = 0; i < d->gens.n; i++) {
		const record *g = &d->gens.items[i];
		if (g->status == RECORD_ACCEPTED && g->fitness > best)
			best = g->fitness;
		if (best > -1e300)
			buf_printf(&line, "%s%.1f,%.1f", line.len ? " " : "", report_x(i, d->gens.n),
				   report_y(best, lo, hi));
	}
	buf_printf(out, "<polyline class=\"best\" points=\"%s\"/>\n", buf_cstr(&line));
	for (i = 0; i < d->gens.n; i++) {
		const record *g = &d->gens.items[i];
		buf_printf(out, "<circle class=\"pt %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\">"
			   "<title>gen_%03d %s, fitness %.4f</title></circle>\n", report_status_of(g),
			   report_x(i, d->gens.n), report_y(g->fitness, lo, hi), report_radius(d->gens.n, 4),
			   g->number, report_status_of(g), g->fitness);
	}
	buf_puts(out, "</svg>\n");
	buf_free(&line);
}

/* For each task: its normalised training and held-out scores. */
void report_chart_task(buf *out, const report_data *d, const char *name)
{
	static const legend_key keys[] = {
		{ "line", "train", "training" }, { "line", "holdout", "held-out" },
		{ NULL, NULL, NULL },
	};
	buf train = BUF_INIT, held = BUF_INIT, points = BUF_INIT, id = BUF_INIT, title = BUF_INIT;
	size_t i;

	buf_printf(&id, "chart-task-%s", name);
	report_escape(&title, name);  /* for the points' titles */
	chart_open(out, buf_cstr(&id), name, 0, 1, d, keys);
	for (i = 0; i < d->gens.n; i++) {
		const record_task *t = record_find_task(&d->gens.items[i], name);
		double x = report_x(i, d->gens.n), tr, ho;
		if (!t)
			continue;
		tr = t->fitness;
		ho = t->holdout_fitness;
		buf_printf(&train, "%s%.1f,%.1f", train.len ? " " : "", x, report_y(tr, 0, 1));
		buf_printf(&held, "%s%.1f,%.1f", held.len ? " " : "", x, report_y(ho, 0, 1));
		buf_printf(&points, "<circle class=\"pt-task%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\">"
			   "<title>gen_%03d %s: train ", t->train_failed ? " failed" : "", x,
			   report_y(tr, 0, 1), report_radius(d->gens.n, 3), d->gens.items[i].number,
			   buf_cstr(&title));
		report_train(&points, t);
		buf_printf(&points, ", held-out %g</title></circle>\n", t->holdout);
	}
	buf_printf(out, "<polyline class=\"train\" points=\"%s\"/>\n<polyline class=\"holdout\" "
		   "points=\"%s\"/>\n%s</svg>\n", buf_cstr(&train), buf_cstr(&held), buf_cstr(&points));
	buf_free(&train);
	buf_free(&held);
	buf_free(&points);
	buf_free(&id);
	buf_free(&title);
}

/* A band behind each round of siblings (evolve --parallel): the
 * candidates proposed together, from one draw of parents each. */
static void round_bands(buf *out, const report_data *d, int max_depth)
{
	size_t i, j;

	for (i = 0; i < d->gens.n; i = j) {
		int round = d->gens.items[i].round;
		for (j = i + 1; j < d->gens.n && round > 0 && d->gens.items[j].round == round; j++)
			;
		if (round <= 0 || j - i < 2)
			continue;
		buf_printf(out, "<rect class=\"round\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			   "height=\"%.1f\"><title>round %d: gen_%03d to gen_%03d, %zu siblings made "
			   "at once</title></rect>\n", report_x(i, d->gens.n) - 5, report_y(max_depth, 0, max_depth),
			   report_x(j - 1, d->gens.n) - report_x(i, d->gens.n) + 10,
			   report_y(0, 0, max_depth) - report_y(max_depth, 0, max_depth), round,
			   d->gens.items[i].number, d->gens.items[j - 1].number, j - i);
	}
}

/* A generation's node, its tooltip naming its parent and round. */
static void tree_node(buf *out, const report_data *d, size_t i, int depth, int max_depth)
{
	const record *g = &d->gens.items[i];
	char parent[32] = "no parent", round[32] = "";

	if (g->parent >= 0)
		snprintf(parent, sizeof(parent), "parent gen_%03d", g->parent);
	if (g->round > 0)
		snprintf(round, sizeof(round), ", round %d", g->round);
	buf_printf(out, "<circle class=\"node %s%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"><title>"
		   "gen_%03d (%s%s) %s</title></circle>\n", report_status_of(g),
		   g->number == d->live ? " live" : "", report_x(i, d->gens.n),
		   report_y(max_depth - depth, 0, max_depth), report_radius(d->gens.n, 4), g->number, parent,
		   round, report_status_of(g));
}

/* Generations left to right, each one level below its parent; each
 * round's siblings on a band of their own. */
void report_chart_tree(buf *out, const report_data *d)
{
	static const legend_key keys[] = {
		{ "dot", "node accepted", "accepted" }, { "dot", "node rejected", "rejected" },
		{ "dot", "node invalid", "invalid" }, { "dot", "node interrupted", "interrupted" },
		{ "dot", "node live", "live" }, { "box", "round", "a round's siblings" },
		{ NULL, NULL, NULL },
	};
	int *depth = calloc(d->gens.n + 1, sizeof(int)), max_depth = 1;
	size_t i;

	for (i = 0; depth && i < d->gens.n; i++) {
		int p = d->gens.items[i].parent;
		depth[i] = p >= 0 && (size_t)p < i ? depth[p] + 1 : 0;
		max_depth = depth[i] > max_depth ? depth[i] : max_depth;
	}
	/* depth grows downwards from gen_000: the top of the axis is 0 */
	chart_open(out, "chart-tree", "family tree (depth from gen_000)", max_depth, 0, d, keys);
	round_bands(out, d, max_depth);
	for (i = 0; depth && i < d->gens.n; i++) {
		int p = d->gens.items[i].parent;
		if (p >= 0 && (size_t)p < i)
			buf_printf(out, "<line class=\"edge\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
				   report_x((size_t)p, d->gens.n), report_y(max_depth - depth[p], 0, max_depth),
				   report_x(i, d->gens.n), report_y(max_depth - depth[i], 0, max_depth));
	}
	for (i = 0; depth && i < d->gens.n; i++)
		tree_node(out, d, i, depth[i], max_depth);
	buf_puts(out, "</svg>\n");
	free(depth);
}

void report_chart_spend(buf *out, const report_data *d)
{
	static const legend_key keys[] = { { "box", "bar", "dollars" }, { NULL, NULL, NULL } };
	double hi = 0, usd;
	long tokens;
	size_t i;

	for (i = 0; i < d->gens.n; i++)
		hi = d->gens.items[i].budget.usd > hi ? d->gens.items[i].budget.usd : hi;
	chart_open(out, "chart-spend", "spend per generation (dollars)", 0, hi > 0 ? hi : 1, d, keys);
	for (i = 0; i < d->gens.n; i++) {
		double x = report_x(i, d->gens.n), top;
		usd = d->gens.items[i].budget.usd;
		tokens = d->gens.items[i].budget.tokens_in + d->gens.items[i].budget.tokens_out;
		top = report_y(usd, 0, hi > 0 ? hi : 1);
		buf_printf(out, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"4\" height=\"%.1f\">"
			   "<title>gen_%03d: %ld tokens, $%.4f</title></rect>\n", x - 2, top,
			   REPORT_CHART_H - REPORT_MARGIN - top, d->gens.items[i].number, tokens, usd);
	}
	if (hi <= 0)
		buf_printf(out, "<text x=\"%d\" y=\"%d\">no LLM calls: this run was offline</text>\n",
			   REPORT_CHART_W / 2 - 120, REPORT_CHART_H / 2);
	buf_puts(out, "</svg>\n");
}
