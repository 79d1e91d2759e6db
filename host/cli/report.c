/*
 * report.c - the HTML report; see report.h.
 *
 * The page: the summary, the charts (report_chart.c, report_tree.c),
 * each task's best solution, the table of generations and each one's
 * details, with one small stylesheet and nothing fetched or run. Its
 * links are to its own parts, so they hold wherever it is written; what
 * the generations' records say taken together for the charts (where each
 * measure began, each task's units) is gathered here once.
 */
#include "report_internal.h"

#include "error.h"
#include "print.h"
#include "settings.h"
#include "store.h"
#include "task.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_MAX_TASKS 64

void report_escape(buf *out, const char *s)
{
	buf clean = BUF_INIT;
	const char *c;

	text_append(&clean, s);
	for (c = buf_cstr(&clean); *c; c++) {
		switch (*c) {
		case '<': buf_puts(out, "&lt;"); break;
		case '>': buf_puts(out, "&gt;"); break;
		case '&': buf_puts(out, "&amp;"); break;
		case '"': buf_puts(out, "&quot;"); break;
		case '\'': buf_puts(out, "&#39;"); break;
		default: buf_append(out, c, 1);
		}
	}
	buf_free(&clean);
}

void report_train(buf *out, const record_task *t)
{
	buf text = BUF_INIT;

	cli_train_text(&text, t);
	report_escape(out, buf_cstr(&text));
	buf_free(&text);
}

const char *report_status_of(const record *g)
{
	return record_status_name(g->status);
}

/* Each timed task's spread, and its comparison with the parent, and
 * each judged task's grades, under the fitness they qualify. */
static void timing_notes(buf *out, const record *g)
{
	buf note = BUF_INIT;
	size_t i;

	for (i = 0; i < 2 * g->n_tasks; i++) {
		buf_clear(&note);
		if (i % 2 == 0)
			record_timing_describe(&note, &g->tasks[i / 2], g->parent);
		else
			record_judge_describe(&note, &g->tasks[i / 2]);
		if (!note.len)
			continue;
		buf_puts(out, "<br><small class=\"spread\">");
		report_escape(out, buf_cstr(&note));
		buf_puts(out, "</small>");
	}
	buf_free(&note);
}

/* Says so when g's held-out run failed on a task, with its status: its
 * held-out figure counts that task as 0, which is no score. */
static void holdout_warning(buf *out, const record *g, const char *open, const char *close)
{
	buf failed = BUF_INIT;

	if (cli_holdout_failures(&failed, g)) {
		buf_printf(out, "%s<strong class=\"warn\">Warning: gen_%03d's held-out run failed: ",
			   open, g->number);
		report_escape(out, buf_cstr(&failed));
		buf_printf(out, ".</strong>%s", close);
	}
	buf_free(&failed);
}

