/*
 * test_noise.c - a timed task's score varies from run to run, and evolve
 * must not take that noise for progress.
 *
 * The rank test is checked on fixed samples against values counted by
 * hand; the decision on records whose comparisons are given; and evolve
 * on tasks/sort, with cases far apart only: a task agent that returns
 * its parent's solution (never better, and not even measured against
 * it; evolve's best and the report's stay gen_000), and insertion sort
 * against qsort (n^2 against n log n: accepted, its spread and p-value
 * recorded and shown). No assertion is a timing.
 */
#include "harness.h"
#include "lab_fixture.h"

#include "evolve_internal.h"
#include "os.h"
#include "stats.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double less_p(const double *a, size_t n, const double *b, size_t m)
{
	double p = -1;

	assert_int_equal(stats_less_p(&p, a, n, b, m), 0);
	return p;
}

static void test_noise_rank_test_on_fixed_samples(void **state)
{
	static const double low[] = { 1, 2, 3, 4, 5 }, high[] = { 6, 7, 8, 9, 10 };
	static const double odd[] = { 1, 3, 5, 7, 9 }, even[] = { 2, 4, 6, 8, 10 };
	static const double same[] = { 5, 5, 5, 5, 5 }, one_swap[] = { 1, 2, 3, 4, 6 };
	static const double rest[] = { 5, 7, 8, 9, 10 };
	static const double tied_a[] = { 1, 2, 2, 3 }, tied_b[] = { 2, 3, 3, 4, 5 };
	double p, many[STATS_MAX + 1] = { 0 }, nan_one[] = { NAN };

	(void)state;
	/* every a below every b: 1 of the C(10,5) = 252 splits */
	assert_true(fabs(less_p(low, 5, high, 5) - 1.0 / 252) < 1e-12);
	assert_true(fabs(less_p(high, 5, low, 5) - 1.0) < 1e-12);
	assert_true(fabs(less_p(one_swap, 5, rest, 5) - 2.0 / 252) < 1e-12);
	/* interleaved: 87 of the 252 splits have a rank sum of 25 or less */
	assert_true(fabs(less_p(odd, 5, even, 5) - 29.0 / 84) < 1e-12);
	/* one value repeated is no evidence either way */
	assert_true(fabs(less_p(same, 5, same, 5) - 1.0) < 1e-12);
	/* ties share their mean rank: 10 of the 126 splits */
	assert_true(fabs(less_p(tied_a, 4, tied_b, 5) - 5.0 / 63) < 1e-12);
	assert_true(fabs(stats_median(odd, 5) - 5) < 1e-12);
	assert_true(fabs(stats_median(tied_a, 4) - 2) < 1e-12);
	assert_int_equal(stats_less_p(&p, low, 0, high, 5), ERR_INVALID);
	assert_int_equal(stats_less_p(&p, many, STATS_MAX, high, 1), ERR_INVALID);
	assert_contains(err_last(), "a rank test needs 1 to 64 values in all");
	assert_int_equal(stats_less_p(&p, nan_one, 1, high, 5), ERR_INVALID);
	assert_contains(err_last(), "finite");
}

/* A measured record: `fitness` over tasks sort (timed, `timing`) and,
 * when email_fitness >= 0, email; `solution` for every task. */
static void measured(record *r, int number, double sort_fitness, const record_timing *timing,
		     double email_fitness, const char *solution)
{
	record_task sort = { .name = "sort", .agent = "ok", .fitness = sort_fitness,
			     .solution = (char *)solution };
	record_task email = { .name = "email", .agent = "ok", .fitness = email_fitness,
			      .solution = (char *)solution };

	assert_int_equal(record_init(r, number, number - 1, RECORD_REJECTED, "", 1), 0);
	if (timing)
		sort.timing = *timing;
	assert_int_equal(record_add_task(r, &sort), 0);
	if (email_fitness >= 0)
		assert_int_equal(record_add_task(r, &email), 0);
	r->fitness = email_fitness >= 0 ? (sort_fitness + email_fitness) / 2 : sort_fitness;
	r->has_utility = 1;
	r->utility.score = 1;
}

/* Decides a candidate against a parent of sort fitness 0.5 (and email
 * 0.5 when the candidate has email); returns its status, its reason
 * checked for `why`. */
