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
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVOLVE_SUMMARY_MAX 200

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

int evolve_commit(lab *l, const record *r, const agent_files *files, int also_parent)
{
	int rc = store_record(l->store, r, files, also_parent);

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
	run->p.usd = llm_totals(run->o->eval.llm).usd;
	run->p.elapsed_s = (os_now_ms() - run->start_ms) / 1000.0;
	if (run->o->progress)
		run->o->progress(run->o->progress_ctx, &run->p);
}

/* The lines the candidate's memory.md adds to its parent's. */
static const char *added_notes(const agent_files *parent, const agent_files *candidate)
{
	const char *before = agents_get(parent, "memory.md");
	const char *after = agents_get(candidate, "memory.md");

	if (!after)
		return "";
	if (before && strncmp(before, after, strlen(before)) == 0)
		return after + strlen(before);
	return after;
}

/* Sets r->summary from the notes the rewrite added to memory.md: the
 * text of their last "SUMMARY:" line (the seed meta agent writes one,
 * the model's or its own), else their first line that is not blank; one
 * line of printable text, at most EVOLVE_SUMMARY_MAX bytes. Left absent
 * when the notes say nothing. */
static int set_summary(record *r)
{
	const char *line, *next, *pick = NULL, *first = NULL;
	size_t n, i;

	for (line = r->changes ? r->changes : ""; *line; line = next) {
		n = strcspn(line, "\n");
		next = line + n + (line[n] == '\n');
		if (strncmp(line, "SUMMARY:", 8) == 0)
			pick = line + 8;
		else if (!first && strspn(line, " \t\r") < n)
			first = line;
	}
	if (!(pick = pick ? pick : first))
		return 0;
	pick += strspn(pick, " \t");
	for (n = strcspn(pick, "\n"); n > 0 && strchr(" \t\r", pick[n - 1]); n--)
		;
	n = utf8_valid_prefix(pick, n < EVOLVE_SUMMARY_MAX ? n : EVOLVE_SUMMARY_MAX);
	if (!(r->summary = strndup(pick, n)))
		return err_set(ERR_SYSTEM, "out of memory");
	for (i = 0; i < n; i++)  /* a commit message's paragraph: one line, no controls */
		if ((unsigned char)r->summary[i] < 0x20)
			r->summary[i] = ' ';
	return 0;
}

/* Runs the parent's meta agent; *candidate is the parent's files with the
 * emitted ones applied. Returns 0, or a reason it failed in `why`. */
static int rewrite(agent_files *candidate, const agent_files *parent, json_t *archive,
		   const evolve_options *o, unsigned long long seed, record *r, buf *why)
{
	int meta_ms = evolve_meta_ms(&o->eval);
	agent_run_options ro = { .limits = { meta_ms, meta_ms, 256 }, .llm = o->eval.llm,
				 .llm_calls = o->eval.llm_calls, .seed = seed,
				 .stop = o->eval.stop };
	char *archive_text = json_dumps(archive, JSON_COMPACT);
	agent_run_result run;
	int rc;

	if (!archive_text)
		return err_set(ERR_SYSTEM, "out of memory");
	rc = agent_rewrite(candidate, &run, parent, archive_text, &ro);
	free(archive_text);
	if (rc < 0)
		return rc;
	if (run.outcome.status != SANDBOX_OK)
		buf_printf(why, "the meta agent ended with %s: %s",
			   sandbox_status_name(run.outcome.status), run.outcome.detail);
	else if (run.status != 0)
		buf_printf(why, "the meta agent proposed nothing (returned %d)", run.status);
	r->has_budget = 1;
	r->budget.evals_per_task = o->eval.budget;
	evolve_add_llm_use(&r->budget, &run.llm_used);
	r->rewrite_trace = json_incref(run.trace);
	agent_run_result_free(&run);
	return 0;
}

static const char *first_line(const char *text, char *out, size_t size)
{
	size_t n = strcspn(text, "\n");

	snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), text);
	return out;
}

/* Validates the candidate; on failure marks the record invalid, with the
 * stage and its first diagnostic as the reason. */
static int validate_candidate(record *r, const agent_files *candidate, task *smoke)
{
	validate_report report;
	char line[300], reason[400];
	int i, rc = validate_agents(&report, candidate, smoke);

	for (i = 0; rc == 0 && i < VALIDATE_STAGES; i++) {
		const validate_stage *st = &report.stages[i];
		rc = record_add_stage(r, st->name, !st->ran ? "skipped" : st->passed ? "pass" : "fail",
				      st->diagnostics);
	}
	if (rc == 0 && !report.valid) {
		snprintf(reason, sizeof(reason), "%s: %s", report.stages[report.failed].name,
			 first_line(report.stages[report.failed].diagnostics, line, sizeof(line)));
		r->status = RECORD_INVALID;
		rc = record_set_reason(r, reason);
	}
	validate_report_free(&report);
	return rc;
}

/* Rewrite, then validate: the parent's meta agent rewrites its files into
 * *candidate, which is then validated. A candidate that fails either step
 * is marked invalid in `r`, with the reason. */
static int make_candidate(agent_files *candidate, record *r, const agent_files *parent,
			  json_t *archive, run_state *run, double start)
{
	const evolve_options *o = run->o;
	buf why = BUF_INIT;
	int rc;

	report(run, r->number, EVOLVE_REWRITE);
	rc = rewrite(candidate, parent, archive, o,
		     evolve_mix(o->eval.seed, (unsigned long long)r->number), r, &why);
	if (rc == 0 && !(r->changes = strdup(added_notes(parent, candidate))))
		rc = err_set(ERR_SYSTEM, "out of memory");
	if (rc == 0)
		rc = set_summary(r);
	r->rewrite_s = (os_now_ms() - start) / 1000.0;
	if (rc == 0 && why.len) {
		r->status = RECORD_INVALID;
		rc = record_set_reason(r, why.data);
	} else if (rc == 0) {
		report(run, r->number, EVOLVE_VALIDATE);
		rc = validate_candidate(r, candidate, o->eval.tasks[0]);
	}
	buf_free(&why);
	return rc;
}

