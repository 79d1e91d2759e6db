/*
 * report.c - the HTML report; see report.h.
 *
 * Every chart point is an SVG element with a class saying what it is
 * (class="pt accepted", "node", "bar"...), so the page can be checked by
 * counting elements, and styled by one small stylesheet.
 */
#include "report.h"

#include "error.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHART_W 900
#define CHART_H 260
#define MARGIN 40
#define REPORT_MAX_TASKS 64

typedef struct {
	record_list gens;
	int live;
	char **tasks;       /* task names seen in the records */
	size_t n_tasks;
} report_data;

static void escape(buf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': buf_puts(out, "&lt;"); break;
		case '>': buf_puts(out, "&gt;"); break;
		case '&': buf_puts(out, "&amp;"); break;
		case '"': buf_puts(out, "&quot;"); break;
		default: buf_append(out, s, 1);
		}
	}
}

static double x_of(size_t i, size_t n)
{
	return MARGIN + (n > 1 ? (double)i * (CHART_W - 2 * MARGIN) / (double)(n - 1) : 0);
}

/* Markers shrink as generations crowd, so that 200 stay apart. */
static double radius_of(size_t n, double most)
{
	double gap = n > 1 ? (double)(CHART_W - 2 * MARGIN) / (double)(n - 1) : most;
	double r = gap * 0.4;

	return r > most ? most : r < 1.2 ? 1.2 : r;
}

static double y_of(double v, double lo, double hi)
{
	return CHART_H - MARGIN - (hi > lo ? (v - lo) / (hi - lo) : 0) * (CHART_H - 2 * MARGIN);
}

/* The frame of a chart: axes, the y range's labels, an x label. */
static void chart_open(buf *out, const char *id, const char *label, double lo, double hi)
{
	buf_printf(out, "<svg id=\"%s\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
		   "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
		   id, CHART_W, CHART_H, CHART_W, CHART_H);
	escape(out, label);
	buf_printf(out, "\">\n<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		   "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
		   "<text x=\"4\" y=\"%d\">%.3g</text><text x=\"4\" y=\"%d\">%.3g</text>"
		   "<text x=\"%d\" y=\"%d\">generation</text>\n<text class=\"title\" x=\"%d\" y=\"16\">",
		   MARGIN, CHART_H - MARGIN, CHART_W - MARGIN, CHART_H - MARGIN,
		   MARGIN, MARGIN, MARGIN, CHART_H - MARGIN,
		   MARGIN, hi, CHART_H - MARGIN, lo, CHART_W / 2, CHART_H - 8, MARGIN);
	escape(out, label);
	buf_puts(out, "</text>\n");
}

/* The status's name, also the class of its marks. */
static const char *status_of(const record *g)
{
	return record_status_name(g->status);
}

static void chart_fitness(buf *out, const report_data *d)
{
	double lo = 0, hi = 1, best = -1e300;
	size_t i;
	buf line = BUF_INIT;

	for (i = 0; i < d->gens.n; i++) {
		lo = d->gens.items[i].fitness < lo ? d->gens.items[i].fitness : lo;
		hi = d->gens.items[i].fitness > hi ? d->gens.items[i].fitness : hi;
	}
	chart_open(out, "chart-fitness", "fitness per generation", lo, hi);
	for (i = 0; i < d->gens.n; i++) {
		const record *g = &d->gens.items[i];
		if (g->status == RECORD_ACCEPTED && g->fitness > best)
			best = g->fitness;
		if (best > -1e300)
			buf_printf(&line, "%s%.1f,%.1f", line.len ? " " : "", x_of(i, d->gens.n),
				   y_of(best, lo, hi));
	}
	buf_printf(out, "<polyline class=\"best\" points=\"%s\"/>\n", buf_cstr(&line));
	for (i = 0; i < d->gens.n; i++) {
		const record *g = &d->gens.items[i];
		buf_printf(out, "<circle class=\"pt %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\">"
			   "<title>gen_%03d %s, fitness %.4f</title></circle>\n", status_of(g),
			   x_of(i, d->gens.n), y_of(g->fitness, lo, hi), radius_of(d->gens.n, 4),
			   g->number, status_of(g), g->fitness);
	}
	buf_puts(out, "</svg>\n");
	buf_free(&line);
}