static record_status decide(double sort_fitness, const record_timing *timing,
			    double email_fitness, const char *solution, const char *why)
{
	static const record_timing parent_timing = { .runs = 5, .median = 100, .min = 99,
						     .max = 103 };
	record parent, r;
	record_status status;

	measured(&parent, 1, 0.5, &parent_timing, email_fitness >= 0 ? 0.5 : -1, "parent's");
	measured(&r, 2, sort_fitness, timing, email_fitness, solution);
	assert_int_equal(evolve_decide(&r, &parent), 0);
	assert_contains(r.reason, why);
	status = r.status;
	record_free(&r);
	record_free(&parent);
	return status;
}

static void test_noise_only_evidence_counts(void **state)
{
	record_timing noise = { .runs = 5, .median = 98, .min = 97, .max = 104, .paired = 5,
				.paired_median = 99, .parent_median = 100, .paired_fitness = 0.505,
				.parent_fitness = 0.5, .p_better = 0.3, .p_worse = 0.75 };
	record_timing faster = noise, slower = noise, uncompared = noise;

	(void)state;
	faster.p_better = 1.0 / 252;
	faster.paired_fitness = 0.8;
	slower.p_worse = 1.0 / 252;
	slower.paired_fitness = 0.2;
	uncompared.paired = 0;
	/* the same solution: rejected, never better, whatever its fitness */
	assert_int_equal(decide(0.9, &noise, -1, "parent's", "its solutions are the same as "
				"its parent's, byte for byte: the same solutions are never better"),
			 RECORD_REJECTED);
	/* a higher fitness within the noise is no gain; equal cost: rejected */
	assert_int_equal(decide(0.52, &noise, -1, "other", "equal to the parent within the noise "
				"(recorded 0.5200 against its 0.5000; sort: median 99 against the "
				"parent's 100 in 5 interleaved runs each, no difference (p 0.3, "
				"not below 0.05)); it cost no less"), RECORD_REJECTED);
	/* the paired runs decide, whatever the evaluations made apart say */
	assert_int_equal(decide(0.48, &faster, -1, "other", "better than the parent: +0.3000 in "
				"fitness beyond the noise (recorded 0.4800 against its 0.5000; sort: "
				"median 99 against the parent's 100 in 5 interleaved runs each, better "
				"(p 0.00397 < 0.05))"), RECORD_ACCEPTED);
	assert_int_equal(decide(0.52, &slower, -1, "other", "not better than the parent: -0.3000 "
				"in fitness beyond the noise (recorded 0.5200 against its 0.5000; "
				"sort: median 99 against the parent's 100 in 5 interleaved runs each, "
				"worse (p 0.00397 < 0.05))"), RECORD_REJECTED);
	/* not compared: it may count against, never for */
	assert_int_equal(decide(0.52, &uncompared, -1, "other", "sort: not compared with the "
				"parent's solution, so counted only as a loss); it cost no less"),
			 RECORD_REJECTED);
	assert_int_equal(decide(0.48, &uncompared, -1, "other", "not better than the parent: "
				"-0.0200 in fitness"), RECORD_REJECTED);
	/* a task that is not timed counts exactly beside a timed one's noise */
	assert_int_equal(decide(0.45, &noise, 0.6, "other", "better than the parent: +0.0500 in "
				"fitness beyond the noise (recorded 0.5250 against its 0.5000; sort: "
				"median 99"), RECORD_ACCEPTED);
	assert_int_equal(decide(0.9, &noise, 0.49, "other", "not better than the parent: -0.0050 "
				"in fitness beyond the noise (recorded 0.6950 against"), RECORD_REJECTED);
}

/* Two timed tasks share the significance: p 0.03 on each is no evidence. */
static void test_noise_timed_tasks_share_the_significance(void **state)
{
	record_timing t = { .runs = 5, .median = 90, .min = 89, .max = 93, .paired = 5,
			    .paired_median = 90, .parent_median = 100, .paired_fitness = 0.6,
			    .parent_fitness = 0.5, .p_better = 0.03, .p_worse = 0.98 };
	record_task a = { .name = "a", .agent = "ok", .fitness = 0.6, .solution = "x", .timing = t };
	record_task b = { .name = "b", .agent = "ok", .fitness = 0.6, .solution = "x", .timing = t };
	record parent, r;

	(void)state;
	assert_int_equal(record_init(&parent, 1, 0, RECORD_ACCEPTED, "", 1), 0);
	assert_int_equal(record_init(&r, 2, 1, RECORD_REJECTED, "", 1), 0);
	assert_int_equal(record_add_task(&r, &a), 0);
	assert_int_equal(record_add_task(&r, &b), 0);
	a.fitness = b.fitness = 0.5;
	a.solution = b.solution = "y";
	assert_int_equal(record_add_task(&parent, &a), 0);
	assert_int_equal(record_add_task(&parent, &b), 0);
	r.fitness = 0.6;
	parent.fitness = 0.5;
	assert_int_equal(evolve_decide(&r, &parent), 0);
	assert_int_equal(r.status, RECORD_REJECTED);
	assert_contains(r.reason, "no difference (p 0.03, not below 0.025)");
	record_free(&r);
	record_free(&parent);
}

