/*
 * arena_replace.c - the arena's populations: sizing them to what the run
 * asks, and every K rounds replacing the worst code agent and the worst
 * test agent by mutated copies of the best (the seed's level 4b).
 *
 * A mutation is a rewrite by the best code agent's meta agent. For a code
 * agent it is an ordinary rewrite of its files, validated like any
 * candidate; an invalid one leaves a plain copy, and the event says so.
 * For a test agent the archive asks for "mutate": "test_agent.c", with the
 * best test agent's source in place of the code agent's, and the mutation
 * must answer a smoke run; one that does not leaves a plain copy.
 */
#include "arena_internal.h"

#include "agent_run.h"
#include "buf.h"
#include "propose.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t best_of_coders(const arena_state *s, int worst)
{
	size_t i, pick = worst ? s->n_coders - 1 : 0;

	for (i = 0; i < s->n_coders; i++) {
		double f = s->coders[i].fitness, p = s->coders[pick].fitness;
		if (worst ? f < p : f > p)
			pick = i;
	}
	return pick;
}

/* A test agent's fitness: the cases it added, per round it has lived. */
static double tester_rate(const arena_tester *t, int round)
{
	int lived = round - t->born + 1;

	return (double)t->exposed / (lived > 0 ? lived : 1);
}

static size_t best_of_testers(const arena_state *s, int worst)
{
	size_t i, pick = worst ? s->n_testers - 1 : 0;

	for (i = 0; i < s->n_testers; i++) {
		double f = tester_rate(&s->testers[i], s->round);
		double p = tester_rate(&s->testers[pick], s->round);
		if (worst ? f < p : f > p)
			pick = i;
	}
	return pick;
}

static void add_event(record_arena *tally, const char *fmt, const char *a, const char *b,
		      const char *c)
{
	size_t used = strlen(tally->events);

	snprintf(tally->events + used, sizeof(tally->events) - used, "%s", used ? "; " : "");
	used = strlen(tally->events);
	snprintf(tally->events + used, sizeof(tally->events) - used, fmt, a, b, c);
}

/* The best code agent's meta agent rewrites `files` into *out; `mutate`
 * names the one file to change, or NULL. *ok is 0 when it failed. Its
 * model use goes to the round's, in *tally. */
static int mutate(agent_files *out, int *ok, record_arena *tally, lab *l,
		  const arena_coder *best, const agent_files *files, const char *mutate_file,
		  const evolve_options *o, unsigned long long seed)
{
	int meta_ms = evolve_meta_ms(&o->eval);
	agent_run_options ro = { .agent = &o->eval.agent, .limits = { meta_ms, meta_ms, 256 },
				 .seed = seed, .llm_tag = "arena mutation", .task = o->eval.tasks[0] };
	agent_run_result run;
	json_t *archive;
	char *text;
	int rc = evolve_archive_read(&archive, l, o, best->generation);

	if (rc < 0)
		return rc;
	if (mutate_file)
		json_object_set_new(archive, "mutate", json_string(mutate_file));
	text = json_dumps(archive, JSON_COMPACT);
	json_decref(archive);
	if (!text)
		return err_set(ERR_SYSTEM, "out of memory");
	rc = agent_rewrite(out, &run, files, text, &ro);
	free(text);
	if (rc == 0) {
		arena_charge(tally, &run.llm_used);
		*ok = run.outcome.status == SANDBOX_OK && run.status == 0;
		agent_run_result_free(&run);
	}
	return rc;
}

