/*
 * score.c - checks each packing exactly and scores the sum of its radii.
 *
 * A packing is valid when every value is in the domain below, every
 * circle lies inside the unit square (x - r >= 0, x + r <= 1, the same for
 * y) and no two overlap ((xi - xj)^2 + (yi - yj)^2 >= (ri + rj)^2).
 * Touching is allowed and nothing else is: no tolerance. The comparisons
 * are made on the exact values of the doubles the solution wrote, not on
 * rounded ones, so a packing that overlaps by 1e-17 fails however its
 * rounding falls.
 *
 * How: each predicate is the sign of a sum of exact products. TwoSum
 * turns a sum of two doubles into a rounded sum and its exact error;
 * TwoProduct, by Dekker's splitting (fma is not among the functions task
 * code may call), turns a product into a rounded product and its exact
 * error. The terms are then added into a nonoverlapping expansion
 * (Shewchuk's Grow-Expansion), whose sign is that of its largest
 * component. Both transformations are exact in IEEE double arithmetic
 * with round-to-nearest unless something overflows or underflows; the
 * domain rules both out:
 *
 * - every value is finite and in [0, 1], so no sum or product here
 *   exceeds 8 and Dekker's split (x 2^27 + 1) cannot overflow;
 * - every nonzero value is at least 2^-300, so every value is a multiple
 *   of 2^-352 (its last bit is worth at least that), and so are the
 *   differences and sums of values and their TwoSum errors. A product of
 *   two such terms is a multiple of 2^-704, and so is its rounding error,
 *   far above the smallest normal double (2^-1022): Dekker's product is
 *   exact when the exponents of its factors add up to at least
 *   -1022 + 52, and these add up to at least -704.
 *
 * NaN, infinities, negative values, values above 1 and nonzero values
 * below 2^-300 are outside the domain, and the packing is invalid. The
 * arithmetic must be evaluated in double precision (SSE2 on x86-64, as
 * tcc compiles it there): x87's extended registers would round twice.
 *
 * An invalid packing fails the run (score_transcript returns -1: the
 * evaluation ends as bad_output), with feedback naming the first problem
 * and counting the others.
 */
#include "circles.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__i386__)
#error "circles' exact check needs double-precision arithmetic, not x87"
#endif

#define SPLITTER 134217729.0   /* 2^27 + 1 */
#define DOMAIN_MIN 0x1p-300    /* the least nonzero value; see above */
#define PAIR_TERMS 18          /* three squares of two-term sums, six terms each */

/* ---- error-free transformations ---- */

static void two_sum(double a, double b, double *sum, double *err)
{
	double s = a + b, bv = s - a, av = s - bv;

	*sum = s;
	*err = (a - av) + (b - bv);
}

static void split(double a, double *hi, double *lo)
{
	double c = SPLITTER * a, big = c - a;

	*hi = c - big;
	*lo = a - *hi;
}

static void two_product(double a, double b, double *prod, double *err)
{
	double p = a * b, ahi, alo, bhi, blo;

	split(a, &ahi, &alo);
	split(b, &bhi, &blo);
	*prod = p;
	*err = alo * blo - (((p - ahi * bhi) - alo * bhi) - ahi * blo);
}

/* The sign of terms[0] + ... + terms[n-1], exactly: the terms grow a
 * nonoverlapping expansion e, kept in order of increasing magnitude
 * (Shewchuk's Grow-Expansion), whose last nonzero component has the sign
 * of the whole. *approx gets its value, rounded. */
static int exact_sign(const double *terms, int n, double *approx)
{
	double e[PAIR_TERMS + 1];
	int len = 0, i, k;

	for (i = 0; i < n; i++) {
		double q = terms[i];

		for (k = 0; k < len; k++)
			two_sum(q, e[k], &q, &e[k]);
		e[len++] = q;
	}
	*approx = 0;
	for (k = 0; k < len; k++)
		*approx += e[k];
	for (k = len - 1; k >= 0; k--)
		if (e[k] != 0)
			return e[k] > 0 ? 1 : -1;
	return 0;
}