/* A task agent for sort that returns a fixed solution, FAST choosing
 * which: insertion sort, or qsort. FAST_VALUE is its value at first. */
static const char sort_agent[] =
	"#include <stdlib.h>\n#include <string.h>\n\n"
	"/* ---- strategy (rewritten by the meta agent) ---- */\n"
	"#define FAST FAST_VALUE\n#define PATIENCE 2\n\n"
	"static const char slow[] = \"#include \\\"sort.h\\\"\\n"
	"void sort_ints(int *a, int n) { for (int i = 1; i < n; i++) { int v = a[i], j = i;"
	" while (j > 0 && a[j - 1] > v) { a[j] = a[j - 1]; j--; } a[j] = v; } }\\n\";\n"
	"static const char fast[] = \"#include \\\"sort.h\\\"\\n#include <stdlib.h>\\n"
	"static int cmp(const void *x, const void *y) { int a = *(const int *)x,"
	" b = *(const int *)y; return (a > b) - (a < b); }\\n"
	"void sort_ints(int *a, int n) { qsort(a, (size_t)n, sizeof *a, cmp); }\\n\";\n\n"
	"char *task_agent_improve(const char *initial)\n{\n"
	"\t(void)initial;\n\treturn strdup(FAST ? fast : slow);\n}\n";

/* A meta agent that adds 1 to the task agent's #define NAME. */
static const char bump_agent[] =
	"#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n"
	"int meta_agent_rewrite(const char *archive)\n{\n"
	"\tchar *own = host_read(\"task_agent.c\"), *at, *out;\n\tint rc;\n\n"
	"\t(void)archive;\n"
	"\tif (!own || !(at = strstr(own, \"#define NAME \")))\n\t\treturn -1;\n"
	"\tout = malloc(strlen(own) + 32);\n"
	"\tsprintf(out, \"%.*s#define NAME %d%s\", (int)(at - own), own,\n"
	"\t\tatoi(at + strlen(\"#define NAME \")) + 1, strchr(at, '\\n'));\n"
	"\trc = host_emit(\"task_agent.c\", out);\n\tfree(out);\n\tfree(own);\n\treturn rc;\n}\n";

/* A lab on sort in $TMPDIR/name whose task agent returns qsort when
 * `fast` is "1", insertion sort when "0", and whose meta agent bumps
 * `constant`. */
static char *sort_lab(const char *name, const char *fast, const char *constant)
{
	char seed_name[64], *meta = harness_subst(bump_agent, "NAME", constant, NULL);
	char *agent = harness_subst(sort_agent, "FAST_VALUE", fast, NULL);
	char *seed, *path, *lab = scratch(name);
	run_result r;

	snprintf(seed_name, sizeof(seed_name), "%s_seed", name);
	seed = seed_with_meta_agent(seed_name, meta);
	path = os_path_join(seed, "task_agent.c");
	assert_int_equal(os_write_file(path, agent, strlen(agent)), 0);
	HOST(&r, "init", "--dir", lab, "--from", seed, "--tasks", "sort", "--budget", "1");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	os_remove_tree(seed);
	free(seed);
	free(path);
	free(meta);
	free(agent);
	return lab;
}

/* The parent's own solution, measured again, often scores better than
 * it did: it is rejected each time without being measured against it. */
