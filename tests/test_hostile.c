/*
 * test_hostile.c - the rest of the red-team corpus: a task's score.c that
 * fails in every way, jobs larger than a socket buffer, agents that flood
 * the channel or the log, emits the host must refuse, and an evolve run
 * with a 250 KB agent file. Each asserts the outcome, its message, and
 * that the host carries on with nothing lost.
 */
#include "harness.h"

#include "agent_run.h"
#include "agents.h"
#include "broker.h"
#include "error.h"
#include "eval.h"
#include "os.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A small task of the test's own: probe(input) per case, one line each;
 * score.c counts the lines that say 1, then does what `fault` says. */
static const char probe_score[] =
	"#include <string.h>\n"
	"static long raw(long nr, long a, long b)\n"
	"{ long r; __asm__ volatile(\"syscall\" : \"=a\"(r) : \"a\"(nr), \"D\"(a), \"S\"(b)\n"
	"  : \"rcx\", \"r11\", \"memory\"); return r; }\n"
	"int score_transcript(const char *t, const task_case *c, int n, double *score,\n"
	"                     char *feedback, int size)\n"
	"{\n"
	"  int ones = 0; (void)c; (void)raw;\n"
	"  for (; *t; t++) ones += *t == '1';\n"
	"  *score = n ? (double)ones / n : 0;\n"
	"  if (size > 0) strcpy(feedback, \"counted\");\n"
	"  @FAULT@\n"
	"  return 0;\n"
	"}\n";

static char *make_probe_task_timed(const char *fault, const char *train, const char *score_ms)
{
	char *dir = harness_scratch("probe"), *score = harness_subst(probe_score, "@FAULT@", fault, NULL);
	char *json = harness_subst(
		"{\"name\": \"probe\", \"description\": \"returns 1 or 0\", \"metric\": \"ones\",\n"
		" \"direction\": \"higher\", \"header\": \"probe.h\", \"entry\": [\"probe\"],\n"
		" \"baseline\": 0, \"target\": 1,\n"
		" \"budget\": {\"wall_ms\": 5000, \"cpu_ms\": 5000, \"memory_mb\": 64, \"score_ms\": @MS@},\n"
		" \"train\": @TRAIN@, \"holdout\": [\"1\", \"0\"]}\n", "@TRAIN@", train,
		"@MS@", score_ms, NULL);
	static const struct { const char *name, *text; } files[] = {
		{ "probe.h", "int probe(const char *input);\n" },
		{ "initial.c", "int probe(const char *s) { return s[0] == '1'; }\n" },
		{ "driver.c", "#include \"probe.h\"\nint driver_run(const char *const *in, int n)\n"
			      "{ for (int i = 0; i < n; i++) transcript_printf(\"%d\\n\", probe(in[i]));\n"
			      "  return 0; }\n" },
	};
	char *path;
	size_t i;

	os_remove_tree(dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path = os_path_join(dir, files[i].name);
		assert_int_equal(os_write_file(path, files[i].text, strlen(files[i].text)), 0);
		free(path);
	}
	path = os_path_join(dir, "score.c");
	assert_int_equal(os_write_file(path, score, strlen(score)), 0);
	free(path);
	path = os_path_join(dir, "task.json");
	assert_int_equal(os_write_file(path, json, strlen(json)), 0);
	free(path);
	free(score);
	free(json);
	return dir;
}

/* The probe task with a second to score each transcript: its faults are
 * found fast. */
static char *make_probe_task(const char *fault, const char *train)
{
	return make_probe_task_timed(fault, train, "1000");
}

/* Tasks are trusted, but a score.c that crashes, hangs, floods its
 * feedback or signals the host's process group must end as a task error
 * naming score.c, and the host must carry on. */
