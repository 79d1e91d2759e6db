/*
 * report_internal.h - what the report's files share: the generations it
 * draws, escaping text into HTML, and the charts (report_chart.c) the page
 * (report.c) puts together. The interface is report.h.
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

/* Appends `s` with <, >, & and " escaped. */
void report_escape(buf *out, const char *s);

/* The status's name, also the class of its marks. */
const char *report_status_of(const record *g);

void report_chart_fitness(buf *out, const report_data *d);
void report_chart_task(buf *out, const report_data *d, const char *name);
void report_chart_tree(buf *out, const report_data *d);
void report_chart_spend(buf *out, const report_data *d);

#endif
