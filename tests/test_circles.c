/*
 * test_circles.c - the circle packing task: it is sound, its initial
 * packing scores its sum, and the check is exact: circles that touch
 * score, circles that overlap or leave the square by 1e-12, or by less
 * than a double's rounding, do not, and the feedback names them. Values
 * outside the domain, and solutions that write too few circles or too
 * many, fail the run; a solution cannot write the transcript itself.
 */
#include "harness.h"

#include "error.h"
#include "eval.h"
#include "scorer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N 26

typedef struct {
	double x, y, r;
} disc;

/* Two circles of radius 1/4 that touch, centred at (1/4, 1/4) and
 * (3/4, 1/4), and 24 of radius 0 on the line y = 3/4: 0.5 in all. */
static void touching_pair(disc *d)
{
	int i;

	d[0] = (disc){ 0.25, 0.25, 0.25 };
	d[1] = (disc){ 0.75, 0.25, 0.25 };
	for (i = 2; i < N; i++)
		d[i] = (disc){ (i - 1) / 32.0, 0.75, 0 };
}

/* Scores `d` as the driver would record it: *feedback gets score.c's
 * text, which err_last() also holds when the packing is refused. */
static int score_discs(const disc *d, double *score, buf *feedback)
{
	task *t = harness_task("circles");
	buf transcript = BUF_INIT;
	int i, rc;

	buf_printf(&transcript, "circles %d\n", N);
	for (i = 0; i < N; i++)
		buf_printf(&transcript, "%a %a %a\n", d[i].x, d[i].y, d[i].r);
	buf_clear(feedback);
	rc = scorer_score(t, buf_cstr(&transcript), -1, t->train, t->n_train, score, feedback);
	buf_free(&transcript);
	task_free(t);
	return rc;
}

/* Asserts that `d` does not score, with `why` in the feedback. */
static void refused(const disc *d, const char *why)
{
	buf feedback = BUF_INIT;
	double score = -1;

	assert_int_equal(score_discs(d, &score, &feedback), ERR_INVALID);
	assert_contains(buf_cstr(&feedback), why);
	assert_contains(err_last(), why);
	assert_true(score == 0);
	buf_free(&feedback);
}

static void test_the_task_is_sound(void **state)
{
	run_result r;

	(void)state;
	HOST(&r, "check-task", "tasks/circles");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "training  initial.c on 1 case: ok, score 2.3309 ");
	assert_contains(r.out, "held-out  initial.c on 1 case: ok, score 2.3309 ");
	assert_contains(r.out, "a run trains on it only when named (--tasks circles)");
	assert_contains(r.out, "tasks/circles is sound");
	assert_null(strstr(r.out, "timing"));
	run_result_free(&r);
}

static void test_the_initial_packing_scores_its_sum(void **state)
{
	task *t = harness_task("circles");
	eval_result train, holdout;

	(void)state;
	assert_int_equal(t->timing_repeats, 0);
	assert_true(t->higher_is_better);
	assert_int_equal(eval_solution(&train, t, "initial.c", t->initial_text, EVAL_TRAIN), 0);
	assert_int_equal(train.status, SANDBOX_OK);
	assert_true(fabs(train.score - 2.330875721) < 1e-9);
	assert_contains(train.feedback, "26 circles, each inside the square and no two "
			"overlapping (checked exactly): sum of radii 2.330875721");
	assert_int_equal(eval_solution(&holdout, t, "initial.c", t->initial_text, EVAL_HOLDOUT),
			 0);
	assert_true(holdout.score == train.score);
	assert_string_equal(holdout.feedback, "");
	eval_result_free(&train);
	eval_result_free(&holdout);
	task_free(t);
}

static void test_circles_that_touch_score(void **state)
{
	buf feedback = BUF_INIT;
	disc d[N];
	double score;

	(void)state;
	touching_pair(d);
	assert_int_equal(score_discs(d, &score, &feedback), 0);
	assert_true(score == 0.5);
	assert_contains(buf_cstr(&feedback), "sum of radii 0.5");
	/* and a circle that touches all four walls, the others points in a corner */
	d[0] = (disc){ 0.5, 0.5, 0.5 };
	for (int i = 1; i < N; i++)
		d[i] = (disc){ 0, 0, 0 };
	assert_int_equal(score_discs(d, &score, &feedback), 0);
	assert_true(score == 0.5);
	buf_free(&feedback);
}

static void test_an_overlap_of_1e_12_does_not_score(void **state)
{
	disc d[N];

	(void)state;
	touching_pair(d);
	d[1].x -= 1e-12;
	refused(d, "circles [0] and [1] overlap by about 1e-12");
	touching_pair(d);
	d[7].y = 0.5 - 1e-12;  /* a point circle just inside circle [1] */
	d[7].x = 0.75;
	refused(d, "circles [1] and [7] overlap by about 1e-12");
}

