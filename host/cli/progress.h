/*
 * progress.h - how `host evolve` shows a run: a status line rewritten in
 * place on a terminal (phase, evaluations, best fitness, spend, time
 * left), a line or a JSON object per generation, and the summary.
 *
 * The engine reports (evolve_progress_fn); this draws.
 */
#ifndef HOST_PROGRESS_H
#define HOST_PROGRESS_H

#include "evolve.h"

typedef struct {
	int live;    /* a status line updated in place (a terminal) */
	int color;   /* color the status words (a terminal without NO_COLOR) */
	int quiet;   /* only the summary */
	int json;    /* one JSON object per generation, and nothing else */
} progress_view;

/* An evolve_progress_fn; `ctx` is a progress_view. */
void progress_show(void *ctx, const evolve_progress *p);

/* How the run ended: the LLM budget or an interruption, the counts and
 * the lab's best generation. */
void progress_summary(const progress_view *v, const evolve_summary *s);

#endif
