/*
 * report_internal.h - what the report's files share: the generations it
 * draws, escaping text into HTML, and the charts (report_chart.c, the
 * family tree's report_tree.c and the arena's report_arena.c, each in a
 * frame of report_frame.c) the page (report.c) puts together. The
 * interface is report.h.
 */
#ifndef HOST_REPORT_INTERNAL_H
#define HOST_REPORT_INTERNAL_H

#include "report.h"

#include "buf.h"
#include "record.h"

typedef struct {
	record_list gens;   /* ascending */
	int live;
	char **tasks;       /* task names seen in the records */
	char **units;       /* each task's metric and direction, from its folder;
	                       NULL: not known (the folder is gone) */
	size_t n_tasks;
	/* Where each generation's measure began: the index in gens of the
	 * generation that kept its initial.c scores (lab_initial's), or
	 * REPORT_NONE. */
	size_t *began;
} report_data;

#define REPORT_NONE ((size_t)-1)

/* The index in d->gens of generation `number`, or -1. */
long report_index(const report_data *d, int number);

/* initial.c's scores on task `name` where generation i's measure began,
 * or NULL. */
const record_task *report_initial(const report_data *d, size_t i, const char *name);

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

/* A y axis: from lo to hi, both ticks, `step` apart (1, 2 or 5 times a
 * power of ten), labelled with `decimals`; `down`: values grow
 * downwards (the family tree's depth). */
typedef struct {
	double lo, hi, step;
	int decimals;
	int down;
} report_scale;

/* The axis fitted to values from lo to hi: the ticks either side of
 * them, about five steps, no step below `least_step` (1 for counts; 0:
 * any). One value gets a little room either side; none (lo > hi) 0..1. */
report_scale report_scale_fit(double lo, double hi, double least_step);

/* Where value v goes along y on `s`. */
double report_scale_y(const report_scale *s, double v);

/* The frame of a chart: axes, the y axis' ticks (class "tick y") and
 * grid, `numbers` along x (class "tick x", at a regular step) under
 * `x_name`, the title and the legend (`keys` ends with a NULL label; its
 * marks are of class "key"). */
void report_chart_open(buf *out, const char *id, const char *label, const report_scale *y,
		       const int *numbers, size_t n, const char *x_name, const legend_key *keys);

/* report_chart_open with the generations along x. */
void report_chart_gens(buf *out, const char *id, const char *label, const report_scale *y,
		       const report_data *d, const legend_key *keys);

void report_chart_fitness(buf *out, const report_data *d);
/* Task d->tasks[k]'s scores, in its units. */
void report_chart_task(buf *out, const report_data *d, size_t k);
void report_chart_tree(buf *out, const report_data *d);
/* The spend's chart in a figure of its own; offline, a line saying so. */
void report_chart_spend(buf *out, const report_data *d);

/* The arms race of task `name`, when the lab ran an arena on it: one
 * point per round. Nothing when it did not. */
void report_chart_arena(buf *out, const report_data *d, const char *name);

/* Whether any generation is an arena round. */
int report_has_arena(const report_data *d);

#endif