static void test_score_faults_are_task_errors(void **state)
{
	/* AddressSanitizer reports some faults itself before they end the
	 * child, and its report makes calls the filter refuses */
	static const struct { const char *fault, *expect; int sanitizer_differs; } faults[] = {
		{ "*(volatile int *)0 = 1;", "score.c crashed (SIGSEGV) while scoring", 0 },
		{ "abort();", "score.c crashed (SIGABRT) while scoring", 0 },
		{ "{ volatile char big[64 << 20]; big[0] = 1; *score += big[0] - 1; }",
		  "score.c crashed (SIGSEGV)", 1 },
		{ "if (size > 0) memset(feedback, 'x', 100000);", "score.c crashed (SIGSEGV)", 1 },
		{ "for (;;) ;", "score.c did not finish scoring", 0 },
		{ "raw(62 /* kill */, 0, 15 /* SIGTERM */);", "forbidden system call kill", 0 },
		{ "*score = 0.0 / 0.0;", "score.c gave a score that is not a finite number", 0 },
	};
#if defined(__SANITIZE_ADDRESS__)
	const int sanitized = 1;
#else
	const int sanitized = 0;
#endif
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		char *dir = make_probe_task(faults[i].fault, "[\"1\", \"0\", \"1\"]");
		task *t = NULL;
		eval_result r;

		assert_int_equal(task_load_dir(&t, dir), 0);
		assert_true(eval_solution(&r, t, "initial.c", t->initial_text, EVAL_TRAIN) < 0);
		assert_contains(err_last(), "task probe: score.c ");
		if (!(sanitized && faults[i].sanitizer_differs))
			assert_contains(err_last(), faults[i].expect);
		task_free(t);
		os_remove_tree(dir);
		free(dir);
	}
}

/* Each transcript is scored by a fresh fork: score.c's statics start over,
 * and a call that crashes leaves the next one unharmed. */
static void test_scorer_starts_fresh_each_time(void **state)
{
	char *dir = make_probe_task("{ static int calls; *score = ++calls; }"
				    "if (n == 2) *(volatile int *)0 = 1;", "[\"1\", \"0\", \"1\"]");
	task *t = NULL;
	eval_result r;
	int i;

	(void)state;
	assert_int_equal(task_load_dir(&t, dir), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(eval_solution(&r, t, "initial.c", t->initial_text, EVAL_TRAIN), 0);
		assert_int_equal(r.status, SANDBOX_OK);
		assert_true(r.score == 1.0);  /* the first call, every time */
		eval_result_free(&r);
		/* the two held-out cases crash score.c */
		assert_true(eval_solution(&r, t, "initial.c", t->initial_text, EVAL_HOLDOUT) < 0);
		assert_contains(err_last(), "task probe: score.c crashed (SIGSEGV) while scoring");
	}
	task_free(t);
	os_remove_tree(dir);
	free(dir);
}

/* The same through the CLI: exit 1 with the message, not a crash. */
static void test_score_fault_in_bench(void **state)
{
	char *dir = make_probe_task("*(volatile int *)0 = 1;", "[\"1\"]");
	char *root = harness_scratch("");
	run_result r;

	(void)state;
	run_host(&r, "bench", "probe", "--tasks-dir", root, NULL);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "task probe: score.c crashed (SIGSEGV) while scoring");
	run_result_free(&r);
	os_remove_tree(dir);
	free(dir);
	free(root);
}

/* Jobs larger than a socket buffer (about 208 KB) once hung the host. */
static void test_big_jobs_work(void **state)
{
	/* 100,000 cases take a while to send and parse under a sanitizer */
	char *dir = make_probe_task_timed("", "{\"range\": [0, 99999]}", "20000");
	task *t = NULL, *email = harness_task("email");
	buf big = BUF_INIT;
	eval_result r;

	(void)state;
	assert_int_equal(task_load_dir(&t, dir), 0);
	if (eval_solution(&r, t, "initial.c", t->initial_text, EVAL_TRAIN) != 0)
		fail_msg("%s", err_last());
	assert_int_equal(r.status, SANDBOX_OK);
	assert_true(r.score > 0.1 && r.score < 0.2);  /* 11,111 of 100,000 start with 1 */
	eval_result_free(&r);
	buf_puts(&big, email->initial_text);
	while (big.len < 300 * 1024)
		buf_puts(&big, "/* padding to make a solution of 300 KB ................ */\n");
	assert_int_equal(eval_solution(&r, email, "big.c", big.data, EVAL_TRAIN), 0);
	assert_int_equal(r.status, SANDBOX_OK);
	eval_result_free(&r);
	buf_free(&big);
	task_free(email);
	task_free(t);
	os_remove_tree(dir);
	free(dir);
}

