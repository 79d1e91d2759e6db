/*
 * test_confine.c - compiling untrusted code reads nothing it should not:
 * include probes at a host file, the environment of the process running
 * the host (with an API key set), the task folder with its labels and
 * score.c, a FIFO and a device; compile bombs; an agent's own agent.h;
 * a task's own code reaching outside its folder.
 *
 * Probes are files in tests/hostile/include_*.c with placeholders for what
 * they aim at. Each asserts the outcome and that the target's text is
 * nowhere in what comes back.
 */
#include "harness.h"
#include "lab_fixture.h"

#include "agents.h"
#include "compile.h"
#include "error.h"
#include "eval.h"
#include "oracle.h"
#include "os.h"
#include "validate.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET "TOPSECRET-4b1d0c-never-in-a-diagnostic"
#define KEY "sk-test-Zq3v9XkEwq0b7N5mJrT2-hostileprobe"

/* Nothing of the secret, the key, the labels or score.c is in `text`. */
static void assert_clean(const char *what, const char *text)
{
	static const char *const never[] = {
		SECRET, "Zq3v9XkEwq0b7N5mJrT2", "hostileprobe", "OPENAI_API_KEY",
		"jane_doe@mail.example.org", "score_transcript(", "\"label\"",
	};
	size_t i;

	for (i = 0; text && i < sizeof(never) / sizeof(never[0]); i++)
		if (strstr(text, never[i]))
			fail_msg("%s leaks '%s': %s", what, never[i], text);
}

static char *probe_source(const char *file, const task *t)
{
	char path[256], pid[32], *text, *source;
	char *secret = harness_scratch("secret.txt"), *fifo = harness_scratch("probe.fifo");

	snprintf(path, sizeof(path), "tests/hostile/%s", file);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	text = harness_read(path);
	source = harness_subst(text, "@SECRET@", secret, "@HOSTPID@", pid,
			       "@TASKDIR@", t->dir, "@FIFO@", fifo, NULL);
	free(text);
	free(secret);
	free(fifo);
	return source;
}

static void setup_targets(void)
{
	char *secret = harness_scratch("secret.txt"), *fifo = harness_scratch("probe.fifo");

	assert_int_equal(os_write_file(secret, SECRET "\n", strlen(SECRET) + 1), 0);
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	setenv("OPENAI_API_KEY", KEY, 1);
	free(secret);
	free(fifo);
}

static void remove_targets(void)
{
	char *secret = harness_scratch("secret.txt"), *fifo = harness_scratch("probe.fifo");

	unlink(secret);
	unlink(fifo);
	unsetenv("OPENAI_API_KEY");
	free(secret);
	free(fifo);
}

static void test_include_probes_read_nothing(void **state)
{
	static const char *const probes[] = {
		"include_secret.c", "include_environ.c", "include_labels.c",
		"include_task_json.c", "include_fifo.c", "include_device.c",
		"include_score.c", "include_oracle.c",
	};
	task *t = harness_task("email");
	size_t i;

	(void)state;
	setup_targets();
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		char *source = probe_source(probes[i], t);
		eval_result r;

		assert_int_equal(eval_solution(&r, t, probes[i], source, EVAL_TRAIN), 0);
		if (r.status != SANDBOX_COMPILE_ERROR)
			fail_msg("%s: expected compile_error, got %s", probes[i],
				 sandbox_status_name(r.status));
		assert_clean(probes[i], r.diagnostics);
		assert_clean(probes[i], r.feedback);
		assert_clean(probes[i], r.detail);
		assert_contains(r.diagnostics, "not found");
		eval_result_free(&r);
		free(source);
	}
	remove_targets();
	task_free(t);
}

/* tasks/email with FILE's line `from` preceded by an #include of
 * `header`, a file outside the task folder: $TMPDIR/NAME/email. */
static task *task_reaching_out(const char *name, const char *file, const char *from,
			       const char *header, char **root)
{
	char *to = harness_subst("#include \"@H@\"\n@FROM@", "@H@", header, "@FROM@", from, NULL);
	char *dir;
	task *t = NULL;

	*root = edited_task_copy(name, "email", file, from, to);
	dir = os_path_join(*root, "email");
	assert_int_equal(task_load_dir(&t, dir), 0);
	free(dir);
	free(to);
	return t;
}

/* A task is trusted, but a lab can point at any task folder: its code is
 * compiled as confined as a solution, in the zygote that keeps it
 * compiled too, and reads nothing outside the task's folder and the
 * headers. (Outside the zygote the header would be refused anyway: a
 * task whose code the zygote compiled was run as compiled.) */
