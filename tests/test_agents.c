/*
 * test_agents.c - agents end to end: the validation cascade on each kind
 * of defect, the broker's budget and protocol, hostile agents, the seed
 * agents' determinism and their offline improvement of snake.
 */
#include "harness.h"

#include "agent_run.h"
#include "agents.h"
#include "error.h"
#include "eval.h"
#include "os.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char minimal_task[] =
	"char *task_agent_improve(const char *initial) { (void)initial; return 0; }\n";

static void minimal_agent(agent_files *f, const char *task_src, const char *meta_src)
{
	memset(f, 0, sizeof(*f));
	if (task_src)
		assert_int_equal(agents_set(f, "task_agent.c", task_src), 0);
	if (meta_src)
		assert_int_equal(agents_set(f, "meta_agent.c", meta_src), 0);
}

/* Validates and checks the failing stage (-1: valid) and a diagnostic. */
static void expect_validation(const agent_files *f, int failed, const char *expect)
{
	task *t = harness_task("snake");
	validate_report r;

	assert_int_equal(validate_agents(&r, f, t), 0);
	if (r.failed != failed)
		fail_msg("expected stage %d to fail, got %d: %s", failed, r.failed,
			 r.failed >= 0 ? r.stages[r.failed].diagnostics : "");
	if (expect)
		assert_contains(r.stages[failed].diagnostics, expect);
	validate_report_free(&r);
	task_free(t);
}

static void test_seed_and_minimal_agents_are_valid(void **state)
{
	agent_files f;
	task *t = harness_task("snake");
	validate_report r;

	(void)state;
	assert_int_equal(agents_load(&f, "seed"), 0);
	assert_int_equal(validate_agents(&r, &f, t), 0);
	assert_true(r.valid);
	assert_contains(r.exports, "task_agent_improve");
	assert_contains(r.exports, "meta_agent_rewrite");
	validate_report_free(&r);
	agents_free(&f);
	minimal_agent(&f, minimal_task, harness_meta_agent);
	assert_int_equal(agents_set(&f, "helper.h", "#define ANSWER 42\n"), 0);
	assert_int_equal(agents_set(&f, "helper.c", "#include \"helper.h\"\nint answer(void) { return ANSWER; }\n"), 0);
	assert_int_equal(agents_set(&f, "memory.md", "notes, never compiled { \n"), 0);
	expect_validation(&f, -1, NULL);
	agents_free(&f);
	task_free(t);
}