/* A 300 KB agent file validates and runs, and asks for a 310 KB
 * solution to be evaluated. */
static void test_big_agents_work(void **state)
{
	static const char agent[] =
		"#include <stdlib.h>\n#include <string.h>\n"
		"char *task_agent_improve(const char *initial)\n"
		"{\n"
		"  size_t n = strlen(initial);\n"
		"  char *big = malloc(n + 320000);\n"
		"  host_eval_result r;\n"
		"  memcpy(big, initial, n);\n"
		"  for (size_t i = 0; i < 310000; i += 10) memcpy(big + n + i, \"/*      */\", 10);\n"
		"  big[n + 310000] = 0;\n"
		"  if (host_eval(big, &r) < 0 || strcmp(r.status, \"ok\") != 0) return 0;\n"
		"  return big;\n"
		"}\n";
	task *t = harness_task("email");
	agent_files f = { NULL, 0 };
	buf text = BUF_INIT;
	validate_report report;
	agent_run_result run;
	sandbox_limits limits = { 20000, 20000, 256 };
	broker b;

	(void)state;
	buf_puts(&text, agent);
	while (text.len < 300 * 1024)
		buf_puts(&text, "/* a long comment to make an agent file of 300 KB ........ */\n");
	assert_int_equal(agents_set(&f, "task_agent.c", text.data), 0);
	assert_int_equal(agents_set(&f, "meta_agent.c", harness_meta_agent), 0);
	assert_int_equal(validate_agents(&report, &f, t), 0);
	assert_true(report.valid);
	validate_report_free(&report);
	broker_init(&b, t, &f, 3, 20);
	assert_int_equal(agent_run(&run, &f, "task_agent_improve", t->initial_text, &b,
				    &limits, 1), 0);
	assert_int_equal(run.outcome.status, SANDBOX_OK);
	assert_non_null(run.result);
	assert_true(strlen(run.result) > 310000);
	agent_run_result_free(&run);
	broker_free(&b);
	agents_free(&f);
	buf_free(&text);
	task_free(t);
}

/* Frames written straight to the channel with the syscall instruction,
 * which host_log's own 1000-byte cut never sees. */
static const char raw_frames[] =
	"#include <stdlib.h>\n#include <string.h>\n"
	"static long raw(long nr, long a, long b, long c)\n"
	"{ long r; __asm__ volatile(\"syscall\" : \"=a\"(r) : \"a\"(nr), \"D\"(a), \"S\"(b), \"d\"(c)\n"
	"  : \"rcx\", \"r11\", \"memory\"); return r; }\n"
	"static void put(const char *p, size_t n)\n"
	"{ while (n) { long w = raw(1, 3, (long)p, (long)n); if (w <= 0) return; p += w; n -= (size_t)w; } }\n"
	"static void frame(size_t len)\n"
	"{\n"
	"  char *text = malloc(len + 40); size_t n; unsigned char head[4];\n"
	"  strcpy(text, \"{\\\"op\\\":\\\"log\\\",\\\"line\\\":\\\"\");\n"
	"  n = strlen(text); memset(text + n, 'x', len); strcpy(text + n + len, \"\\\"}\");\n"
	"  n = strlen(text);\n"
	"  head[0] = (unsigned char)(n >> 24); head[1] = (unsigned char)(n >> 16);\n"
	"  head[2] = (unsigned char)(n >> 8); head[3] = (unsigned char)n;\n"
	"  put((const char *)head, 4); put(text, n); free(text);\n"
	"}\n"
	"char *task_agent_improve(const char *s)\n"
	"{ (void)s; for (int i = 0; i < @FRAMES@; i++) frame(@SIZE@);\n"
	"  for (int i = 0; i < 100; i++) host_log(\"line %d of a chatty agent ........\", i);\n"
	"  return 0; }\n";

