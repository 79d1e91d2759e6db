/*
 * test_layers.c - the layers hold: a file of one layer that includes a
 * header of a later one does not compile, with the include path the
 * build gives that layer (make layer-includes), while an earlier layer's
 * header does.
 */
#include "harness.h"

#include "buf.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The -I flags of `layer`, as the Makefile builds it (free() it). */
static char *layer_includes(const char *layer)
{
	char arg[64];
	char *argv[] = { "/usr/bin/make", "-s", "layer-includes", arg, NULL };
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
		{ "host/evolve", "cli.h" },
	}, right[] = {
		{ "host/task", "store.h" }, { "host/llm", "task.h" }, { "host/agent", "llm.h" },
		{ "host/evolve", "broker.h" }, { "host/cli", "evolve.h" },
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

void test_group_layers(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_wrong_way_include_does_not_compile),
	};

	HARNESS_GROUP(t, "layers", tests);
}
