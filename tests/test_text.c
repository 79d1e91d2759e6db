/*
 * test_text.c - what agents, models and a lab handed over write reaches
 * no terminal, commit or page as more than text: the bytes a terminal
 * takes as commands (ESC, BEL, the C1 controls) are removed wherever it is
 * printed or committed, a reason is one line everywhere, and the report
 * escapes whatever it takes from a lab; a text shortened to fit is cut
 * after a word, with an ellipsis.
 */
#include "harness.h"
#include "lab_fixture.h"

#include "agents.h"
#include "buf.h"
#include "os.h"
#include "text.h"
#include "utf8.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fails, naming `where`, when `text` holds a control character: a C0 one
 * but '\n' and '\t', DEL, or a C1 one, in UTF-8 or as a lone byte. */
static void assert_no_controls(const char *text, const char *where)
{
	size_t len = strlen(text), at = 0, n;

	while (at < len) {
		unsigned char c = (unsigned char)text[at];
		n = utf8_char_length(text + at, len - at);
		if ((n == 1 && ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)) ||
		    (n == 0 && c >= 0x80 && c <= 0x9f) ||
		    (n == 2 && c == 0xc2 && (unsigned char)text[at + 1] <= 0x9f))
			fail_msg("%s: a control character (0x%02x%s) at byte %zu of %zu", where, c,
				 n == 2 ? " 0x.." : "", at, len);
		at += n ? n : 1;
	}
}

/* The line of `text` that holds `needle` (free() it). */
static char *line_with(const char *text, const char *needle)
{
	const char *at = strstr(text, needle), *start;

	if (!at)
		fail_msg("no line holds '%s'", needle);
	for (start = at; start > text && start[-1] != '\n'; start--)
		;
	return strndup(start, strcspn(start, "\n"));
}

/* Asserts that the line holding `needle` starts with `start` and also
 * holds `also` (NULL: nothing more). */
static void assert_line(const char *text, const char *needle, const char *start, const char *also)
{
	char *line = line_with(text, needle);

	if (strncmp(line, start, strlen(start)) != 0 || (also && !strstr(line, also)))
		fail_msg("the line of '%s' is '%s'; expected it to start with '%s' and hold '%s'",
			 needle, line, start, also ? also : "");
	free(line);
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

static void test_text_removes_controls(void **state)
{
	char s[256];
	buf b = BUF_INIT;

	(void)state;
	strcpy(s, "a\x1b]52;c;SGVsbG8=\x07" "b\x1b[2Jc\r\n\td\x7f" "e\xc2\x9b" "31m\xc2\x85" "f");
	text_clean(s);
	assert_string_equal(s, "a]52;c;SGVsbG8=b[2Jc\n\tde31mf");
	strcpy(s, "one\ntwo\r\nthree\tfour\xe2\x80\xa8" "five\xe2\x80\xa9" "six\xc2\x85" "seven\x1b");
	text_one_line(s);
	assert_string_equal(s, "one two  three four five six seven");
	/* text that is not UTF-8: a lone 0x9b is CSI to an 8-bit terminal;
	 * the rest, and every valid character, stays */
	strcpy(s, "x\x9b" "2J\xe9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82");
	text_clean(s);
	assert_string_equal(s, "x2J\xe9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82");
	text_one_line(NULL);
	text_append_line(&b, "gen_001\nStatus: accepted");
	text_append(&b, "\x1b[2J\n");
	text_append_line(&b, NULL);
	assert_string_equal(buf_cstr(&b), "gen_001 Status: accepted[2J\n");
	assert_int_equal(b.len, strlen(b.data));
	buf_free(&b);
}

/* A text over its room is cut after its last whole word, without the
 * blanks and commas before the cut, and ends in an ellipsis within the
 * room; one long word is cut on a character; a text that fits stays. */
static void test_text_shortens_after_a_word(void **state)
{
	static const char phrase[] = "fewer candidates per round, so that more rounds fit";
	static const char word[] = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";  /* 10 bytes */
	char *s;
	int cut;

	(void)state;
	s = text_shorten(phrase, strlen(phrase), 31, &cut);
	assert_string_equal(s, "fewer candidates per round" TEXT_ELLIPSIS);
	assert_true(cut && strlen(s) <= 31);
	free(s);
	s = text_shorten(phrase, strlen(phrase), 34, &cut);  /* "so" would end at byte 29 */
	assert_string_equal(s, "fewer candidates per round, so" TEXT_ELLIPSIS);
	free(s);
	s = text_shorten(phrase, strlen(phrase), strlen(phrase), &cut);
	assert_string_equal(s, phrase);
	assert_false(cut);
	free(s);
	s = text_shorten(word, strlen(word), 8, &cut);  /* 5 bytes of room: two characters */
	assert_string_equal(s, "\xc3\xa9\xc3\xa9" TEXT_ELLIPSIS);
	free(s);
	assert_int_equal(text_cut_words(phrase, strlen(phrase), 2), 0);
}

/* seed/ with tests/agents/control_bytes.c as its meta agent, in
 * $TMPDIR/name (free() it). */
static char *hostile_seed(const char *name)
{
	char *raw = harness_read("tests/hostile/raw.h");
	char *meta = harness_read("tests/agents/control_bytes.c"), *dir = scratch(name);
	buf src = BUF_INIT;
	agent_files f;

	buf_printf(&src, "#include <stdlib.h>\n#include <string.h>\n%s%s", raw, meta);
	assert_int_equal(agents_load(&f, "seed"), 0);
	assert_int_equal(agents_set(&f, "meta_agent.c", src.data), 0);
	assert_int_equal(agents_write(&f, dir), 0);
	agents_free(&f);
	buf_free(&src);
	free(meta);
	free(raw);
	return dir;
}

/* Runs host with `argv` and asserts its exit status and that nothing it
 * printed holds a control character. */
static void run_clean(run_result *r, int status, char *const argv[])
{
	char where[128];

	run_host_with(r, NULL, argv);
	snprintf(where, sizeof(where), "host %s", argv[1]);
	if (r->status != status)
		fail_msg("%s: exit %d, expected %d: %s", where, r->status, status, r->err);
	assert_no_controls(r->out, where);
	assert_no_controls(r->err, where);
}

#define HOST_CLEAN(r, status, ...) do { \
	char *argv_[] = { "host", __VA_ARGS__, NULL }; \
	run_clean((r), (status), argv_); \
} while (0)

