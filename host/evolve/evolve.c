/*
 * evolve.c - the evolution loop: select, rewrite, validate, evaluate,
 * decide and commit, one generation at a time; see evolve.h.
 *
 * Every candidate is committed, whatever becomes of it, so that each
 * failure can be inspected; only an accepted one moves main. Evaluations
 * of every generation use the same seed, so fitness differences come from
 * the agents and not from luck; the meta agent gets a seed of its own per
 * generation so that its rewrites differ. Evaluating is evolve_eval.c,
 * the archive and the choice of parent evolve_archive.c, the generations
 * made by hand evolve_make.c. Progress goes to the caller's callback.
 */
#include "evolve_internal.h"

#include "agent_run.h"
#include "error.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned long long evolve_mix(unsigned long long seed, unsigned long long n)
{
	unsigned long long z = seed + 0x9e3779b97f4a7c15ULL * (n + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

const char *evolve_phase_name(evolve_phase phase)
{
	static const char *const names[] = { "rewrite", "validate", "evaluate", "commit", "done" };

	return (unsigned)phase < 5 ? names[phase] : "?";
}

int evolve_commit(lab *l, const record *r, const agent_files *files, int also_parent,
		  const store_folder *folder)
{
	int rc = store_record_folder(l->store, r, files, also_parent, folder);

	if (rc == 0 && r->status == RECORD_ACCEPTED)
		rc = lab_make_live(l, r->number);
	return rc;
}

/* A run under way: what its progress reports carry. */
typedef struct {
	const evolve_options *o;
	evolve_progress p;
	double start_ms;
} run_state;

static void report(run_state *run, int number, evolve_phase phase)
{
	run->p.number = number;
	run->p.phase = phase;
	run->p.usd = llm_totals(run->o->eval.agent.llm).usd;
	run->p.elapsed_s = (os_now_ms() - run->start_ms) / 1000.0;
	if (run->o->progress)
		run->o->progress(run->o->progress_ctx, &run->p);
}

/* Counts a committed generation and reports it. */
static void count_generation(run_state *run, evolve_summary *out, const record *r,
			     double parent_fitness, double seconds)
{
	run->p.evals += r->budget.evals_used;
	if (r->status == RECORD_ACCEPTED && r->fitness > run->p.best)
		run->p.best = r->fitness;
	out->last = r->number;
	if (!run->p.remeasured) {  /* a parent measured again is no candidate */
		out->accepted += r->status == RECORD_ACCEPTED;
		out->rejected += r->status == RECORD_REJECTED;
		out->invalid += r->status == RECORD_INVALID;
		run->p.done = ++out->done;
	}
	run->p.record = r;
	run->p.parent_fitness = parent_fitness;
	run->p.seconds = seconds;
	report(run, r->number, EVOLVE_DONE);
	run->p.record = NULL;
}

/* The parent's record, solutions and files: a candidate's timed tasks
 * are measured against its solutions, and with carry its task agents
 * start from them. A parent measured otherwise than this run measures is
 * measured again first, as generation *number, which then becomes the
 * parent; *number moves on to the candidate's. */
static int read_parent(record *p, agent_files *files, lab *l, int parent, run_state *run,
		       evolve_summary *out, int *number)
{
	double start = os_now_ms();
	buf why = BUF_INIT;
	record m;
	int rc = store_read(l->store, parent, p, files);

	if (rc == 0 && (rc = evolve_read_solutions(p, l, parent)) < 0) {
		record_free(p);
		agents_free(files);
	}
	if (rc < 0 || evolve_same_measure(p, &run->o->eval, &why)) {
		buf_free(&why);
		return rc;
	}
	report(run, *number, EVOLVE_EVALUATE);
	if ((rc = buf_failed(&why)) == 0)
		rc = evolve_remeasure(&m, l, p, files, *number, &run->o->eval, buf_cstr(&why));
	buf_free(&why);
	if (rc < 0) {
		record_free(p);
		agents_free(files);
		return rc;
	}
	run->p.remeasured = 1;
	out->remeasured++;
	count_generation(run, out, &m, p->fitness, (os_now_ms() - start) / 1000.0);
	run->p.remeasured = 0;
	record_free(p);
	*p = m;
	(*number)++;
	return 0;
}

/* Nothing more may be done: the run is stopping, or the model refused
 * for good or its budget is spent. */
static int must_end(const evolve_eval_options *o)
{
	return evolve_stopping(o) || llm_fatal(o->agent.llm) || llm_exhausted(o->agent.llm);
}

/* The archive for a rewrite of `parent`: from `history`, or read again
 * when the parent was just measured again and is not in it. */
static int parent_archive(json_t **out, lab *l, const evolve_options *o,
			  const evolve_history *history, int parent)
{
	if (history->n && history->items[history->n - 1].number >= parent)
		return evolve_archive_json(out, l, history, o, parent);
	return evolve_archive_read(out, l, o, parent);
}

/* The round after the latest one in `h`. */
static int next_round(const evolve_history *h)
{
	int round = 0;
	size_t i;

	for (i = 0; i < h->n; i++)
		round = h->items[i].round > round ? h->items[i].round : round;
	return round + 1;
}

/* The parent of candidate c, read: drawn by the selection policy, and
 * measured again first if this run measures otherwise (as generation
 * *number, which moves on). A parent a sibling had measured again is
 * taken as it was then measured, not measured twice. */
static int read_round_parent(evolve_candidate *c, lab *l, run_state *run, evolve_summary *out,
			     const evolve_history *h, int *number, int *remeasured_from,
			     int *remeasured_as)
{
	int parent, was, rc = evolve_select_parent(&parent, l, run->o, h, *number);

	if (rc < 0)
		return rc;
	if (parent == *remeasured_from)
		parent = *remeasured_as;
	was = *number;
	if ((rc = read_parent(&c->parent, &c->parent_files, l, parent, run, out, number)) < 0)
		return rc;
	if (*number != was) {
		*remeasured_from = parent;
		*remeasured_as = c->parent.number;
	}
	return 0;
}

/* Candidate c of a round of n: its parent, its number and its archive,
 * which tells its meta agent it has siblings when it does. */
static int prepare(evolve_candidate *c, size_t n, lab *l, run_state *run, evolve_summary *out,
		   const evolve_history *h, int *number, int round)
{
	int from = -1, as = -1, rc = 0;
	size_t i;

	for (i = 0; rc == 0 && i < n && !must_end(&run->o->eval); i++) {
		c[i].index = (int)i;
		if ((rc = read_round_parent(&c[i], l, run, out, h, number, &from, &as)) < 0)
			break;
		c[i].number = (*number)++;
		if ((rc = parent_archive(&c[i].archive, l, run->o, h, c[i].parent.number)) == 0 &&
		    n > 1 && json_object_set_new(c[i].archive, "round", json_pack("{s:i, s:i, s:i}",
			"generation", c[i].number, "candidate", (int)i + 1, "candidates", (int)n)) < 0)
			rc = err_set(ERR_SYSTEM, "out of memory");
		if (rc == 0 && (rc = record_init(&c[i].r, c[i].number, c[i].parent.number,
						 RECORD_REJECTED, "", run->o->eval.seed)) == 0)
			c[i].r.round = n > 1 ? round : 0;
	}
	return rc;
}

/* Decides each measured candidate against its parent; of those that
 * beat theirs, the best (the first proposed, on a tie) becomes live and
 * the others are rejected for it. */
static int decide_round(evolve_candidate *c, size_t n)
{
	size_t i, best = n;
	char reason[600];
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++)
		if (c[i].r.status == RECORD_REJECTED && c[i].r.reason && !*c[i].r.reason)
			rc = evolve_decide(&c[i].r, &c[i].parent);
	for (i = 0; rc == 0 && i < n; i++)
		if (c[i].r.status == RECORD_ACCEPTED &&
		    (best == n || c[i].r.fitness > c[best].r.fitness))
			best = i;
	for (i = 0; rc == 0 && i < n; i++) {
		if (i == best || c[i].r.status != RECORD_ACCEPTED)
			continue;
		snprintf(reason, sizeof(reason), "%s, but its sibling gen_%03d did better (%.4f)",
			 c[i].r.reason, c[best].number, c[best].r.fitness);
		c[i].r.status = RECORD_REJECTED;
		rc = record_set_reason(&c[i].r, reason);
	}
	return rc;
}

/* The status line's view of the round. */
static void seen(void *ctx, const evolve_candidate *c, size_t n)
{
	run_state *run = ctx;
	evolve_phase phase = EVOLVE_COMMIT;
	size_t i;

	run->p.n_flight = (int)n;
	for (i = 0; i < n; i++) {
		run->p.flight[i].number = c[i].number;
		run->p.flight[i].phase = c[i].back ? EVOLVE_DONE : c[i].phase;
		if (!c[i].back && c[i].phase < phase)
			phase = c[i].phase;
	}
	report(run, c[0].number, phase);
}

/* Commits the round's candidates in the order they were proposed. */
static int commit_round(lab *l, run_state *run, evolve_summary *out, evolve_candidate *c,
			size_t n)
{
	size_t i;
	int rc = 0;

	run->p.n_flight = 0;
	for (i = 0; rc == 0 && i < n; i++) {
		report(run, c[i].number, EVOLVE_COMMIT);
		rc = evolve_commit(l, &c[i].r, c[i].files.count ? &c[i].files : &c[i].parent_files, -1,
				   NULL);
		if (rc == 0)
			count_generation(run, out, &c[i].r, c[i].parent.fitness, c[i].r.total_s);
	}
	for (i = 0; rc == 0 && i < n; i++)
		if (c[i].error)
			rc = err_set(ERR_GENERIC, "gen_%03d: its process %s", c[i].number, c[i].error);
	return rc;
}

static void free_candidates(evolve_candidate *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		record_free(&c[i].r);
		record_free(&c[i].parent);
		agents_free(&c[i].files);
		agents_free(&c[i].parent_files);
		json_decref(c[i].archive);
		free(c[i].error);
	}
}

