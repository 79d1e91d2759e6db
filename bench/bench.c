/*
 * bench.c - `make bench`: how fast host compiles, evaluates and scores.
 *
 * Every figure is a median over repeated runs, printed as a table and
 * written to bench/results.json. Run from the repository root; the
 * binaries are taken from HOST_BIN (default bin/).
 */
#include "in_flight.h"
#include "slurm.h"
#include "timing.h"

#include "buf.h"
#include "compile.h"
#include "eval.h"
#include "os.h"
#include "sandbox.h"
#include "task.h"
#include "zygote.h"
#include "agents.h"
#include "error.h"
#include "lab.h"
#include "agent_services.h"
#include "store.h"
#include "validate.h"

#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPILE_RUNS 101
#define EVAL_RUNS 200
#define ROUNDS 3
#define VALIDATE_RUNS 11
#define PYTHON_RUNS 3

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
	return bench_quantile(times, COMPILE_RUNS, 0.5);
}

/* Evaluations per second of `source` on a task with `workers` processes,
 * each evaluating EVAL_RUNS / workers times: the median of ROUNDS rounds.
 * *ms_out is the median time of one evaluation in the last round (1
 * worker only) and *score_out the score of an evaluation. */
static double bench_eval(const char *name, const char *source_path, int workers,
			 double *ms_out, double *score_out)
{
	double rates[ROUNDS], times[EVAL_RUNS];
	char *source = NULL;
	task *t;
	int round, i, w;

	if (task_load(&t, "tasks", name) < 0 ||
	    (source_path && os_read_file(&source, NULL, source_path) < 0)) {
		fprintf(stderr, "bench: %s\n", err_last());
		exit(1);
	}
	for (round = 0; round < ROUNDS; round++) {
		double start = os_now_ms();
		int per_worker = EVAL_RUNS / workers;
		pid_t pids[8];
		fflush(NULL);
		for (w = 0; w < workers; w++) {
			pid_t pid = workers > 1 ? fork() : 0;
			if (pid > 0) {
				pids[w] = pid;
				continue;
			}
			if (workers > 1)
				zygote_forget();
			for (i = 0; i < per_worker; i++) {
				eval_result r;
				if (eval_solution(&r, t, "solution.c", source ? source : t->initial_text,
						  EVAL_TRAIN) < 0 || r.status != SANDBOX_OK) {
					fprintf(stderr, "bench: %s: the solution failed\n", name);
					exit(1);
				}
				times[i] = r.elapsed_ms;
				*score_out = r.score;
				eval_result_free(&r);
			}
			if (workers > 1) {
				sandbox_stop();
				_exit(0);
			}
		}
		for (w = 0; workers > 1 && w < workers; w++)
			waitpid(pids[w], NULL, 0);  /* not wait(): the zygote is a child too */
		rates[round] = per_worker * workers * 1000.0 / (os_now_ms() - start);
	}
	*ms_out = workers > 1 ? 0 : bench_quantile(times, EVAL_RUNS, 0.5);
	free(source);
	task_free(t);
	return bench_quantile(rates, ROUNDS, 0.5);
}

/* Compiles the seed agents as validation's symbols stage does. */
static double bench_seed_compile(const agent_files *seed)
{
	static const char *const dirs[] = { "seed", NULL };  /* its own headers, gi.h */
	compile_source srcs[16];
	double times[COMPILE_RUNS];
	size_t n_services, i, n = 0;
	compile_options opts = { "#define AGENT_NO_ENTRY_POINTS\n#include <agent.h>", dirs,
				 agent_services_symbols(&n_services), 0 };
	int k;

	opts.n_symbols = n_services;
	for (i = 0; i < seed->count && n < 16; i++)
		if (strstr(seed->items[i].name, ".c")) {
			srcs[n].name = seed->items[i].name;
			srcs[n++].text = seed->items[i].text;
		}
	for (k = 0; k < COMPILE_RUNS; k++) {
		compile_unit *unit;
		double start = os_now_ms();
		if (compile_build(&unit, NULL, srcs, n, &opts) < 0) {
			fprintf(stderr, "bench: the seed agents do not compile\n");
			exit(1);
		}
		times[k] = os_now_ms() - start;
		compile_unit_free(unit);
	}
	return bench_quantile(times, COMPILE_RUNS, 0.5);
}

static double bench_validate(const agent_files *seed)
{
	double times[VALIDATE_RUNS];
	task *t;
	int k;

	if (task_load(&t, "tasks", "snake") < 0) {
		fprintf(stderr, "bench: %s\n", err_last());
		return -1;
	}
	for (k = 0; k < VALIDATE_RUNS; k++) {
		validate_report r;
		double start = os_now_ms();
		if (validate_agents(&r, seed, t) < 0 || !r.valid) {
			fprintf(stderr, "bench: the seed agents are not valid\n");
			exit(1);
		}
		times[k] = os_now_ms() - start;
		validate_report_free(&r);
	}
	task_free(t);
	return bench_quantile(times, VALIDATE_RUNS, 0.5);
}