static void test_task_code_compiles_confined(void **state)
{
	char *header = harness_scratch("outside.h"), *root;
	const char *inputs[] = { "a@example.com" };
	char *labels[1] = { NULL };
	eval_result r;
	task *t;

	(void)state;
	assert_int_equal(os_write_file(header, "/* " SECRET " */\n", strlen(SECRET) + 7), 0);
	t = task_reaching_out("reach_driver", "driver.c", "#include \"email.h\"", header, &root);
	assert_int_equal(eval_solution(&r, t, "initial.c", t->initial_text, EVAL_TRAIN), 0);
	assert_int_equal(r.status, SANDBOX_TASK_ERROR);
	assert_contains(r.diagnostics, "not found");
	eval_result_free(&r);
	task_free(t);
	os_remove_tree(root);
	free(root);

	t = task_reaching_out("reach_score", "score.c", "#include <string.h>", header, &root);
	assert_true(eval_solution(&r, t, "initial.c", t->initial_text, EVAL_TRAIN) < 0);
	assert_contains(err_last(), "score.c does not compile");
	assert_contains(err_last(), "not found");
	task_free(t);
	os_remove_tree(root);
	free(root);

	t = task_reaching_out("reach_oracle", "oracle.c", "#include <string.h>", header, &root);
	assert_true(oracle_label(t, inputs, 1, labels) < 0);
	assert_contains(err_last(), "oracle.c does not compile");
	assert_contains(err_last(), "not found");
	assert_null(labels[0]);
	task_free(t);
	os_remove_tree(root);
	free(root);
	unlink(header);
	free(header);
}

/* Every header agents are compiled against is a reserved name: the
 * allowlist's (bin/libc, with agent.h and jansson's) and tcc's own. */
static void test_host_headers_are_reserved(void **state)
{
	const char *libc_dir, *tcc_dir;
	char path[4096];
	const char *dirs[2];
	struct dirent *ent;
	size_t i;

	(void)state;
	assert_int_equal(compile_system_dirs(&libc_dir, &tcc_dir), 0);
	snprintf(path, sizeof(path), "%s/include", tcc_dir);
	dirs[0] = libc_dir;
	dirs[1] = path;
	for (i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);
		assert_non_null(d);
		while ((ent = readdir(d)) != NULL)
			if (ent->d_name[0] != '.' && !agents_reserved_name(ent->d_name))
				fail_msg("%s/%s is not a reserved agent file name", dirs[i], ent->d_name);
		closedir(d);
	}
}

/* Validates `f` with `task_agent` as task_agent.c and a meta agent that
 * passes; `stage` must be the stage that fails. Returns its diagnostics
 * (free() them). */
static char *failed_stage(agent_files *f, const char *task_agent, int stage)
{
	task *t = harness_task("email");
	validate_report r;
	char *diagnostics;

	assert_int_equal(agents_set(f, "task_agent.c", task_agent), 0);
	assert_int_equal(agents_set(f, "meta_agent.c", harness_meta_agent), 0);
	assert_int_equal(validate_agents(&r, f, t), 0);
	assert_int_equal(r.failed, stage);
	diagnostics = strdup(r.stages[stage].diagnostics);
	validate_report_free(&r);
	task_free(t);
	return diagnostics;
}

/* An agent's own file probing the host the same way, in validation (the
 * compile stage once ran in the host process) and in a run. */
static void test_agent_include_probes_read_nothing(void **state)
{
	task *t = harness_task("email");
	char *probe, *agent_src, *diagnostics;
	agent_files f = { NULL, 0 };

	(void)state;
	setup_targets();
	probe = probe_source("include_secret.c", t);
	agent_src = harness_subst(probe, "#include \"email.h\"",
				  "char *task_agent_improve(const char *s) { (void)s; return 0; }",
				  "int validate_email(const char *s) { (void)s; return 0; }", "", NULL);
	diagnostics = failed_stage(&f, agent_src, 0);
	assert_clean("validation", diagnostics);
	assert_contains(diagnostics, "not found");
	free(diagnostics);
	agents_free(&f);
	free(agent_src);
	free(probe);
	remove_targets();
	task_free(t);
}

/* A header's diagnostics name it as the agent does, never by a path of the
 * machine (the sandbox's folders). */
static void test_diagnostics_name_no_host_path(void **state)
{
	agent_files f = { NULL, 0 };
	char *diagnostics;

	(void)state;
	assert_int_equal(agents_set(&f, "helper.h", "static int broken(void) { return nowhere; }\n"), 0);
	diagnostics = failed_stage(&f, "#include <helper.h>\n"
				   "char *task_agent_improve(const char *s) { (void)s; return 0; }\n", 0);
	assert_contains(diagnostics, "helper.h:");
	assert_null(strstr(diagnostics, getenv("TMPDIR")));
	assert_null(strstr(diagnostics, "host-sandbox"));
	free(diagnostics);
	agents_free(&f);
}