/* Evaluate, then decide against the parent, unless the candidate is
 * invalid. */
static int evaluate_candidate(record *r, const agent_files *candidate, run_state *run,
			      const record *parent)
{
	int rc;

	if (r->status == RECORD_INVALID)
		return 0;
	report(run, r->number, EVOLVE_EVALUATE);
	if ((rc = evolve_evaluate(r, candidate, &run->o->eval)) != 0)
		return rc;
	return evolve_decide(r, parent);
}

/* Counts a committed generation and reports it. */
static void count_generation(run_state *run, evolve_summary *out, const record *r,
			     double parent_fitness, double start)
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
	run->p.seconds = (os_now_ms() - start) / 1000.0;
	report(run, r->number, EVOLVE_DONE);
	run->p.record = NULL;
}

/* The parent's record and files. A parent measured otherwise than this
 * run measures is measured again first, as generation *number, which then
 * becomes the parent; *number moves on to the candidate's. */
static int read_parent(record *p, agent_files *files, lab *l, int parent, run_state *run,
		       evolve_summary *out, int *number)
{
	double start = os_now_ms();
	buf why = BUF_INIT;
	record m;
	int rc = store_read(l->store, parent, p, files);

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
	count_generation(run, out, &m, p->fitness, start);
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
	return evolve_stopping(o) || llm_fatal(o->llm) || llm_exhausted(o->llm);
}

/* The archive for a rewrite of `parent`: from `history`, or read again
 * when the parent was just measured again and is not in it. */
static int parent_archive(json_t **out, lab *l, const evolve_options *o,
			  const evolve_history *history, int parent)
{
	evolve_history now;
	int rc = 0;

	if (history->n && history->items[history->n - 1].number >= parent) {
		*out = evolve_archive_json(history, o, parent);
	} else {
		if ((rc = evolve_history_read(&now, l)) < 0)
			return rc;
		*out = evolve_archive_json(&now, o, parent);
		record_list_free(&now);
	}
	return *out ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

/* One round: rewrite, validate, evaluate, decide, commit. */
static int one_generation(lab *l, run_state *run, evolve_summary *out, int number,
			  const evolve_history *history)
{
	agent_files parent_files, candidate = { NULL, 0 };
	double start = os_now_ms();
	json_t *archive = NULL;
	int parent, rc = evolve_select_parent(&parent, l, run->o, history, number);
	record p, r;

	if (rc == 0)
		rc = read_parent(&p, &parent_files, l, parent, run, out, &number);
	if (rc == 0 && (must_end(&run->o->eval) ||
			(rc = parent_archive(&archive, l, run->o, history, p.number)) < 0 ||
			(rc = record_init(&r, number, p.number, RECORD_REJECTED, "",
					  run->o->eval.seed)) < 0)) {
		record_free(&p);
		agents_free(&parent_files);
	}
	if (rc < 0 || must_end(&run->o->eval)) {
		json_decref(archive);
		return rc;
	}
	rc = make_candidate(&candidate, &r, &parent_files, archive, run, start);
	if (rc == 0)
		rc = evaluate_candidate(&r, &candidate, run, &p);
	if (rc == 0)
		rc = evolve_mark_interrupted(&r, &run->o->eval);
	r.total_s = (os_now_ms() - start) / 1000.0;
	report(run, number, EVOLVE_COMMIT);
	if (rc == 0)
		rc = evolve_commit(l, &r, candidate.count ? &candidate : &parent_files, -1);
	if (rc == 0)
		count_generation(run, out, &r, p.fitness, start);
	record_free(&r);
	record_free(&p);
	json_decref(archive);
	agents_free(&candidate);
	agents_free(&parent_files);
	return rc;
}

/* The lab's best measured generation, for the summary; on a tie, the
 * latest accepted one, which won it on cost. */
static void find_best(evolve_summary *out, const evolve_history *history)
{
	size_t i;

	out->best = -1;
	out->best_fitness = -1e300;
	for (i = 0; i < history->n; i++) {
		const record *r = &history->items[i];
		if (record_measured(r) && (r->fitness > out->best_fitness ||
		    (r->fitness == out->best_fitness && r->status == RECORD_ACCEPTED))) {
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
		rc = one_generation(l, run, out, number, &history);
		record_list_free(&history);
		if (rc < 0)
			break;
		if (llm_fatal(o->eval.llm))
			return err_set(ERR_GENERIC, "stopped after gen_%03d: %s", out->last,
				       llm_fatal(o->eval.llm));
		if ((out->budget_spent = llm_exhausted(o->eval.llm)) != 0)
			break;
	}
	out->interrupted = evolve_stopping(&o->eval);
	return rc;
}

int evolve_run(evolve_summary *out, lab *l, const evolve_options *o)
{
	run_state run;
	evolve_history history;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&run, 0, sizeof(run));
	out->last = out->best = -1;
	run.o = o;
	run.start_ms = os_now_ms();
	run.p.gens = o->gens;
	run.p.best = live_fitness(l);
	rc = run_generations(l, &run, out);
	out->seconds = (os_now_ms() - run.start_ms) / 1000.0;
	if (evolve_history_read(&history, l) == 0) {
		find_best(out, &history);
		record_list_free(&history);
	}
	return rc;
}