/* An offline evolve --gens 20 in a scratch lab; medians of the host's own
 * time per generation (all but the agents' runs) and of commit time. */
static double bench_evolve(const char *bin, double *overhead_ms, double *commit_ms)
{
	char *dir, command[8192];
	double seconds, overheads[32], commits[32];
	int n = 0, k;
	lab l;

	*overhead_ms = *commit_ms = -1;
	if (os_make_scratch(&dir, "host-bench") < 0) {
		fprintf(stderr, "bench: %s\n", err_last());
		return -1;
	}
	snprintf(command, sizeof(command), "%s/host init --dir %s >/dev/null && ", bin, dir);
	snprintf(command + strlen(command), sizeof(command) - strlen(command),
		 "%s/host evolve --gens 20 --quiet --dir %s >/dev/null", bin, dir);
	seconds = bench_timed(command);
	if (seconds > 0 && lab_open(&l, dir, 0) == 0) {
		for (k = 1; k <= 20 && n < 32; k++) {
			record g;
			double agents;
			size_t i;
			if (store_read(l.store, k, &g, NULL) < 0)
				continue;
			agents = g.rewrite_s;
			for (i = 0; i < g.n_tasks; i++)
				agents += g.tasks[i].agent_ms / 1000.0;
			overheads[n++] = (g.total_s - agents) * 1e3;
			record_free(&g);
		}
		/* commit time: record the live generation again under new numbers */
		for (k = 0; k < 20; k++) {
			record g;
			agent_files files;
			int next;
			double start;
			if (store_next_number(l.store, &next) < 0 || store_read(l.store, 0, &g, &files) < 0)
				break;
			g.number = next;
			start = os_now_ms();
			if (store_record(l.store, &g, &files, -1) < 0)
				fprintf(stderr, "bench: %s\n", err_last());
			commits[k] = os_now_ms() - start;
			record_free(&g);
			agents_free(&files);
		}
		lab_close(&l);
	}
	*overhead_ms = n ? bench_quantile(overheads, n, 0.5) : -1;
	*commit_ms = bench_quantile(commits, 20, 0.5);
	os_remove_tree(dir);
	free(dir);
	return seconds;
}

/* The Python benchmark process, same policy strength: wall seconds, the
 * median of PYTHON_RUNS processes. */
static double bench_python(double *score)
{
	double times[PYTHON_RUNS];
	int k;

	*score = -1;
	for (k = 0; k < PYTHON_RUNS; k++) {
		double start = os_now_ms();
		FILE *p = popen("python3 bench/snake_benchmark.py 2>/dev/null", "r");

		if (!p || fscanf(p, "%lf", score) != 1) {
			if (p)
				pclose(p);
			return -1;
		}
		times[k] = (os_now_ms() - start) / 1000.0;
		if (pclose(p) != 0)
			return -1;
	}
	return bench_quantile(times, PYTHON_RUNS, 0.5);
}

typedef struct {
	const char *name, *unit;
	double value;
} row;

static void report(const row *rows, size_t n)
{
	json_t *results = json_object();
	size_t i;

	printf("%-58s %12s\n", "benchmark (medians)", "value");
	for (i = 0; i < n; i++) {
		printf("%-58s %10.3f %s\n", rows[i].name, rows[i].value, rows[i].unit);
		json_object_set_new(results, rows[i].name, json_pack("{s:f, s:s}", "value",
								     rows[i].value, "unit", rows[i].unit));
	}
	if (json_dump_file(results, "bench/results.json", JSON_INDENT(2)) != 0)
		fprintf(stderr, "bench: cannot write bench/results.json\n");
	else
		printf("\nwritten to bench/results.json\n");
	json_decref(results);
}

#define STRAIGHT_POLICY "tests/llm/snake_good.c"
#define STRONG_POLICY "bench/snake_strong.c"

