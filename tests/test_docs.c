/*
 * test_docs.c - the manual: every page in man/ renders without a warning,
 * with man and with host's own renderer; every command host --help lists
 * has a page that host help shows and names its options, and its --help
 * names the page; a name with no page is refused with the nearest; make
 * install puts the pages where man finds them and make uninstall takes
 * them away; README stays short and says where everything went.
 */
#include "harness.h"

#include "buf.h"
#include "manual.h"
#include "os.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUN(r, ...) run_host((r), __VA_ARGS__, (const char *)NULL)

/* Runs a shell command line in the checkout. */
static void shell(run_result *r, const char *line)
{
	char *argv[] = { "/bin/sh", "-c", (char *)line, NULL };

	run_command(r, NULL, argv);
}

/* The commands host --help lists, and "help", as a NULL-ended array of
 * names (free() each, and it). */
static char **listed_commands(void)
{
	char **names = calloc(64, sizeof(*names)), *line, *at;
	size_t n = 0;
	run_result r;

	RUN(&r, "--help");
	assert_int_equal(r.status, 0);
	at = strstr(r.out, "Commands:\n");
	assert_non_null(at);
	for (line = strchr(at, '\n') + 1; strncmp(line, "  ", 2) == 0 && n < 63;
	     line = strchr(line, '\n') + 1) {
		size_t len = strcspn(line + 2, " ");
		if (len && line[2] != ' ')
			names[n++] = strndup(line + 2, len);
	}
	run_result_free(&r);
	assert_true(n >= 17);
	return names;
}

static void free_names(char **names)
{
	size_t i;

	for (i = 0; names[i]; i++)
		free(names[i]);
	free(names);
}

/* man/host-NAME.1, or host.1 for help. */
static void page_of(char *out, size_t size, const char *command)
{
	if (strcmp(command, "help") == 0)
		snprintf(out, size, "man/host.1");
	else
		snprintf(out, size, "man/host-%s.1", command);
}

/* man -l and groff -ww say nothing of any page: no warning, no line too
 * wide to set. */
static void test_every_page_renders_without_warnings(void **state)
{
	run_result r;

	(void)state;
	shell(&r, "command -v man >/dev/null || { echo 'man is missing: scripts/deps.sh "
		  "installs man-db' >&2; exit 1; }; n=0; for p in man/*.1 man/*.5; do "
		  "MANWIDTH=80 man -l \"$p\" >/dev/null || exit 1; "
		  "groff -man -ww -z \"$p\" || exit 1; n=$((n+1)); done; echo $n");
	if (r.status != 0 || r.err[0])
		fail_msg("the manual pages: %s", r.err);
	assert_true(atoi(r.out) >= 20);
	run_result_free(&r);
}

/* `option` (len bytes) is in the roff of `page` as \-\-name. */
static int page_has(const char *page, const char *option, size_t len)
{
	buf roff = BUF_INIT;
	size_t i;
	int found;

	for (i = 0; i < len; i++)
		buf_puts(&roff, option[i] == '-' ? "\\-" : (char[2]){ option[i], 0 });
	found = strstr(page, buf_cstr(&roff)) != NULL;
	buf_free(&roff);
	return found;
}

/* Each option `host CMD --help` takes (in its usage lines, or opening a
 * line of its list) is in CMD's page, or, for the language model's, in
 * host(1). */
static void assert_options_in_page(const char *command, const char *usage, const char *page)
{
	char *own = harness_read(page), *main_page = harness_read("man/host.1");
	const char *line = usage, *at;
	int in_usage = 1;

	for (; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
		const char *end = line + strcspn(line, "\n");
		if (line == end)
			in_usage = 0;
		if (!in_usage && strncmp(line, "  --", 4) != 0)
			continue;
		for (at = line; (at = strstr(at, "--")) != NULL && at < end;) {
			size_t len = strspn(at, "-abcdefghijklmnopqrstuvwxyz");
			int llm = strncmp(at, "--llm", 5) == 0 || strncmp(at, "--max-", 6) == 0 ||
				  strncmp(at, "--record", 8) == 0 || strncmp(at, "--replay", 8) == 0;
			if (len > 2 && !page_has(own, at, len) && !(llm && page_has(main_page, at, len)))
				fail_msg("%s: host %s --help names %.*s", page, command, (int)len, at);
			at = in_usage ? at + len : end;
		}
	}
	free(own);
	free(main_page);
}