static void run_task_agent(agent_run_result *run, broker *b, const char *source, task *t)
{
	sandbox_limits limits = { 20000, 20000, 256 };
	agent_files f = { NULL, 0 };

	assert_int_equal(agents_set(&f, "task_agent.c", source), 0);
	assert_int_equal(agents_set(&f, "meta_agent.c", harness_meta_agent), 0);
	broker_init(b, t, NULL, 3, 20);
	assert_int_equal(agent_run(run, &f, "task_agent_improve", t->initial_text, b,
				    &limits, 1), 0);
	agents_free(&f);
}

/* 63 MB of note per generation, once: now each line and each run's log is
 * capped, and the trace says how much was dropped. */
static void test_raw_log_frames_are_capped(void **state)
{
	task *t = harness_task("email");
	char *source = harness_subst(raw_frames, "@FRAMES@", "100", "@SIZE@", "65536", NULL), *dump;
	const json_t *event;
	agent_run_result run;
	broker b;
	size_t i;

	(void)state;
	run_task_agent(&run, &b, source, t);
	if (run.outcome.status != SANDBOX_OK)
		fail_msg("%s", run.outcome.detail);
	dump = json_dumps(b.trace, JSON_COMPACT);
	assert_true(strlen(dump) < BROKER_LOG_MAX + 20000);
	assert_contains(dump, "the log is capped at 64 KB per run");
	json_array_foreach(b.trace, i, event)
		assert_true(strlen(json_string_value(json_object_get(event, "line"))) <=
			    BROKER_LOG_LINE);
	free(dump);
	agent_run_result_free(&run);
	broker_free(&b);
	free(source);
	task_free(t);
}

static void test_channel_total_is_capped(void **state)
{
	task *t = harness_task("email");
	char *source = harness_subst(raw_frames, "@FRAMES@", "70", "@SIZE@", "1 << 20", NULL);
	agent_run_result run;
	broker b;

	(void)state;
	run_task_agent(&run, &b, source, t);
	assert_int_equal(run.outcome.status, SANDBOX_PROTOCOL_ERROR);
	assert_contains(run.outcome.detail, "the child sent more than 64 MB in all");
	agent_run_result_free(&run);
	broker_free(&b);
	free(source);
	task_free(t);
}

/* What host_emit refuses, and how the meta agent hears of it. */
static void test_emit_refusals(void **state)
{
	static const char meta[] =
		"#include <stdlib.h>\n#include <string.h>\n"
		"static void try(const char *name, const char *text)\n"
		"{ if (host_emit(name, text) < 0) host_log(\"%s: %s\", name, host_error()); }\n"
		"int meta_agent_rewrite(const char *archive)\n"
		"{\n"
		"  int size = (1 << 20) - 100;\n"
		"  char *big = malloc((size_t)size + 1), name[16];\n"
		"  (void)archive;\n"
		"  try(\"agent.h\", \"int task_agent_improve(int budget);\\n\");\n"
		"  try(\"stdio.h\", \"#define printf puts\\n\");\n"
		"  try(\"bad.c\", \"int x; /* \\xff\\xfe */\\n\");\n"
		"  memset(big, 'x', (size_t)size); big[size] = 0; big[0] = '/'; big[1] = '*';\n"
		"  big[size - 2] = '*'; big[size - 1] = '/';\n"
		"  for (int i = 0; i < 9; i++) { snprintf(name, sizeof(name), \"big%d.c\", i); try(name, big); }\n"
		"  host_log(\"still running\");\n"
		"  return host_emit(\"memory.md\", \"noted\\n\");\n"
		"}\n";
	task *t = harness_task("email");
	agent_files f = { NULL, 0 }, emitted = { NULL, 0 };
	sandbox_limits limits = { 20000, 20000, 256 };
	agent_run_result run;
	broker b;

	(void)state;
	assert_int_equal(agents_set(&f, "task_agent.c", "char *task_agent_improve(const char *s)"
				    " { (void)s; return 0; }\n"), 0);
	assert_int_equal(agents_set(&f, "meta_agent.c", meta), 0);
	broker_init(&b, t, &f, 0, 20);
	b.emitted = &emitted;
	if (agent_run(&run, &f, "meta_agent_rewrite", "[]", &b, &limits, 1) < 0)
		fail_msg("%s", err_last());
	assert_int_equal(run.outcome.status, SANDBOX_OK);
	assert_int_equal(run.status, 0);
	assert_contains(b.log.data, "agent.h: 'agent.h' is the name of one of the host's headers");
	assert_contains(b.log.data, "stdio.h: 'stdio.h' is the name of one of the host's headers");
	assert_contains(b.log.data, "bad.c: the request cannot be sent: its text is not valid UTF-8");
	assert_contains(b.log.data, "big8.c: the emitted files would total");
	assert_contains(b.log.data, "above the 8 MB an agent may have in all");
	assert_contains(b.log.data, "still running");
	assert_null(agents_get(&emitted, "agent.h"));
	assert_non_null(agents_get(&emitted, "big7.c"));
	assert_null(agents_get(&emitted, "big8.c"));
	agent_run_result_free(&run);
	broker_free(&b);
	agents_free(&emitted);
	agents_free(&f);
	task_free(t);
}

