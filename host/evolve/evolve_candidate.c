/*
 * evolve_candidate.c - making one candidate: its parent's meta agent
 * rewrites the parent's files, the host validates the result and, when it
 * is valid, evaluates it, its timed tasks' solutions against the
 * parent's; see evolve_candidate_make in evolve_internal.h.
 *
 * This is the part of a generation that waits for the model, and so the
 * part that runs in a process of its own, beside its siblings
 * (evolve_flight.c). Deciding against the parent and committing stay with
 * the process that owns the lab, which sees every sibling.
 */
#include "evolve_internal.h"

#include "agent_run.h"
#include "diff.h"
#include "error.h"
#include "os.h"
#include "text.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVOLVE_SUMMARY_MAX 200

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
 * line of printable text, at most EVOLVE_SUMMARY_MAX bytes: a longer one
 * is cut after a word, with an ellipsis. Left absent when the notes say
 * nothing. */
static int set_summary(record *r)
{
	const char *line, *next, *pick = NULL, *first = NULL;
	size_t n;

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
	n = utf8_valid_prefix(pick, n);
	if (!(r->summary = text_shorten(pick, n, EVOLVE_SUMMARY_MAX, NULL)))
		return err_set(ERR_SYSTEM, "out of memory");
	text_one_line(r->summary);  /* a commit message's paragraph */
	return 0;
}

/* Sets r->edits from what the rewrite changed in the agent files, as the
 * host sees it: whatever the meta agent says it did, these are the hunks
 * between the parent's files and the candidate's (memory.md, its notes,
 * is r->changes). */
static int set_edits(record *r, const agent_files *parent, const agent_files *candidate)
{
	buf hunks = BUF_INIT;
	int rc = diff_hunks(&hunks, parent, candidate, "memory.md");

	if (rc == 0 && (rc = buf_failed(&hunks)) == 0 && !(r->edits = strdup(buf_cstr(&hunks))))
		rc = err_set(ERR_SYSTEM, "out of memory");
	text_clean(r->edits);  /* the lines are the agent's */
	buf_free(&hunks);
	return rc;
}

/* Runs the parent's meta agent; c->files is the parent's files with the
 * emitted ones applied. Returns 0, or a reason it failed in `why`. */
static int rewrite(evolve_candidate *c, const evolve_options *o, buf *why)
{
	int meta_ms = evolve_meta_ms(&o->eval);
	char tag[32];
	agent_run_options ro = { .agent = &o->eval.agent, .limits = { meta_ms, meta_ms, 256 },
				 .seed = evolve_mix(o->eval.seed, (unsigned long long)c->number),
				 .llm_tag = tag };
	char *archive_text = json_dumps(c->archive, JSON_COMPACT);
	agent_run_result run;
	int rc;

	if (!archive_text)
		return err_set(ERR_SYSTEM, "out of memory");
	snprintf(tag, sizeof(tag), "gen_%03d meta", c->number);
	rc = agent_rewrite(&c->files, &run, &c->parent_files, archive_text, &ro);
	free(archive_text);
	if (rc < 0)
		return rc;
	if (run.outcome.status != SANDBOX_OK)
		buf_printf(why, "the meta agent ended with %s: %s",
			   sandbox_status_name(run.outcome.status), run.outcome.detail);
	else if (run.status != 0)
		buf_printf(why, "the meta agent proposed nothing (returned %d)", run.status);
	c->r.has_budget = 1;
	c->r.budget.evals_per_task = o->eval.budget;
	evolve_add_llm_use(&c->r.budget, &run.llm_used);
	c->r.rewrite_trace = json_incref(run.trace);
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
		const char *stage = report.stages[report.failed].name;
		const char *why = first_line(report.stages[report.failed].diagnostics, line,
					     sizeof(line));
		size_t n = strlen(stage);

		/* the smoke stage's lines name it already ("smoke: ...") */
		if (strncmp(why, stage, n) == 0 && why[n] == ':')
			snprintf(reason, sizeof(reason), "%s", why);
		else
			snprintf(reason, sizeof(reason), "%s: %s", stage, why);
		r->status = RECORD_INVALID;
		rc = record_set_reason(r, reason);
	}
	validate_report_free(&report);
	return rc;
}

static void tell(evolve_phase_fn phase, void *ctx, evolve_phase now)
{
	if (phase)
		phase(ctx, now);
}

/* Rewrite, then validate. A candidate that fails either is marked
 * invalid, with the reason. */
static int rewrite_and_validate(evolve_candidate *c, const evolve_options *o,
				evolve_phase_fn phase, void *ctx)
{
	double start = os_now_ms();
	buf why = BUF_INIT;
	int rc;

	tell(phase, ctx, EVOLVE_REWRITE);
	rc = rewrite(c, o, &why);
	if (rc == 0 && !(c->r.changes = strdup(added_notes(&c->parent_files, &c->files))))
		rc = err_set(ERR_SYSTEM, "out of memory");
	text_clean(c->r.changes);  /* the meta agent's words, shown by host show */
	if (rc == 0)
		rc = set_summary(&c->r);
	if (rc == 0)
		rc = set_edits(&c->r, &c->parent_files, &c->files);
	c->r.rewrite_s = (os_now_ms() - start) / 1000.0;
	if (rc == 0 && why.len) {
		c->r.status = RECORD_INVALID;
		rc = record_set_reason(&c->r, why.data);
	} else if (rc == 0) {
		tell(phase, ctx, EVOLVE_VALIDATE);
		rc = validate_candidate(&c->r, &c->files, o->eval.tasks[0]);
	}
	buf_free(&why);
	return rc;
}

int evolve_candidate_make(evolve_candidate *c, const evolve_options *o, evolve_phase_fn phase,
			  void *ctx)
{
	int rc = slots_take(o->eval.agent.cpu, 0, NULL, NULL);

	if (rc < 0)
		return rc;
	rc = rewrite_and_validate(c, o, phase, ctx);  /* CPU work, but for the model's replies */
	slots_give(o->eval.agent.cpu);
	if (rc == 0 && c->r.status != RECORD_INVALID) {
		tell(phase, ctx, EVOLVE_EVALUATE);
		rc = evolve_evaluate(&c->r, &c->files, &c->parent, &o->eval);
		if (rc == 0)  /* timed tasks: against the parent's, at once */
			rc = evolve_pair_timed(&c->r, &c->parent, &o->eval);
		else if (rc == EVOLVE_STEP_LOST)  /* this candidate's failure, not the run's */
			return evolve_keep_lost(&c->r, rc);
	}
	if (rc == 0)
		rc = evolve_mark_interrupted(&c->r, &o->eval);
	return rc;
}
