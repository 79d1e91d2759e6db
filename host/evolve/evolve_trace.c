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
 * neither better nor failures take one line, and a long text is cut
 * after a word, with an ellipsis. Each evaluation's time is beside its
 * limit, and the longest is counted, over the whole trace, so that the
 * meta agent sees solutions nearing it before they time out; under a
 * replay they are the recorded run's times (llm_measured), so that its
 * prompts are the recorded ones.
 */
#include "evolve_internal.h"

#include "text.h"
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
	double ms_lo, ms_hi;    /* their times */
	int limit_ms;           /* their limit; 0: not recorded */
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

/* ", 0.653 s of 2.000 s wall", or ", 0.601 to 0.653 s of 2.000 s wall"
 * for times from `lo` to `hi` ms; "" when the limit was not recorded. */
static const char *timing(char *out, size_t size, double lo, double hi, int limit_ms)
{
	if (limit_ms <= 0)
		snprintf(out, size, "%s", "");
	else if (hi - lo < 0.5)
		snprintf(out, size, ", %.3f s of %.3f s wall", hi / 1000, limit_ms / 1000.0);
	else
		snprintf(out, size, ", %.3f to %.3f s of %.3f s wall", lo / 1000, hi / 1000,
			 limit_ms / 1000.0);
	return out;
}

/* Ends a run of unremarkable evaluations with one line. */
static void flush_run(shortener *s)
{
	char time[80];

	if (s->run_from == 0)
		return;
	if (s->run_from == s->run_to)
		add_line(s, "eval %d: ok, score %g%s, not better", s->run_from, s->run_lo,
			 timing(time, sizeof(time), s->ms_lo, s->ms_hi, s->limit_ms));
	else
		add_line(s, "evals %d-%d: ok, scores %g to %g%s, none better", s->run_from,
			 s->run_to, s->run_lo, s->run_hi,
			 timing(time, sizeof(time), s->ms_lo, s->ms_hi, s->limit_ms));
	s->run_from = 0;
}

/* The bytes of a member's text to show: all of it, or what fits in
 * TRACE_TEXT with *mark, an ellipsis, after it, cut after a word. */
static int text_len(const json_t *event, const char *key, const char **text,
		    const char **mark)
{
	size_t n, keep;

	*text = json_string_value(json_object_get(event, key));
	if (!*text)
		*text = "";
	n = strnlen(*text, TRACE_TEXT + 1);  /* a JSON string: UTF-8 */
	keep = text_cut_words(*text, n, TRACE_TEXT);
	*mark = keep < n ? TEXT_ELLIPSIS : "";
	return (int)keep;
}

/* Adds an unremarkable evaluation, scored `score` in `ms`, to the run. */
static void extend_run(shortener *s, int n, double score, double ms, int limit_ms)
{
	if (s->run_from == 0 || limit_ms != s->limit_ms) {
		flush_run(s);
		s->run_from = n;
		s->run_lo = s->run_hi = score;
		s->ms_lo = s->ms_hi = ms;
		s->limit_ms = limit_ms;
	}
	s->run_to = n;
	s->run_lo = score < s->run_lo ? score : s->run_lo;
	s->run_hi = score > s->run_hi ? score : s->run_hi;
	s->ms_lo = ms < s->ms_lo ? ms : s->ms_lo;
	s->ms_hi = ms > s->ms_hi ? ms : s->ms_hi;
}

static void on_eval(shortener *s, const json_t *e)
{
	const char *status = json_string_value(json_object_get(e, "status")), *said, *mark;
	double score = json_number_value(json_object_get(e, "score"));
	double ms = json_number_value(json_object_get(e, "wall_ms"));
	int limit = (int)json_integer_value(json_object_get(e, "wall_limit_ms"));
	int n = ++s->evals, len = text_len(e, "feedback", &said, &mark);
	char time[80];

	if (json_is_number(json_object_get(e, "wall_ms")) && ms > s->n->longest_ms) {
		s->n->longest_ms = ms;
		s->n->limit_ms = limit > 0 ? limit : 0;
	}
	timing(time, sizeof(time), ms, ms, limit);
	if (!status || strcmp(status, "ok") != 0) {
		s->n->failed++;
		flush_run(s);
		add_line(s, "eval %d: %s%s: %.*s%s", n, status ? status : "?", time, len, said, mark);
	} else if (!s->have_best) {
		s->have_best = 1;
		s->best = score;
		flush_run(s);
		add_line(s, "eval %d: ok, score %g%s, the first: %.*s%s", n, score, time, len, said,
			 mark);
	} else if (s->higher ? score > s->best : score < s->best) {
		s->n->kept++;
		s->best = score;
		flush_run(s);
		add_line(s, "eval %d: ok, score %g%s, better than all before: kept", n, score, time);
	} else {
		extend_run(s, n, score, ms, limit);
	}
}

static void on_event(shortener *s, const json_t *e)
{
	const char *kind = json_string_value(json_object_get(e, "event")), *text, *mark;
	int len;

	if (!kind)
		return;
	if (strcmp(kind, "eval") == 0) {
		on_eval(s, e);
	} else if (strcmp(kind, "llm") == 0) {
		s->n->llm_calls++;
		flush_run(s);
		len = text_len(e, "status", &text, &mark);
		if (strcmp(text, "ok") == 0)
			add_line(s, "model call");
		else
			add_line(s, "model call failed: %.*s%s", len, text, mark);
	} else if (strcmp(kind, "log") == 0) {
		flush_run(s);
		len = text_len(e, "line", &text, &mark);
		add_line(s, "log: %.*s%s", len, text, mark);
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
	n->longest_ms = -1;
	memset(&s, 0, sizeof(s));
	s.lines = json_array();
	s.n = n;
	s.higher = higher_is_better;
	for (i = 0; s.lines && i < json_array_size(trace); i++)
		on_event(&s, json_array_get(trace, i));
	flush_run(&s);
	return cut_middle(s.lines);
}
