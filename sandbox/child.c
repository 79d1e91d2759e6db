/*
 * child.c - host-sandbox, the program every sandboxed job runs in.
 *
 * It is a separate, small executable rather than a fork of the host so
 * that nothing of the host's memory (API keys, the git repository, libcurl
 * state) exists in the child at all. It starts once as a zygote
 * (zygote.c) and each job runs in a fresh fork of it. A child reads one
 * job from the channel on fd 3: a solution with its task's driver, or an
 * agent's entry point. It compiles the code with libtcc while it still may
 * read files, locks itself down (lockdown.c), runs the generated code and
 * writes one result frame; an agent also sends requests for host services
 * (services.c) on the way.
 *
 * Every way it can end is a frame the parent understands or a signal the
 * parent classifies: see sandbox.c.
 */
#include "buf.h"
#include "channel.h"
#include "compile.h"
#include "error.h"
#include "guard.h"
#include "lockdown.h"
#include "os.h"
#include "services.h"
#include "zygote.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define JOB_MAX_BYTES (64u << 20)

/* AddressSanitizer builds: let signals reach the parent unchanged. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0:handle_segv=0:handle_abort=0:handle_sigbus=0:"
	       "handle_sigfpe=0:handle_sigill=0:detect_stack_use_after_return=0";
}

static buf transcript;
static size_t transcript_max;
static int transcript_overflow;

static int transcript_write(const char *data, int len)
{
	if (len < 0 || transcript.len + (size_t)len > transcript_max) {
		transcript_overflow = 1;
		return -1;
	}
	return buf_append(&transcript, data, (size_t)len);
}

static int transcript_printf(const char *fmt, ...)
{
	size_t before = transcript.len;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(&transcript, fmt, ap);
	va_end(ap);
	if (rc == 0 && transcript.len > transcript_max) {
		transcript.len = before;
		transcript.data[before] = '\0';
		transcript_overflow = 1;
		return -1;
	}
	return rc;
}

static _Noreturn void finish(json_t *result)
{
	channel_send_json(CHANNEL_FD, result);
	_exit(0);
}

static _Noreturn void fail(const char *message)
{
	finish(json_pack("{s:s, s:s}", "outcome", "error", "message", message));
}

/* Runs in a SIGSYS handler: only async-signal-safe calls. */
static void on_forbidden(int nr)
{
	char frame[96], *p = frame + 4 + sizeof("{\"outcome\":\"forbidden\",\"syscall\":") - 1;
	char digits[16];
	int n = 0, len;
	unsigned v = nr < 0 ? 0 : (unsigned)nr;

	memcpy(frame + 4, "{\"outcome\":\"forbidden\",\"syscall\":",
	       sizeof("{\"outcome\":\"forbidden\",\"syscall\":") - 1);
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = digits[--n];
	*p++ = '}';
	len = (int)(p - frame - 4);
	frame[0] = frame[1] = 0;
	frame[2] = (char)(len >> 8);
	frame[3] = (char)len;
	if (write(CHANNEL_FD, frame, (size_t)len + 4) < 0)
		_exit(1);
	_exit(0);
}

static void on_memory(size_t requested, size_t in_use)
{
	guard_set_limit(0, NULL);  /* the report itself needs a little memory */
	finish(json_pack("{s:s, s:I, s:I}", "outcome", "memory", "requested",
			 (json_int_t)requested, "in_use", (json_int_t)in_use));
}

static _Noreturn void report_diags(const char *stage, const compile_diags *d)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < d->count; i++)
		json_array_append_new(list, json_pack("{s:s?, s:i, s:s, s:b}",
			"file", d->items[i].file, "line", d->items[i].line,
			"message", d->items[i].message,
			"error", d->items[i].is_error));
	finish(json_pack("{s:s, s:s, s:o}", "outcome", "compile_error",
			 "stage", stage, "diagnostics", list));
}

static _Noreturn void report_missing(const char *stage, const char *file,
				      const char *name, const char *caller)
{
	compile_diags d = { NULL, 0 };
	char msg[200];

	snprintf(msg, sizeof(msg), "error: '%s' is not defined (%s calls it)", name, caller);
	compile_diags_add(&d, file, 0, msg, 1);
	report_diags(stage, &d);
}