static void test_each_defect_fails_at_its_stage(void **state)
{
	static const struct { const char *task_src, *meta_src; int stage; const char *expect; } cases[] = {
		{ "char *task_agent_improve(const char *s) { return 0 }\n", harness_meta_agent, 0,
		  "task_agent.c:1: error:" },
		{ minimal_task, NULL, 1, "missing entry point 'meta_agent_rewrite'" },
		{ minimal_task, "int system(const char *);\nint meta_agent_rewrite(const char *a)\n"
		  "{ (void)a; return system(\"rm -rf /\"); }\n", 1,
		  "meta_agent.c:1: error: forbidden symbol 'system'" },
		{ "char *task_agent_improve(const char *s) { (void)s; fopen(\"/etc/passwd\", \"r\"); return 0; }\n",
		  harness_meta_agent, 1, "forbidden symbol 'fopen'" },
		{ "int task_agent_improve(int budget) { return budget; }\n", harness_meta_agent, 2,
		  "task_agent.c:1: error:" },
		{ "char *task_agent_improve(const char *s) { (void)s; *(volatile int *)0 = 1; return 0; }\n",
		  harness_meta_agent, 3, "smoke: task_agent_improve crashed (SIGSEGV)" },
		{ minimal_task, "int meta_agent_rewrite(const char *a) { (void)a; for (;;); }\n", 3,
		  /* of its 2 s of CPU, or of the wall time when a loaded machine
		   * gives it less than a third of a core */
		  "smoke: meta_agent_rewrite did not return in " },
		{ minimal_task, "int meta_agent_rewrite(const char *a) { (void)a; return -1; }\n", 3,
		  "smoke: meta_agent_rewrite returned -1: it must propose a rewrite" },
		{ minimal_task, "int meta_agent_rewrite(const char *a) { (void)a; return 0; }\n", 3,
		  "smoke: meta_agent_rewrite returned 0 but emitted no change" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		agent_files f;
		minimal_agent(&f, cases[i].task_src, cases[i].meta_src);
		expect_validation(&f, cases[i].stage, cases[i].expect);
		agents_free(&f);
	}
}

/* Runs `entry` of `f` with a fresh broker of `evals` evaluations. */
static void run_agent(agent_run_result *run, broker *b, const agent_files *f,
		      const char *entry, const char *arg, int evals, task *t,
		      agent_files *emitted, unsigned long long seed)
{
	sandbox_limits limits = { 20000, 20000, 256 };

	broker_init(b, t, f, evals, 20);
	b->emitted = emitted;
	assert_int_equal(agent_run(run, f, entry, arg, b, &limits, seed), 0);
}

static void test_budget_is_enforced(void **state)
{
	static const char polite[] =
		"#include <string.h>\n"
		"char *task_agent_improve(const char *s) {\n"
		"  host_budget_info b; host_eval_result r;\n"
		"  while (host_budget(&b) == 0 && b.evals_left > 0) host_eval(s, &r);\n"
		"  return host_eval(s, &r) < 0 && strstr(host_error(), \"budget\") ? strdup(s) : 0;\n}\n";
	static const char greedy[] =
		"char *task_agent_improve(const char *s) {\n"
		"  host_eval_result r; for (;;) host_eval(s, &r);\n}\n";
	task *t = harness_task("email");
	agent_run_result run;
	agent_files f;
	broker b;

	(void)state;
	minimal_agent(&f, polite, harness_meta_agent);
	run_agent(&run, &b, &f, "task_agent_improve", t->initial_text, 5, t, NULL, 1);
	assert_int_equal(run.outcome.status, SANDBOX_OK);
	assert_int_equal(b.budget.evals_used, 5);
	assert_non_null(run.result);  /* it saw the "budget" refusal */
	agent_run_result_free(&run);
	broker_free(&b);
	assert_int_equal(agents_set(&f, "task_agent.c", greedy), 0);
	run_agent(&run, &b, &f, "task_agent_improve", t->initial_text, 3, t, NULL, 1);
	assert_int_equal(run.outcome.status, SANDBOX_PROTOCOL_ERROR);
	assert_contains(run.outcome.detail, "kept asking after its budget was spent");
	assert_int_equal(b.budget.evals_used, 3);
	agent_run_result_free(&run);
	broker_free(&b);
	agents_free(&f);
	task_free(t);
}

/* Agents whose requests break the protocol end with protocol_error, and
 * the host goes on; the garbage comes from many seeds. */
static void test_broker_survives_garbage(void **state)
{
#if defined(__x86_64__)
	char *raw = harness_read("tests/hostile/raw.h");
	char *fuzz = harness_read("tests/agents/fuzz_frames.c");
	task *t = harness_task("email");
	agent_run_result run;
	agent_files f;
	buf src = BUF_INIT;
	unsigned long long seed;
	broker b;

	(void)state;
	buf_printf(&src, "#include <string.h>\n%s%s", raw, fuzz);
	minimal_agent(&f, src.data, harness_meta_agent);
	for (seed = 1; seed <= 24; seed++) {
		run_agent(&run, &b, &f, "task_agent_improve", "", 5, t, NULL, seed);
		if (run.outcome.status != SANDBOX_PROTOCOL_ERROR)
			fail_msg("seed %llu: expected protocol_error, got %s (%s)", seed,
				 sandbox_status_name(run.outcome.status), run.outcome.detail);
		agent_run_result_free(&run);
		broker_free(&b);
	}
	agents_free(&f);
	buf_free(&src);
	free(raw);
	free(fuzz);
	task_free(t);
#else
	(void)state;
	skip();
#endif
}

/* The broker itself, fed random requests in process: a reply or a
 * protocol error, never a crash. */
static void test_broker_serve_fuzz(void **state)
{
	static const char *const ops[] = { "eval", "task", "read", "emit", "log", "budget",
					   "llm", "", "EVAL", "read\n" };
	static const char *const fields[] = { "solution", "name", "text", "line", "op" };
	task *t = harness_task("email");
	agent_files files, emitted = { NULL, 0 };
	unsigned int r = 12345;
	broker b;
	int i, k;

	(void)state;
	minimal_agent(&files, minimal_task, harness_meta_agent);
	broker_init(&b, t, &files, 3, 30);
	b.emitted = &emitted;
	for (i = 0; i < 400; i++) {
		json_t *req = json_object(), *reply = NULL;
		r = r * 1103515245u + 12345u;
		if (r % 7)
			json_object_set_new(req, "op", json_string(ops[(r >> 8) % 10]));
		for (k = 0; k < (int)((r >> 4) % 4); k++) {
			r = r * 1103515245u + 12345u;
			json_object_set_new(req, fields[(r >> 8) % 5], (r >> 16) % 3 == 0
					    ? json_integer((json_int_t)r) : (r >> 16) % 3 == 1
					    ? json_string("../../etc/passwd") : json_string("int x;"));
		}
		if (broker_serve(&b, req, &reply, NULL) == 0)
			assert_non_null(reply);
		json_decref(req);
		json_decref(reply);
	}
	assert_true(b.budget.evals_used <= 3);
	assert_null(agents_get(&emitted, "../../etc/passwd"));
	broker_free(&b);
	agents_free(&files);
	agents_free(&emitted);
	task_free(t);
}

static void test_hostile_agents_are_contained(void **state)
{
	/* Each tries to leave its world; the refusal it saw is its result. */
	static const char escape[] =
		"#include <string.h>\n"
		"char *task_agent_improve(const char *s) {\n"
		"  static char seen[2048]; char *other;\n"
		"  (void)s;\n"
		"  if (host_emit(\"../escape.c\", \"int x;\") == 0) return strdup(\"emitted ../escape.c\");\n"
		"  strcat(seen, host_error()); strcat(seen, \"|\");\n"
		"  if (host_emit(\"task.json\", \"{}\") == 0) return strdup(\"emitted task.json\");\n"
		"  other = host_read(\"../tasks/snake/score.c\");\n"
		"  if (other) return other;\n"
		"  strcat(seen, host_error());\n"
		"  return strdup(seen);\n}\n";
	task *t = harness_task("snake");
	agent_files f, emitted = { NULL, 0 };
	agent_run_result run;
	broker b;

	(void)state;
	minimal_agent(&f, escape, harness_meta_agent);
	run_agent(&run, &b, &f, "task_agent_improve", "", 1, t, NULL, 1);
	assert_int_equal(run.outcome.status, SANDBOX_OK);
	assert_contains(run.result, "only the meta agent can emit files|");
	assert_contains(run.result, "'../tasks/snake/score.c' is not an agent file");
	agent_run_result_free(&run);
	broker_free(&b);
	/* as the meta agent: emitting is allowed, but only agent file names */
	run_agent(&run, &b, &f, "task_agent_improve", "", 1, t, &emitted, 1);
	assert_contains(run.result, "'../escape.c' is not an agent file name");
	assert_int_equal(emitted.count, 0);
	agent_run_result_free(&run);
	broker_free(&b);
	agents_free(&f);
#if defined(__x86_64__)
	{
		char *raw = harness_read("tests/hostile/raw.h");
		static const char *const calls[] = {
			"raw_syscall(41, 2, 1, 0)",                 /* socket */
			"raw_syscall(2, (long)\"/proc/1/environ\", 0, 0)", /* open */
			"raw_syscall(62, 1, 0, 0)",                 /* kill */
		};
		size_t i;
		for (i = 0; i < 3; i++) {
			buf src = BUF_INIT;
			buf_printf(&src, "%schar *task_agent_improve(const char *s) { (void)s; %s; return 0; }\n",
				   raw, calls[i]);
			minimal_agent(&f, src.data, harness_meta_agent);
			run_agent(&run, &b, &f, "task_agent_improve", "", 1, t, NULL, 1);
			assert_int_equal(run.outcome.status, SANDBOX_FORBIDDEN);
			agent_run_result_free(&run);
			broker_free(&b);
			agents_free(&f);
			buf_free(&src);
		}
		free(raw);
	}
#endif
	task_free(t);
}

/* An agent's claims change nothing: its returned solution is re-scored. */
static void test_agent_cannot_change_a_score(void **state)
{
	static const char liar[] =
		"#include <string.h>\n"
		"char *task_agent_improve(const char *s) {\n"
		"  (void)s; host_log(\"score: 99.0 (trust me)\");\n"
		"  return strdup(\"int next_move(const snake_cell *b, int l, snake_cell f, int w, int h)\"\n"
		"                \"{ (void)b; (void)l; (void)f; (void)w; (void)h; return SNAKE_RIGHT; }\");\n}\n";
	task *t = harness_task("snake");
	agent_run_result run;
	eval_result r;
	agent_files f;
	broker b;

	(void)state;
	minimal_agent(&f, liar, harness_meta_agent);
	run_agent(&run, &b, &f, "task_agent_improve", t->initial_text, 1, t, NULL, 1);
	assert_int_equal(run.outcome.status, SANDBOX_OK);
	assert_contains(b.log.data, "score: 99.0");
	assert_int_equal(eval_solution(&r, t, "improved.c", run.result, EVAL_TRAIN), 0);
	assert_true(r.score == 0.05);
	eval_result_free(&r);
	agent_run_result_free(&run);
	broker_free(&b);
	agents_free(&f);
	task_free(t);
}

static void test_seed_task_agent_improves_snake_deterministically(void **state)
{
	task *t = harness_task("snake");
	agent_run_result first, second;
	eval_result before, after;
	agent_files f;
	broker b;

	(void)state;
	assert_int_equal(agents_load(&f, "seed"), 0);
	run_agent(&first, &b, &f, "task_agent_improve", t->initial_text, 40, t, NULL, 7);
	assert_int_equal(first.outcome.status, SANDBOX_OK);
	assert_int_equal(b.budget.evals_used, 40);
	broker_free(&b);
	run_agent(&second, &b, &f, "task_agent_improve", t->initial_text, 40, t, NULL, 7);
	broker_free(&b);
	assert_non_null(first.result);
	assert_string_equal(first.result, second.result);
	assert_int_equal(eval_solution(&before, t, "initial.c", t->initial_text, EVAL_TRAIN), 0);
	assert_int_equal(eval_solution(&after, t, "improved.c", first.result, EVAL_TRAIN), 0);
	assert_true(after.score > before.score + 2.0);
	eval_result_free(&before);
	eval_result_free(&after);
	agent_run_result_free(&first);
	agent_run_result_free(&second);
	agents_free(&f);
	task_free(t);
}

static void test_seed_meta_agent_rewrites_its_sources(void **state)
{
	task *t = harness_task("snake");
	agent_files f, one = { NULL, 0 }, two = { NULL, 0 };
	agent_run_result run;
	broker b;
	size_t i;

	(void)state;
	assert_int_equal(agents_load(&f, "seed"), 0);
	run_agent(&run, &b, &f, "meta_agent_rewrite", "[]", 0, NULL, &one, 3);
	assert_int_equal(run.outcome.status, SANDBOX_OK);
	assert_int_equal(run.status, 0);
	agent_run_result_free(&run);
	broker_free(&b);
	run_agent(&run, &b, &f, "meta_agent_rewrite", "[]", 0, NULL, &two, 3);
	agent_run_result_free(&run);
	broker_free(&b);
	/* a real rewrite of a strategy file, here genetic improvement's
	 * (gi_search.c), noted in memory.md, the same twice */
	assert_null(agents_get(&one, "task_agent.c"));
	assert_non_null(agents_get(&one, "gi_search.c"));
	assert_true(strcmp(agents_get(&one, "gi_search.c"), agents_get(&f, "gi_search.c")) != 0);
	assert_contains(agents_get(&one, "memory.md"), "gi_search.c: GI_");
	assert_int_equal(one.count, two.count);
	for (i = 0; i < one.count; i++)
		assert_string_equal(one.items[i].text, agents_get(&two, one.items[i].name));
	agents_free(&one);
	agents_free(&two);
	agents_free(&f);
	task_free(t);
}

static void test_meta_agent_follows_the_archive(void **state)
{
	/* generation 1 raised STEP_SHRINK and lost fitness: go the other way */
	static const char archive[] =
		"[{\"generation\": 0, \"parent\": 0, \"fitness\": 0.5, \"changes\": \"\"},"
		" {\"generation\": 1, \"parent\": 0, \"fitness\": 0.4,"
		"  \"changes\": \"task_agent.c: STEP_SHRINK 0.6 -> 0.8\\n\"}]";
	agent_files f, out = { NULL, 0 };
	agent_run_result run;
	unsigned long long seed;
	broker b;
	int lowered = 0, raised = 0;

	(void)state;
	assert_int_equal(agents_load(&f, "seed"), 0);
	for (seed = 1; seed <= 12; seed++) {
		const char *memory, *at;
		double from, to;
		run_agent(&run, &b, &f, "meta_agent_rewrite", archive, 0, NULL, &out, seed);
		memory = agents_get(&out, "memory.md");
		at = memory ? strstr(memory, "STEP_SHRINK ") : NULL;
		if (at && sscanf(at, "STEP_SHRINK %lf -> %lf", &from, &to) == 2) {
			lowered += to < from;
			raised += to > from;
		}
		agent_run_result_free(&run);
		broker_free(&b);
		agents_free(&out);
	}
	assert_true(lowered > 0);
	assert_int_equal(raised, 0);
	agents_free(&f);
}

/* A rewrite of numbers changes each value it names: MIN_STEP 0.02,
 * written "%.2f", and TUNE_PASSES 1, held at 1 from below, once came out
 * as they were ("MIN_STEP 0.02 -> 0.02"). Here they are the only
 * strategy constants of task_agent.c, which the arena's mutation asks
 * the meta agent to rewrite, over seeds. */
static void test_offline_rewrite_changes_each_value_it_names(void **state)
{
	static const char block[] = "(rewritten by the meta agent) ---- */\n";
	agent_files f, out = { NULL, 0 };
	agent_run_result run;
	unsigned long long seed;
	char *task_agent;
	broker b;

	(void)state;
	assert_int_equal(agents_load(&f, "seed"), 0);
	task_agent = harness_subst(agents_get(&f, "task_agent.c"), block,
				   "(rewritten by the meta agent) ---- */\n#define MIN_STEP 0.02\n"
				   "#define TUNE_PASSES 1\n\n", NULL);
	assert_int_equal(agents_set(&f, "task_agent.c", task_agent), 0);
	for (seed = 1; seed <= 8; seed++) {
		const char *memory, *at;
		char name[32], to[32];
		double from;
		run_agent(&run, &b, &f, "meta_agent_rewrite", "{\"mutate\": \"task_agent.c\", "
			  "\"generations\": []}", 0, NULL, &out, seed);
		assert_int_equal(run.status, 0);
		memory = agents_get(&out, "memory.md");
		assert_non_null(memory);
		for (at = strstr(memory, "task_agent.c: "); at; at = strstr(at + 1, "task_agent.c: ")) {
			assert_int_equal(sscanf(at, "task_agent.c: %31s %lf -> %31s", name, &from, to), 3);
			assert_true(strtod(to, NULL) != from);
		}
		assert_non_null(strstr(memory, "task_agent.c: "));
		assert_string_not_equal(agents_get(&out, "task_agent.c"), task_agent);
		agent_run_result_free(&run);
		broker_free(&b);
		agents_free(&out);
	}
	free(task_agent);
	agents_free(&f);
}

void test_group_agents(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_and_minimal_agents_are_valid),
		cmocka_unit_test(test_each_defect_fails_at_its_stage),
		cmocka_unit_test(test_budget_is_enforced),
		cmocka_unit_test(test_broker_survives_garbage),
		cmocka_unit_test(test_broker_serve_fuzz),
		cmocka_unit_test(test_hostile_agents_are_contained),
		cmocka_unit_test(test_agent_cannot_change_a_score),
		cmocka_unit_test(test_seed_task_agent_improves_snake_deterministically),
		cmocka_unit_test(test_seed_meta_agent_rewrites_its_sources),
		cmocka_unit_test(test_meta_agent_follows_the_archive),
		cmocka_unit_test(test_offline_rewrite_changes_each_value_it_names),
	};

	HARNESS_GROUP(t, "agents", tests);
}