/* For each task: its normalised training and held-out scores. */
static void chart_task(buf *out, const report_data *d, const char *name)
{
	buf train = BUF_INIT, held = BUF_INIT, points = BUF_INIT, id = BUF_INIT;
	size_t i;

	buf_printf(&id, "chart-task-%s", name);
	chart_open(out, id.data, name, 0, 1);
	for (i = 0; i < d->gens.n; i++) {
		const record_task *t = record_find_task(&d->gens.items[i], name);
		double x = x_of(i, d->gens.n), tr, ho;
		if (!t)
			continue;
		tr = t->fitness;
		ho = t->holdout_fitness;
		buf_printf(&train, "%s%.1f,%.1f", train.len ? " " : "", x, y_of(tr, 0, 1));
		buf_printf(&held, "%s%.1f,%.1f", held.len ? " " : "", x, y_of(ho, 0, 1));
		buf_printf(&points, "<circle class=\"pt-task\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"><title>"
			   "gen_%03d %s: train %g, held-out %g</title></circle>\n", x, y_of(tr, 0, 1),
			   radius_of(d->gens.n, 3),
			   d->gens.items[i].number, name, t->train, t->holdout);
	}
	buf_printf(out, "<polyline class=\"train\" points=\"%s\"/>\n<polyline class=\"holdout\" "
		   "points=\"%s\"/>\n%s</svg>\n", buf_cstr(&train), buf_cstr(&held), buf_cstr(&points));
	buf_free(&train);
	buf_free(&held);
	buf_free(&points);
	buf_free(&id);
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
			   "at once</title></rect>\n", x_of(i, d->gens.n) - 5, y_of(max_depth, 0, max_depth),
			   x_of(j - 1, d->gens.n) - x_of(i, d->gens.n) + 10,
			   y_of(0, 0, max_depth) - y_of(max_depth, 0, max_depth), round,
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
		   "gen_%03d (%s%s) %s</title></circle>\n", status_of(g),
		   g->number == d->live ? " live" : "", x_of(i, d->gens.n),
		   y_of(max_depth - depth, 0, max_depth), radius_of(d->gens.n, 4), g->number, parent,
		   round, status_of(g));
}

/* Generations left to right, each one level below its parent; each
 * round's siblings on a band of their own. */
static void chart_tree(buf *out, const report_data *d)
{
	int *depth = calloc(d->gens.n + 1, sizeof(int)), max_depth = 1;
	size_t i;

	for (i = 0; depth && i < d->gens.n; i++) {
		int p = d->gens.items[i].parent;
		depth[i] = p >= 0 && (size_t)p < i ? depth[p] + 1 : 0;
		max_depth = depth[i] > max_depth ? depth[i] : max_depth;
	}
	chart_open(out, "chart-tree", "family tree (depth from gen_000)", 0, max_depth);
	round_bands(out, d, max_depth);
	for (i = 0; depth && i < d->gens.n; i++) {
		int p = d->gens.items[i].parent;
		if (p >= 0 && (size_t)p < i)
			buf_printf(out, "<line class=\"edge\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
				   x_of((size_t)p, d->gens.n), y_of(max_depth - depth[p], 0, max_depth),
				   x_of(i, d->gens.n), y_of(max_depth - depth[i], 0, max_depth));
	}
	for (i = 0; depth && i < d->gens.n; i++)
		tree_node(out, d, i, depth[i], max_depth);
	buf_puts(out, "</svg>\n");
	free(depth);
}

static void chart_spend(buf *out, const report_data *d)
{
	double hi = 0, usd;
	long tokens;
	size_t i;

	for (i = 0; i < d->gens.n; i++)
		hi = d->gens.items[i].budget.usd > hi ? d->gens.items[i].budget.usd : hi;
	chart_open(out, "chart-spend", "spend per generation (dollars)", 0, hi > 0 ? hi : 1);
	for (i = 0; i < d->gens.n; i++) {
		double x = x_of(i, d->gens.n), top;
		usd = d->gens.items[i].budget.usd;
		tokens = d->gens.items[i].budget.tokens_in + d->gens.items[i].budget.tokens_out;
		top = y_of(usd, 0, hi > 0 ? hi : 1);
		buf_printf(out, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"4\" height=\"%.1f\">"
			   "<title>gen_%03d: %ld tokens, $%.4f</title></rect>\n", x - 2, top,
			   CHART_H - MARGIN - top, d->gens.items[i].number, tokens, usd);
	}
	if (hi <= 0)
		buf_printf(out, "<text x=\"%d\" y=\"%d\">no LLM calls: this run was offline</text>\n",
			   CHART_W / 2 - 120, CHART_H / 2);
	buf_puts(out, "</svg>\n");
}

static void table(buf *out, const report_data *d)
{
	size_t i;

	buf_puts(out, "<table id=\"generations\">\n<thead><tr><th>generation</th><th>parent</th>"
		 "<th>status</th><th>fitness</th><th>held-out</th><th>reason</th><th>details</th>"
		 "</tr></thead>\n<tbody>\n");
	for (i = 0; i < d->gens.n; i++) {
		const record *g = &d->gens.items[i];
		buf_printf(out, "<tr class=\"%s\"><td>gen_%03d%s</td><td>", status_of(g), g->number,
			   g->number == d->live ? " (live)" : "");
		if (g->parent >= 0)
			buf_printf(out, "gen_%03d", g->parent);
		buf_printf(out, "</td><td>%s</td><td>%.4f</td><td>%.4f</td><td>", status_of(g),
			   g->fitness, g->holdout);
		escape(out, g->reason);
		buf_printf(out, "</td><td><a href=\"#diff-%d\">diff</a> <a href=\"#validation-%d\">"
			   "validation</a> <a href=\"#trace-%d\">trace</a></td></tr>\n", g->number,
			   g->number, g->number);
	}
	buf_puts(out, "</tbody>\n</table>\n");
}

