/*
 * llm_fixture.c - the language-model tests' shared helpers; see
 * llm_fixture.h.
 */
#include "llm_fixture.h"

#include "buf.h"
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *server_file(const llm_server *s, const char *name)
{
	return os_path_join(s->dir, name);
}

/* Reads at most `size` bytes the server wrote on its pipe within `ms`:
 * their count, 0 when nothing came in time, -1 when the server is gone. */
static ssize_t hear(llm_server *s, int ms, char *data, size_t size)
{
	struct pollfd p = { s->events, POLLIN, 0 };
	ssize_t got;
	int ready = poll(&p, 1, ms > 0 ? ms : 0);

	if (ready <= 0)
		return ready < 0 && errno != EINTR ? -1 : 0;
	got = read(s->events, data, size);
	return got > 0 ? got : -1;
}

/* The port the server writes on its pipe, and a newline, once it listens. */
static int read_port(llm_server *s)
{
	double end = os_now_ms() + 30000;
	char line[16];
	size_t n = 0;

	while (n < sizeof(line) - 1 && os_now_ms() < end) {
		ssize_t got = hear(s, (int)(end - os_now_ms()), line + n, 1);
		if (got < 0 || (got == 1 && line[n] == '\n'))
			break;
		n += (size_t)got;
	}
	line[n] = '\0';
	return n > 0 ? atoi(line) : 0;
}