/* One round: its candidates proposed, made at once, decided, and
 * committed in order. */
static int one_round(lab *l, run_state *run, evolve_summary *out, int number,
		     const evolve_history *h)
{
	const evolve_options *o = run->o;
	int parallel = o->parallel > 1 ? o->parallel : 1, rc, committed;
	size_t n = (size_t)(o->gens - out->done < parallel ? o->gens - out->done : parallel);
	evolve_candidate *c = calloc(n, sizeof(*c));

	if (!c)
		return err_set(ERR_SYSTEM, "out of memory");
	rc = prepare(c, n, l, run, out, h, &number, next_round(h));
	if (rc == 0 && !must_end(&o->eval)) {
		/* whatever the flight returns, every candidate is back: kept */
		rc = evolve_fly(c, n, o, seen, run);
		if (rc == 0)
			rc = decide_round(c, n);
		committed = commit_round(l, run, out, c, n);
		rc = rc ? rc : committed;
	}
	free_candidates(c, n);
	free(c);
	return rc;
}
/* The lab's best accepted generation, for the summary; on a tie, the
 * latest, which won it on cost. A rejected one is not better than its
 * parent whatever its fitness: on a timed task, a fitness above the
 * parent's that the decision found within the noise is no best. */
static void find_best(evolve_summary *out, const evolve_history *history)
{
	size_t i;

	out->best = -1;
	out->best_fitness = -1e300;
	for (i = 0; i < history->n; i++) {
		const record *r = &history->items[i];
		if (r->status == RECORD_ACCEPTED && r->fitness >= out->best_fitness) {
			out->best = r->number;
			out->best_fitness = r->fitness;
			out->best_holdout = r->holdout;
		}
	}
}