static void trace_events(buf *out, const json_t *events, const char *title)
{
	const json_t *e;
	size_t i;

	if (!json_array_size(events))
		return;
	buf_puts(out, "<h4>");
	escape(out, title);
	buf_puts(out, "</h4>\n<ol>\n");
	json_array_foreach(events, i, e) {
		const char *kind = json_string_value(json_object_get(e, "event"));
		buf_puts(out, "<li>");
		if (kind && strcmp(kind, "eval") == 0) {
			buf_printf(out, "evaluation: %s, score %g, %.1f ms. ",
				   json_string_value(json_object_get(e, "status")),
				   json_number_value(json_object_get(e, "score")),
				   json_number_value(json_object_get(e, "ms")));
			escape(out, json_string_value(json_object_get(e, "feedback")));
		} else if (kind && strcmp(kind, "llm") == 0) {
			buf_printf(out, "LLM call: %d chars sent, %d received, %lld+%lld tokens, "
				   "$%.4f, %.2f s, ", (int)json_integer_value(json_object_get(e, "prompt_chars")),
				   (int)json_integer_value(json_object_get(e, "reply_chars")),
				   (long long)json_integer_value(json_object_get(e, "tokens_in")),
				   (long long)json_integer_value(json_object_get(e, "tokens_out")),
				   json_number_value(json_object_get(e, "usd")),
				   json_number_value(json_object_get(e, "seconds")));
			escape(out, json_string_value(json_object_get(e, "status")));
		} else {
			buf_puts(out, "log: ");
			escape(out, json_string_value(json_object_get(e, "line")));
		}
		buf_puts(out, "</li>\n");
	}
	buf_puts(out, "</ol>\n");
}

static void details(buf *out, const report_data *d, lab *l)
{
	size_t i, k;

	for (i = 0; i < d->gens.n; i++) {
		const record *g = &d->gens.items[i];
		buf diff = BUF_INIT;

		buf_printf(out, "<section class=\"generation\" id=\"gen-%d\">\n<h3>gen_%03d: %s, "
			   "fitness %.4f</h3>\n<details id=\"diff-%d\"><summary>diff against ", g->number,
			   g->number, status_of(g), g->fitness, g->number);
		if (g->parent >= 0 && store_diff(l->store, g->parent, g->number, &diff) == 0)
			buf_printf(out, "gen_%03d</summary>\n<pre>", g->parent);
		else
			buf_puts(out, "nothing (the first generation)</summary>\n<pre>");
		escape(out, diff.len ? diff.data : "(no changes)\n");
		buf_printf(out, "</pre></details>\n<details id=\"validation-%d\"><summary>validation"
			   "</summary>\n<pre>", g->number);
		for (k = 0; k < g->n_stages; k++) {
			buf_printf(out, "%-11s %s\n", g->stages[k].name, g->stages[k].status);
			escape(out, g->stages[k].diagnostics);
		}
		buf_printf(out, "</pre></details>\n<details id=\"trace-%d\"><summary>trace</summary>\n",
			   g->number);
		trace_events(out, g->rewrite_trace, "the meta agent's rewrite");
		for (k = 0; k < d->n_tasks; k++) {
			const record_task *t = record_find_task(g, d->tasks[k]);
			char title[128];
			snprintf(title, sizeof(title), "the task agent on %s", d->tasks[k]);
			trace_events(out, t ? t->trace : NULL, title);
		}
		buf_puts(out, "</details>\n</section>\n");
		buf_free(&diff);
	}
}

static const char report_style[] =
	"body{font-family:sans-serif;margin:2em;max-width:1000px;color:#222}"
	"figure{margin:1em 0}svg.chart{border:1px solid #ddd;background:#fff}"
	".axis{stroke:#888}.best{fill:none;stroke:#2a7;stroke-width:2}"
	".pt.accepted,.node.accepted{fill:#2a7}.pt.rejected,.node.rejected{fill:#999}"
	".pt.invalid,.node.invalid{fill:#d33}.pt.interrupted,.node.interrupted{fill:#fc3}.node.live{stroke:#000;stroke-width:2}"
	".edge{stroke:#bbb}.round{fill:#eef}.train{fill:none;stroke:#27c;stroke-width:2}"
	".holdout{fill:none;stroke:#e80;stroke-width:2;stroke-dasharray:5 3}"
	".pt-task{fill:#27c}.bar{fill:#a5c}text{font-size:11px;fill:#555}"
	"text.title{font-size:13px;fill:#222}"
	"table{border-collapse:collapse;font-size:13px}td,th{padding:2px 8px;border-bottom:1px solid #eee}"
	"tr.invalid td{color:#b22}pre{background:#f6f6f6;padding:.5em;overflow:auto;font-size:12px}"
	"section.generation h3{font-size:15px;margin:1.2em 0 .3em}";