static void test_noise_the_same_solution_is_never_better(void **state)
{
	char *lab = sort_lab("noise_same", "1", "PATIENCE"), *page, *html;
	run_result r;

	(void)state;
	HOST(&r, "evolve", "--dir", lab, "--gens", "3");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "3 generations in ");
	assert_contains(r.out, ": 0 accepted, 3 rejected, 0 invalid\n");
	assert_contains(r.out, "best gen_000: fitness ");
	assert_contains(r.out, "gen_003  parent gen_000  rejected  fitness ");
	assert_contains(r.out, "its solutions are the same as its parent's, byte for byte: the "
			"same solutions are never better\n");
	run_result_free(&r);
	HOST(&r, "log", "--dir", lab, "--all");
	assert_int_equal(r.status, 0);
	/* each has its own spread; none was measured against gen_000 */
	assert_contains(r.out, "  gen_002  gen_000   rejected ");
	assert_contains(r.out, "\n            sort ");
	assert_contains(r.out, " (median of 5 runs, ");
	assert_null(strstr(r.out, "interleaved"));
	run_result_free(&r);
	/* the report's best is an accepted generation too */
	page = os_path_join(lab, "report.html");
	HOST(&r, "report", "--dir", lab, "-o", page);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(os_read_file(&html, NULL, page), 0);
	assert_contains(html, "Best: gen_000, fitness ");
	free(html);
	free(page);
	os_remove_tree(lab);
	free(lab);
}

/* gen_001's sort timing in its note. */
static json_t *sort_timing(const char *lab)
{
	json_t *note, *timing;
	run_result r;

	git(&r, lab, "notes", "show", "gen_001", NULL);
	note = json_loads(r.out, 0, NULL);
	run_result_free(&r);
	assert_non_null(note);
	timing = json_incref(json_object_get(json_object_get(json_object_get(note, "tasks"),
							     "sort"), "timing"));
	json_decref(note);
	assert_non_null(timing);
	return timing;
}

/* n log n against n^2: better beyond any noise, with the runs that show
 * it recorded, and shown by host log and the report. */
static void test_noise_a_faster_solution_is_accepted(void **state)
{
	char *lab = sort_lab("noise_faster", "0", "FAST"), *page, *html;
	json_t *timing, *paired;
	run_result r;

	(void)state;
	HOST(&r, "evolve", "--dir", lab, "--gens", "1");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_001  parent gen_000  accepted");
	run_result_free(&r);
	timing = sort_timing(lab);
	paired = json_object_get(timing, "paired");
	assert_int_equal(json_integer_value(json_object_get(timing, "runs")), 5);
	assert_true(json_number_value(json_object_get(timing, "min")) <=
		    json_number_value(json_object_get(timing, "median")));
	assert_true(json_number_value(json_object_get(timing, "median")) <=
		    json_number_value(json_object_get(timing, "max")));
	assert_int_equal(json_integer_value(json_object_get(paired, "runs")), 5);
	assert_true(json_number_value(json_object_get(paired, "p_better")) < 0.05);
	assert_true(json_number_value(json_object_get(paired, "p_worse")) > 0.5);
	assert_true(json_number_value(json_object_get(paired, "median")) <
		    json_number_value(json_object_get(paired, "parent_median")));
	json_decref(timing);
	HOST(&r, "log", "--dir", lab);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "* gen_001  gen_000   accepted ");
	assert_contains(r.out, "  better than the parent: +");
	assert_contains(r.out, " in fitness beyond the noise (recorded ");
	assert_contains(r.out, " against its 0.0000; sort: median ");
	assert_contains(r.out, " in 5 interleaved runs each, better (p ");
	assert_contains(r.out, "% (median of 5 runs, ");
	assert_contains(r.out, "); against gen_000 in 5 interleaved runs each: medians ");
	assert_contains(r.out, ", p(better) ");
	run_result_free(&r);
	page = os_path_join(lab, "report.html");
	HOST(&r, "report", "--dir", lab, "-o", page);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(os_read_file(&html, NULL, page), 0);
	assert_contains(html, "<small class=\"spread\">sort ");
	assert_contains(html, "against gen_000 in 5 interleaved runs each: medians ");
	free(html);
	free(page);
	os_remove_tree(lab);
	free(lab);
}

void test_group_noise(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_noise_rank_test_on_fixed_samples),
		cmocka_unit_test(test_noise_only_evidence_counts),
		cmocka_unit_test(test_noise_timed_tasks_share_the_significance),
		cmocka_unit_test(test_noise_the_same_solution_is_never_better),
		cmocka_unit_test(test_noise_a_faster_solution_is_accepted),
	};

	HARNESS_GROUP(t, "noise", tests);
}