static int replace_coder(arena_state *s, record_arena *tally, lab *l, task **tasks,
			 const evolve_options *o)
{
	size_t best = best_of_coders(s, 0), worst = best_of_coders(s, 1);
	agent_files rewritten = { NULL, 0 };
	validate_report report = { 0 };
	char from[ARENA_NAME_MAX], gone[ARENA_NAME_MAX];
	arena_coder *c;
	int ok = 0, rc;

	if (best == worst)
		return 0;
	rc = mutate(&rewritten, &ok, tally, l, &s->coders[best], &s->coders[best].files, NULL, o,
		    evolve_mix(o->eval.seed, (unsigned long long)s->round * 64 + 63));
	if (rc == 0 && ok)
		rc = validate_agents(&report, &rewritten, tasks[0]);
	memcpy(from, s->coders[best].name, sizeof(from));
	memcpy(gone, s->coders[worst].name, sizeof(gone));
	if (rc == 0)
		rc = arena_add_coder(s, best);
	if (rc == 0 && ok && report.valid) {
		c = &s->coders[s->n_coders - 1];
		agents_free(&c->files);
		c->files = rewritten;
		memset(&rewritten, 0, sizeof(rewritten));
	}
	if (rc == 0) {
		add_event(tally, ok && report.valid ? "%s replaced %s, a mutation of %s"
			  : "%s replaced %s, a copy of %s (its mutation was not valid)",
			  s->coders[s->n_coders - 1].name, gone, from);
		arena_drop_coder(s, worst);
	}
	validate_report_free(&report);
	agents_free(&rewritten);
	return rc;
}

/* A mutated test agent must answer a smoke run, as validation asks of
 * any test agent; *ok is 0 when it does not. */
static int smoke_tester(int *ok, const agent_files *files, task *t)
{
	buf problems = BUF_INIT;
	int rc = validate_smoke_test_agent(&problems, files, t);

	*ok = rc == 0 && problems.len == 0;
	buf_free(&problems);
	return rc;
}

static int replace_tester(arena_state *s, record_arena *tally, lab *l, task **tasks,
			  const evolve_options *o)
{
	size_t best = best_of_testers(s, 0), worst = best_of_testers(s, 1);
	const arena_coder *coder = &s->coders[best_of_coders(s, 0)];
	agent_files files = { NULL, 0 }, rewritten = { NULL, 0 };
	char from[ARENA_NAME_MAX], gone[ARENA_NAME_MAX];
	const char *source;
	int ok = 0, unfit = 0, rc;

	if (best == worst)
		return 0;
	if ((rc = arena_tester_files(&files, coder, s->testers[best].source)) == 0)
		rc = mutate(&rewritten, &ok, tally, l, coder, &files, PROPOSE_FILE, o,
			    evolve_mix(o->eval.seed, (unsigned long long)s->round * 64 + 62));
	source = ok ? agents_get(&rewritten, PROPOSE_FILE) : NULL;
	if (rc == 0 && source && (rc = smoke_tester(&ok, &rewritten, tasks[0])) == 0 && !ok) {
		source = NULL;
		unfit = 1;
	}
	memcpy(from, s->testers[best].name, sizeof(from));
	memcpy(gone, s->testers[worst].name, sizeof(gone));
	if (rc == 0)
		rc = arena_add_tester(s, source ? source : s->testers[best].source, s->round);
	if (rc == 0) {
		add_event(tally, source && strcmp(source, s->testers[best].source) != 0
			  ? "%s replaced %s, a mutation of %s"
			  : unfit ? "%s replaced %s, a copy of %s (its mutation failed a smoke run)"
			  : "%s replaced %s, a copy of %s", s->testers[s->n_testers - 1].name, gone,
			  from);
		arena_drop_tester(s, worst);
	}
	agents_free(&files);
	agents_free(&rewritten);
	return rc;
}

int arena_replace(arena_state *s, record_arena *tally, lab *l, task **tasks,
		  const evolve_options *o)
{
	int rc = replace_coder(s, tally, l, tasks, o);

	return rc < 0 ? rc : replace_tester(s, tally, l, tasks, o);
}

int arena_size(arena_state *s, const arena_options *a)
{
	int rc = 0;

	while (rc == 0 && a->code_agents > 0 && s->n_coders > (size_t)a->code_agents)
		arena_drop_coder(s, best_of_coders(s, 1));
	while (rc == 0 && a->test_agents > 0 && s->n_testers > (size_t)a->test_agents)
		arena_drop_tester(s, best_of_testers(s, 1));
	while (rc == 0 && s->n_coders < (size_t)a->code_agents)
		rc = arena_add_coder(s, best_of_coders(s, 0));
	while (rc == 0 && s->n_testers < (size_t)a->test_agents)
		rc = arena_add_tester(s, s->testers[best_of_testers(s, 0)].source, s->round + 1);
	return rc;
}