/* What a generation's commit says: `git log` (messages and notes) holds no
 * control, and each trailer is there once. */
static void assert_commits_clean(const char *lab)
{
	static const char *const formats[] = {
		"--format=%(trailers:key=Status,valueonly)", "--format=%(trailers:key=Fitness)",
	};
	run_result r;
	size_t i;

	git(&r, lab, "log", "--all", NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "MARK2");
	assert_no_controls(r.out, "git log");
	run_result_free(&r);
	for (i = 0; i < 2; i++) {
		git(&r, lab, "log", "-1", formats[i], "gen_002");
		assert_int_equal(r.status, 0);
		assert_int_equal(count_lines(r.out) - (strstr(r.out, "\n\n") != NULL), 1);
		if (i == 0)
			assert_string_equal(strtok(r.out, "\n"), "invalid");
		run_result_free(&r);
	}
}

/* A meta agent's log line, its task agent's #error and a message of its
 * own, all terminal commands, with newlines before a forged row of host
 * log and forged trailers: evolve, log, show and git log print each
 * without a control, and each reason on its own one line. */
static void test_an_agents_words_reach_no_terminal(void **state)
{
#if defined(__x86_64__)
	char *seed = hostile_seed("text-seed"), *lab = scratch("text-lab");
	const char *diagnostics;
	run_result r;

	(void)state;
	HOST_CLEAN(&r, 0, "init", "--dir", lab, "--from", seed, "--tasks", "email", "--budget", "2");
	run_result_free(&r);
	HOST_CLEAN(&r, 0, "evolve", "--dir", lab, "--gens", "2");
	assert_line(r.out, "MARK1", "gen_001 ", "invalid");
	assert_line(r.out, "MARK2", "gen_002 ", "accepted   1.0000    1.0000  forged");
	assert_line(r.out, "MARK2", "gen_002 ", "Status: accepted Fitness: 1.000000");
	run_result_free(&r);
	HOST_CLEAN(&r, 0, "log", "--all", "--dir", lab);
	assert_int_equal(count_lines(r.out), 6);  /* the header, three rows, the spend, initial.c */
	assert_line(r.out, "MARK1", "  gen_001 ", "forged");
	assert_line(r.out, "MARK2", "  gen_002 ", "forged");
	run_result_free(&r);
	HOST_CLEAN(&r, 0, "log", "--all", "--json", "--dir", lab);
	run_result_free(&r);
	HOST_CLEAN(&r, 0, "show", "--dir", lab, "gen_001");
	assert_line(r.out, "MARK1", "reason    compile: ", "gen_042 forged");
	diagnostics = strstr(r.out, "\ntask_agent.c:1: ");  /* below the reason */
	assert_non_null(diagnostics);
	assert_line(diagnostics + 1, "MARK1", "task_agent.c:1: error: #error", "gen_042 forged");
	run_result_free(&r);
	HOST_CLEAN(&r, 0, "show", "--dir", lab, "gen_002");
	assert_line(r.out, "MARK2", "reason    the meta agent ended with bad_output", "Status:");
	run_result_free(&r);
	assert_commits_clean(lab);
	os_remove_tree(lab);
	os_remove_tree(seed);
	free(lab);
	free(seed);
#else
	(void)state;
	skip();  /* the meta agent's own message is written with a raw x86-64 syscall */
#endif
}