/* Appends the six terms of sign * (a + b)^2, exactly, to out. */
static int square_terms(double *out, double a, double b, double sign)
{
	int k;

	two_product(a, a, &out[0], &out[1]);
	two_product(2 * a, b, &out[2], &out[3]);
	two_product(b, b, &out[4], &out[5]);
	for (k = 0; k < 6; k++)
		out[k] *= sign;
	return 6;
}

/* ---- the rules ---- */

typedef struct {
	double x, y, r;
} circle;

/* Why a value is outside the domain, or NULL when it is in it. */
static const char *outside_domain(double v)
{
	if (v != v)
		return "is not a number (a value pack_circles does not write stays NaN)";
	if (v - v != 0)
		return "is not finite";
	if (v < 0)
		return "is negative";
	if (v > 1)
		return "is above 1";
	if (v != 0 && v < DOMAIN_MIN)
		return "is nonzero and below 2^-300 (about 4.9e-91), which the exact check "
		       "does not take: use 0";
	return NULL;
}

/* How far `c` reaches past a wall, as a positive amount and the wall's
 * name, or 0 when it is inside. x - r >= 0 is a plain comparison, and
 * x + r <= 1 is the sign of x + r - 1, exactly. */
static double past_wall(const circle *c, const char **wall)
{
	static const char *const names[4] = { "x - r < 0", "x + r > 1", "y - r < 0",
					      "y + r > 1" };
	double v[2] = { c->x, c->y }, t[3], approx;
	int k;

	for (k = 0; k < 2; k++) {
		*wall = names[2 * k];
		if (v[k] < c->r)
			return c->r - v[k];
		t[0] = v[k];
		t[1] = c->r;
		t[2] = -1;
		*wall = names[2 * k + 1];
		if (exact_sign(t, 3, &approx) > 0)
			return approx;
	}
	return 0;
}

/* How much circles a and b overlap, about (positive), or 0 when they do
 * not: the sign of (xa - xb)^2 + (ya - yb)^2 - (ra + rb)^2, exactly. */
static double overlap(const circle *a, const circle *b)
{
	double terms[PAIR_TERMS], dx, dxe, dy, dye, s, se, approx;
	int n = 0;

	two_sum(a->x, -b->x, &dx, &dxe);
	two_sum(a->y, -b->y, &dy, &dye);
	two_sum(a->r, b->r, &s, &se);
	n += square_terms(terms + n, dx, dxe, 1);
	n += square_terms(terms + n, dy, dye, 1);
	n += square_terms(terms + n, s, se, -1);
	if (exact_sign(terms, n, &approx) >= 0)
		return 0;
	/* approx is d^2 - s^2 = (d - s)(d + s), d the distance of the centres:
	 * dividing it does not lose a tiny overlap to cancellation */
	return -approx / (s + sqrt(fmax(0, s * s + approx)));
}

/* ---- the transcript ---- */

typedef struct {
	char *text;     /* the feedback; size 0 for held-out cases */
	int size, used;
	int problems;   /* in the case being checked */
} report;

static void say(report *rep, const char *fmt, ...)
{
	va_list ap;

	if (rep->used >= rep->size)
		return;
	va_start(ap, fmt);
	rep->used += vsnprintf(rep->text + rep->used, (size_t)(rep->size - rep->used), fmt, ap);
	va_end(ap);
}

/* The first problem of a case is told in full, after what earlier cases
 * said; the others are counted. */
#define PROBLEM(rep, ...) do { \
	if ((rep)->problems++ == 0) { \
		say((rep), "%s", (rep)->used > 0 ? "; " : ""); \
		say((rep), __VA_ARGS__); \
	} \
} while (0)

/* Reads one line of the driver's "X Y R" into *c and moves past it. */
static int read_circle(const char **p, circle *c)
{
	double v[3];
	char *end;
	int k;

	for (k = 0; k < 3; k++) {
		if (isspace((unsigned char)**p) || **p == '\0')
			return -1;
		v[k] = strtod(*p, &end);
		if (end == *p || (*end != ' ' && *end != '\n'))
			return -1;
		*p = end + (*end == ' ');
	}
	if (**p != '\n')
		return -1;
	(*p)++;
	c->x = v[0];
	c->y = v[1];
	c->r = v[2];
	return 0;
}