/* The live generation's fitness: the best to beat when a run starts. */
static double live_fitness(lab *l)
{
	record r;
	double fitness = 0;
	int live;

	if (store_main(l->store, &live) == 0 && store_read(l->store, live, &r, NULL) == 0) {
		fitness = r.fitness;
		record_free(&r);
	}
	return fitness;
}

/* One generation after another until o->gens, a stop, or the budget. */
static int run_generations(lab *l, run_state *run, evolve_summary *out)
{
	const evolve_options *o = run->o;
	int number, rc = 0;

	while (out->done < o->gens && !evolve_stopping(&o->eval)) {
		evolve_history history;
		if ((rc = store_next_number(l->store, &number)) < 0 ||
		    (rc = evolve_history_read(&history, l)) < 0)
			break;
		rc = one_round(l, run, out, number, &history);
		record_list_free(&history);
		if (rc < 0)
			break;
		if (llm_fatal(o->eval.agent.llm))
			return err_set(ERR_GENERIC, "stopped after gen_%03d: %s", out->last,
				       llm_fatal(o->eval.agent.llm));
		if ((out->budget_spent = llm_exhausted(o->eval.agent.llm)) != 0)
			break;
	}
	out->interrupted = evolve_stopping(&o->eval);
	return rc;
}

int evolve_run(evolve_summary *out, lab *l, const evolve_options *o)
{
	evolve_options bounded = *o;
	run_state run;
	evolve_history history;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&run, 0, sizeof(run));
	out->last = out->best = -1;
	/* candidates and their workers share -j: K processes, one CPU bound */
	if ((rc = slots_open(&bounded.eval.agent.cpu, o->eval.jobs > 1 ? o->eval.jobs : 1)) < 0)
		return rc;
	run.o = &bounded;
	run.start_ms = os_now_ms();
	run.p.gens = o->gens;
	run.p.best = live_fitness(l);
	rc = run_generations(l, &run, out);
	out->seconds = (os_now_ms() - run.start_ms) / 1000.0;
	if (evolve_history_read(&history, l) == 0) {
		find_best(out, &history);
		record_list_free(&history);
	}
	slots_close(bounded.eval.agent.cpu);
	return rc;
}