static void expect_status(task *t, const char *file, const char *source,
			  sandbox_status status, const char *expect)
{
	eval_result r;

	assert_int_equal(eval_solution(&r, t, file, source, EVAL_TRAIN), 0);
	if (r.status != status)
		fail_msg("%s: expected %s, got %s (%s)", file, sandbox_status_name(status),
			 sandbox_status_name(r.status), r.detail);
	assert_contains(status == SANDBOX_COMPILE_ERROR ? r.diagnostics : r.detail, expect);
	eval_result_free(&r);
}

/* The macro bomb once took the host to 10.5 GB; now the compiler in the
 * child runs out of its own limits, and the next evaluation works. */
static void test_compile_bombs_end_in_the_child(void **state)
{
	task *t = harness_task("email");
	char *bomb = harness_read("tests/hostile/macro_bomb.c");
	eval_result r;

	(void)state;
	assert_int_equal(eval_solution(&r, t, "macro_bomb.c", bomb, EVAL_TRAIN), 0);
	assert_true(r.status == SANDBOX_COMPILE_ERROR || r.status == SANDBOX_TIMEOUT ||
		    r.status == SANDBOX_CRASH);
	if (r.status == SANDBOX_COMPILE_ERROR)
		assert_contains(r.diagnostics, "memory full");
	eval_result_free(&r);
	expect_status(t, "initial.c", t->initial_text, SANDBOX_OK, "ok");
	free(bomb);
	task_free(t);
}

/* 30 headers that each include the next twice: 2^30 inclusions. */
static void test_include_tree_ends_in_the_child(void **state)
{
	agent_files f = { NULL, 0 };
	char name[16], text[64], *diagnostics;
	int i;

	(void)state;
	for (i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "h%d.h", i);
		if (i < 29)
			snprintf(text, sizeof(text), "#include \"h%d.h\"\n#include \"h%d.h\"\n",
				 i + 1, i + 1);
		else
			snprintf(text, sizeof(text), "int leaf;\n");
		assert_int_equal(agents_set(&f, name, text), 0);
	}
	diagnostics = failed_stage(&f, "#include \"h0.h\"\n"
				   "char *task_agent_improve(const char *s) { (void)s; return 0; }\n", 0);
	assert_contains(diagnostics, "the compiler did not finish");
	free(diagnostics);
	agents_free(&f);
}

static void test_double_free_is_a_crash(void **state)
{
	task *t = harness_task("email");
	char *source = harness_read("tests/hostile/double_free.c");
	eval_result r;

	(void)state;
	assert_int_equal(eval_solution(&r, t, "double_free.c", source, EVAL_TRAIN), 0);
#if !defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer's own report ends the child its own way */
	if (r.status != SANDBOX_CRASH)
		fail_msg("expected crash, got %s (%s)", sandbox_status_name(r.status), r.detail);
	assert_contains(r.detail, "SIGABRT");
	assert_true(strstr(r.detail, "forbidden") == NULL);
#endif
	eval_result_free(&r);
	free(source);
	task_free(t);
}

/* An agent's own agent.h once changed the contract that signatures are
 * checked against. The host's headers are searched first, and the name
 * is refused where files enter: a lab's directory and host_emit. */
static void test_shadow_agent_h(void **state)
{
	agent_files f = { NULL, 0 };
	char *dir = harness_scratch("shadow"), *path, *diagnostics;
	run_result cli;

	(void)state;
	assert_int_equal(agents_set(&f, "agent.h", "#define HOST_AGENT_H\n"
				    "int task_agent_improve(int budget);\n"
				    "int meta_agent_rewrite(const char *archive);\n"), 0);
	diagnostics = failed_stage(&f, "int task_agent_improve(int budget) { return budget; }\n", 2);
	assert_contains(diagnostics, "task_agent.c:1: error:");
	free(diagnostics);
	os_remove_tree(dir);
	assert_int_equal(agents_write(&f, dir), 0);
	run_host(&cli, "validate", dir, NULL);
	assert_int_equal(cli.status, 1);
	assert_contains(cli.err, "'agent.h' is the name of one of the host's headers, "
			"which agents cannot replace");
	path = os_path_join(dir, "agent.h");
	assert_true(os_is_file(path));  /* refused, not removed */
	free(path);
	run_result_free(&cli);
	os_remove_tree(dir);
	free(dir);
	agents_free(&f);
}

void test_group_confine(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_include_probes_read_nothing),
		cmocka_unit_test(test_agent_include_probes_read_nothing),
		cmocka_unit_test(test_compile_bombs_end_in_the_child),
		cmocka_unit_test(test_include_tree_ends_in_the_child),
		cmocka_unit_test(test_double_free_is_a_crash),
		cmocka_unit_test(test_shadow_agent_h),
		cmocka_unit_test(test_diagnostics_name_no_host_path),
		cmocka_unit_test(test_host_headers_are_reserved),
		cmocka_unit_test(test_task_code_compiles_confined),
	};

	HARNESS_GROUP(t, "confine", tests);
}
