/*
 * arena_attack.c - a round's attack: test agents propose, the oracle
 * labels, every code agent's solution is run on each labelled input; see
 * arena_attack in arena_internal.h.
 *
 * Nothing a test agent says is taken on trust. Its inputs are labelled by
 * the task's oracle alone; its own guess only serves to reject it when
 * the oracle disagrees. An input that is one of the task's held-out
 * cases is refused before the oracle sees it. Whether a solution gets an input wrong is decided
 * by the host's own run of that solution on that one case, scored by the
 * task's score.c: wrong when the run fails or scores short of the task's
 * target. Proposals are taken from the test agents in turn (the first of
 * each, then the second...), so that the cap does not favour one. What
 * became of each goes into the task's history (arena_history.c), which
 * the next rounds' test agents are shown.
 */
#include "arena_internal.h"

#include "oracle.h"
#include "propose.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A proposal on its way: whose it is, and the oracle's label. */
typedef struct {
	const propose_item *item;
	size_t tester;
	char *label;
} pending;

/* The code agent whose solution the test agents see: the fittest. */
static size_t best_coder(const arena_state *s)
{
	size_t i, best = 0;

	for (i = 1; i < s->n_coders; i++)
		if (s->coders[i].fitness > s->coders[best].fitness)
			best = i;
	return best;
}

/* Whether `solution` gets case (input, label) of `t` wrong. */
static int gets_wrong(int *wrong, task *t, const char *solution, const char *input,
		      const char *label)
{
	task_case one = { input, label };
	double score;
	int ok, rc = arena_score(&score, &ok, t, &one, 1, solution);

	*wrong = !ok || (t->higher_is_better ? score < t->target : score > t->target);
	return rc;
}

static int any_wrong(int *wrong, record_arena *tally, const arena_state *s, size_t i, task *t,
		     const char *input, const char *label)
{
	size_t k;
	int rc = 0;

	*wrong = 0;
	for (k = 0; rc == 0 && !*wrong && k < s->n_coders; k++, tally->checks++)
		rc = gets_wrong(wrong, t, s->coders[k].solutions[i], input, label);
	return rc;
}

static int known(const task_case *cases, size_t n, const pending *p, size_t n_pending,
		 const char *input)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (strcmp(cases[k].input, input) == 0)
			return 1;
	for (k = 0; k < n_pending; k++)
		if (strcmp(p[k].item->input, input) == 0)
			return 1;
	return 0;
}

