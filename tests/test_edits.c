/*
 * test_edits.c - the edit helpers agents get as host_extract_code and
 * host_apply_edits: exact SEARCH/REPLACE blocks, blocks whose whitespace
 * a model mangled (applied with the file's own indentation), and the
 * error, with the nearest lines of the source, for a block that matches
 * nothing, and for a mangled mark that would hide its block.
 */
#include "harness.h"

#include "edits.h"
#include "error.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A function indented the way the seed agents are: tabs, and one line
 * with trailing blanks. */
static const char tabbed[] =
	"static int f(int x)\n"
	"{\n"
	"\tif (x > 0) {\n"
	"\t\treturn x;   \n"
	"\t}\n"
	"\treturn 0;\n"
	"}\n";

/* Applies `edits` to `source` and checks the result. */
static void expect_applied(const char *source, const char *edits, const char *expected)
{
	char *out = NULL;

	if (edits_apply(&out, source, edits) < 0)
		fail_msg("the edits did not apply: %s", err_last());
	assert_string_equal(out, expected);
	free(out);
}

static void test_edit_helpers(void **state)
{
	const char *source = "int a;\nint b;\nint c;\n";
	char *out, *code;

	(void)state;
	code = edits_extract_code("Here:\n```c\nint x;\n```\nDone.");
	assert_string_equal(code, "int x;\n");
	free(code);
	assert_null(edits_extract_code("no code here"));
	expect_applied(source, "<<<<<<< SEARCH\nint b;\n=======\nint bee;\n>>>>>>> REPLACE\n",
		       "int a;\nint bee;\nint c;\n");
	assert_true(edits_apply(&out, source,
		"<<<<<<< SEARCH\nint a;\n=======\nint A;\n>>>>>>> REPLACE\n"
		"<<<<<<< SEARCH\nint b;\nint d;\n=======\n>>>>>>> REPLACE\n") < 0);
	assert_contains(err_last(), "block 2: lines 1-1 match the source at line 2, but line 2 "
			"differs: expected \"int d;\", the source has \"int c;\"");
	assert_true(edits_apply(&out, source, "<<<<<<< SEARCH\nint z;\n=======\n>>>>>>> REPLACE\n") < 0);
	assert_contains(err_last(), "block 1: its first line \"int z;\" does not occur");
	assert_true(edits_apply(&out, "x\nx\n", "<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n") < 0);
	assert_contains(err_last(), "block 1: the SEARCH text occurs 2 times");
	assert_true(edits_apply(&out, source, "<<<<<<< SEARCH\nint a;\n>>>>>>> REPLACE\n") < 0);
	assert_contains(err_last(), "block 1: no '=======' line");
	assert_true(edits_apply(&out, source, "just prose") < 0);
	assert_contains(err_last(), "no '<<<<<<< SEARCH' block");
}

/* Four spaces for each tab and the trailing blanks lost: the block still
 * applies, and its replacement, a new level deeper included, is written
 * with tabs. */
static void test_spaces_for_tabs_apply_with_tabs(void **state)
{
	(void)state;
	expect_applied(tabbed,
		"<<<<<<< SEARCH\n"
		"    if (x > 0) {\n"
		"        return x;\n"
		"    }\n"
		"=======\n"
		"    if (x > 1) {\n"
		"        while (x > 100)\n"
		"            x /= 2;\n"
		"        return x;\n"
		"    }\n"
		">>>>>>> REPLACE\n",
		"static int f(int x)\n{\n\tif (x > 1) {\n\t\twhile (x > 100)\n\t\t\tx /= 2;\n"
		"\t\treturn x;\n\t}\n\treturn 0;\n}\n");
	/* two spaces a level */
	expect_applied(tabbed,
		"<<<<<<< SEARCH\n  return 0;  \n}\n=======\n  return -1;\n}\n\nint g;\n>>>>>>> REPLACE\n",
		"static int f(int x)\n{\n\tif (x > 0) {\n\t\treturn x;   \n\t}\n\treturn -1;\n}\n"
		"\nint g;\n");
	/* replacement lines shallower than every SEARCH line lose levels */
	expect_applied(tabbed,
		"<<<<<<< SEARCH\n        return x;\n=======\n        return x;\n    }\n"
		"    if (x < 0) {\n        return -x;\n>>>>>>> REPLACE\n",
		"static int f(int x)\n{\n\tif (x > 0) {\n\t\treturn x;\n\t}\n\tif (x < 0) {\n"
		"\t\treturn -x;\n\t}\n\treturn 0;\n}\n");
}

