/*
 * test_compile.c - the libtcc front end: good code, diagnostics with real
 * file names and lines, signatures checked against a header, and the
 * allowlist enforced at link time by name.
 */
#include "harness.h"

#include "allowlist.h"
#include "compile.h"

#include <stdlib.h>
#include <string.h>

static char *diags_text(const compile_diags *d)
{
	buf out = BUF_INIT;

	compile_diags_format(&out, d, 0);
	return buf_detach(&out);
}

/* Compiles `text` as `name`; returns the unit (or NULL) and the diagnostics. */
static compile_unit *build(const char *name, const char *text, const char *prelude,
			   char **diagnostics)
{
	compile_source src = { name, text };
	compile_options opts = { prelude, NULL, NULL, 0 };
	compile_diags d = { NULL, 0 };
	compile_unit *unit = NULL;
	int rc = compile_build(&unit, &d, &src, 1, &opts);

	assert_true(rc == 0 || unit == NULL);
	*diagnostics = diags_text(&d);
	compile_diags_free(&d);
	return unit;
}

static void test_good_source_runs(void **state)
{
	char *diags;
	compile_unit *unit = build("good.c",
		"#include <string.h>\n#include <stdlib.h>\n"
		"int twice(int x) { return 2 * x; }\n"
		"int length(const char *s) { char *c = strdup(s); int n = (int)strlen(c); free(c); return n; }\n",
		NULL, &diags);
	int (*twice)(int), (*length)(const char *);

	(void)state;
	assert_non_null(unit);
	twice = (int (*)(int))compile_lookup(unit, "twice");
	length = (int (*)(const char *))compile_lookup(unit, "length");
	assert_non_null(twice);
	assert_int_equal(twice(21), 42);
	assert_int_equal(length("snake"), 5);
	assert_null(compile_lookup(unit, "missing"));
	compile_unit_free(unit);
	free(diags);
}

static void test_syntax_error_names_file_and_line(void **state)
{
	char *diags;
	compile_unit *unit = build("task_agent.c", "int a(void) { return 1; }\n\nint b(void) { return 2 }\n",
				   "int prelude_line_one;\nint prelude_line_two;", &diags);

	(void)state;
	assert_null(unit);
	assert_contains(diags, "task_agent.c:3: error:");
	assert_null(strstr(diags, "<string>"));
	free(diags);
}

static void test_wrong_signature_is_an_error(void **state)
{
	char *diags;
	compile_unit *unit = build("initial.c", "int next_move(int x) { return x; }\n",
				   "int next_move(const char *s, int len);", &diags);

	(void)state;
	assert_null(unit);
	assert_contains(diags, "initial.c:1: error:");
	assert_contains(diags, "next_move");
	free(diags);
}

static void test_forbidden_symbol_is_named(void **state)
{
	char *diags;
	compile_unit *unit = build("meta_agent.c",
		"int system(const char *cmd);\n/* system() would run a shell */\n"
		"int run(void) { return system(\"ls\"); }\n", NULL, &diags);

	(void)state;
	assert_null(unit);
	assert_contains(diags, "meta_agent.c:1: error: forbidden symbol 'system' (not in the allowlist)");
	free(diags);
}

static void test_unknown_symbol_is_named(void **state)
{
	char *diags;
	compile_unit *unit = build("a.c", "int helper(void);\nint f(void) { return helper(); }\n",
				   NULL, &diags);

	(void)state;
	assert_null(unit);
	assert_contains(diags, "a.c:1: error: undefined symbol 'helper'");
	free(diags);
}

static void test_system_headers_are_not_used(void **state)
{
	char *diags;
	compile_unit *unit = build("io.c", "#include <stdio.h>\nvoid f(void) { printf(\"hi\"); }\n",
				   NULL, &diags);

	(void)state;
	/* the allowlist's stdio.h has no printf: it cannot link */
	assert_null(unit);
	assert_contains(diags, "forbidden symbol 'printf'");
	free(diags);
}

static void test_several_sources_and_extra_symbols(void **state)
{
	static int counter;
	compile_source srcs[] = {
		{ "one.c", "int two(void);\nint one(void) { return two() + 1; }\n" },
		{ "two.c", "extern int counter;\nint two(void) { return ++counter + 1; }\n" },
	};
	compile_symbol extra[] = { { "counter", &counter } };
	compile_options opts = { NULL, NULL, extra, 1 };
	compile_unit *unit = NULL;
	int (*one)(void);

	(void)state;
	assert_int_equal(compile_build(&unit, NULL, srcs, 2, &opts), 0);
	one = (int (*)(void))compile_lookup(unit, "one");
	assert_int_equal(one(), 3);
	assert_int_equal(counter, 1);
	compile_unit_free(unit);
}

/* Every function the allowlist's headers declare must link, and the table
 * must not carry names the headers do not offer. */
static void test_libc_headers_match_the_allowlist(void **state)
{
	size_t n, i;
	const allowlist_symbol *table = allowlist_symbols(&n);
	buf text = BUF_INIT;
	char *diags;
	compile_unit *unit;

	(void)state;
	buf_puts(&text, "#include <stdlib.h>\n#include <string.h>\n#include <stdio.h>\n"
		 "#include <ctype.h>\n#include <math.h>\n#include <errno.h>\n#include <jansson.h>\n"
		 "void *all[] = {\n");
	for (i = 0; i < n; i++)
		if (strncmp(table[i].name, "__", 2) != 0)
			buf_printf(&text, "(void *)%s,\n", table[i].name);
	buf_puts(&text, "};\nint *e(void) { return &errno; }\n");
	unit = build("all.c", text.data, NULL, &diags);
	assert_string_equal(diags, "");
	assert_non_null(unit);
	compile_unit_free(unit);
	free(diags);
	buf_free(&text);
	assert_true(allowlist_contains("memcpy"));
	assert_false(allowlist_contains("system"));
	assert_false(allowlist_contains("fopen"));
}

void test_group_compile(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_source_runs),
		cmocka_unit_test(test_syntax_error_names_file_and_line),
		cmocka_unit_test(test_wrong_signature_is_an_error),
		cmocka_unit_test(test_forbidden_symbol_is_named),
		cmocka_unit_test(test_unknown_symbol_is_named),
		cmocka_unit_test(test_system_headers_are_not_used),
		cmocka_unit_test(test_several_sources_and_extra_symbols),
		cmocka_unit_test(test_libc_headers_match_the_allowlist),
	};

	HARNESS_GROUP(t, "compile", tests);
}