static void test_a_circle_1e_12_out_of_the_square_does_not_score(void **state)
{
	disc d[N];

	(void)state;
	touching_pair(d);
	d[1].x += 1e-12;
	refused(d, "circle [1] (x 0.75000000000099998, y 0.25, r 0.25) is not inside the "
		"square: x + r > 1, by about 1e-12");
	touching_pair(d);
	d[0].y -= 1e-12;
	refused(d, "circle [0] (x 0.25, y 0.24999999999899999, r 0.25) is not inside the "
		"square: y - r < 0, by about 1e-12");
}

/*
 * Centres 1/4 apart and radii 1/8 and 1/8 + 2^-55: the radii overlap by
 * 2^-55 (2.8e-17), but their sum rounds to 1/4 in doubles, so a check in
 * rounded doubles, even with no tolerance, takes them as touching.
 */
static void test_an_overlap_below_rounding_does_not_score(void **state)
{
	buf feedback = BUF_INIT;
	disc d[N];
	double score;

	(void)state;
	touching_pair(d);
	d[0] = (disc){ 0.375, 0.25, 0.125 };
	d[1] = (disc){ 0.625, 0.25, 0.125 + 0x1p-55 };
	assert_true(d[0].r + d[1].r == 0.25);  /* what a rounded check would see */
	refused(d, "circles [0] and [1] overlap by about 2.78e-17");
	d[1].r = 0.125;  /* they touch */
	assert_int_equal(score_discs(d, &score, &feedback), 0);
	assert_true(score == 0.25);
	buf_free(&feedback);
}