/* Keeps a generation's record, and the names of its tasks. */
static int keep(void *ctx, const record *r)
{
	report_data *d = ctx;
	size_t i, k;

	if (record_list_add(&d->gens, r) < 0)
		return ERR_SYSTEM;
	for (i = 0; i < r->n_tasks; i++) {
		for (k = 0; k < d->n_tasks && strcmp(d->tasks[k], r->tasks[i].name); k++)
			;
		if (k == d->n_tasks && d->n_tasks < REPORT_MAX_TASKS &&
		    !(d->tasks[d->n_tasks++] = strdup(r->tasks[i].name)))
			return err_set(ERR_SYSTEM, "out of memory");
	}
	return 0;
}

static int load(report_data *d, lab *l)
{
	memset(d, 0, sizeof(*d));
	d->live = -1;
	if (store_main(l->store, &d->live) < 0)
		d->live = -1;  /* the page shows no live mark */
	d->tasks = calloc(REPORT_MAX_TASKS, sizeof(char *));
	if (!d->tasks)
		return err_set(ERR_SYSTEM, "out of memory");
	return store_each(l->store, keep, d);
}

static void unload(report_data *d)
{
	size_t i;

	record_list_free(&d->gens);
	for (i = 0; d->tasks && i < d->n_tasks; i++)
		free(d->tasks[i]);
	free(d->tasks);
}

static void summary(buf *out, const report_data *d)
{
	int counts[RECORD_N_STATUSES] = { 0 };
	double usd = 0;
	long calls = 0, tokens = 0;
	size_t i, best = 0;

	for (i = 0; i < d->gens.n; i++) {
		const record *g = &d->gens.items[i];
		counts[g->status]++;
		if (record_measured(g) && g->fitness > d->gens.items[best].fitness)
			best = i;
		usd += g->budget.usd;
		calls += g->budget.llm_calls;
		tokens += g->budget.tokens_in + g->budget.tokens_out;
	}
	buf_printf(out, "<p id=\"summary\">%zu generations: %d accepted, %d rejected, %d invalid, "
		   "%d interrupted. Live: gen_%03d. Best: gen_%03d, fitness %.4f (held-out %.4f). LLM: "
		   "%ld calls, %ld tokens, $%.4f.</p>\n", d->gens.n, counts[RECORD_ACCEPTED],
		   counts[RECORD_REJECTED], counts[RECORD_INVALID], counts[RECORD_INTERRUPTED], d->live,
		   d->gens.n ? d->gens.items[best].number : 0, d->gens.n ? d->gens.items[best].fitness : 0,
		   d->gens.n ? d->gens.items[best].holdout : 0, calls, tokens, usd);
}

int report_write(buf *out, lab *l)
{
	report_data d;
	size_t k;
	int rc = load(&d, l);

	if (rc < 0) {
		unload(&d);
		return rc;
	}
	buf_printf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<title>host report</title>\n<style>%s</style>\n</head>\n<body>\n<h1>host report</h1>\n",
		   report_style);
	summary(out, &d);
	buf_puts(out, "<figure><figcaption>Fitness per generation: green accepted, grey rejected, "
		 "red invalid, yellow interrupted; the line is the best accepted so far.</figcaption>\n");
	chart_fitness(out, &d);
	buf_puts(out, "</figure>\n<figure id=\"tasks\"><figcaption>Training (solid) against held-out "
		 "(dashed) score per task, normalised to 0..1.</figcaption>\n");
	for (k = 0; k < d.n_tasks; k++)
		chart_task(out, &d, d.tasks[k]);
	buf_puts(out, "</figure>\n<figure><figcaption>Family tree: each generation one level below "
		 "its parent; the live one is outlined, and a band joins the siblings of a round.</figcaption>\n");
	chart_tree(out, &d);
	buf_puts(out, "</figure>\n<figure><figcaption>Spend per generation.</figcaption>\n");
	chart_spend(out, &d);
	buf_puts(out, "</figure>\n<h2>Generations</h2>\n");
	table(out, &d);
	buf_puts(out, "<h2>Details</h2>\n");
	details(out, &d, l);
	buf_puts(out, "</body>\n</html>\n");
	unload(&d);
	return 0;
}