/* Every command has a page; host help CMD shows it, with man; CMD --help
 * keeps its usage, names the page, and every option it names is in it. */
static void test_every_command_has_a_page(void **state)
{
	char **names = listed_commands(), page[128], expected[256];
	run_result r;
	size_t i;

	(void)state;
	for (i = 0; names[i]; i++) {
		page_of(page, sizeof(page), names[i]);
		if (!os_is_file(page))
			fail_msg("host %s has no manual page %s", names[i], page);
		RUN(&r, "help", names[i]);
		assert_int_equal(r.status, 0);
		snprintf(expected, sizeof(expected), "\nNAME\n       host%s%s - ",
			 strcmp(names[i], "help") ? "-" : "", strcmp(names[i], "help") ? names[i] : "");
		assert_contains(r.out, expected);
		assert_contains(r.out, "\nSYNOPSIS\n");
		run_result_free(&r);
		if (strcmp(names[i], "help") == 0)
			continue;
		RUN(&r, names[i], "--help");
		assert_int_equal(r.status, 0);
		snprintf(expected, sizeof(expected), "usage: host %s", names[i]);
		assert_contains(r.out, expected);
		snprintf(expected, sizeof(expected), "\nThe manual: host help %s, or man host-%s.\n",
			 names[i], names[i]);
		assert_contains(r.out, expected);
		assert_options_in_page(names[i], r.out, page);
		run_result_free(&r);
	}
	free_names(names);
}

/* The formats have pages of their own; a name that has none is a usage
 * error that names the nearest, as a misspelt command is. */
static void test_help_for_the_formats_and_for_no_page(void **state)
{
	run_result r;

	(void)state;
	RUN(&r, "help", "task");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "HOST-TASK(5)");
	assert_contains(r.out, "\nORACLES\n");
	run_result_free(&r);
	RUN(&r, "help", "agent");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "HOST-AGENT(5)");
	run_result_free(&r);
	RUN(&r, "help", "evolv");
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err, "host help: no manual page for 'evolv'; did you mean 'evolve'?\n"
			    "Try 'host help help'.\n");
	assert_string_equal(r.out, "");
	run_result_free(&r);
	RUN(&r, "help", "nosuch");
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err, "host help: no manual page for 'nosuch'\nTry 'host help help'.\n");
	run_result_free(&r);
}

/* Where man is missing, host renders the page itself: the same text, no
 * roff left in it. */
static void test_help_without_man_renders_the_page(void **state)
{
	char *path = strdup(getenv("PATH"));
	run_result r;

	(void)state;
	setenv("PATH", "/nonexistent", 1);
	RUN(&r, "help", "diff");
	setenv("PATH", path, 1);
	free(path);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "HOST-DIFF(1)\n\nNAME\n       host-diff - diff two generations\n");
	assert_contains(r.out, "\nSYNOPSIS\n       host diff A B [--dir D]\n");
	assert_contains(r.out, "\nOPTIONS\n       A B    the two generations\n\n       --dir D\n"
			"              the lab directory");
	assert_null(strchr(r.out, '\\'));
	run_result_free(&r);
}

/* Every page, rendered by host: no request, escape or line over the
 * width is left, and its headings are there. */