/* The same meta agent under host rewrite --verbose, its candidate under
 * host validate, and a task agent that logs the same under host improve
 * --verbose. */
static void test_verbose_logs_and_diagnostics_are_clean(void **state)
{
	static const char task_agent[] =
		"#include <string.h>\n"
		"char *task_agent_improve(const char *s)\n"
		"{ host_log(\"LOG2 \\x1b]0;owned\\x07\\x1b[2J\\xc2\\x9b\" \"31m\\n* forged\");\n"
		"  return strdup(s); }\n";
#if defined(__x86_64__)
	char *seed = hostile_seed("text-rw-seed"), *out = scratch("text-rw-out");
	char *archive = scratch("text-archive.json"), *logging, *improved;
	run_result r;

	(void)state;
	assert_int_equal(os_write_file(archive, "{\"generations\": []}", 19), 0);
	HOST_CLEAN(&r, 1, "rewrite", "--agent", seed, "-o", out, "--archive", archive, "--verbose");
	assert_line(r.err, "LOG1", "agent: LOG1 ", "gen_077 forged log row");
	assert_line(r.out, "+#error MARK1", "+#error MARK1 ", "gen_042 forged");
	assert_line(r.out, "error: #error MARK1", "  task_agent.c:1: ", "gen_042 forged");
	run_result_free(&r);
	HOST_CLEAN(&r, 1, "validate", out, "--task", "email");
	assert_line(r.out, "error: #error MARK1", "  task_agent.c:1: ", "gen_042 forged");
	run_result_free(&r);
	HOST_CLEAN(&r, 1, "validate", "--json", out, "--task", "email");
	assert_contains(r.out, "#error MARK1");
	run_result_free(&r);
	logging = seed_with_task_agent("text-logging", task_agent);
	improved = scratch("text-improved.c");
	HOST_CLEAN(&r, 0, "improve", "email", "--agent", logging, "--budget", "2", "--verbose",
		   "-o", improved);
	assert_line(r.err, "LOG2", "agent: LOG2 ", "* forged");
	run_result_free(&r);
	unlink(archive);
	unlink(improved);
	os_remove_tree(out);
	os_remove_tree(seed);
	os_remove_tree(logging);
	free(improved);
	free(logging);
	free(archive);
	free(out);
	free(seed);
#else
	(void)state;
	(void)task_agent;
	skip();
#endif
}

#define IMG(n) "<img src=x onerror=alert(" #n ")>"

/* The trace events the report draws, each text of them markup. */
static json_t *crafted_events(void)
{
	return json_pack("[{s:s, s:s, s:s, s:f, s:f}, {s:s, s:s}, {s:s, s:s}]",
			 "event", "eval", "status", IMG(3) "\"'", "feedback", IMG(4) "\x1b[2J",
			 "score", 1.0, "ms", 1.0,
			 "event", "log", "line", IMG(5) "\x1b]52;c;SGVsbG8=\x07",
			 "event", "llm", "status", IMG(6) "\"'");
}

/* gen_000's note, as someone who hands the lab over may have written it:
 * every text a lab gives the report, log and show is markup, quotes that
 * would end an attribute, or terminal commands. */
