/*
 * evolve_trace.c - a task agent's trace in short, for the archive; see
 * evolve_internal.h.
 *
 * The broker records every evaluation (status, score, feedback), model
 * call and log line of a run, up to 1000 events: far too much for a
 * prompt. The meta agent needs what was proposed and how it went: the
 * first score, each evaluation that beat every one before it, each
 * failure with the host's feedback, the model calls, and the agent's own
 * log lines, where it says what it tried. Runs of evaluations that were
 * neither better nor failures take one line. Times are left out: they
 * differ from run to run, and a meta agent's prompt must be the same
 * when a run is replayed from a record.
 */
#include "evolve_internal.h"

#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TRACE_LINES 24   /* lines kept per task */
#define TRACE_HEAD 8     /* of which from the start */
#define TRACE_TEXT 160   /* bytes of feedback or log text per line */

typedef struct {
	json_t *lines;
	evolve_trace_counts *n;
	int higher, evals, have_best;
	double best;
	int run_from, run_to;   /* evaluations neither better nor failed */
	double run_lo, run_hi;
} shortener;

static void add_line(shortener *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_line(shortener *s, const char *fmt, ...)
{
	char line[400];
	size_t n, i;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = utf8_valid_prefix(line, strlen(line));
	for (i = 0; i < n; i++)  /* feedback spans lines; a trace line must not */
		if ((unsigned char)line[i] < 0x20)
			line[i] = ' ';
	while (n > 0 && line[n - 1] == ' ')
		n--;
	line[n] = '\0';
	json_array_append_new(s->lines, json_string(line));
}

/* Ends a run of unremarkable evaluations with one line. */
static void flush_run(shortener *s)
{
	if (s->run_from == 0)
		return;
	if (s->run_from == s->run_to)
		add_line(s, "eval %d: ok, score %g, not better", s->run_from, s->run_lo);
	else
		add_line(s, "evals %d-%d: ok, scores %g to %g, none better", s->run_from,
			 s->run_to, s->run_lo, s->run_hi);
	s->run_from = 0;
}

/* At most TRACE_TEXT bytes of a member's text, not cut in a character. */
static int text_len(const json_t *event, const char *key, const char **text)
{
	size_t n;

	*text = json_string_value(json_object_get(event, key));
	if (!*text)
		*text = "";
	n = strnlen(*text, TRACE_TEXT);
	return (int)utf8_valid_prefix(*text, n);
}

static void on_eval(shortener *s, const json_t *e)
{
	const char *status = json_string_value(json_object_get(e, "status")), *said;
	double score = json_number_value(json_object_get(e, "score"));
	int n = ++s->evals, len = text_len(e, "feedback", &said);

	if (!status || strcmp(status, "ok") != 0) {
		s->n->failed++;
		flush_run(s);
		add_line(s, "eval %d: %s: %.*s", n, status ? status : "?", len, said);
	} else if (!s->have_best) {
		s->have_best = 1;
		s->best = score;
		flush_run(s);
		add_line(s, "eval %d: ok, score %g, the first: %.*s", n, score, len, said);
	} else if (s->higher ? score > s->best : score < s->best) {
		s->n->kept++;
		s->best = score;
		flush_run(s);
		add_line(s, "eval %d: ok, score %g, better than all before: kept", n, score);
	} else {
		if (s->run_from == 0) {
			s->run_from = n;
			s->run_lo = s->run_hi = score;
		}
		s->run_to = n;
		s->run_lo = score < s->run_lo ? score : s->run_lo;
		s->run_hi = score > s->run_hi ? score : s->run_hi;
	}
}

static void on_event(shortener *s, const json_t *e)
{
	const char *kind = json_string_value(json_object_get(e, "event")), *text;
	int len;

	if (!kind)
		return;
	if (strcmp(kind, "eval") == 0) {
		on_eval(s, e);
	} else if (strcmp(kind, "llm") == 0) {
		s->n->llm_calls++;
		flush_run(s);
		len = text_len(e, "status", &text);
		if (strcmp(text, "ok") == 0)
			add_line(s, "model call");
		else
			add_line(s, "model call failed: %.*s", len, text);
	} else if (strcmp(kind, "log") == 0) {
		flush_run(s);
		len = text_len(e, "line", &text);
		add_line(s, "log: %.*s", len, text);
	}
}

/* The first TRACE_HEAD lines and the last ones, TRACE_LINES in all, with
 * a line counting those left out; in one pass, however long the trace a
 * record holds. Takes `lines`. */
static json_t *cut_middle(json_t *lines)
{
	size_t n = json_array_size(lines), drop, i;
	json_t *kept;
	char note[64];

	if (n <= TRACE_LINES)
		return lines;
	drop = n - (TRACE_LINES - 1);
	snprintf(note, sizeof(note), "(%zu lines left out)", drop);
	kept = json_array();
	for (i = 0; kept && i < n; i++) {
		if (i == TRACE_HEAD)
			json_array_append_new(kept, json_string(note));
		if (i < TRACE_HEAD || i >= TRACE_HEAD + drop)
			json_array_append(kept, json_array_get(lines, i));
	}
	json_decref(lines);
	return kept;
}

json_t *evolve_short_trace(evolve_trace_counts *n, const json_t *trace, int higher_is_better)
{
	shortener s;
	size_t i;

	memset(n, 0, sizeof(*n));
	memset(&s, 0, sizeof(s));
	s.lines = json_array();
	s.n = n;
	s.higher = higher_is_better;
	for (i = 0; s.lines && i < json_array_size(trace); i++)
		on_event(&s, json_array_get(trace, i));
	flush_run(&s);
	return cut_middle(s.lines);
}