/* A meta agent that emits a 250 KB task_agent.c (within the 1 MB cap)
 * once hung `evolve` for good; now the generation is made and recorded. */
static void test_evolve_with_a_big_agent_file(void **state)
{
	static const char meta[] =
		"#include <stdlib.h>\n#include <string.h>\n"
		"int meta_agent_rewrite(const char *archive)\n"
		"{\n"
		"  char *own = host_read(\"task_agent.c\");\n"
		"  size_t n = strlen(own);\n"
		"  char *big = malloc(n + 260000);\n"
		"  (void)archive;\n"
		"  memcpy(big, own, n);\n"
		"  for (size_t i = 0; i < 250000; i += 10) memcpy(big + n + i, \"/*      */\", 10);\n"
		"  big[n + 250000] = 0;\n"
		"  return host_emit(\"task_agent.c\", big);\n"
		"}\n";
	char *seed = harness_scratch("big-seed"), *lab = harness_scratch("big-lab"), *path;
	agent_files f;
	run_result r;

	(void)state;
	os_remove_tree(seed);
	os_remove_tree(lab);
	assert_int_equal(agents_load(&f, "seed"), 0);
	assert_int_equal(agents_set(&f, "meta_agent.c", meta), 0);
	assert_int_equal(agents_write(&f, seed), 0);
	run_host(&r, "init", "--dir", lab, "--from", seed, "--tasks", "email", "--budget", "2", NULL);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	run_host(&r, "evolve", "--dir", lab, "--gens", "1", NULL);
	if (r.status != 0)
		fail_msg("evolve failed: %s", r.err);
	run_result_free(&r);
	run_host(&r, "show", "--dir", lab, "gen_001", NULL);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "task_agent.c");
	run_result_free(&r);
	path = os_path_join(lab, "generations");
	{
		char *argv[] = { "/usr/bin/git", "-C", path, "cat-file", "-s",
				 "gen_001:task_agent.c", NULL };
		run_command(&r, NULL, argv);
		assert_int_equal(r.status, 0);
		assert_true(atol(r.out) > 250000);
		run_result_free(&r);
	}
	free(path);
	agents_free(&f);
	os_remove_tree(seed);
	os_remove_tree(lab);
	free(seed);
	free(lab);
}

void test_group_hostile(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_score_faults_are_task_errors),
		cmocka_unit_test(test_scorer_starts_fresh_each_time),
		cmocka_unit_test(test_score_fault_in_bench),
		cmocka_unit_test(test_big_jobs_work),
		cmocka_unit_test(test_big_agents_work),
		cmocka_unit_test(test_raw_log_frames_are_capped),
		cmocka_unit_test(test_channel_total_is_capped),
		cmocka_unit_test(test_emit_refusals),
		cmocka_unit_test(test_evolve_with_a_big_agent_file),
	};

	HARNESS_GROUP(t, "hostile", tests);
}