int main(void)
{
	const char *bin = getenv("HOST_BIN") ? getenv("HOST_BIN") : "bin";
	char path[4096];
	double compile_ms, seed_ms, validate_ms, ms, overhead_ms, commit_ms, evolve_s, py_s, py_score;
	double snake1, snake2, email1, email2, score;
	double straight1, straight2, straight_score, strong1, strong2, strong_ms, strong_score;
	double one_s, four_s;
	bench_timing_result timing;
	bench_slurm_result slurm;
	agent_files seed;
	int lines;

	snprintf(path, sizeof(path), "%s/libc", bin);
	if (compile_set_libc_dir(path) < 0 ||
	    (snprintf(path, sizeof(path), "%s/host-sandbox", bin), sandbox_set_runner(path) < 0) ||
	    agents_load(&seed, "seed") < 0) {
		fprintf(stderr, "bench: %s\n", err_last());
		return 1;
	}
	compile_ms = bench_compile(&lines);
	seed_ms = bench_seed_compile(&seed);
	validate_ms = bench_validate(&seed);
	snake1 = bench_eval("snake", NULL, 1, &ms, &score);
	snake2 = bench_eval("snake", NULL, 2, &ms, &score);
	email1 = bench_eval("email", NULL, 1, &ms, &score);
	email2 = bench_eval("email", NULL, 2, &ms, &score);
	straight1 = bench_eval("snake", STRAIGHT_POLICY, 1, &ms, &straight_score);
	straight2 = bench_eval("snake", STRAIGHT_POLICY, 2, &ms, &score);
	strong1 = bench_eval("snake", STRONG_POLICY, 1, &strong_ms, &strong_score);
	strong2 = bench_eval("snake", STRONG_POLICY, 2, &ms, &score);
	bench_timing(&timing);
	sandbox_stop();
	if (strong_score != straight_score) {
		fprintf(stderr, "bench: %s scores %g but %s scores %g: not the same policy\n",
			STRONG_POLICY, strong_score, STRAIGHT_POLICY, straight_score);
		return 1;
	}
	evolve_s = bench_evolve(bin, &overhead_ms, &commit_ms);
	py_s = bench_python(&py_score);
	bench_in_flight(bin, &one_s, &four_s);
	bench_slurm(&slurm, bin);
	agents_free(&seed);
	{
		const row rows[] = {
			{ "compile a 300-line source in memory (libtcc)", "ms", compile_ms },
			{ "compile the seed agents (every .c file, linked)", "ms", seed_ms },
			{ "host validate seed (all four stages)", "ms", validate_ms },
			{ "snake initial.c evaluations, 1 worker", "/s", snake1 },
			{ "snake initial.c evaluations, 2 workers", "/s", snake2 },
			{ "email initial.c evaluations, 1 worker", "/s", email1 },
			{ "email initial.c evaluations, 2 workers", "/s", email2 },
			{ "host overhead per generation (all but agents)", "ms", overhead_ms },
			{ "commit one generation (libgit2)", "ms", commit_ms },
			{ "offline init + evolve --gens 20", "s", evolve_s },
			{ "snake strong policy: score of both C versions", "", strong_score },
			{ "strong policy as written (snake_good.c), 1 worker", "/s", straight1 },
			{ "strong policy as written (snake_good.c), 2 workers", "/s", straight2 },
			{ "strong policy, same moves (snake_strong.c), 1 evaluation", "ms", strong_ms },
			{ "strong policy, same moves (snake_strong.c), 1 worker", "/s", strong1 },
			{ "strong policy, same moves (snake_strong.c), 2 workers", "/s", strong2 },
			{ "python3 snake benchmark process (20 games)", "s", py_s },
			{ "python3 snake benchmark score", "", py_score },
			{ "ratio to python, as written, 1 worker", "x", py_s > 0 ? straight1 * py_s : 0 },
			{ "ratio to python, as written, 2 workers", "x", py_s > 0 ? straight2 * py_s : 0 },
			{ "ratio to python, same moves, 1 worker", "x", py_s > 0 ? strong1 * py_s : 0 },
			{ "ratio to python, same moves, 2 workers", "x", py_s > 0 ? strong2 * py_s : 0 },
			{ "evolve --gens 8, 2 s model, --parallel 1", "s", one_s },
			{ "evolve --gens 8, 2 s model, --parallel 4", "s", four_s },
			{ "generations per hour, 2 s model, --parallel 1", "/h",
			  one_s > 0 ? BENCH_IN_FLIGHT_GENS * 3600 / one_s : 0 },
			{ "generations per hour, 2 s model, --parallel 4", "/h",
			  four_s > 0 ? BENCH_IN_FLIGHT_GENS * 3600 / four_s : 0 },
			{ "wall time, --parallel 4 against --parallel 1", "x",
			  one_s > 0 && four_s > 0 ? four_s / one_s : 0 },
			{ "sort quicksort CPU time, 1 run per evaluation", "ms", timing.single_ms },
			{ "  its spread (interquartile range / median)", "", timing.single_spread },
			{ "sort quicksort CPU time, best of 5 runs", "ms", timing.best_ms },
			{ "  its spread (interquartile range / median)", "", timing.best_spread },
			{ "sort: CPU time of a run that sorts 1 element", "ms", timing.floor_ms },
			{ "Slurm job steps per second (email units, one node)", "/s",
			  slurm.steps_per_s },
			{ "Slurm step's cost per evaluation over a local run", "ms",
			  slurm.overhead_ms },
		};
		report(rows, sizeof(rows) / sizeof(rows[0]));
	}
	return 0;
}