/* Compiles {"sources":[{name,text}], "prelude", "include_dirs"}, with
 * `prelude` in place of the spec's own when not NULL. A malformed spec
 * fails with a message and no diagnostics. */
static int unit_compile(compile_unit **out, compile_diags *diags,
			const json_t *spec, const char *prelude,
			const compile_symbol *extra, size_t n_extra,
			const char *extra_dir)
{
	json_t *sources = json_object_get(spec, "sources");
	json_t *dirs = json_object_get(spec, "include_dirs");
	size_t n = json_array_size(sources), i;
	compile_source srcs[64];
	const char *dir_list[10] = { NULL };
	compile_options opts = { prelude, dir_list, extra, n_extra };

	if (!prelude)
		opts.prelude = json_string_value(json_object_get(spec, "prelude"));
	if (n == 0 || n > 64 || json_array_size(dirs) > 8)
		return err_set(ERR_INVALID, "job: a unit needs 1 to 64 sources and at most 8 include dirs");
	for (i = 0; i < n; i++) {
		json_t *src = json_array_get(sources, i);
		srcs[i].name = json_string_value(json_object_get(src, "name"));
		srcs[i].text = json_string_value(json_object_get(src, "text"));
		if (!srcs[i].name || !srcs[i].text)
			return err_set(ERR_INVALID, "job: a source needs a name and a text");
	}
	for (i = 0; i < json_array_size(dirs); i++)
		dir_list[i] = json_string_value(json_array_get(dirs, i));
	dir_list[i] = extra_dir;
	return compile_build(out, diags, srcs, n, &opts);
}

/* A failed build: its diagnostics, or the message of a malformed spec. */
static _Noreturn void report_build(const char *stage, const compile_diags *diags)
{
	if (!diags->count)
		fail(err_last());
	report_diags(stage, diags);
}

/* unit_compile, reporting a failure as the job's result. */
static compile_unit *build_unit(const json_t *spec, const char *stage,
				const char *prelude, const compile_symbol *extra,
				size_t n_extra, const char *extra_dir)
{
	compile_diags diags = { NULL, 0 };
	compile_unit *unit;

	if (unit_compile(&unit, &diags, spec, prelude, extra, n_extra, extra_dir) < 0)
		report_build(stage, &diags);
	compile_diags_free(&diags);
	return unit;
}

/*
 * The driver calls the solution's entry points through pointers: the
 * prelude turns each entry NAME into (*host_entry_NAME), which the task's
 * header then declares as a pointer variable, set once the solution is
 * built (link_entries). So a driver compiles without its solution, and the
 * zygote compiles each task's driver once for all its children.
 */
