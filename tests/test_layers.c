/*
 * test_layers.c - the layers hold: a file of one layer that includes a
 * header of a later one does not compile, with the include path the
 * build gives that layer (make layer-includes), while an earlier layer's
 * header does; the runner's headers (sandbox/runner) are its own: not
 * even the host's side of the sandbox sees them; and the lab's state has
 * one writer each.
 */
#include "harness.h"

#include "buf.h"
#include "os.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The -I flags of `layer`, as the Makefile builds it (free() it). Under
 * make asan the suite is itself run by a sub-make, whose MAKEFLAGS would
 * have this make print the folder it enters, too. */
static char *layer_includes(const char *layer)
{
	char arg[64];
	char *argv[] = { "/usr/bin/make", "-s", "--no-print-directory", "layer-includes", arg,
			 NULL };
	run_result r;
	char *flags;

	snprintf(arg, sizeof(arg), "LAYER=%s", layer);
	run_command(&r, NULL, argv);
	if (r.status != 0)
		fail_msg("make layer-includes %s: %s", layer, r.err);
	flags = strdup(r.out);
	run_result_free(&r);
	flags[strcspn(flags, "\n")] = '\0';
	return flags;
}

/* Compiles `#include "header"` with `layer`'s include path; its status
 * and what the compiler said. */
static int compile_probe(run_result *r, const char *layer, const char *header)
{
	char *flags = layer_includes(layer), *probe = harness_scratch("layer_probe.c");
	char *text = harness_subst("#include \"@H@\"\nint probe;\n", "@H@", header, NULL);
	buf cmd = BUF_INIT;
	char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	int status;

	assert_int_equal(os_write_file(probe, text, strlen(text)), 0);
	buf_printf(&cmd, "cc -fsyntax-only -D_GNU_SOURCE $(pkg-config --cflags jansson libgit2) "
		   "%s %s", flags, probe);
	argv[2] = (char *)buf_cstr(&cmd);
	run_command(r, NULL, argv);
	status = r->status;
	unlink(probe);
	buf_free(&cmd);
	free(text);
	free(probe);
	free(flags);
	return status;
}

static void test_a_wrong_way_include_does_not_compile(void **state)
{
	static const struct {
		const char *layer, *header;
	} wrong[] = {
		{ "host/task", "evolve.h" }, { "host/task", "broker.h" }, { "host/task", "llm.h" },
		{ "host/llm", "agent_run.h" }, { "host/agent", "evolve.h" },
		{ "host/lab", "eval.h" }, { "sandbox", "store.h" }, { "host/util", "compile.h" },
		{ "host/evolve", "cli.h" }, { "sandbox", "runner.h" }, { "sandbox", "lockdown.h" },
		{ "host/task", "confine.h" }, { "sandbox/runner", "store.h" },
	}, right[] = {
		{ "host/task", "store.h" }, { "host/llm", "task.h" }, { "host/agent", "llm.h" },
		{ "host/evolve", "broker.h" }, { "host/cli", "evolve.h" },
		{ "sandbox/runner", "zygote.h" }, { "sandbox/runner", "lockdown.h" },
		{ "host/cc", "edits.h" },
	};
	run_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		if (compile_probe(&r, wrong[i].layer, wrong[i].header) == 0)
			fail_msg("%s may include %s", wrong[i].layer, wrong[i].header);
		assert_contains(r.err, "No such file or directory");
		run_result_free(&r);
	}
	for (i = 0; i < sizeof(right) / sizeof(right[0]); i++) {
		if (compile_probe(&r, right[i].layer, right[i].header) != 0)
			fail_msg("%s cannot include %s: %s", right[i].layer, right[i].header, r.err);
		run_result_free(&r);
	}
}

/* bin/host holds nothing of the runner: the host's side of the sandbox
 * sees none of its headers, and a program takes from the library only
 * the objects it refers to. The zygote's own loop once came in with the
 * host's side of it, and the seccomp filter with the loop. */