static int add_case(arena_cases *g, const pending *p, const arena_tester *tester, int round,
		    size_t bytes)
{
	arena_case *grown = realloc(g->items, (g->n + 1) * sizeof(*grown)), *c;

	if (!grown)
		return err_set(ERR_SYSTEM, "out of memory");
	g->items = grown;
	c = memset(&grown[g->n], 0, sizeof(*c));
	c->input = strdup(p->item->input);
	c->label = strdup(p->label);
	c->reason = p->item->reason ? strdup(p->item->reason) : NULL;
	c->round = round;
	memcpy(c->agent, tester->name, sizeof(c->agent));
	if (!c->input || !c->label || (p->item->reason && !c->reason)) {
		free(c->input);
		free(c->label);
		free(c->reason);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	g->n++;
	g->bytes += bytes;
	return 0;
}

/* Notes a test agent's failed run in the round's events. */
void arena_note(record_arena *tally, const char *fmt, ...)
{
	size_t used = strlen(tally->events);
	va_list ap;

	snprintf(tally->events + used, sizeof(tally->events) - used, "%s", used ? "; " : "");
	used = strlen(tally->events);
	va_start(ap, fmt);
	vsnprintf(tally->events + used, sizeof(tally->events) - used, fmt, ap);
	va_end(ap);
	used = strlen(tally->events);
	tally->events[utf8_valid_prefix(tally->events, used)] = '\0';
}

static void note_problem(record_arena *tally, const arena_tester *t, const char *problem)
{
	arena_note(tally, "%s: %s", t->name, problem);
}

/* Runs test agent j with request `req`; it runs with the headers of
 * `coder`'s files. Its model use goes to the round's. */
static int propose_one(propose_list *out, record_arena *tally, arena_state *s, size_t j,
		       const arena_coder *coder, task *t, const propose_request *req,
		       const evolve_options *o)
{
	const evolve_eval_options *e = &o->eval;
	int own_ms = e->agent_slack_ms > 0 ? e->agent_slack_ms : EVOLVE_AGENT_SLACK_MS;
	char tag[120];
	agent_run_options ro = { .agent = &e->agent, .limits = { own_ms, own_ms, 512 },
				 .llm_tag = tag,
				 .seed = evolve_mix(e->seed, (unsigned long long)s->round * 64 + j) };
	agent_run_result run;
	agent_files files;
	int rc;

	snprintf(tag, sizeof(tag), "arena round %d %s %.60s", s->round, s->testers[j].name,
		 t->name);
	if ((rc = arena_tester_files(&files, coder, s->testers[j].source)) < 0)
		return rc;
	rc = propose_run(out, &run, t, &files, req, &ro);
	arena_charge(tally, &run.llm_used);
	agent_run_result_free(&run);
	agents_free(&files);
	return rc;
}

typedef struct {
	pending *items;
	size_t n;
} pending_list;

/* What a task's attack counts: the round's tally, and each proposal's
 * outcome, for the task's history. */
typedef struct {
	record_arena *tally;
	arena_history now;
} attack_marks;

/* Counts test agent j's proposal `item` as come to `outcome`, the
 * oracle's label `label` (NULL: none given). */
static int settle(attack_marks *m, arena_state *s, size_t j, arena_outcome outcome,
		  const propose_item *item, const char *label)
{
	arena_tester *tester = &s->testers[j];

	if (outcome == ARENA_ADDED) {
		m->tally->added++;
		tester->exposed++;
	} else if (outcome == ARENA_OVER_CAP) {
		m->tally->over_cap++;
	} else if (outcome == ARENA_PASSED || outcome == ARENA_DUPLICATE) {
		m->tally->passed++;
	} else {  /* refused, contradicted: against the agent */
		m->tally->rejected++;
		tester->rejected++;
	}
	return arena_history_note(&m->now, s->round, tester->name, outcome, item->input,
				  item->label, label);
}

/*
 * The test agents' proposals in turn, less those known already and
 * those that are held-out cases as the driver would take them (see
 * task_inputs in task.h): no held-out case is labelled or trained on.
 * A held-out one is counted as refused, like one the oracle refuses, so
 * that no count, and no entry of the history, tells a test agent, or a
 * meta agent reading the record, which of its inputs are held-out cases.
 */
static int gather(pending_list *out, attack_marks *m, arena_state *s, const propose_list *lists,
		  const task_case *cases, size_t n, const task_inputs *holdout)
{
	size_t k, j, total = 0, most = 0;
	int held = 0, rc = 0;

	for (j = 0; j < s->n_testers; j++) {
		total += lists[j].n;
		most = lists[j].n > most ? lists[j].n : most;
	}
	out->n = 0;
	if (!(out->items = calloc(total + 1, sizeof(*out->items))))
		return err_set(ERR_SYSTEM, "out of memory");
	for (k = 0; rc == 0 && k < most; k++)
		for (j = 0; rc == 0 && j < s->n_testers; j++) {
			const propose_item *item = k < lists[j].n ? &lists[j].items[k] : NULL;
			if (!item || (rc = task_inputs_has(&held, holdout, item->input)) < 0)
				continue;
			if (held) {
				rc = settle(m, s, j, ARENA_REFUSED, item, NULL);
			} else if (known(cases, n, out->items, out->n, item->input)) {
				rc = settle(m, s, j, ARENA_DUPLICATE, item, NULL);
			} else {
				out->items[out->n].item = item;
				out->items[out->n++].tester = j;
			}
		}
	return rc;
}

/* Labels inputs[0..n) into labels: as one batch, or, when the batch
 * fails, one input at a time. An input the oracle cannot label (it
 * crashes or runs out of time on it) is then refused, like one it
 * declines; only when it labels none is the oracle itself at fault. */
static int label_batch(task *t, const char **inputs, size_t n, char **labels)
{
	size_t i, labelled = 0;
	int rc = oracle_label(t, inputs, n, labels);

	if (rc == 0 || n == 1)
		return rc;
	for (i = 0; i < n; i++) {
		labels[i] = NULL;
		if ((rc = oracle_label(t, &inputs[i], 1, &labels[i])) == 0)
			labelled++;
	}
	return labelled ? 0 : rc;
}

/* Labels the pending proposals with the oracle, in batches. */
static int label_all(pending_list *p, task *t)
{
	const char **inputs = calloc(p->n + 1, sizeof(*inputs));
	char **labels = calloc(p->n + 1, sizeof(*labels));
	size_t i;
	int rc = inputs && labels ? 0 : err_set(ERR_SYSTEM, "out of memory");

	for (i = 0; rc == 0 && i < p->n; i++)
		inputs[i] = p->items[i].item->input;
	for (i = 0; rc == 0 && i < p->n; i += ORACLE_BATCH_MAX)
		rc = label_batch(t, inputs + i, p->n - i < ORACLE_BATCH_MAX ? p->n - i
				 : ORACLE_BATCH_MAX, labels + i);
	for (i = 0; labels && i < p->n; i++)  /* all the batches' labels: freed with p */
		p->items[i].label = labels[i];
	free(inputs);
	free(labels);
	return rc;
}

/* Whether grown set g has room for q's case, which takes *bytes. */
static int fits(size_t *bytes, const arena_cases *g, const pending *q)
{
	*bytes = arena_case_bytes(q->item->input, q->label);
	return g->n < ARENA_MAX_CASES && *bytes <= ARENA_GROWN_MAX - g->bytes;
}

/* Keeps each labelled proposal that breaks a solution, while there is
 * room: in the round's cap, and in the grown set's count and bytes. */
static int judge(attack_marks *m, arena_state *s, size_t i, task *t, pending_list *p,
		 int *room)
{
	size_t k, bytes = 0;
	int rc = 0, wrong;

	for (k = 0; rc == 0 && k < p->n; k++) {
		pending *q = &p->items[k];
		arena_outcome outcome = ARENA_ADDED;
		if (!q->label)
			outcome = ARENA_REFUSED;
		else if (q->item->label && strcmp(q->item->label, q->label) != 0)
			outcome = ARENA_CONTRADICTED;
		else if ((rc = any_wrong(&wrong, m->tally, s, i, t, q->item->input, q->label)) < 0)
			break;
		else if (!wrong)
			outcome = ARENA_PASSED;
		else if (*room <= 0 || !fits(&bytes, &s->grown[i], q))
			outcome = ARENA_OVER_CAP;
		else if ((rc = add_case(&s->grown[i], q, &s->testers[q->tester], s->round,
					bytes)) == 0)
			(*room)--;
		if (rc == 0)
			rc = settle(m, s, q->tester, outcome, q->item, q->label);
	}
	return rc;
}

/* Asks each test agent for proposals against `req`'s solution: *lists. */
static int ask_testers(propose_list *lists, attack_marks *m, arena_state *s, task *t,
		       const propose_request *req, const evolve_options *o)
{
	const arena_coder *best = &s->coders[best_coder(s)];
	size_t j;
	int rc = 0;

	for (j = 0; rc == 0 && j < s->n_testers; j++) {
		if ((rc = propose_one(&lists[j], m->tally, s, j, best, t, req, o)) < 0)
			break;
		m->tally->proposed += (int)lists[j].n;
		m->tally->malformed += (int)lists[j].malformed;
		s->testers[j].proposed += (int)lists[j].n;
		if (lists[j].problem)
			note_problem(m->tally, &s->testers[j], lists[j].problem);
		rc = arena_history_malformed(&m->now, s->round, s->testers[j].name,
					     (int)lists[j].malformed);
	}
	return rc;
}

static int attack_task(record_arena *tally, arena_state *s, size_t i, task *t,
		       const evolve_options *o, const arena_options *a, int *room)
{
	propose_list *lists = calloc(s->n_testers + 1, sizeof(*lists));
	pending_list p = { NULL, 0 };
	task_inputs holdout = { NULL, 0 };
	attack_marks m = { tally, { NULL, 0 } };
	size_t n = 0, j;
	task_case *cases = arena_training(s, t, i, &n);
	json_t *history = arena_history_json(&s->history[i]);
	propose_request req = { s->coders[best_coder(s)].solutions[i], cases, n, a->proposals,
				history };
	int rc = lists && cases && history ? 0 : err_set(ERR_SYSTEM, "out of memory");

	if (rc == 0)
		rc = task_inputs_make(&holdout, t->holdout, t->n_holdout);
	if (rc == 0)
		rc = ask_testers(lists, &m, s, t, &req, o);
	if (rc == 0 && (rc = gather(&p, &m, s, lists, cases, n, &holdout)) == 0 &&
	    (rc = label_all(&p, t)) == 0 && (rc = judge(&m, s, i, t, &p, room)) == 0)
		rc = arena_history_push(&s->history[i], &m.now);
	for (j = 0; p.items && j < p.n; j++)
		free(p.items[j].label);
	for (j = 0; lists && j < s->n_testers; j++)
		propose_list_free(&lists[j]);
	arena_history_free(&m.now);
	task_inputs_free(&holdout);
	json_decref(history);
	free(p.items);
	free(lists);
	free(cases);
	return rc;
}

int arena_attack(record_arena *tally, arena_state *s, task **tasks, const evolve_options *o,
		 const arena_options *a)
{
	int room = a->cap;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < s->n_tasks && !evolve_stopping(&o->eval); i++)
		rc = attack_task(tally, s, i, tasks[i], o, a, &room);
	return rc;
}
