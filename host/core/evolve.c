/*
 * evolve.c - the evolution loop: select, rewrite, validate, evaluate,
 * decide and commit, one generation at a time; see evolve.h.
 *
 * Every candidate is committed, whatever becomes of it, so that each
 * failure can be inspected; only an accepted one moves main. Evaluations
 * of every generation use the same seed, so fitness differences come from
 * the agents and not from luck; the meta agent gets a seed of its own per
 * generation so that its rewrites differ. Evaluating is evolve_eval.c,
 * the archive and the choice of parent evolve_archive.c.
 */
#include "evolve_internal.h"

#include "agent_run.h"
#include "error.h"
#include "os.h"
#include "validate.h"
#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define META_LIMIT_MS 60000

unsigned long long evolve_mix(unsigned long long seed, unsigned long long n)
{
	unsigned long long z = seed + 0x9e3779b97f4a7c15ULL * (n + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

json_t *evolve_record(int number, int parent, const char *status, const char *reason,
		      unsigned long long seed)
{
	return json_pack("{s:i, s:o, s:s, s:s, s:I, s:s, s:i, s:f, s:f}",
		"generation", number, "parent", parent >= 0 ? json_integer(parent) : json_null(),
		"status", status, "reason", reason, "seed", (json_int_t)(seed & 0x7fffffffffffffffULL),
		"host_version", HOST_VERSION, "abi_version", 1, "fitness", 0.0, "holdout", 0.0);
}

int evolve_commit(lab *l, json_t *record, const agent_files *files, int also_parent)
{
	store_gen g;
	const char *status = json_string_value(json_object_get(record, "status"));

	memset(&g, 0, sizeof(g));
	g.number = (int)json_integer_value(json_object_get(record, "generation"));
	g.parent = json_is_integer(json_object_get(record, "parent"))
		? (int)json_integer_value(json_object_get(record, "parent")) : -1;
	snprintf(g.status, sizeof(g.status), "%s", status ? status : "invalid");
	g.fitness = json_number_value(json_object_get(record, "fitness"));
	g.reason = (char *)json_string_value(json_object_get(record, "reason"));
	g.record = record;
	return store_record(l->store, &g, files, also_parent);
}

/* What the live status line shows. */
static struct {
	double start_ms, best;
	long long evals;  /* budget x tasks x generations */
	int done, gens;
} run_stats;

/* Rewrites the status line in place: phase, evaluations, best, spend and
 * the estimated time left. */
static void show_phase(const evolve_options *o, int number, const char *phase)
{
	llm_usage spend = llm_totals(o->eval.llm);
	double elapsed = (os_now_ms() - run_stats.start_ms) / 1000.0;
	double left = run_stats.done ? elapsed / run_stats.done * (run_stats.gens - run_stats.done) : 0;

	if (!o->live)
		return;
	printf("\r\033[K  gen_%03d %-8s  %lld evaluations  best %.4f  $%.4f  ", number, phase,
	       run_stats.evals, run_stats.best, spend.usd);
	if (run_stats.done)
		printf("~%.0f s left", left);
	fflush(stdout);
}

static void clear_status(const evolve_options *o)
{
	if (o->live)
		printf("\r\033[K");
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

/* Runs the parent's meta agent; *candidate is the parent's files with the
 * emitted ones applied. Returns 0, or a reason it failed in `why`. */
static int rewrite(agent_files *candidate, const agent_files *parent, json_t *archive,
		   const evolve_options *o, unsigned long long seed, json_t *record, buf *why)
{
	sandbox_limits limits = { META_LIMIT_MS, META_LIMIT_MS, 256 };
	char *archive_text = json_dumps(archive, JSON_COMPACT);
	agent_run_result run;
	broker b;
	size_t i;
	int rc = 0;

	memset(candidate, 0, sizeof(*candidate));
	for (i = 0; i < parent->count; i++)
		agents_set(candidate, parent->items[i].name, parent->items[i].text);
	broker_init(&b, NULL, parent, 0, META_LIMIT_MS / 1000.0);
	broker_offer_llm(&b, o->eval.llm, o->eval.llm_calls);
	b.emitted = candidate;
	if (!archive_text || agent_run(&run, parent, "meta_agent_rewrite", archive_text,
					 &b, &limits, seed) < 0) {
		rc = ERR_GENERIC;
	} else {
		if (run.outcome.status != SANDBOX_OK)
			buf_printf(why, "the meta agent ended with %s: %s",
				   sandbox_status_name(run.outcome.status), run.outcome.detail);
		else if (run.status != 0)
			buf_printf(why, "the meta agent proposed nothing (returned %d)", run.status);
		agent_run_result_free(&run);
	}
	json_object_set_new(record, "budget", evolve_usage_json(o->eval.budget, 0, &b.llm_used));
	json_object_set(record, "rewrite_trace", b.trace);
	free(archive_text);
	broker_free(&b);
	return rc;
}

static const char *first_line(const char *text, char *out, size_t size)
{
	size_t n = strcspn(text, "\n");

	snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), text);
	return out;
}

/* Validates the candidate; on failure sets the record's status and reason. */
static int validate_candidate(json_t *record, const agent_files *candidate, task *smoke)
{
	validate_report report;
	json_t *stages = json_array();
	char line[300];
	int i, rc = validate_agents(&report, candidate, smoke);

	if (rc < 0) {
		json_decref(stages);
		return rc;
	}
	for (i = 0; i < VALIDATE_STAGES; i++)
		json_array_append_new(stages, json_pack("{s:s, s:s, s:s}", "stage", report.stages[i].name,
			"status", !report.stages[i].ran ? "skipped" : report.stages[i].passed ? "pass" : "fail",
			"diagnostics", report.stages[i].diagnostics ? report.stages[i].diagnostics : ""));
	json_object_set_new(record, "validation", stages);
	if (!report.valid) {
		char reason[400];
		snprintf(reason, sizeof(reason), "%s: %s", report.stages[report.failed].name,
			 first_line(report.stages[report.failed].diagnostics, line, sizeof(line)));
		json_object_set_new(record, "status", json_string("invalid"));
		json_object_set_new(record, "reason", json_string(reason));
	}
	validate_report_free(&report);
	return 0;
}

static void print_progress(const evolve_options *o, const json_t *record, double parent_fitness,
			   double seconds)
{
	const char *status = json_string_value(json_object_get(record, "status"));
	double fitness = json_number_value(json_object_get(record, "fitness"));
	int parent = (int)json_integer_value(json_object_get(record, "parent"));

	if (o->json) {
		char *text = json_dumps(record, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", text ? text : "{}");
		free(text);
	} else if (!o->quiet) {
		const char *color = !o->color ? "" : strcmp(status, "accepted") == 0 ? "\033[32m"
				    : strcmp(status, "invalid") == 0 ? "\033[31m" : "";
		printf("gen_%03d  parent gen_%03d  %s%-8s%s  fitness %.4f  %+.4f  held-out %.4f  %5.1f s",
		       (int)json_integer_value(json_object_get(record, "generation")), parent, color,
		       status, *color ? "\033[0m" : "", fitness, fitness - parent_fitness,
		       json_number_value(json_object_get(record, "holdout")), seconds);
		if (strcmp(status, "accepted") != 0)
			printf("  %s", json_string_value(json_object_get(record, "reason")));
		putchar('\n');
	}
	fflush(stdout);
}

static const char *record_status(const json_t *record)
{
	return json_string_value(json_object_get(record, "status"));
}

/* Generation `parent`'s files and fitness: where the candidate starts
 * and the bar it must pass. */
static int read_parent(agent_files *files, double *fitness, lab *l, int parent)
{
	store_gen g;
	int rc = store_read(l->store, parent, &g, files);

	*fitness = rc == 0 ? g.fitness : 0;
	if (rc == 0)
		store_gen_free(&g);
	return rc;
}

/* Rewrite, then validate: the parent's meta agent rewrites its files into
 * *candidate, which is then validated. A candidate that fails either step
 * is marked invalid in `record`, with the reason. */
static int make_candidate(agent_files *candidate, json_t *record, const agent_files *parent,
			  json_t *archive, const evolve_options *o, int number, double start)
{
	buf why = BUF_INIT;
	int rc;

	show_phase(o, number, "rewrite");
	rc = rewrite(candidate, parent, archive, o,
		     evolve_mix(o->eval.seed, (unsigned long long)number), record, &why);
	json_object_set_new(record, "changes", json_string(added_notes(parent, candidate)));
	json_object_set_new(record, "rewrite_s", json_real((os_now_ms() - start) / 1000.0));
	if (rc == 0 && why.len) {
		json_object_set_new(record, "status", json_string("invalid"));
		json_object_set_new(record, "reason", json_string(why.data));
	} else if (rc == 0) {
		show_phase(o, number, "validate");
		rc = validate_candidate(record, candidate, o->eval.tasks[0]);
	}
	buf_free(&why);
	return rc;
}

/* Evaluate, then decide, unless the candidate is invalid: it is accepted
 * when its fitness is strictly above the parent's. */
static int evaluate_candidate(json_t *record, const agent_files *candidate,
			      const evolve_options *o, int number, double parent_fitness)
{
	double fitness;
	char reason[128];
	int rc, accepted;

	if (strcmp(record_status(record), "invalid") == 0)
		return 0;
	show_phase(o, number, "evaluate");
	if ((rc = evolve_evaluate(record, candidate, &o->eval)) != 0)
		return rc;
	fitness = json_number_value(json_object_get(record, "fitness"));
	accepted = fitness > parent_fitness;
	snprintf(reason, sizeof(reason), accepted ? "fitness %.4f is above the parent's %.4f"
		 : "fitness %.4f is not above the parent's %.4f", fitness, parent_fitness);
	json_object_set_new(record, "status", json_string(accepted ? "accepted" : "rejected"));
	json_object_set_new(record, "reason", json_string(reason));
	return 0;
}

/* Commits the generation, and makes it live when it was accepted. */
static int commit_generation(lab *l, json_t *record, const agent_files *files, int number)
{
	int rc = evolve_commit(l, record, files, -1);

	if (rc == 0 && strcmp(record_status(record), "accepted") == 0)
		rc = lab_make_live(l, number);
	return rc;
}

/* Counts a finished generation in what the status line shows. */
static void count_generation(const json_t *record)
{
	double fitness = json_number_value(json_object_get(record, "fitness"));

	run_stats.evals += json_integer_value(json_object_get(json_object_get(record, "budget"),
								     "evals_used"));
	if (strcmp(record_status(record), "accepted") == 0 && fitness > run_stats.best)
		run_stats.best = fitness;
}

/* One round: rewrite, validate, evaluate, decide, commit. Sets *status. */
static int one_generation(lab *l, const evolve_options *o, int number, json_t *archive,
			  char *status, size_t status_size)
{
	agent_files parent_files, candidate = { NULL, 0 };
	int parent, rc = evolve_select_parent(&parent, l, o, archive, number);
	double start = os_now_ms(), parent_fitness;
	json_t *record;

	if (rc < 0 || (rc = read_parent(&parent_files, &parent_fitness, l, parent)) < 0)
		return rc;
	record = evolve_record(number, parent, "rejected", "", o->eval.seed);
	rc = make_candidate(&candidate, record, &parent_files, archive, o, number, start);
	if (rc == 0)
		rc = evaluate_candidate(record, &candidate, o, number, parent_fitness);
	json_object_set_new(record, "total_s", json_real((os_now_ms() - start) / 1000.0));
	show_phase(o, number, "commit");
	if (rc == 0)
		rc = commit_generation(l, record, candidate.count ? &candidate : &parent_files, number);
	snprintf(status, status_size, "%s", record_status(record));
	count_generation(record);
	clear_status(o);
	if (rc == 0)
		print_progress(o, record, parent_fitness, (os_now_ms() - start) / 1000.0);
	json_decref(record);
	agents_free(&candidate);
	agents_free(&parent_files);
	return rc;
}

static void print_summary(lab *l, const evolve_options *o, int done, const int counts[3],
			  double seconds)
{
	int *numbers, best = -1;
	double best_fitness = -1e300, best_holdout = 0;
	size_t n, i;

	if (o->json || store_numbers(l->store, &numbers, &n) < 0)
		return;
	for (i = 0; i < n; i++) {
		store_gen g;
		if (store_read(l->store, numbers[i], &g, NULL) < 0)
			continue;
		if (strcmp(g.status, "invalid") != 0 && g.fitness > best_fitness) {
			best = g.number;
			best_fitness = g.fitness;
			best_holdout = json_number_value(json_object_get(g.record, "holdout"));
		}
		store_gen_free(&g);
	}
	free(numbers);
	printf("%d generations in %.1f s: %d accepted, %d rejected, %d invalid\n", done, seconds,
	       counts[0], counts[1], counts[2]);
	if (best >= 0)
		printf("best gen_%03d: fitness %.4f, held-out %.4f\n", best, best_fitness, best_holdout);
}

int evolve_run(lab *l, const evolve_options *o)
{
	double start = os_now_ms();
	int counts[3] = { 0, 0, 0 }, done = 0, number, rc = 0, live;
	store_gen g;

	memset(&run_stats, 0, sizeof(run_stats));
	run_stats.start_ms = start;
	run_stats.gens = o->gens;
	if (store_main(l->store, &live) == 0 && store_read(l->store, live, &g, NULL) == 0) {
		run_stats.best = g.fitness;
		store_gen_free(&g);
	}

	while (done < o->gens && !(o->stop && *o->stop)) {
		char status[16] = "";
		json_t *archive;
		if ((rc = store_next_number(l->store, &number)) < 0)
			break;
		archive = evolve_archive(l);
		rc = one_generation(l, o, number, archive, status, sizeof(status));
		json_decref(archive);
		if (rc < 0)
			break;
		counts[strcmp(status, "accepted") == 0 ? 0 : strcmp(status, "rejected") == 0 ? 1 : 2]++;
		done++;
		run_stats.done = done;
		if (llm_fatal(o->eval.llm)) {
			rc = err_set(ERR_GENERIC, "stopped after gen_%03d: %s", number,
				     llm_fatal(o->eval.llm));
			break;
		}
		if (llm_exhausted(o->eval.llm)) {
			if (!o->json)
				printf("the LLM budget is reached: stopped after gen_%03d\n", number);
			break;
		}
	}
	if (o->stop && *o->stop && !o->json)
		printf("interrupted: stopped after %d generations\n", done);
	print_summary(l, o, done, counts, (os_now_ms() - start) / 1000.0);
	return rc;
}