static int driver_prelude(buf *out, const json_t *driver, const json_t *entry)
{
	const char *own = json_string_value(json_object_get(driver, "prelude"));
	const json_t *e;
	size_t i;

	buf_puts(out, own ? own : "");
	json_array_foreach(entry, i, e) {
		const char *name = json_string_value(e), *p;

		if (!name || !*name || strlen(name) > 64 || (*name >= '0' && *name <= '9'))
			return err_set(ERR_INVALID, "job: an entry point is not a C name");
		for (p = name; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_')
				return err_set(ERR_INVALID, "job: an entry point is not a C name");
		buf_printf(out, "\n#define %s (*host_entry_%s)", name, name);
	}
	return buf_puts(out, "\n");
}

static const compile_symbol transcript_symbols[] = {
	{ "transcript_write", (const void *)transcript_write },
	{ "transcript_printf", (const void *)transcript_printf },
};

static int driver_compile(compile_unit **out, compile_diags *diags,
			  const json_t *driver, const json_t *entry)
{
	buf prelude = BUF_INIT;
	int rc = driver_prelude(&prelude, driver, entry);

	*out = NULL;
	if (rc == 0)
		rc = unit_compile(out, diags, driver, buf_cstr(&prelude),
				  transcript_symbols, 2, NULL);
	buf_free(&prelude);
	return rc;
}

/* Drivers the zygote compiled, inherited by every child forked after. */
static struct {
	char *key;
	compile_unit *unit;
} prepared[ZYGOTE_PREPARED_MAX];
static size_t n_prepared;

/* In the zygote (zygote_prepare_fn): nothing runs; a driver that does not
 * compile is left for the child to report. */
static void prepare_driver(const char *key)
{
	json_t *spec = json_loads(key, 0, NULL);
	compile_unit *unit;

	if (n_prepared < ZYGOTE_PREPARED_MAX && spec &&
	    driver_compile(&unit, NULL, json_object_get(spec, "driver"),
			   json_object_get(spec, "entry")) == 0) {
		prepared[n_prepared].key = strdup(key);
		if (prepared[n_prepared].key)
			prepared[n_prepared++].unit = unit;
		else
			compile_unit_free(unit);
	}
	json_decref(spec);
}

static compile_unit *build_driver(const json_t *job)
{
	const json_t *entry = json_object_get(json_object_get(job, "solution"), "entry");
	char *key = zygote_driver_key(job);
	compile_diags diags = { NULL, 0 };
	compile_unit *unit = NULL;
	size_t i;

	for (i = 0; key && i < n_prepared && !unit; i++)
		if (strcmp(prepared[i].key, key) == 0)
			unit = prepared[i].unit;
	free(key);
	if (!unit && driver_compile(&unit, &diags, json_object_get(job, "driver"), entry) < 0)
		report_build("driver", &diags);
	compile_diags_free(&diags);
	return unit;
}

/* Points the driver's host_entry_NAME at the solution's NAME. */
static void link_entries(compile_unit *driver, const compile_unit *solution,
			 const json_t *spec)
{
	const json_t *entry = json_object_get(spec, "entry"), *e;
	const char *first = json_string_value(
		json_object_get(json_array_get(json_object_get(spec, "sources"), 0), "name"));
	size_t i;

	json_array_foreach(entry, i, e) {
		const char *name = json_string_value(e);
		void *addr = name ? compile_lookup(solution, name) : NULL, **slot;
		char slot_name[96];

		if (!addr)
			report_missing("solution", first, name ? name : "?", "the task");
		snprintf(slot_name, sizeof(slot_name), "host_entry_%s", name);
		slot = compile_lookup(driver, slot_name);
		if (slot)  /* absent when the driver never names the entry */
			*slot = addr;
	}
}

static void lock_down(const json_t *job)
{
	json_t *limits = json_object_get(job, "limits");
	lockdown_config cfg;
	size_t memory = (size_t)json_integer_value(json_object_get(limits, "memory_mb")) << 20;

	cfg.cpu_ms = (int)json_integer_value(json_object_get(limits, "cpu_ms"));
	cfg.memory_bytes = memory;
	cfg.workdir = json_string_value(json_object_get(job, "workdir"));
	cfg.channel_fd = CHANNEL_FD;
	if (!cfg.workdir || cfg.cpu_ms <= 0 || memory == 0)
		fail("job: limits and workdir are required");
	guard_set_limit(memory, on_memory);
	json_set_alloc_funcs(guard_malloc, guard_free);
	if (lockdown_apply(&cfg, on_forbidden) < 0)
		fail(err_last());
}

static _Noreturn void run_solution_job(const json_t *job)
{
	const json_t *cases = json_object_get(job, "cases");
	const json_t *solution_spec = json_object_get(job, "solution");
	const char **inputs;
	compile_unit *solution, *driver;
	int (*driver_run)(const char *const *, int);
	size_t i, n_cases = json_array_size(cases);
	int rc;

	transcript_max = (size_t)json_integer_value(json_object_get(job, "transcript_max"));
	inputs = calloc(n_cases + 1, sizeof(*inputs));
	if (!inputs || transcript_max == 0)
		fail("job: cases and transcript_max are required");
	for (i = 0; i < n_cases; i++)
		inputs[i] = json_string_value(json_array_get(cases, i));
	solution = build_unit(solution_spec, "solution", NULL, NULL, 0, NULL);
	driver = build_driver(job);
	link_entries(driver, solution, solution_spec);
	driver_run = (int (*)(const char *const *, int))compile_lookup(driver, "driver_run");
	if (!driver_run)
		fail("driver: driver_run is not defined");

	lock_down(job);
	rc = driver_run(inputs, (int)n_cases);
	if (transcript_overflow)
		finish(json_pack("{s:s, s:s}", "outcome", "bad_output", "message",
				 "the transcript exceeded its size cap"));
	finish(json_pack("{s:s, s:s, s:i}", "outcome", "ok", "transcript",
			 buf_cstr(&transcript), "driver_status", rc));
}

/* Run once in the zygote: the first compile pays for faulting in libtcc
 * and libtcc1.a, so every child forked afterwards starts warm. */
static void warm_up(void)
{
	compile_source src = { "warm_up.c", "int warm_up(void) { return 0; }\n" };
	compile_unit *unit;
	json_t *doc = json_loads("{\"warm\": [1, \"up\"]}", 0, NULL);

	if (compile_build(&unit, NULL, &src, 1, NULL) == 0)
		compile_unit_free(unit);
	json_decref(doc);
}

/* Agent headers are included by name, so they become files in the
 * sandbox's own directory before it is locked down. */
static void write_headers(const json_t *headers, const char *dir)
{
	const json_t *h;
	size_t i;

	json_array_foreach(headers, i, h) {
		const char *name = json_string_value(json_object_get(h, "name"));
		const char *text = json_string_value(json_object_get(h, "text"));
		char path[4096];

		if (!name || !text || strchr(name, '/'))
			fail("job: a header needs a plain name and a text");
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (os_write_file(path, text, strlen(text)) < 0)
			fail(err_last());
	}
}

static _Noreturn void run_agent_job(const json_t *job)
{
	const char *entry = json_string_value(json_object_get(job, "entry"));
	const char *arg = json_string_value(json_object_get(job, "arg"));
	const char *workdir = json_string_value(json_object_get(job, "workdir"));
	const json_t *spec = json_object_get(job, "agent");
	const compile_symbol *services;
	compile_unit *agent;
	void *fn;
	size_t n;

	if (!entry || !arg || !workdir)
		fail("job: an agent job needs entry, arg and workdir");
	write_headers(json_object_get(job, "headers"), workdir);
	services = services_symbols(&n);
	agent = build_unit(spec, "agent", NULL, services, n, workdir);
	fn = compile_lookup(agent, entry);
	if (!fn)
		report_missing("agent", "agent", entry, "the host");
	services_init((unsigned long long)json_integer_value(json_object_get(job, "seed")));
	lock_down(job);
	if (strcmp(entry, "task_agent_improve") == 0) {
		char *best = ((char *(*)(const char *))fn)(arg);
		finish(json_pack("{s:s, s:s?}", "outcome", "ok", "result", best));
	}
	finish(json_pack("{s:s, s:i}", "outcome", "ok", "status",
			 ((int (*)(const char *))fn)(arg)));
}

int main(int argc, char **argv)
{
	struct stat st;
	json_t *job;
	const char *kind;
	int rc;

	if (fstat(CHANNEL_FD, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "host-sandbox: this program is started by host "
				"to run untrusted code; it is not run directly\n");
		return 2;
	}
	if (argc > 1 && strcmp(argv[1], "--zygote") == 0) {
		warm_up();
		if (zygote_serve(CHANNEL_FD, prepare_driver) < 0)
			return 0;
	}
	close_range(CHANNEL_FD + 1, ~0U, 0);
	rc = channel_recv_json(&job, CHANNEL_FD, JOB_MAX_BYTES, -1);
	if (rc < 0)
		return 1;
	kind = json_string_value(json_object_get(job, "kind"));
	if (kind && strcmp(kind, "solution") == 0)
		run_solution_job(job);
	if (kind && strcmp(kind, "agent") == 0)
		run_agent_job(job);
	fail("job: unknown kind");
}
