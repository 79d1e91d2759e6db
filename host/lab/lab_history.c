/*
 * lab_history.c - what a lab's generations say taken together: a task's
 * best solution, the starting point of a generation's measure, and what
 * the model cost; see lab.h.
 *
 * The best and the spend read every generation that can be read
 * (store_each), so that host solution, host log, host status and the
 * report agree.
 */
#include "lab.h"

#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	lab_best *best;
	lab *l;
	const char *task;
} best_search;

static int consider(void *ctx, const record *r)
{
	best_search *s = ctx;
	lab_best *b = s->best;
	const record_task *t = record_find_task(r, s->task);
	size_t i, len = 0;
	char *text = NULL;

	for (i = 0; record_measured(r) && i < r->n_tasks && len < sizeof(b->tasks); i++)
		len += (size_t)snprintf(b->tasks + len, sizeof(b->tasks) - len, "%s%s",
					i ? ", " : "", r->tasks[i].name);
	if (!t || !record_measured(r))
		return 0;
	b->seen++;
	b->failed += t->train_failed != NULL;
	if (t->train_failed ||  /* no score on training, let alone the best */
	    (b->number >= 0 && t->fitness <= b->fitness) ||
	    store_solution(s->l->store, r->number, s->task, &text) < 0)
		return 0;  /* not better, or kept none (recorded before solutions were) */
	free(text);
	b->number = r->number;
	b->fitness = t->fitness;
	return 0;
}

int lab_best_solution(lab_best *out, lab *l, const char *task)
{
	best_search s = { out, l, task };

	memset(out, 0, sizeof(*out));
	out->number = -1;
	return store_each(l->store, consider, &s);
}

static int add_spend(void *ctx, const record *r)
{
	record_budget *total = ctx;

	total->llm_calls += r->budget.llm_calls;
	total->tokens_in += r->budget.tokens_in;
	total->tokens_out += r->budget.tokens_out;
	total->usd += r->budget.usd;
	return 0;
}

int lab_spend(record_budget *out, lab *l)
{
	memset(out, 0, sizeof(*out));
	return store_each(l->store, add_spend, out);
}

int lab_initial(record *out, lab *l, int number)
{
	int rc;

	while ((rc = store_read(l->store, number, out, NULL)) == 0 && !out->initial) {
		number = record_measure_from(out);
		record_free(out);
		if (number < 0)
			return err_set(ERR_NOTFOUND, "no generation kept the scores of the tasks' "
				       "initial.c");
	}
	return rc;
}