static void table(buf *out, const report_data *d)
{
	size_t i;

	buf_puts(out, "<table id=\"generations\">\n<thead><tr><th>generation</th><th>parent</th>"
		 "<th>status</th><th>fitness</th><th>held-out</th><th>reason</th><th>details</th>"
		 "</tr></thead>\n<tbody>\n");
	for (i = 0; i < d->gens.n; i++) {
		const record *g = &d->gens.items[i];
		buf_printf(out, "<tr class=\"%s\"><td><a href=\"#gen-%d\">gen_%03d</a>%s</td><td>",
			   report_status_of(g), g->number, g->number,
			   g->number == d->live ? " (live)" : "");
		if (g->parent >= 0 && report_index(d, g->parent) >= 0)
			buf_printf(out, "<a href=\"#gen-%d\">gen_%03d</a>", g->parent, g->parent);
		else if (g->parent >= 0)
			buf_printf(out, "gen_%03d", g->parent);
		buf_printf(out, "</td><td>%s</td><td>%.4f", report_status_of(g), g->fitness);
		timing_notes(out, g);
		buf_printf(out, "</td><td>%.4f", g->holdout);
		holdout_warning(out, g, " ", "");
		buf_puts(out, "</td><td>");
		report_escape(out, g->reason);
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
	report_escape(out, title);
	buf_puts(out, "</h4>\n<ol>\n");
	json_array_foreach(events, i, e) {
		const char *kind = json_string_value(json_object_get(e, "event"));
		buf_puts(out, "<li>");
		if (kind && strcmp(kind, "eval") == 0) {
			buf_puts(out, "evaluation: ");
			report_escape(out, json_string_value(json_object_get(e, "status")));
			buf_printf(out, ", score %s, %.1f ms. ",
				   cli_score((char[32]){ 0 }, json_number_value(json_object_get(e, "score"))),
				   json_number_value(json_object_get(e, "ms")));
			report_escape(out, json_string_value(json_object_get(e, "feedback")));
		} else if (kind && strcmp(kind, "llm") == 0) {
			buf_printf(out, "LLM call: %d chars sent, %d received, %lld+%lld tokens, "
				   "$%.4f, %.2f s, ", (int)json_integer_value(json_object_get(e, "prompt_chars")),
				   (int)json_integer_value(json_object_get(e, "reply_chars")),
				   (long long)json_integer_value(json_object_get(e, "tokens_in")),
				   (long long)json_integer_value(json_object_get(e, "tokens_out")),
				   json_number_value(json_object_get(e, "usd")),
				   json_number_value(json_object_get(e, "seconds")));
			report_escape(out, json_string_value(json_object_get(e, "status")));
		} else if (kind && strcmp(kind, "check") == 0) {
			buf_puts(out, json_is_true(json_object_get(e, "passed")) ? "check: passed"
				 : "check: failed at ");
			report_escape(out, json_string_value(json_object_get(e, "stage")));
			buf_printf(out, ", %.1f ms", json_number_value(json_object_get(e, "ms")));
		} else {
			buf_puts(out, "log: ");
			report_escape(out, json_string_value(json_object_get(e, "line")));
		}
		buf_puts(out, "</li>\n");
	}
	buf_puts(out, "</ol>\n");
}

/* The tasks whose training run failed: a fitness of 0 says nothing of
 * why. */
static void failed_runs(buf *out, const record *g)
{
	size_t i;

	for (i = 0; i < g->n_tasks; i++) {
		if (!g->tasks[i].train_failed)
			continue;
		buf_puts(out, "<p class=\"failed\">");
		report_escape(out, g->tasks[i].name);
		buf_puts(out, ": the training run ");
		report_train(out, &g->tasks[i]);
		buf_puts(out, "</p>\n");
	}
}

static void details(buf *out, const report_data *d, lab *l)
{
	size_t i, k;

	for (i = 0; i < d->gens.n; i++) {
		const record *g = &d->gens.items[i];
		buf diff = BUF_INIT;

		buf_printf(out, "<section class=\"generation\" id=\"gen-%d\">\n<h3>gen_%03d: %s, "
			   "fitness %.4f</h3>\n", g->number, g->number, report_status_of(g), g->fitness);
		failed_runs(out, g);
		holdout_warning(out, g, "<p>", "</p>\n");
		/* a link's target is inside its <details>, which the browser
		 * opens to show it: one on the <details> would stay closed */
		buf_puts(out, "<details><summary>diff against ");
		if (g->parent >= 0 && store_diff(l->store, g->parent, g->number, &diff) == 0)
			buf_printf(out, "gen_%03d</summary>\n", g->parent);
		else
			buf_puts(out, "nothing (the first generation)</summary>\n");
		buf_printf(out, "<pre id=\"diff-%d\">", g->number);
		report_escape(out, diff.len ? diff.data : "(no changes)\n");
		buf_printf(out, "</pre></details>\n<details><summary>validation</summary>\n"
			   "<pre id=\"validation-%d\">", g->number);
		for (k = 0; k < g->n_stages; k++) {
			size_t len = strlen(g->stages[k].name);
			report_escape(out, g->stages[k].name);
			buf_printf(out, "%*s ", len < 11 ? (int)(11 - len) : 0, "");
			report_escape(out, g->stages[k].status);
			buf_puts(out, "\n");
			report_escape(out, g->stages[k].diagnostics);
		}
		buf_printf(out, "</pre></details>\n<details><summary>trace</summary>\n<div "
			   "id=\"trace-%d\">\n", g->number);
		trace_events(out, g->rewrite_trace, "the meta agent's rewrite");
		for (k = 0; k < d->n_tasks; k++) {
			const record_task *t = record_find_task(g, d->tasks[k]);
			char title[128];
			snprintf(title, sizeof(title), "the task agent on %s", d->tasks[k]);
			trace_events(out, t ? t->trace : NULL, title);
		}
		buf_puts(out, "</div></details>\n</section>\n");
		buf_free(&diff);
	}
}

static const char report_style[] =
	"body{font-family:sans-serif;margin:2em;max-width:1000px;color:#222}"
	"figure{margin:1em 0}svg.chart{border:1px solid #ddd;background:#fff}"
	".axis{stroke:#888}.best{fill:none;stroke:#2a7;stroke-width:2}"
	".pt.accepted,.node.accepted{fill:#2a7}.pt.rejected,.node.rejected{fill:#999}"
	".pt.invalid,.node.invalid{fill:#d33}.pt.interrupted,.node.interrupted{fill:#fc3}.node.live{stroke:#000;stroke-width:2}"
	".edge{stroke:#bbb}.round{fill:#eef}.tick,.legend{font-size:11px}.train{fill:none;stroke:#27c;stroke-width:2}"
	".holdout{fill:none;stroke:#e80;stroke-width:2;stroke-dasharray:5 3}"
	".pt-task{fill:#27c}.bar{fill:#a5c}.original{fill:none;stroke:#27c;stroke-width:2}"
	".grown{fill:none;stroke:#d33;stroke-width:2;stroke-dasharray:2 3}.arena.held-out{fill:#e80}"
	".arena.original{fill:#27c}.arena.grown{fill:#d33}.bar.added{fill:#ccc}text{font-size:11px;fill:#555}"
	"text.title{font-size:13px;fill:#222}"
	"table{border-collapse:collapse;font-size:13px}td,th{padding:2px 8px;border-bottom:1px solid #eee}"
	"tr.invalid td{color:#b22}pre{background:#f6f6f6;padding:.5em;overflow:auto;font-size:12px}"
	"section.generation h3{font-size:15px;margin:1.2em 0 .3em}.warn{color:#b22}"
	".grid{stroke:#eee}.tick.x{text-anchor:middle}.tick.y{text-anchor:end}"
	".x-name{text-anchor:middle}.initial{stroke:#888;stroke-width:1.5;stroke-dasharray:1 3}"
	".pt-task.failed,.holdout-failed{fill:#d33}.counted{font-size:11px;fill:#555}"
	"p.offline{color:#555}";

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

long report_index(const report_data *d, int number)
{
	size_t lo = 0, hi = d->gens.n;

	while (lo < hi) {  /* gens ascend */
		size_t mid = lo + (hi - lo) / 2;

		if (d->gens.items[mid].number == number)
			return (long)mid;
		if (d->gens.items[mid].number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

const record_task *report_initial(const report_data *d, size_t i, const char *name)
{
	return d->began[i] == REPORT_NONE ? NULL
	       : record_find_initial(&d->gens.items[d->began[i]], name);
}

/* Where each generation's measure began, as lab_initial finds it: its
 * own record, or that of the generation it continues (an earlier one). */
static int find_beginnings(report_data *d)
{
	size_t i;

	if (!(d->began = calloc(d->gens.n + 1, sizeof(*d->began))))
		return err_set(ERR_SYSTEM, "out of memory");
	for (i = 0; i < d->gens.n; i++) {
		long from = report_index(d, record_measure_from(&d->gens.items[i]));

		d->began[i] = d->gens.items[i].initial ? i
			      : from >= 0 && (size_t)from < i ? d->began[from] : REPORT_NONE;
	}
	return 0;
}

/* Each task's metric and direction, from its folder where the lab keeps
 * them ("accuracy, higher is better"): the units of its chart. A task
 * that cannot be loaded has none, and its chart says "score". */
static int find_units(report_data *d, lab *l)
{
	settings kept;
	task *t;
	size_t k;

	if (!(d->units = calloc(REPORT_MAX_TASKS, sizeof(char *))))
		return err_set(ERR_SYSTEM, "out of memory");
	if (settings_read(&kept, l, SETTINGS_TASKS_DIR) < 0)
		return 0;  /* the charts say "score" */
	for (k = 0; kept.tasks_dir && k < d->n_tasks; k++) {
		buf unit = BUF_INIT;

		if (task_load(&t, kept.tasks_dir, d->tasks[k]) < 0)
			continue;
		buf_printf(&unit, "%s, %s is better", t->metric, t->higher_is_better ? "higher"
			   : "lower");
		d->units[k] = buf_failed(&unit) < 0 ? NULL : strdup(buf_cstr(&unit));
		buf_free(&unit);
		task_free(t);
	}
	settings_free(&kept);
	return 0;
}

static int load(report_data *d, lab *l)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->live = -1;
	if (store_main(l->store, &d->live) < 0)
		d->live = -1;  /* the page shows no live mark */
	d->tasks = calloc(REPORT_MAX_TASKS, sizeof(char *));
	if (!d->tasks)
		return err_set(ERR_SYSTEM, "out of memory");
	if ((rc = store_each(l->store, keep, d)) < 0 || (rc = find_beginnings(d)) < 0)
		return rc;
	return find_units(d, l);
}

static void unload(report_data *d)
{
	size_t i;

	record_list_free(&d->gens);
	for (i = 0; d->tasks && i < d->n_tasks; i++)
		free(d->tasks[i]);
	for (i = 0; d->units && i < d->n_tasks; i++)
		free(d->units[i]);
	free(d->tasks);
	free(d->units);
	free(d->began);
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
		/* as evolve's summary: accepted, the latest on a tie; a rejected
		 * fitness above its parent's was within the noise */
		if (g->status == RECORD_ACCEPTED && g->fitness >= d->gens.items[best].fitness)
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
	if (d->gens.n)
		holdout_warning(out, &d->gens.items[best], "<p>", "</p>\n");
}

/* For each task, the lab's best solution on training: where git keeps
 * it, the command that writes it, its scores and the code. */
static void best_solutions(buf *out, const report_data *d, lab *l)
{
	const record_task *t;
	lab_best b;
	record r;
	char *text;
	size_t k;

	for (k = 0; k < d->n_tasks; k++) {
		buf name = BUF_INIT;
		if (lab_best_solution(&b, l, d->tasks[k]) < 0 || b.number < 0 ||
		    store_solution(l->store, b.number, d->tasks[k], &text) < 0)
			continue;
		report_escape(&name, d->tasks[k]);
		buf_printf(out, "<section class=\"solution\" id=\"solution-%s\"><h3>%s: <a "
			   "href=\"#gen-%d\">gen_%03d</a>'s solution</h3>\n<p><code>host solution %s"
			   "</code> writes it; git keeps it as solutions/%s.c in gen_%03d.",
			   buf_cstr(&name), buf_cstr(&name), b.number, b.number, buf_cstr(&name),
			   buf_cstr(&name), b.number);
		buf_free(&name);
		if (store_read(l->store, b.number, &r, NULL) == 0) {
			if ((t = record_find_task(&r, d->tasks[k])) != NULL) {
				char holdout[64];

				buf_puts(out, " Training ");
				report_train(out, t);
				buf_puts(out, ", held-out ");
				report_escape(out, cli_holdout_score(holdout, sizeof(holdout), t));
				buf_puts(out, record_holdout_failed(t) ? ". <strong class=\"warn\">"
					 "Warning: its held-out run failed: it is not known to work "
					 "beyond the training cases.</strong>" : ".");
			}
			record_free(&r);
		}
		buf_puts(out, "</p>\n<details><summary>the code</summary>\n<pre>");
		report_escape(out, text);
		buf_puts(out, "</pre></details>\n</section>\n");
		free(text);
	}
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
	report_chart_fitness(out, &d);
	buf_puts(out, "</figure>\n<figure id=\"tasks\"><figcaption>Each task's training (solid) "
		 "and held-out (dashed) score, in the task's own units on an axis fitted to them; "
		 "the grey level line is the task's initial.c, scored by the host where the "
		 "generations' measure began. A run that failed has no score: it breaks the line, "
		 "and is marked at the foot of the axis.</figcaption>\n");
	for (k = 0; k < d.n_tasks; k++)
		report_chart_task(out, &d, k);
	if (report_has_arena(&d)) {
		buf_puts(out, "</figure>\n<figure id=\"arena\"><figcaption>The arena's arms race per "
			 "task, one point per round at its best code agent: the score on the task's "
			 "own training cases (solid), on the grown set (dotted: each round it drops to "
			 "the score of the solution the round started with, on the cases the test "
			 "agents had just added, and rises as far as the code agent's answer "
			 "takes it) and held-out (dashed); the bars are the cases each round "
			 "added.</figcaption>\n");
		for (k = 0; k < d.n_tasks; k++)
			report_chart_arena(out, &d, d.tasks[k]);
	}
	buf_puts(out, "</figure>\n<figure><figcaption>Family tree: each generation one level below "
		 "its parent; the live one is outlined, and a band joins the siblings of a round. "
		 "Where a parent has more than three children that were not accepted and have none "
		 "of their own, they are counted beside it (+N), not drawn.</figcaption>\n");
	report_chart_tree(out, &d);
	buf_puts(out, "</figure>\n");
	report_chart_spend(out, &d);
	buf_puts(out, "<h2>Best solutions</h2>\n");
	best_solutions(out, &d, l);
	buf_puts(out, "<h2>Generations</h2>\n");
	table(out, &d);
	buf_puts(out, "<h2>Details</h2>\n");
	details(out, &d, l);
	buf_puts(out, "</body>\n</html>\n");
	unload(&d);
	return 0;
}