/* The other way: a file indented with four spaces gets a tab-indented
 * block's replacement in spaces; and an exact match wins over the
 * whitespace-blind one, even where that one would be ambiguous. */
static void test_file_style_and_exact_first(void **state)
{
	(void)state;
	expect_applied("int f(void)\n{\n    if (a)\n        b();\n}\n",
		"<<<<<<< SEARCH\n\tif (a)\n\t\tb();\n=======\n\tif (a)\n\t\tc();\n>>>>>>> REPLACE\n",
		"int f(void)\n{\n    if (a)\n        c();\n}\n");
	expect_applied("\tx = 1;\n    x = 1;\n",
		"<<<<<<< SEARCH\n\tx = 1;\n=======\n\tx = 2;\n>>>>>>> REPLACE\n",
		"\tx = 2;\n    x = 1;\n");
}

/* A realigned comment on a strategy line (the seed's style) matches; a
 * block that matches twice once whitespace is ignored does not apply. */
static void test_alignment_and_ambiguity(void **state)
{
	char *out = NULL;

	(void)state;
	expect_applied("#define CANDIDATES 6              /* candidates per round */\n#define X 1\n",
		"<<<<<<< SEARCH\n#define CANDIDATES 6 /* candidates per round */\n=======\n"
		"#define CANDIDATES 8 /* candidates per round */\n>>>>>>> REPLACE\n",
		"#define CANDIDATES 8 /* candidates per round */\n#define X 1\n");
	assert_true(edits_apply(&out, "\tx = 1;\n    x = 1;\n",
		"<<<<<<< SEARCH\n  x = 1;  \n=======\n  x = 2;\n>>>>>>> REPLACE\n") < 0);
	assert_contains(err_last(), "block 1: the SEARCH text occurs 2 times when whitespace "
			"is ignored");
	assert_null(out);
}

/* Every strategy block of the seed task agent, mangled as a model would
 * (spaces for tabs, trailing blanks gone), gives the same file as the
 * block copied exactly. */
static void test_mangled_seed_blocks_apply_like_exact_ones(void **state)
{
	char *seed = harness_read("seed/task_agent.c"), *exact = NULL, *loose = NULL;
	const char *from = strstr(seed, "static char *with_values"), *to;
	char block[1024], mangled[2048], edits[8192];
	size_t i, j = 0;

	(void)state;
	assert_non_null(from);
	to = strstr(from, "\tint i = 0;\n");
	assert_non_null(to);
	snprintf(block, sizeof(block), "%.*s", (int)(to + 12 - from), from);
	for (i = 0; block[i] && j + 8 < sizeof(mangled); i++)
		if (block[i] == '\t')
			j += (size_t)snprintf(mangled + j, sizeof(mangled) - j, "    ");
		else
			mangled[j++] = block[i];
	mangled[j] = '\0';
	snprintf(edits, sizeof(edits), "<<<<<<< SEARCH\n%s=======\n%s\tint i, k;\n"
		 ">>>>>>> REPLACE\n", block, block);
	assert_int_equal(edits_apply(&exact, seed, edits), 0);
	snprintf(edits, sizeof(edits), "<<<<<<< SEARCH\n%s=======\n%s    int i, k;\n"
		 ">>>>>>> REPLACE\n", mangled, mangled);
	assert_int_equal(edits_apply(&loose, seed, edits), 0);
	assert_string_equal(loose, exact);
	free(exact);
	free(loose);
	free(seed);
}

/* A block that matches nothing comes back with the lines of the file
 * nearest to it, as they are, to copy from. */
