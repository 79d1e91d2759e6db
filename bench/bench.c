/*
 * bench.c - `make bench`: how fast host compiles, evaluates and scores.
 *
 * Every figure is a median over repeated runs, printed as a table and
 * written to bench/results.json. Run from the repository root; the
 * binaries are taken from HOST_BIN (default bin/).
 */
#include "buf.h"
#include "compile.h"
#include "eval.h"
#include "os.h"
#include "sandbox.h"
#include "task.h"
#include "zygote.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPILE_RUNS 101
#define EVAL_RUNS 200
#define ROUNDS 3

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *values, int n)
{
	qsort(values, (size_t)n, sizeof(double), compare_doubles);
	return values[n / 2];
}

/* A 300-line source with the shapes real solutions have: loops, arrays,
 * structs, branches and calls into the allowlisted libc. */
static char *make_source(int lines)
{
	buf src = BUF_INIT;
	int f = 0;

	buf_puts(&src, "#include <string.h>\n#include <stdlib.h>\n"
		 "typedef struct { int row, col; } cell;\n");
	while (1) {
		int used = 0;
		for (const char *p = src.data; *p; p++)
			used += *p == '\n';
		if (used + 12 > lines)
			break;
		buf_printf(&src,
			   "static int f%d(const cell *c, int n, int k)\n{\n"
			   "\tint i, best = 0, seen[64];\n"
			   "\tmemset(seen, 0, sizeof(seen));\n"
			   "\tfor (i = 0; i < n; i++) {\n"
			   "\t\tint d = abs(c[i].row - k) + abs(c[i].col - %d);\n"
			   "\t\tif (d > best && !seen[d & 63])\n"
			   "\t\t\tbest = d;\n"
			   "\t\tseen[d & 63] = 1;\n"
			   "\t}\n\treturn best + %d;\n}\n", f, f, f);
		f++;
	}
	buf_printf(&src, "int entry(const cell *c, int n) { return f0(c, n, 1) + f%d(c, n, 2); }\n", f - 1);
	return buf_detach(&src);
}

static double bench_compile(int *lines_out)
{
	char *text = make_source(300);
	compile_source src = { "bench.c", text };
	double times[COMPILE_RUNS];
	int i;

	*lines_out = 0;
	for (const char *p = text; *p; p++)
		*lines_out += *p == '\n';
	for (i = 0; i < COMPILE_RUNS; i++) {
		compile_unit *unit;
		double start = os_now_ms();
		if (compile_build(&unit, NULL, &src, 1, NULL) < 0) {
			fprintf(stderr, "bench: the benchmark source does not compile\n");
			exit(1);
		}
		times[i] = os_now_ms() - start;
		compile_unit_free(unit);
	}
	free(text);
	return median(times, COMPILE_RUNS);
}

/* Evaluations per second of the task's initial solution: the median of
 * ROUNDS rounds of EVAL_RUNS evaluations. */
static double bench_eval(const char *name, double *ms_out)
{
	double rates[ROUNDS], times[EVAL_RUNS];
	task *t;
	int round, i;

	if (task_load(&t, "tasks", name) < 0) {
		fprintf(stderr, "bench: cannot load task %s\n", name);
		exit(1);
	}
	for (round = 0; round < ROUNDS; round++) {
		double start = os_now_ms();
		for (i = 0; i < EVAL_RUNS; i++) {
			eval_result r;
			if (eval_solution(&r, t, "initial.c", t->initial_text, EVAL_TRAIN) < 0 ||
			    r.status != SANDBOX_OK) {
				fprintf(stderr, "bench: %s's initial solution failed\n", name);
				exit(1);
			}
			times[i] = r.elapsed_ms;
			eval_result_free(&r);
		}
		rates[round] = EVAL_RUNS * 1000.0 / (os_now_ms() - start);
	}
	*ms_out = median(times, EVAL_RUNS);
	task_free(t);
	return median(rates, ROUNDS);
}

int main(void)
{
	const char *bin = getenv("HOST_BIN") ? getenv("HOST_BIN") : "bin";
	char path[4096];
	double compile_ms, snake_ms, email_ms, snake_rate, email_rate;
	int lines;
	json_t *results;

	snprintf(path, sizeof(path), "%s/libc", bin);
	compile_set_libc_dir(path);
	snprintf(path, sizeof(path), "%s/host-sandbox", bin);
	sandbox_set_runner(path);

	compile_ms = bench_compile(&lines);
	snake_rate = bench_eval("snake", &snake_ms);
	email_rate = bench_eval("email", &email_ms);
	zygote_stop();

	printf("%-44s %12s\n", "benchmark", "median");
	printf("%-44s %9.3f ms\n", "compile a 300-line source (libtcc, memory)", compile_ms);
	printf("%-44s %9.2f ms\n", "snake evaluation (compile+sandbox+score)", snake_ms);
	printf("%-44s %7.0f /s\n", "snake evaluations per second, 1 worker", snake_rate);
	printf("%-44s %9.2f ms\n", "email evaluation (compile+sandbox+score)", email_ms);
	printf("%-44s %7.0f /s\n", "email evaluations per second, 1 worker", email_rate);

	results = json_pack("{s:{s:i, s:f}, s:{s:f, s:f}, s:{s:f, s:f}}",
		"compile", "lines", lines, "median_ms", compile_ms,
		"snake", "median_ms", snake_ms, "evals_per_s", snake_rate,
		"email", "median_ms", email_ms, "evals_per_s", email_rate);
	if (json_dump_file(results, "bench/results.json", JSON_INDENT(2)) != 0)
		fprintf(stderr, "bench: cannot write bench/results.json\n");
	else
		printf("\nwritten to bench/results.json\n");
	json_decref(results);
	return 0;
}
