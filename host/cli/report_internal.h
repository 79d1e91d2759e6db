/*
 * report_internal.h - what the report's files share: the generations it
 * draws, escaping text into HTML, and the charts (report_chart.c, and
 * report_arena.c for the arena's) the page (report.c) puts together. The interface is report.h.
 */
#ifndef HOST_REPORT_INTERNAL_H
#define HOST_REPORT_INTERNAL_H

#include "report.h"

#include "buf.h"
#include "record.h"

typedef struct {
	record_list gens;
	int live;
	char **tasks;       /* task names seen in the records */
	size_t n_tasks;
} report_data;

/* Appends `s` without its control characters (text.h) and with <, >, &,
 * " and ' escaped: fit for HTML text, a quoted attribute and SVG's <title>
 * and <text>. Everything the page takes from a lab goes through it: task
 * names, reasons, diagnostics, traces and code were written by agents, or
 * by whoever handed the lab over. */
void report_escape(buf *out, const char *s);

/* A task's training score, or "failed (...)" with why (cli_train_text),
 * escaped. */
void report_train(buf *out, const record_task *t);

/* The status's name, also the class of its marks. */
const char *report_status_of(const record *g);

#define REPORT_CHART_W 900
#define REPORT_CHART_H 260
#define REPORT_MARGIN 40

/* What a chart's marks mean: a mark ("dot", "line" or "box") drawn with
 * the CSS class of the marks it stands for, and its words. */
typedef struct {
	const char *mark, *cls, *label;
} legend_key;

/* Where the i-th of n marks goes along x, where value v goes along y
 * between lo and hi, and how big a marker may be among n. */
double report_x(size_t i, size_t n);
double report_y(double v, double lo, double hi);
double report_radius(size_t n, double most);

/* The frame of a chart: axes, the y range's labels (`top` and `bottom`),
 * `numbers` along x under `x_name`, the title and the legend (`keys`
 * ends with a NULL label; its marks are of class "key"). */
void report_chart_open(buf *out, const char *id, const char *label, double bottom, double top,
		       const int *numbers, size_t n, const char *x_name, const legend_key *keys);

void report_chart_fitness(buf *out, const report_data *d);
void report_chart_task(buf *out, const report_data *d, const char *name);
void report_chart_tree(buf *out, const report_data *d);
void report_chart_spend(buf *out, const report_data *d);

/* The arms race of task `name`, when the lab ran an arena on it: one
 * point per round. Nothing when it did not. */
void report_chart_arena(buf *out, const report_data *d, const char *name);

/* Whether any generation is an arena round. */
int report_has_arena(const report_data *d);

#endif