static void test_the_host_holds_nothing_of_the_runner(void **state)
{
	static const char *const runner_only[] = {
		"zygote_serve", "lockdown_apply", "lockdown_leave_network", "confine_abi",
		"runner_enter", "runner_finish", "agent_services_symbols",
	};
	char *host = os_path_join(harness_bin(), "host"), *host_sandbox;
	char *argv[] = { "/usr/bin/nm", "--defined-only", host, NULL };
	char name[64];
	run_result r;
	size_t i;

	(void)state;
	run_command(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, " sandbox_run\n");
	for (i = 0; i < sizeof(runner_only) / sizeof(runner_only[0]); i++) {
		snprintf(name, sizeof(name), " %s\n", runner_only[i]);
		if (strstr(r.out, name))
			fail_msg("bin/host holds %s", runner_only[i]);
	}
	run_result_free(&r);
	/* the names are right: host-sandbox has every one */
	host_sandbox = os_path_join(harness_bin(), "host-sandbox");
	argv[2] = host_sandbox;
	run_command(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	for (i = 0; i < sizeof(runner_only) / sizeof(runner_only[0]); i++) {
		snprintf(name, sizeof(name), " %s\n", runner_only[i]);
		assert_contains(r.out, name);
	}
	run_result_free(&r);
	free(host_sandbox);
	free(host);
}

/* The files of the layers that call `function` (its name and a '('),
 * but those of `allowed` (NULL-ended), as "host/evolve/arena.c, ..." */
static void callers(buf *out, const char *function, const char *const *allowed)
{
	static const char *const layers[] = {
		"host/util", "host/cc", "sandbox", "sandbox/runner", "host/lab", "host/task", "host/llm",
		"host/agent", "host/evolve", "host/cli",
	};
	char call[80];
	size_t i, k;

	snprintf(call, sizeof(call), "%s(", function);
	for (i = 0; i < sizeof(layers) / sizeof(layers[0]); i++) {
		DIR *d = opendir(layers[i]);
		struct dirent *ent;

		assert_non_null(d);
		while ((ent = readdir(d)) != NULL) {
			size_t len = strlen(ent->d_name);
			char path[300], *text;
			int ok = len < 3 || strcmp(ent->d_name + len - 2, ".c") != 0;

			snprintf(path, sizeof(path), "%s/%s", layers[i], ent->d_name);
			for (k = 0; !ok && allowed[k]; k++)
				ok = strcmp(path, allowed[k]) == 0;
			if (ok)
				continue;
			text = harness_read(path);
			if (strstr(text, call))
				buf_printf(out, "%s%s", out->len ? ", " : "", path);
			free(text);
		}
		closedir(d);
	}
}

/* Fails naming any file but those of `allowed` that calls one of
 * `functions` (both NULL-ended), which only `owner` may do. */
static void expect_one_owner(const char *const *functions, const char *const *allowed,
			     const char *owner)
{
	size_t i;

	for (i = 0; functions[i]; i++) {
		buf found = BUF_INIT;

		callers(&found, functions[i], allowed);
		if (found.len)
			fail_msg("%s is called outside %s, by %s", functions[i], owner, found.data);
		buf_free(&found);
	}
}

/* One commit path: a generation enters the lab through evolve_commit,
 * which records it and makes it live when it is accepted, and nothing
 * else writes generations or moves the live one (the arena included). */
static void test_generations_enter_the_lab_one_way(void **state)
{
	static const char *const writers[] = {
		"store_record", "store_record_folder", "store_set_main", "lab_make_live", NULL,
	};
	static const char *const allowed[] = {
		"host/lab/store.c", "host/lab/lab.c", "host/evolve/evolve.c", NULL,
	};

	(void)state;
	expect_one_owner(writers, allowed, "evolve_commit");
}

/* One owner for the lab's settings: settings.c reads and writes them, as
 * a struct, and no other file reads or writes the lab's config. */
static void test_the_lab_settings_have_one_owner(void **state)
{
	static const char *const access[] = { "store_setting_get", "store_setting_set", NULL };
	static const char *const allowed[] = { "host/lab/store.c", "host/lab/settings.c", NULL };

	(void)state;
	expect_one_owner(access, allowed, "settings.c");
}

void test_group_layers(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_wrong_way_include_does_not_compile),
		cmocka_unit_test(test_the_host_holds_nothing_of_the_runner),
		cmocka_unit_test(test_generations_enter_the_lab_one_way),
		cmocka_unit_test(test_the_lab_settings_have_one_owner),
	};

	HARNESS_GROUP(t, "layers", tests);
}