/* Reads case `number`'s n circles from *p, which moves past them. */
static int read_case(const char **p, int number, int n, circle *c, report *rep)
{
	char head[32], past[16];
	int len = snprintf(head, sizeof(head), "circles %d\n", n), i;

	if (strncmp(*p, head, (size_t)len) != 0) {
		say(rep, "case %d: the transcript has no %d circles from the driver", number, n);
		return -1;
	}
	*p += len;
	if (sscanf(*p, "past %15[^\n]", past) == 1) {
		say(rep, "pack_circles wrote past the %d circles it was given (to %s): it "
		    "must write x[0..n), y[0..n) and r[0..n) only", n, past);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (read_circle(p, &c[i]) < 0) {
			say(rep, "case %d: circle [%d] is not \"X Y R\" in the transcript",
			    number, i);
			return -1;
		}
	return 0;
}

/* Counts in rep->problems what is wrong with the values of c[0..n). */
static void check_domain(const circle *c, int n, report *rep)
{
	static const char *const names[3] = { "x", "y", "r" };
	const char *why;
	int i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < 3; k++) {
			double v = k == 0 ? c[i].x : k == 1 ? c[i].y : c[i].r;

			if ((why = outside_domain(v)) != NULL)
				PROBLEM(rep, "circle [%d]: %s = %.17g %s", i, names[k], v, why);
		}
}

/* Counts in rep->problems the circles that leave the square and the
 * pairs that overlap. */
static void check_geometry(const circle *c, int n, report *rep)
{
	const char *wall;
	double by;
	int i, j;

	for (i = 0; i < n; i++)
		if ((by = past_wall(&c[i], &wall)) > 0)
			PROBLEM(rep, "circle [%d] (x %.17g, y %.17g, r %.17g) is not inside the "
				"square: %s, by about %.3g", i, c[i].x, c[i].y, c[i].r, wall, by);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if ((by = overlap(&c[i], &c[j])) > 0)
				PROBLEM(rep, "circles [%d] and [%d] overlap by about %.3g (centres "
					"(%.17g, %.17g) and (%.17g, %.17g), radii %.17g and %.17g)",
					i, j, by, c[i].x, c[i].y, c[j].x, c[j].y, c[i].r, c[j].r);
}

/* Checks case `number`, whose input is `input`, and adds its sum of
 * radii to *total; -1 when it is invalid. */
static int score_case(const char **p, int number, const char *input, double *total,
		      report *rep)
{
	char *end;
	long n = strtol(input, &end, 10);
	circle *c;
	int rc = -1, i;

	if (end == input || *end || n < 1 || n > CIRCLES_MAX) {
		say(rep, "case %d: \"%s\" is not a number of circles from 1 to %d", number,
		    input, CIRCLES_MAX);
		return -1;
	}
	if (!(c = malloc((size_t)n * sizeof(*c)))) {
		say(rep, "case %d: out of memory", number);
		return -1;
	}
	rep->problems = 0;
	if (read_case(p, number, (int)n, c, rep) == 0) {
		check_domain(c, (int)n, rep);
		if (rep->problems == 0)
			check_geometry(c, (int)n, rep);
		if (rep->problems > 1)
			say(rep, "; %d more problem%s", rep->problems - 1,
			    rep->problems > 2 ? "s" : "");
		if (rep->problems == 0) {
			double sum = 0;

			for (i = 0; i < n; i++)
				sum += c[i].r;
			*total += sum;
			say(rep, "%s%ld circles, each inside the square and no two overlapping "
			    "(checked exactly): sum of radii %.10g", rep->used > 0 ? "; " : "", n, sum);
			rc = 0;
		}
	}
	free(c);
	return rc;
}

int score_transcript(const char *transcript, const task_case *cases,
		     int n_cases, double *score, char *feedback,
		     int feedback_size)
{
	report rep = { feedback, feedback_size, 0, 0 };
	const char *p = transcript;
	double total = 0;
	int i;

	if (feedback_size > 0)
		feedback[0] = '\0';
	for (i = 0; i < n_cases; i++)
		if (score_case(&p, i + 1, cases[i].input, &total, &rep) < 0)
			return -1;
	if (*p) {
		say(&rep, "; the transcript goes on after the last case");
		return -1;
	}
	*score = n_cases > 0 ? total / n_cases : 0;
	return 0;
}