/* Starts the server with `script` (consumed) in a new scratch folder. */
void llm_fixture_start(llm_server *s, json_t *script, const char *name)
{
	char *script_path, *port_path, *log_path;
	int fds[2], port;

	snprintf(s->dir, sizeof(s->dir), "%s/%s", getenv("TMPDIR"), name);
	os_remove_tree(s->dir);
	mkdir(s->dir, 0755);
	script_path = server_file(s, "script.json");
	port_path = server_file(s, "port");
	log_path = server_file(s, "requests.jsonl");
	assert_int_equal(json_dump_file(script, script_path, 0), 0);
	json_decref(script);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	s->pid = fork();
	if (s->pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (fds[1] == 3)
			fcntl(3, F_SETFD, 0);  /* dup2 would leave it close-on-exec */
		else
			dup2(fds[1], 3);
		execlp("python3", "python3", "tests/llm_server.py", script_path, port_path,
		       log_path, "3", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	s->events = fds[0];
	s->heard = 0;
	port = read_port(s);
	if (port <= 0)
		fail_msg("the model server (python3 tests/llm_server.py) did not start");
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", port);
	free(script_path);
	free(port_path);
	free(log_path);
}

int llm_fixture_wait(llm_server *s, size_t n)
{
	double end = os_now_ms() + 60000;
	char data[64];

	while (s->heard < n) {
		ssize_t got = hear(s, (int)(end - os_now_ms()), data, sizeof(data));
		if (got < 0 || (got == 0 && os_now_ms() >= end))
			return -1;
		s->heard += (size_t)got;
	}
	return 0;
}

void llm_fixture_wait_quiet(llm_server *s, size_t n, int quiet_ms)
{
	char data[64];
	ssize_t got;

	if (llm_fixture_wait(s, n) < 0)
		fail_msg("the model server received %zu requests, not %zu", s->heard, n);
	while ((got = hear(s, quiet_ms, data, sizeof(data))) > 0)
		s->heard += (size_t)got;
	if (got < 0)
		fail_msg("the model server ended");
}

void llm_fixture_stop(llm_server *s)
{
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	close(s->events);
	os_remove_tree(s->dir);
}

/* The requests the server received, as a JSON array. */
json_t *llm_fixture_requests(const llm_server *s)
{
	char *path = server_file(s, "requests.jsonl"), *text = NULL, *line, *save = NULL;
	json_t *list = json_array();

	if (os_read_file(&text, NULL, path) == 0)
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			json_array_append_new(list, json_loads(line, 0, NULL));
	free(text);
	free(path);
	return list;
}

json_t *llm_fixture_run(run_result *r, json_t *script, const char *name, char *const argv[])
{
	char url[128], *args[32];
	json_t *requests;
	llm_server s;
	int i;

	llm_fixture_start(&s, script, name);
	snprintf(url, sizeof(url), "%s/v1", s.url);
	for (i = 0; argv[i] && i < 31; i++)
		args[i] = strcmp(argv[i], "@URL@") ? argv[i] : url;
	args[i] = NULL;
	run_host_with(r, NULL, args);
	requests = llm_fixture_requests(&s);
	llm_fixture_stop(&s);
	return requests;
}

json_t *llm_fixture_reply(const char *text, int in, int out)
{
	return json_pack("{s:s, s:i, s:i}", "text", text, "tokens_in", in, "tokens_out", out);
}

/* A script with one rule matching everything. Consumes `replies`. */
json_t *llm_fixture_script(json_t *replies)
{
	return json_pack("{s:[{s:s, s:o}]}", "rules", "match", "", "replies", replies);
}

char *llm_fixture_prices(void)
{
	char *path = os_path_join(getenv("TMPDIR"), "prices.json");
	const char *prices = "{\"openai:test-model\": {\"input_per_mtok\": 1000, \"output_per_mtok\": 2000},"
			     " \"anthropic:*\": {\"input_per_mtok\": 0, \"output_per_mtok\": 0},"
			     " \"gemini:*\": {\"input_per_mtok\": 0, \"output_per_mtok\": 0}}";

	assert_int_equal(os_write_file(path, prices, strlen(prices)), 0);
	return path;
}

llm_client *llm_fixture_client(const char *provider, const char *url, const char *prices,
			       long timeout_ms, double max_usd)
{
	llm_options o = { .provider = provider, .url = url, .prices_path = prices,
			  .max_usd = max_usd, .timeout_ms = timeout_ms };
	llm_client *c = NULL;

	assert_int_equal(llm_open(&c, &o), 0);
	assert_non_null(c);
	return c;
}

llm_client *llm_fixture_serve(llm_server *s, json_t *replies, const char *name,
			      const char *prices, long timeout_ms, double max_usd)
{
	char url[128];

	llm_fixture_start(s, llm_fixture_script(replies), name);
	snprintf(url, sizeof(url), "%s/v1", s->url);
	return llm_fixture_client("openai:test-model", url, prices, timeout_ms, max_usd);
}

const char llm_fixture_meta_edit[] =
	"FILE: task_agent.c\n<<<<<<< SEARCH\n#define CANDIDATES 6              /* candidates per round */\n"
	"=======\n#define CANDIDATES 4              /* candidates per round */\n>>>>>>> REPLACE\n";

const char llm_fixture_review[] =
	"KIND: weak_strategy\nSEVERITY: medium\nFIX: look further ahead before turning.\n"
	"CONFIDENCE: 0.6\n";

/* Scripted replies for an evolution run: the meta agent's edit, good
 * solutions for snake and email, and the task agent's reviews. */
json_t *llm_fixture_evolution(void)
{
	char *snake = harness_read("tests/llm/snake_good.c");
	char *email = harness_read("tests/solutions/email_reference.c");
	buf a = BUF_INIT, b = BUF_INIT;
	json_t *script;

	buf_printf(&a, "Here is a better one:\n```c\n%s```\n", snake);
	buf_printf(&b, "```c\n%s```", email);
	script = json_pack("{s:[{s:s, s:[o]}, {s:s, s:[o]}, {s:s, s:[o]}, {s:s, s:[o]}]}", "rules",
			   "match", "FILE: task_agent.c",
			   "replies", llm_fixture_reply(llm_fixture_meta_edit, 3000, 80),
			   "match", "Interface (snake)",
			   "replies", llm_fixture_reply(a.data, 1500, 900),
			   "match", "Interface (email)",
			   "replies", llm_fixture_reply(b.data, 1200, 700),
			   "match", LLM_FIXTURE_REVIEWER,
			   "replies", llm_fixture_reply(llm_fixture_review, 2500, 40));
	buf_free(&a);
	buf_free(&b);
	free(snake);
	free(email);
	return script;
}

char *llm_fixture_lab(const char *name)
{
	char *dir = os_path_join(getenv("TMPDIR"), name);
	char *argv[] = { "host", "init", "--dir", dir, NULL };
	run_result r;

	os_remove_tree(dir);
	run_host_with(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	return dir;
}

void llm_fixture_git(run_result *r, const char *dir, const char *a, const char *b, const char *c)
{
	char gen[4096];
	char *argv[] = { "/usr/bin/git", "-C", gen, (char *)a, (char *)b, (char *)c, NULL };

	snprintf(gen, sizeof(gen), "%s/generations", dir);
	run_command(r, NULL, argv);
}

json_t *llm_fixture_note(const char *dir, int g)
{
	char name[16];
	run_result r;
	json_t *note;

	snprintf(name, sizeof(name), "gen_%03d", g);
	llm_fixture_git(&r, dir, "notes", "show", name);
	note = json_loads(r.out, 0, NULL);
	assert_non_null(note);
	run_result_free(&r);
	return note;
}

const char *llm_fixture_status(const char *dir, int g, json_t **note)
{
	*note = llm_fixture_note(dir, g);
	return json_string_value(json_object_get(*note, "status"));
}

size_t llm_fixture_count(const llm_server *s)
{
	json_t *requests = llm_fixture_requests(s);
	size_t n = json_array_size(requests);

	json_decref(requests);
	return n;
}

int llm_fixture_most_open(const llm_server *s)
{
	json_t *requests = llm_fixture_requests(s), *q;
	size_t i;
	int most = 0;

	json_array_foreach(requests, i, q)
		if (json_integer_value(json_object_get(q, "open")) > most)
			most = (int)json_integer_value(json_object_get(q, "open"));
	json_decref(requests);
	return most;
}

void llm_fixture_same_generations(const char *lab_a, const char *lab_b, int gens)
{
	run_result a, b;
	char rev[32];
	int g;

	for (g = 1; g <= gens; g++) {
		snprintf(rev, sizeof(rev), "gen_%03d^{tree}", g);
		llm_fixture_git(&a, lab_a, "rev-parse", rev, NULL);
		llm_fixture_git(&b, lab_b, "rev-parse", rev, NULL);
		assert_string_equal(a.out, b.out);
		run_result_free(&a);
		run_result_free(&b);
		snprintf(rev, sizeof(rev), "gen_%03d", g);
		llm_fixture_git(&a, lab_a, "show", "--format=%s", rev);
		llm_fixture_git(&b, lab_b, "show", "--format=%s", rev);
		assert_string_equal(a.out, b.out);
		run_result_free(&a);
		run_result_free(&b);
	}
}

json_t *llm_fixture_late(json_t *script, double seconds)
{
	json_t *rule, *reply;
	size_t i, j;

	json_array_foreach(json_object_get(script, "rules"), i, rule)
		json_array_foreach(json_object_get(rule, "replies"), j, reply)
			json_object_set_new(reply, "delay", json_real(seconds));
	return script;
}

json_t *llm_fixture_late_rule(json_t *script, const char *match, double seconds)
{
	json_t *rule, *reply;
	size_t i, j;

	json_array_foreach(json_object_get(script, "rules"), i, rule)
		if (strcmp(json_string_value(json_object_get(rule, "match")), match) == 0)
			json_array_foreach(json_object_get(rule, "replies"), j, reply)
				json_object_set_new(reply, "delay", json_real(seconds));
	return script;
}

json_t *llm_fixture_meta_requests(const json_t *requests)
{
	json_t *out = json_array(), *q;
	size_t i;

	json_array_foreach(requests, i, q)
		if (strstr(json_string_value(json_object_get(q, "system")), "FILE: task_agent.c"))
			json_array_append(out, q);
	return out;
}

const char *llm_fixture_user(const json_t *requests, size_t i)
{
	return json_string_value(json_object_get(json_array_get(requests, i), "user"));
}

json_t *llm_fixture_rewrite(run_result *r, const char *archive, json_t *replies, char **out,
			    const char *name)
{
	return llm_fixture_rewrite_agent(r, "seed", archive, replies, out, name);
}

json_t *llm_fixture_rewrite_agent(run_result *r, const char *agent, const char *archive,
				  json_t *replies, char **out, const char *name)
{
	char *path = harness_scratch("archive.json"), *dir, out_name[64];
	char *argv[] = { "host", "rewrite", "-o", NULL, "--agent", NULL, "--llm", "openai:test-model",
			 "--llm-url", "@URL@", archive ? "--archive" : NULL, path, NULL };
	json_t *requests, *meta;

	snprintf(out_name, sizeof(out_name), "%s_candidate", name);  /* $TMPDIR/name is the server's */
	dir = harness_scratch(out_name);
	argv[3] = dir;
	argv[5] = (char *)agent;
	os_remove_tree(dir);
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	if (archive)
		assert_int_equal(os_write_file(path, archive, strlen(archive)), 0);
	requests = llm_fixture_run(r, llm_fixture_script(replies), name, argv);
	if (r->status != 0)
		fail_msg("host rewrite failed:\n%s%s", r->out, r->err);
	meta = llm_fixture_meta_requests(requests);
	json_decref(requests);
	unlink(path);
	free(path);
	*out = dir;
	return meta;
}

void llm_fixture_file_has(const char *dir, const char *name, const char *needle)
{
	char *path = os_path_join(dir, name), *text = harness_read(path);

	assert_contains(text, needle);
	free(text);
	free(path);
}

int llm_fixture_seed_line(const char *text)
{
	char *seed = harness_read("seed/task_agent.c");
	const char *at = strstr(seed, text), *p;
	int line = 1;

	assert_non_null(at);
	for (p = seed; p < at; p++)
		line += *p == '\n';
	free(seed);
	return line;
}

json_t *llm_fixture_code_reply(const char *code)
{
	buf text = BUF_INIT;
	json_t *reply;

	buf_printf(&text, "Here it is:\n```c\n%s```\n", code);
	reply = llm_fixture_reply(text.data, 500, 300);
	buf_free(&text);
	return reply;
}

char *llm_fixture_better_email(void)
{
	char *initial = harness_read("tasks/email/initial.c");
	char *better = harness_subst(initial, "TUNE(1, 1, 6)", "TUNE(2, 1, 6)", NULL);

	free(initial);
	return better;
}
