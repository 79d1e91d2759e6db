/*
 * progress.c - drawing an evolve run; see progress.h.
 */
#include "progress.h"

#include "print.h"

#include <stdio.h>
#include <stdlib.h>

/* One candidate's phase, or each in flight: "gen_005 rewrite" or
 * "gen_005 evaluate, gen_006 rewrite, gen_007 done". */
static void phases(const evolve_progress *p)
{
	int i;

	if (p->n_flight <= 1) {
		printf("gen_%03d %-8s", p->number, evolve_phase_name(p->phase));
		return;
	}
	for (i = 0; i < p->n_flight; i++)
		printf("%sgen_%03d %s", i ? ", " : "", p->flight[i].number,
		       evolve_phase_name(p->flight[i].phase));
}

static void status_line(const evolve_progress *p)
{
	printf("\r\033[K  ");
	phases(p);
	printf("  %lld evaluations  best %.4f  $%.4f  ", p->evals, p->best, p->usd);
	if (p->done)
		printf("~%.0f s left", p->elapsed_s / p->done * (p->gens - p->done));
	fflush(stdout);
}

static void generation_line(const progress_view *v, const evolve_progress *p)
{
	const record *r = p->record;
	const char *status = record_status_name(r->status);
	const char *color = !v->color ? "" : r->status == RECORD_ACCEPTED ? "\033[32m"
			    : r->status == RECORD_INVALID ? "\033[31m" : "";

	printf("gen_%03d  parent gen_%03d  %s%-8s%s  fitness %.4f  %+.4f  held-out %.4f  %5.1f s",
	       r->number, r->parent, color, status, *color ? "\033[0m" : "", r->fitness,
	       r->fitness - p->parent_fitness, r->holdout, p->seconds);
	if (r->status != RECORD_ACCEPTED || p->remeasured || r->arena.round > 0)
		cli_print_line("  %s", r->reason);  /* an agent's words, maybe */
	else
		putchar('\n');
}

static void generation_json(const record *r)
{
	json_t *json = record_to_json(r);

	cli_print_json(json, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(json);
}

void progress_show(void *ctx, const evolve_progress *p)
{
	const progress_view *v = ctx;

	if (p->phase != EVOLVE_DONE) {
		if (v->live)
			status_line(p);
		return;
	}
	if (v->live)
		printf("\r\033[K");
	if (v->json)
		generation_json(p->record);
	else if (!v->quiet)
		generation_line(v, p);
	fflush(stdout);
}

void progress_summary(const progress_view *v, const evolve_summary *s)
{
	if (v->json)
		return;
	if (s->budget_spent)
		printf("the LLM budget is reached: stopped after gen_%03d\n", s->last);
	if (s->interrupted)
		printf("interrupted: stopped after %d generations\n", s->done);
	printf("%d generations in %.1f s: %d accepted, %d rejected, %d invalid", s->done,
	       s->seconds, s->accepted, s->rejected, s->invalid);
	if (s->remeasured)
		printf(", and %d parent%s measured again under this run's settings",
		       s->remeasured, s->remeasured == 1 ? "" : "s");
	putchar('\n');
	if (s->best >= 0)
		printf("best gen_%03d: fitness %.4f, held-out %.4f\n", s->best, s->best_fitness,
		       s->best_holdout);
}
