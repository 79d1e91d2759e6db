/*
 * in_flight.c - the candidates-in-flight rows of `make bench`: evolve
 * with a scripted model that answers after seconds, one candidate at a
 * time and four, as a real slow model makes a user wait.
 */
#include "in_flight.h"
#include "timing.h"

#include "buf.h"
#include "error.h"
#include "os.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define PARALLEL_RUNS 3
#define MODEL_LATENCY_S 2

/* A scripted model (tests/llm_server.py) answering every request after
 * MODEL_LATENCY_S: the meta agent's edit, and good solutions for snake
 * and email. Returns its pid, or -1; *url is its address. */
static pid_t start_model(char *url, size_t size, const char *dir)
{
	char *snake = NULL, *email = NULL, script[4200], port_file[4200], log[4200], port[32] = "";
	buf a = BUF_INIT, b = BUF_INIT;
	json_t *json;
	pid_t pid = -1;
	int k;

	snprintf(script, sizeof(script), "%s/script.json", dir);
	snprintf(port_file, sizeof(port_file), "%s/port", dir);
	snprintf(log, sizeof(log), "%s/requests.jsonl", dir);
	if (os_read_file(&snake, NULL, "tests/llm/snake_good.c") < 0 ||
	    os_read_file(&email, NULL, "tests/solutions/email_reference.c") < 0)
		goto out;
	buf_printf(&a, "```c\n%s```\n", snake);
	buf_printf(&b, "```c\n%s```\n", email);
	json = json_pack("{s:[{s:s, s:[{s:s, s:i}]}, {s:s, s:[{s:s, s:i}]}, {s:s, s:[{s:s, s:i}]}]}",
		"rules", "match", "FILE: task_agent.c", "replies", "text",
		"FILE: task_agent.c\n<<<<<<< SEARCH\n#define CANDIDATES 6              /* candidates "
		"per round */\n=======\n#define CANDIDATES 6              /* candidates per round */"
		"\n/* kept as it was */\n>>>>>>> REPLACE\nSUMMARY: a note\n", "delay", MODEL_LATENCY_S,
		"match", "Interface (snake)", "replies", "text", a.data, "delay", MODEL_LATENCY_S,
		"match", "Interface (email)", "replies", "text", b.data, "delay", MODEL_LATENCY_S);
	if (!json || json_dump_file(json, script, 0) != 0)
		goto out;
	json_decref(json);
	if ((pid = fork()) == 0) {
		execlp("python3", "python3", "tests/llm_server.py", script, port_file, log, (char *)NULL);
		_exit(127);
	}
	for (k = 0; pid > 0 && k < 100 && !*port; k++) {
		FILE *f = fopen(port_file, "r");
		if (!f || !fgets(port, sizeof(port), f))
			usleep(100000);
		if (f)
			fclose(f);
	}
	snprintf(url, size, "http://127.0.0.1:%s", port);
out:
	free(snake);
	free(email);
	buf_free(&a);
	buf_free(&b);
	return *port ? pid : -1;
}

/* `evolve --gens BENCH_IN_FLIGHT_GENS --parallel K` against the scripted model,
 * in a lab whose gen_000 it measured: the median wall time in seconds.
 * Both K run with the same bound on requests open (8, which neither
 * reaches), so that the rows compare candidates in flight and nothing
 * else. */
static double bench_parallel(const char *bin, const char *dir, const char *url, int k)
{
	double times[PARALLEL_RUNS];
	buf init = BUF_INIT, evolve = BUF_INIT;
	int run, ok = 1;

	for (run = 0; ok && run < PARALLEL_RUNS; run++) {
		buf_clear(&init);
		buf_clear(&evolve);
		buf_printf(&init, "%s/host init --dir %s/lab_%d_%d --llm openai:gpt-4o-mini --llm-url %s "
			   "--llm-calls 1 -j 2 --llm-concurrency 8 >/dev/null", bin, dir, k, run, url);
		buf_printf(&evolve, "%s/host evolve --dir %s/lab_%d_%d --gens %d --parallel %d --llm "
			   "openai:gpt-4o-mini --llm-url %s --llm-calls 1 -j 2 --llm-concurrency 8 "
			   "--quiet >/dev/null", bin, dir, k, run, BENCH_IN_FLIGHT_GENS, k, url);
		ok = !buf_failed(&init) && !buf_failed(&evolve) && system(buf_cstr(&init)) == 0 &&
		     (times[run] = bench_timed(buf_cstr(&evolve))) > 0;
	}
	buf_free(&init);
	buf_free(&evolve);
	return ok ? bench_quantile(times, PARALLEL_RUNS, 0.5) : -1;
}

/* Generations with a slow model, one candidate at a time and four. */
void bench_in_flight(const char *bin, double *one_s, double *four_s)
{
	char *dir, url[64];
	pid_t server;

	*one_s = *four_s = -1;
	if (os_make_scratch(&dir, "host-bench-model") < 0) {
		fprintf(stderr, "bench: %s\n", err_last());
		return;
	}
	setenv("OPENAI_API_KEY", "bench-key", 1);
	if ((server = start_model(url, sizeof(url), dir)) > 0) {
		*one_s = bench_parallel(bin, dir, url, 1);
		*four_s = bench_parallel(bin, dir, url, 4);
	} else {
		fprintf(stderr, "bench: the scripted model did not start (python3?)\n");
	}
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
	}
	unsetenv("OPENAI_API_KEY");
	os_remove_tree(dir);
	free(dir);
}
