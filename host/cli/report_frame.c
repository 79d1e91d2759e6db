/*
 * report_frame.c - a chart's frame: its y axis fitted to the data, with
 * ticks at round numbers; generation (or round) numbers along x at a
 * regular step; the title and the legend; see report_internal.h.
 *
 * A fixed 0..1 axis draws a task that went from 0.9297 to 0.9346 as a
 * flat line, and a sort task's nanoseconds off the chart: each axis runs
 * from the round number below its least value to the one above its
 * greatest, ticks 1, 2 or 5 times a power of ten apart, so that the data
 * fill at least half of it and every label reads as a round number.
 */
#include "report_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CHART_W REPORT_CHART_W
#define CHART_H REPORT_CHART_H
#define MARGIN REPORT_MARGIN

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

double report_scale_y(const report_scale *s, double v)
{
	return s->down ? report_y(s->lo + s->hi - v, s->lo, s->hi) : report_y(v, s->lo, s->hi);
}

/* The least of 1, 2 and 5 times a power of ten that is at least `raw`. */
static double nice_step(double raw)
{
	double power = pow(10, floor(log10(raw))), f = raw / power;

	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

report_scale report_scale_fit(double lo, double hi, double least_step)
{
	report_scale s = { 0, 1, 0.2, 1, 0 };
	double pad;

	if (!isfinite(lo) || !isfinite(hi) || lo > hi)
		return s;  /* no data: an empty 0..1 */
	if (hi - lo < 1e-12 * (fabs(hi) + 1)) {  /* one value: a little either side */
		pad = lo != 0 ? fabs(lo) * 0.05 : 0.5;
		lo -= pad;
		hi += pad;
	}
	s.step = nice_step((hi - lo) / 5);
	if (s.step < least_step)
		s.step = least_step;
	s.lo = floor(lo / s.step + 1e-9) * s.step;
	s.hi = ceil(hi / s.step - 1e-9) * s.step;
	s.decimals = s.step >= 1 ? 0 : (int)ceil(-log10(s.step) - 1e-9);
	return s;
}

/* Tick k of `s`, exact where the step is: as its label reads. */
static double tick_value(const report_scale *s, long k)
{
	double v = s->lo + (double)k * s->step;

	return fabs(v) < s->step / 2 ? 0 : v;
}

/* A label and a grid line at each tick of `s`. */
static void y_ticks(buf *out, const report_scale *s)
{
	long k, n = lround((s->hi - s->lo) / s->step);

	for (k = 0; k <= n && n <= 100; k++) {
		double v = tick_value(s, k), y = report_scale_y(s, v);

		buf_printf(out, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			   "<text class=\"tick y\" x=\"%d\" y=\"%.1f\">%.*f</text>\n", MARGIN, y,
			   CHART_W - MARGIN, y, MARGIN - 4, y + 4, s->decimals, v);
	}
}

/* The numbers under the x axis: those that are multiples of a round step
 * (1, 2, 5, 10, 20 ...), so that at most ten are shown. */
static void x_ticks(buf *out, const int *numbers, size_t n)
{
	long span = n ? numbers[n - 1] - numbers[0] : 0, step = 1;
	size_t i;

	while (span / step >= 10)
		step = (long)nice_step((double)step + 1);
	for (i = 0; i < n; i++)
		if (numbers[i] % step == 0)
			buf_printf(out, "<text class=\"tick x\" x=\"%.1f\" y=\"%d\">%d</text>",
				   report_x(i, n), CHART_H - MARGIN + 14, numbers[i]);
	buf_puts(out, "\n");
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

void report_chart_open(buf *out, const char *id, const char *label, const report_scale *y,
		       const int *numbers, size_t n, const char *x_name, const legend_key *keys)
{
	buf_puts(out, "<svg id=\"");
	report_escape(out, id);
	buf_printf(out, "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
		   "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
		   CHART_W, CHART_H, CHART_W, CHART_H);
	report_escape(out, label);
	buf_puts(out, "\">\n");
	y_ticks(out, y);
	buf_printf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		   "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
		   "<text class=\"x-name\" x=\"%d\" y=\"%d\">%s</text>\n"
		   "<text class=\"title\" x=\"%d\" y=\"16\">",
		   MARGIN, CHART_H - MARGIN, CHART_W - MARGIN, CHART_H - MARGIN,
		   MARGIN, MARGIN, MARGIN, CHART_H - MARGIN, CHART_W / 2, CHART_H - 4, x_name,
		   MARGIN);
	report_escape(out, label);
	buf_puts(out, "</text>\n");
	x_ticks(out, numbers, n);
	legend(out, keys);
}