static unsigned long long next_random(unsigned long long *state)
{
	unsigned long long z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double random_in(unsigned long long *state, double lo, double hi)
{
	return lo + (hi - lo) * (double)(next_random(state) >> 11) * 0x1p-53;
}

/* Whether a and b overlap, in integers: every double from 2^-8 to 1 is a
 * multiple of 2^-60, so 2^60 times it is an integer below 2^61, and the
 * squares fit in 128 bits. */
static int overlap_in_integers(const disc *a, const disc *b)
{
	__int128 dx = (long long)(a->x * 0x1p60) - (long long)(b->x * 0x1p60);
	__int128 dy = (long long)(a->y * 0x1p60) - (long long)(b->y * 0x1p60);
	__int128 s = (long long)(a->r * 0x1p60) + (long long)(b->r * 0x1p60);

	return dx * dx + dy * dy < s * s;
}

/* Pairs that nearly touch, their second radius a few ulps either side of
 * touching: score.c says what integer arithmetic says, every time. */
static void test_near_touching_pairs_agree_with_integers(void **state)
{
	unsigned long long seed = 25;
	int tried = 0, overlapping = 0;
	buf feedback = BUF_INIT;
	disc d[N];
	double score;

	(void)state;
	for (int i = 2; i < N; i++)
		d[i] = (disc){ 0, 0, 0 };  /* no circle inside the square holds a corner */
	while (tried < 150) {
		double dist, rb;

		d[0] = (disc){ random_in(&seed, 0.25, 0.75), random_in(&seed, 0.25, 0.75), 0 };
		d[1] = (disc){ random_in(&seed, 0.25, 0.75), random_in(&seed, 0.25, 0.75), 0 };
		dist = hypot(d[0].x - d[1].x, d[0].y - d[1].y);
		d[0].r = dist * random_in(&seed, 0.3, 0.7);
		rb = dist - d[0].r;
		for (int k = (int)(next_random(&seed) % 5); k > 0; k--)
			rb = nextafter(rb, (next_random(&seed) & 1) ? 1 : 0);
		d[1].r = rb;
		if (d[0].r < 0x1p-8 || d[0].r > 0.25 || rb < 0x1p-8 || rb > 0.25)
			continue;
		tried++;
		overlapping += overlap_in_integers(&d[0], &d[1]);
		assert_int_equal(score_discs(d, &score, &feedback),
				 overlap_in_integers(&d[0], &d[1]) ? ERR_INVALID : 0);
	}
	assert_true(overlapping > 30 && overlapping < 120);
	buf_free(&feedback);
}

static void test_values_outside_the_domain_do_not_score(void **state)
{
	disc d[N];

	(void)state;
	touching_pair(d);
	d[3].r = NAN;
	refused(d, "circle [3]: r = nan is not a number");
	touching_pair(d);
	d[3].r = -0.01;
	refused(d, "circle [3]: r = -0.01 is negative");
	touching_pair(d);
	d[4].x = 1.5;
	refused(d, "circle [4]: x = 1.5 is above 1");
	touching_pair(d);
	d[4].y = INFINITY;
	refused(d, "circle [4]: y = inf is not finite");
	touching_pair(d);
	d[5].r = 0x1p-400;
	refused(d, "circle [5]: r = 3.8725919148493183e-121 is nonzero and below 2^-300");
	d[6].r = -1;
	refused(d, "is nonzero and below 2^-300 (about 4.9e-91), which the exact check "
		"does not take: use 0; 1 more problem");
}

static void test_a_transcript_short_or_long_does_not_score(void **state)
{
	task *t = harness_task("circles");
	buf feedback = BUF_INIT, text = BUF_INIT;
	double score;
	int i;

	(void)state;
	buf_printf(&text, "circles 26\n");
	for (i = 0; i < N - 1; i++)
		buf_printf(&text, "%a 0x1p-1 0x0p+0\n", (i + 1) / 32.0);
	assert_int_equal(scorer_score(t, buf_cstr(&text), -1, t->train, 1, &score, &feedback),
			 ERR_INVALID);
	assert_contains(buf_cstr(&feedback), "case 1: circle [25] is not \"X Y R\"");
	buf_printf(&text, "0x1p-1 0x1p-1 0x0p+0\nmore\n");
	buf_clear(&feedback);
	assert_int_equal(scorer_score(t, buf_cstr(&text), -1, t->train, 1, &score, &feedback),
			 ERR_INVALID);
	assert_contains(buf_cstr(&feedback), "the transcript goes on after the last case");
	buf_free(&text);
	buf_free(&feedback);
	task_free(t);
}

/* Evaluates `source` and asserts that it ends as bad_output with `why`. */
static void solution_refused(const char *source, const char *why)
{
	task *t = harness_task("circles");
	eval_result r;

	assert_int_equal(eval_solution(&r, t, "solution.c", source, EVAL_TRAIN), 0);
	assert_int_equal(r.status, SANDBOX_BAD_OUTPUT);
	assert_contains(r.feedback, why);
	assert_contains(r.detail, why);
	eval_result_free(&r);
	task_free(t);
}

static void test_solutions_that_write_too_few_or_too_many_fail(void **state)
{
	static const char fewer[] =
		"void pack_circles(int n, double *x, double *y, double *r)\n"
		"{\n"
		"	for (int i = 0; i < n - 1; i++)\n"
		"		x[i] = y[i] = 0.5, r[i] = 0;\n"
		"}\n";
	static const char past[] =
		"void pack_circles(int n, double *x, double *y, double *r)\n"
		"{\n"
		"	for (int i = 0; i < n; i++)\n"
		"		x[i] = y[i] = 0.5, r[i] = 0;\n"
		"	r[n + 3] = 0.5;\n"
		"}\n";

	(void)state;
	solution_refused(fewer, "circle [25]: x = nan is not a number (a value "
			 "pack_circles does not write stays NaN); 2 more problems");
	solution_refused(past, "pack_circles wrote past the 26 circles it was given "
			 "(to r[29])");
}

/* The transcript functions are the driver's: a solution that calls one
 * to write a packing of its own does not build. */
static void test_a_solution_cannot_write_the_transcript(void **state)
{
	static const char forger[] =
		"int transcript_printf(const char *fmt, ...);\n"
		"void pack_circles(int n, double *x, double *y, double *r)\n"
		"{\n"
		"	transcript_printf(\"circles %d\\n\", n);\n"
		"}\n";
	task *t = harness_task("circles");
	eval_result r;

	(void)state;
	assert_int_equal(eval_solution(&r, t, "solution.c", forger, EVAL_TRAIN), 0);
	assert_int_equal(r.status, SANDBOX_COMPILE_ERROR);
	assert_contains(r.diagnostics, "undefined symbol 'transcript_printf'");
	eval_result_free(&r);
	task_free(t);
}

void test_group_circles(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_task_is_sound),
		cmocka_unit_test(test_the_initial_packing_scores_its_sum),
		cmocka_unit_test(test_circles_that_touch_score),
		cmocka_unit_test(test_an_overlap_of_1e_12_does_not_score),
		cmocka_unit_test(test_a_circle_1e_12_out_of_the_square_does_not_score),
		cmocka_unit_test(test_an_overlap_below_rounding_does_not_score),
		cmocka_unit_test(test_near_touching_pairs_agree_with_integers),
		cmocka_unit_test(test_values_outside_the_domain_do_not_score),
		cmocka_unit_test(test_a_transcript_short_or_long_does_not_score),
		cmocka_unit_test(test_solutions_that_write_too_few_or_too_many_fail),
		cmocka_unit_test(test_a_solution_cannot_write_the_transcript),
	};

	HARNESS_GROUP(t, "circles", tests);
}