static void test_the_renderer_leaves_no_roff(void **state)
{
	DIR *d = opendir("man");
	struct dirent *ent;
	int pages = 0;

	(void)state;
	assert_non_null(d);
	while ((ent = readdir(d)) != NULL) {
		char path[300], *roff, *line;
		buf out = BUF_INIT;
		if (ent->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "man/%s", ent->d_name);
		roff = harness_read(path);
		manual_render(&out, roff, 78);
		assert_false(buf_failed(&out));
		assert_non_null(strstr(buf_cstr(&out), "\nNAME\n"));
		assert_non_null(strstr(buf_cstr(&out), "\nSEE ALSO\n"));
		for (line = out.data; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
			size_t len = strcspn(line, "\n");
			if (line[0] == '.' || memmem(line, len, "\\f", 2) || memmem(line, len, "\\-", 2) ||
			    memmem(line, len, "\\(", 2) || memmem(line, len, "\\[", 2))
				fail_msg("%s: roff left in '%.*s'", path, (int)len, line);
		}
		buf_free(&out);
		free(roff);
		pages++;
	}
	closedir(d);
	assert_true(pages >= 20);
}

/* make install puts the pages where man looks, and where host help finds
 * them beside the installed binary; make uninstall removes them. */
static void test_make_install_installs_the_pages(void **state)
{
	char *dest = harness_scratch("docs_install");
	buf cmd = BUF_INIT;
	run_result r;

	(void)state;
	/* the suite may run under make: its MAKEFLAGS are not this make's */
	buf_printf(&cmd, "unset MAKEFLAGS MFLAGS MAKELEVEL; make -s --no-print-directory -o all "
		   "install DESTDIR='%s' PREFIX=/usr BIN='%s' >/dev/null && "
		   "cmp man/host-evolve.1 '%s/usr/share/man/man1/host-evolve.1' && "
		   "cmp man/host-task.5 '%s/usr/share/man/man5/host-task.5' && "
		   "MANWIDTH=80 man -M '%s/usr/share/man' host-evolve | grep -q '^NAME' && "
		   "'%s/usr/bin/host' help check-task | grep -q 'host-check-task - ' && "
		   "make -s --no-print-directory uninstall DESTDIR='%s' PREFIX=/usr && "
		   "! ls '%s/usr/share/man/man1' | grep . && ! ls '%s/usr/share/man/man5' | grep .",
		   dest, harness_bin(), dest, dest, dest, dest, dest, dest, dest);
	shell(&r, buf_cstr(&cmd));
	if (r.status != 0)
		fail_msg("make install: %s%s", r.out, r.err);
	run_result_free(&r);
	assert_int_equal(os_remove_tree(dest), 0);
	buf_free(&cmd);
	free(dest);
}

/* README is the start, under 300 lines: the two commands, the tour, and
 * where each part of the manual is; the source walk has a file of its own. */
static void test_readme_is_short_and_says_where_things_are(void **state)
{
	char *readme = harness_read("README.md"), *at, name[300];
	DIR *d = opendir("man");
	struct dirent *ent;
	int lines = 0;

	(void)state;
	for (at = readme; *at; at++)
		lines += *at == '\n';
	if (lines >= 300)
		fail_msg("README.md has %d lines", lines);
	assert_non_null(strstr(readme, "doc/HACKING.md"));
	assert_non_null(d);
	while ((ent = readdir(d)) != NULL) {
		size_t len = strlen(ent->d_name);
		if (ent->d_name[0] == '.' || len < 3)
			continue;
		snprintf(name, sizeof(name), "%.*s(%c)", (int)len - 2, ent->d_name, ent->d_name[len - 1]);
		if (!strstr(readme, name))
			fail_msg("README does not name %s", name);
	}
	closedir(d);
	free(readme);
}

void test_group_docs(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_page_renders_without_warnings),
		cmocka_unit_test(test_every_command_has_a_page),
		cmocka_unit_test(test_help_for_the_formats_and_for_no_page),
		cmocka_unit_test(test_help_without_man_renders_the_page),
		cmocka_unit_test(test_the_renderer_leaves_no_roff),
		cmocka_unit_test(test_make_install_installs_the_pages),
		cmocka_unit_test(test_readme_is_short_and_says_where_things_are),
	};

	HARNESS_GROUP(t, "docs", tests);
}