static void test_unmatched_block_gets_the_nearest_lines(void **state)
{
	char *seed = harness_read("seed/task_agent.c"), *out = NULL, expected[200];
	const char *p;
	int line = 1;

	(void)state;
	for (p = seed; p < strstr(seed, "#define CANDIDATES 6 "); p++)
		line += *p == '\n';
	assert_true(edits_apply(&out, seed, "<<<<<<< SEARCH\n#define CANDIDATES 60\n=======\n"
				"#define CANDIDATES 5\n>>>>>>> REPLACE\n") < 0);
	assert_contains(err_last(), "block 1: its first line \"#define CANDIDATES 60\" does not "
			"occur in the source, even ignoring whitespace. The nearest lines of the "
			"source are lines ");
	/* the line that nearly matches, with one on either side */
	snprintf(expected, sizeof(expected), "lines %d-%d; copy the SEARCH lines from them "
		 "exactly:\n```\n", line - 1, line + 1);
	assert_contains(err_last(), expected);
	assert_contains(err_last(), "\n#define CANDIDATES 6              /* candidates per round */\n");
	/* a partial match says where, and lists from there */
	assert_true(edits_apply(&out, tabbed, "<<<<<<< SEARCH\n\tif (x > 0) {\n\t\treturn -x;\n"
				"=======\n>>>>>>> REPLACE\n") < 0);
	assert_contains(err_last(), "block 1: lines 1-1 match the source at line 3, but line 2 "
			"differs: expected \"return -x;\", the source has \"return x;\". The nearest "
			"lines of the source are lines 2-5");
	assert_contains(err_last(), "```\n{\n\tif (x > 0) {\n\t\treturn x;   \n\t}\n```");
	assert_null(out);
	free(seed);
}

/* Long lines are cut, never inside a character, and the message fits the
 * 1 KB an error has, so the listing is whole. */
static void test_nearest_lines_are_bounded(void **state)
{
	char source[8192] = "", line[400], *out = NULL;
	int i, j;

	(void)state;
	for (i = 0; i < 12; i++) {
		int n = snprintf(line, sizeof(line), "int v%d = 1; /* ", i);
		for (j = 0; j < 60; j++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "\xc3\xa9");
		snprintf(line + n, sizeof(line) - (size_t)n, " */\n");
		strcat(source, line);
	}
	assert_true(edits_apply(&out, source, "<<<<<<< SEARCH\nint v5 = 2;\nint v6 = 2;\n"
				"=======\n>>>>>>> REPLACE\n") < 0);
	assert_contains(err_last(), "The nearest lines of the source are lines 5-8");
	assert_contains(err_last(), "\nint v5 = 1; /* \xc3\xa9");
	assert_true(strlen(err_last()) < 1000);
	assert_int_equal(utf8_valid_prefix(err_last(), strlen(err_last())), strlen(err_last()));
	assert_true(err_last()[strlen(err_last()) - 1] == '`');
}

/* A mark a model mangled hides its block: rather than apply the others
 * and skip it unseen, the edits fail, naming the line. */
static void test_mangled_mark_is_refused(void **state)
{
	static const char good[] = "<<<<<<< SEARCH\nint a;\n=======\nint A;\n>>>>>>> REPLACE\n";
	const char *source = "int a;\nint b;\n";
	char *out = NULL, edits[256];

	(void)state;
	snprintf(edits, sizeof(edits), "<<<<<<< SEARCH:\nint b;\n=======\nint B;\n"
		 ">>>>>>> REPLACE\n%s", good);
	assert_true(edits_apply(&out, source, edits) < 0);
	assert_contains(err_last(), "before block 1: the line \"<<<<<<< SEARCH:\" is no block's "
			"mark, yet looks like one, so its block was not read; a block is '<<<<<<< "
			"SEARCH', the lines to find, '=======', their replacement, '>>>>>>> REPLACE'");
	snprintf(edits, sizeof(edits), "%s<<<<<<<< SEARCH\nint b;\n=======\nint B;\n"
		 ">>>>>>> REPLACE\n", good);
	assert_true(edits_apply(&out, source, edits) < 0);
	assert_contains(err_last(), "after block 1: the line \"<<<<<<<< SEARCH\" is no block's mark");
	assert_null(out);
	/* prose around the blocks is no mark */
	snprintf(edits, sizeof(edits), "Here is the change:\n%sSUMMARY: A\n", good);
	expect_applied(source, edits, "int A;\nint b;\n");
}

void test_group_edits(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edit_helpers),
		cmocka_unit_test(test_spaces_for_tabs_apply_with_tabs),
		cmocka_unit_test(test_file_style_and_exact_first),
		cmocka_unit_test(test_alignment_and_ambiguity),
		cmocka_unit_test(test_mangled_seed_blocks_apply_like_exact_ones),
		cmocka_unit_test(test_unmatched_block_gets_the_nearest_lines),
		cmocka_unit_test(test_nearest_lines_are_bounded),
		cmocka_unit_test(test_mangled_mark_is_refused),
	};

	HARNESS_GROUP(t, "edits", tests);
}