static void craft_note(const char *lab)
{
	static const char name[] = IMG(1) "\"' onmouseover='alert(2)";
	char *path = os_path_join(lab, "note.json"), *text, gen[4096];
	char *argv[] = { "/usr/bin/git", "-C", gen, "notes", "add", "-f", "-F", path, "gen_000",
			 NULL };
	json_t *note, *tasks, *task, *events = crafted_events();
	run_result r;

	git(&r, lab, "notes", "show", "gen_000", NULL);
	assert_int_equal(r.status, 0);
	note = json_loads(r.out, 0, NULL);
	run_result_free(&r);
	assert_non_null(note);
	tasks = json_object_get(note, "tasks");
	task = json_deep_copy(json_object_get(tasks, "email"));
	json_object_set(task, "trace", events);
	json_object_set_new(task, "problem", json_string(IMG(7) "\n* gen_098 forged"));
	json_object_set_new(tasks, name, task);
	json_object_set(note, "rewrite_trace", events);
	json_object_set_new(note, "reason", json_string(IMG(8) "\x1b]0;owned\x07\n* gen_099 forged"));
	json_object_set_new(note, "summary", json_string(IMG(9) "\"' \x1b[2J\nStatus: accepted"));
	json_object_set_new(note, "changes", json_string(IMG(10) "\n\x1b]0;owned\x07\n"));
	json_object_set_new(note, "validation", json_pack("[{s:s, s:s, s:s}]", "stage",
		IMG(11) "\"'", "status", "fail\" onmouseover=\"alert(12)", "diagnostics",
		IMG(13) "\x1b[2J\n"));
	json_object_set_new(note, "arena", json_pack("{s:i, s:i, s:s}", "round", 1, "code_agent", 1,
						     "events", IMG(14) "\x1b[2J\n* gen_097 forged"));
	text = json_dumps(note, JSON_INDENT(2));
	assert_int_equal(os_write_file(path, text, strlen(text)), 0);
	snprintf(gen, sizeof(gen), "%s/generations", lab);
	run_command(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	unlink(path);
	free(text);
	free(path);
	json_decref(events);
	json_decref(note);
}

/* The report takes the crafted note's texts as text: escaped for HTML,
 * for attributes and for SVG, nothing run, nothing broken out of. */
static void assert_report_escapes(const char *lab)
{
	static const int drawn[] = { 1, 3, 4, 5, 6, 8, 11, 13 };
	char *html = os_path_join(lab, "report.html"), *page, img[64];
	char *check[] = { "/usr/bin/env", "python3", "tests/check_report.py", html, NULL };
	run_result r;
	size_t i;

	HOST_CLEAN(&r, 0, "report", "--dir", (char *)lab, "-o", html);
	run_result_free(&r);
	assert_int_equal(os_read_file(&page, NULL, html), 0);
	assert_no_controls(page, "report.html");
	assert_null(strstr(page, "<img"));
	assert_null(strstr(page, "onmouseover='"));
	assert_null(strstr(page, "onmouseover=\""));
	for (i = 0; i < sizeof(drawn) / sizeof(drawn[0]); i++) {
		snprintf(img, sizeof(img), "&lt;img src=x onerror=alert(%d)&gt;", drawn[i]);
		assert_contains(page, img);  /* drawn, as text */
	}
	assert_contains(page, "&lt;img src=x onerror=alert(1)&gt;&quot;&#39; onmouseover=&#39;");
	assert_contains(page, "fail&quot; onmouseover=&quot;alert(12)");
	run_command(&r, NULL, check);
	if (r.status != 0)
		fail_msg("check_report.py: %s%s", r.out, r.err);
	run_result_free(&r);
	free(page);
	free(html);
}

/* A lab handed over with a crafted note: the report escapes it, and log,
 * show and status print it without a control, each field on its line. */
static void test_a_crafted_lab_is_only_text(void **state)
{
	char *lab = make_lab("text-crafted", "email");
	run_result r;

	(void)state;
	craft_note(lab);
	assert_report_escapes(lab);
	HOST_CLEAN(&r, 0, "log", "--dir", lab);
	assert_line(r.out, "alert(8)", "* gen_000 ", "gen_099 forged");
	assert_line(r.out, "alert(14)", "              ", "gen_097 forged");
	assert_null(strstr(r.out, "\n* gen_09"));
	run_result_free(&r);
	HOST_CLEAN(&r, 0, "log", "--json", "--dir", lab);
	run_result_free(&r);
	HOST_CLEAN(&r, 0, "show", "--dir", lab, "gen_000");
	assert_line(r.out, "alert(8)", "reason    ", "gen_099 forged");
	assert_line(r.out, "alert(9)", "summary   ", "Status: accepted");
	assert_line(r.out, "alert(11)", "  ", "alert(12)");
	assert_null(strstr(r.out, "\n* gen_09"));
	run_result_free(&r);
	HOST_CLEAN(&r, 0, "status", "--dir", lab);
	run_result_free(&r);
	os_remove_tree(lab);
	free(lab);
}

void test_group_text(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_removes_controls),
		cmocka_unit_test(test_text_shortens_after_a_word),
		cmocka_unit_test(test_an_agents_words_reach_no_terminal),
		cmocka_unit_test(test_verbose_logs_and_diagnostics_are_clean),
		cmocka_unit_test(test_a_crafted_lab_is_only_text),
	};

	HARNESS_GROUP(t, "text", tests);
}
