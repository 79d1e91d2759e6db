/*
 * runner.c - host-sandbox, the program every sandboxed job runs in.
 *
 * It is a separate, small executable rather than a fork of the host so
 * that nothing of the host's memory (API keys, the git repository, libcurl
 * state) exists in the child at all. It starts once as a zygote
 * (zygote_serve.c) and each job runs in a fresh fork of it. A child reads
 * one job from the channel on fd 3, and before libtcc reads a line it
 * confines itself (runner_enter): it can then read only the allowlist's
 * headers, tcc's own, its private header folder and its empty working
 * directory, under CPU and memory limits, because `#include` is hostile
 * input too. It compiles, locks itself down (lockdown.c), runs the
 * compiled code and writes one result frame; an agent also sends requests
 * for host services (agent_services.c) on the way.
 *
 * Every way it can end is a frame the parent understands or a signal the
 * parent classifies: see sandbox.c. This file holds what all job kinds
 * share and the dispatch; the kinds are in runner_*.c.
 */
#include "runner.h"

#include "channel.h"
#include "confine.h"
#include "embed.h"
#include "error.h"
#include "guard.h"
#include "lockdown.h"
#include "os.h"
#include "prefault.h"
#include "zygote.h"
#include "zygote_serve.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JOB_MAX_BYTES (64u << 20)
#define COMPILE_MEMORY (512u << 20)  /* address space the compiler may add */
#define READABLE_MAX 16

/* AddressSanitizer builds: let signals reach the parent unchanged. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0:handle_segv=0:handle_abort=0:handle_sigbus=0:"
	       "handle_sigfpe=0:handle_sigill=0:detect_stack_use_after_return=0";
}

/* Set by runner_enter: the folder of the job's headers, or NULL when it
 * brings none and works in "/", which it cannot read once confined. */
static const char *job_workdir;

static void send_result(json_t *result)
{
	static const char unencodable[] = "{\"outcome\":\"bad_output\",\"message\":"
		"\"the result could not be encoded (text must be valid UTF-8)\"}";

	if (!result || channel_send_json(CHANNEL_FD, result) == CHANNEL_IO)
		channel_send(CHANNEL_FD, unencodable, sizeof(unencodable) - 1);
}

_Noreturn void runner_finish(json_t *result)
{
	send_result(result);
	_exit(0);
}

_Noreturn void runner_fail(const char *message)
{
	runner_finish(json_pack("{s:s, s:s}", "outcome", "error", "message", message));
}

static _Noreturn void report_diags(const char *stage, const compile_diags *d)
{
	json_t *list = json_array();
	buf text = BUF_INIT;
	size_t i;

	for (i = 0; i < d->count; i++)
		json_array_append_new(list, json_pack("{s:s?, s:i, s:s, s:b}",
			"file", d->items[i].file, "line", d->items[i].line,
			"message", d->items[i].message,
			"error", d->items[i].is_error));
	compile_diags_format(&text, d, 0);
	runner_finish(json_pack("{s:s, s:s, s:o, s:s}", "outcome", "compile_error",
				"stage", stage, "diagnostics", list,
				"diagnostics_text", buf_cstr(&text)));
}

_Noreturn void runner_report_build(const char *stage, const compile_diags *diags)
{
	if (!diags->count)
		runner_fail(err_last());
	report_diags(stage, diags);
}

_Noreturn void runner_report_missing(const char *stage, const char *file,
				     const char *name, const char *caller)
{
	compile_diags d = { NULL, 0 };
	char msg[200];

	snprintf(msg, sizeof(msg), "error: '%s' is not defined (%s calls it)", name, caller);
	if (compile_diags_add(&d, file, 0, msg, 1) < 0)
		runner_fail(err_last());
	report_diags(stage, &d);
}

/* Headers the job brings (an agent's own) become files of its working
 * directory, the only place they can be included from. */
static void write_headers(const json_t *headers, const char *dir)
{
	const json_t *h;
	size_t i;

	json_array_foreach(headers, i, h) {
		const char *name = json_string_value(json_object_get(h, "name"));
		const char *text = json_string_value(json_object_get(h, "text"));
		char *path;

		if (!name || !text || !*name || strchr(name, '/') || name[0] == '.')
			runner_fail("job: a header needs a plain name and a text");
		path = os_path_join(dir, name);
		if (!path || os_write_file(path, text, strlen(text)) < 0)
			runner_fail(path ? err_last() : "out of memory");
		free(path);
	}
}

static int listed(const char *const *readable, size_t n, const char *dir)
{
	while (n-- > 0)
		if (strcmp(readable[n], dir) == 0)
			return 1;
	return 0;
}

/* The units' include directories, after the host's and the workdir, each
 * once (a solution and its driver name the same task headers); -1 when
 * one is not a string, or there are too many. */
static int add_unit_dirs(const char **readable, size_t n, const json_t *job)
{
	static const char *const units[] = { "solution", "driver", "agent", "scorer", "oracle" };
	size_t u, i;

	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		const json_t *dirs = json_object_get(json_object_get(job, units[u]), "include_dirs");
		for (i = 0; i < json_array_size(dirs); i++) {
			const char *dir = json_string_value(json_array_get(dirs, i));
			if (!dir || n + 1 >= READABLE_MAX)
				return -1;
			if (!listed(readable, n, dir))
				readable[n++] = dir;
		}
	}
	readable[n] = NULL;
	return 0;
}

void runner_enter(const json_t *job)
{
	const char *readable[READABLE_MAX];
	const json_t *limits = json_object_get(job, "limits");
	int cpu_ms = (int)json_integer_value(json_object_get(limits, "cpu_ms"));

	size_t n = 2;

	job_workdir = json_string_value(json_object_get(job, "workdir"));
	if (cpu_ms <= 0)
		runner_fail("job: limits are required");
	if (json_array_size(json_object_get(job, "headers")) > 0 && !job_workdir)
		runner_fail("job: headers need a workdir");
	if (job_workdir)
		write_headers(json_object_get(job, "headers"), job_workdir);
	if (chdir(job_workdir ? job_workdir : "/") != 0)
		runner_fail("job: cannot enter the working directory");
	if (compile_system_dirs(&readable[0], &readable[1]) < 0)
		runner_fail(err_last());
	if (job_workdir)
		readable[n++] = job_workdir;
	if (add_unit_dirs(readable, n, job) < 0)
		runner_fail("job: an include directory is not a string, or too many");
	if (lockdown_limit_compile(cpu_ms, COMPILE_MEMORY) < 0 || confine_paths(readable) < 0)
		runner_fail(err_last());
}

const char *runner_task_abi(void)
{
	static char *task_abi;  /* built once, in the zygote for its children */
	buf text = BUF_INIT;

	if (!task_abi) {
		buf_printf(&text, "#line 1 \"task_abi.h\"\n%s", embed_task_abi_h);
		task_abi = buf_detach(&text);
	}
	return task_abi;
}

const char *runner_unit_prelude(const json_t *spec)
{
	if (!json_is_true(json_object_get(spec, "task_abi")))
		return json_string_value(json_object_get(spec, "prelude"));
	return runner_task_abi();
}

int runner_compile(compile_unit **out, compile_diags *diags, const json_t *spec,
		   const char *prelude, const compile_symbol *extra, size_t n_extra,
		   int link)
{
	const json_t *sources = json_object_get(spec, "sources");
	const json_t *dirs = json_object_get(spec, "include_dirs");
	size_t n = json_array_size(sources), i;
	compile_source srcs[64];
	const char *dir_list[10] = { NULL };
	compile_options opts = { prelude, dir_list, extra, n_extra };

	*out = NULL;
	if (!prelude)
		opts.prelude = runner_unit_prelude(spec);
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
	dir_list[i] = job_workdir;
	if (!link)
		return compile_check(diags, srcs, n, &opts);
	return compile_build(out, diags, srcs, n, &opts);
}

compile_unit *runner_build(const json_t *spec, const char *stage, const char *prelude,
			   const compile_symbol *extra, size_t n_extra)
{
	compile_diags diags = { NULL, 0 };
	compile_unit *unit;

	if (runner_compile(&unit, &diags, spec, prelude, extra, n_extra, 1) < 0)
		runner_report_build(stage, &diags);
	compile_diags_free(&diags);
	return unit;
}

/* Runs in a SIGSYS handler: only async-signal-safe calls. */
static void on_forbidden(int nr)
{
	static const char head[] = "{\"outcome\":\"forbidden\",\"syscall\":";
	char frame[96], digits[16], *p = frame + 4 + sizeof(head) - 1;
	unsigned v = nr < 0 ? 0 : (unsigned)nr;
	int n = 0, len;

	memcpy(frame + 4, head, sizeof(head) - 1);
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
	runner_finish(json_pack("{s:s, s:I, s:I}", "outcome", "memory", "requested",
				(json_int_t)requested, "in_use", (json_int_t)in_use));
}

void runner_mark_code(void)
{
	static const char mark[] = "{\"op\":\"code\"}";

	if (channel_send(CHANNEL_FD, mark, sizeof(mark) - 1) < 0)
		_exit(1);  /* the host is gone */
}

static void lock_down(int cpu_ms, json_int_t memory_mb, int bytes_only,
		      const runner_reporters *how)
{
	size_t memory = memory_mb > 0 ? (size_t)memory_mb << 20 : 0;
	lockdown_config cfg;

	cfg.cpu_ms = cpu_ms;
	cfg.memory_bytes = memory;
	cfg.workdir = job_workdir ? job_workdir : "/";
	cfg.channel_fd = CHANNEL_FD;
	cfg.channel_bytes_only = bytes_only;
	if (cfg.cpu_ms <= 0 || memory == 0)
		runner_fail("job: limits are required");
	guard_set_limit(memory, how->memory);
	json_set_alloc_funcs(guard_malloc, guard_free);
	if (lockdown_apply(&cfg, how->forbidden) < 0)
		runner_fail(err_last());
}

static int job_cpu_ms(const json_t *job)
{
	return (int)json_integer_value(json_object_get(json_object_get(job, "limits"), "cpu_ms"));
}

static json_int_t job_memory_mb(const json_t *job)
{
	return json_integer_value(json_object_get(json_object_get(job, "limits"), "memory_mb"));
}

static const runner_reporters channel_reporters = { on_forbidden, on_memory };

void runner_lock_down(const json_t *job)
{
	lock_down(job_cpu_ms(job), job_memory_mb(job), 0, &channel_reporters);
}

void runner_lock_down_to(int cpu_ms, json_int_t memory_mb)
{
	lock_down(cpu_ms, memory_mb, 0, &channel_reporters);
}

void runner_lock_down_page(const json_t *job, const runner_reporters *how)
{
	lock_down(job_cpu_ms(job), job_memory_mb(job), 1, how);
}

/* Units the zygote compiled, inherited by every child forked after,
 * each with what named it (zygote_unit). */
static struct {
	json_t *spec;
	compile_unit *unit;
} prepared[2 * ZYGOTE_PREPARED_MAX];
static size_t n_prepared;

compile_unit *runner_prepared(const json_t *job)
{
	json_t *spec = zygote_unit(job);
	compile_unit *unit = NULL;
	size_t i;

	for (i = 0; spec && !unit && i < n_prepared; i++)
		if (json_equal(prepared[i].spec, spec))
			unit = prepared[i].unit;
	json_decref(spec);
	return unit;
}

void runner_keep_prepared(const json_t *spec, compile_unit *unit)
{
	if (n_prepared == sizeof(prepared) / sizeof(prepared[0])) {
		compile_unit_free(unit);
		return;
	}
	prepared[n_prepared].spec = json_incref((json_t *)spec);
	prepared[n_prepared++].unit = unit;
}

/* Compiles the unit `spec` names; in the zygote, nothing runs. */
static void prepare_now(const json_t *spec)
{
	if (json_object_get(spec, "driver"))
		runner_prepare_driver(spec);
	else if (json_object_get(spec, "scorer"))
		runner_prepare_scorer(spec);
	else if (json_object_get(spec, "oracle"))
		runner_prepare_oracle(spec);
}

/* A thread that confines itself as a job does before its compile
 * (runner_enter), then compiles. Landlock binds the thread that asks and
 * what it starts, not its process: the zygote's own thread keeps the
 * access it forks children with, and the unit stays in the memory they
 * inherit. A unit that cannot be compiled so is left to the job. */
static void *prepare_confined(void *spec)
{
	const char *readable[READABLE_MAX];

	if (compile_system_dirs(&readable[0], &readable[1]) == 0 &&
	    add_unit_dirs(readable, 2, spec) == 0 && confine_paths(readable) == 0)
		prepare_now(spec);
	return NULL;
}

/* In the zygote (zygote_prepare_fn): task code is trusted, but a lab can
 * point at any task folder, so its #include reaches no further than a
 * solution's would. */
static void prepare_unit(const char *key)
{
	json_t *spec = json_loads(key, 0, NULL);
	pthread_t thread;

	if (spec && pthread_create(&thread, NULL, prepare_confined, spec) == 0)
		pthread_join(thread, NULL);
	json_decref(spec);
}

/* Run once in the zygote: the first compile pays for faulting in libtcc
 * and libtcc1.a, so every child forked afterwards starts warm. It also
 * finds the allowlist's headers while /proc can still tell where the
 * executable is, and builds both seccomp filters, which children only
 * load (a child that finds none builds its own). */
static void warm_up(void)
{
	compile_source src = { "warm_up.c", "int warm_up(void) { return 0; }\n" };
	compile_unit *unit;
	json_t *doc = json_loads("{\"warm\": [1, \"up\"]}", 0, NULL);

	if (compile_build(&unit, NULL, &src, 1, NULL) == 0)
		compile_unit_free(unit);
	json_decref(doc);
	if (lockdown_prepare(CHANNEL_FD, 0) < 0 || lockdown_prepare(CHANNEL_FD, 1) < 0) {
		/* each child builds its own at lockdown */
	}
}

static int compare_ints(const void *x, const void *y)
{
	return *(const int *)x - *(const int *)y;
}

/* libc state that is filled on first use by a system call the seccomp
 * filter forbids, filled before it is installed: qsort asks the kernel
 * for the machine's memory (sysinfo) the first time it sorts more than
 * 1 KB, so a solution or score.c that sorted would be killed for it. */
static void prime_libc(void)
{
	int numbers[512];
	size_t i;

	for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		numbers[i] = (int)(i * 7919 % 512);
	qsort(numbers, sizeof(numbers) / sizeof(numbers[0]), sizeof(numbers[0]), compare_ints);
}

static _Noreturn void run_job(const json_t *job)
{
	static const struct {
		const char *kind;
		void (*run)(const json_t *job);  /* never returns */
	} kinds[] = {
		{ "solution", runner_solution_job }, { "agent", runner_agent_job },
		{ "check", runner_check_job }, { "scorer", runner_scorer_job },
		{ "oracle", runner_oracle_job },
	};
	const char *kind = json_string_value(json_object_get(job, "kind"));
	size_t i;

	for (i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i].kind) == 0)
			kinds[i].run(job);
	runner_fail("job: unknown kind");
}

int main(int argc, char **argv)
{
	struct stat st;
	json_t *job;

	if (fstat(CHANNEL_FD, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "host-sandbox: this program is started by host "
				"to run untrusted code; it is not run directly\n");
		return 2;
	}
	prime_libc();
	if (argc > 1 && strcmp(argv[1], "--zygote") == 0) {
		prefault_keep_heap();
		warm_up();
		if (zygote_serve(CHANNEL_FD, prepare_unit) < 0)
			return 0;
	}
	close_range(CHANNEL_FD + 1, ~0U, 0);
	if (channel_recv_json(&job, CHANNEL_FD, JOB_MAX_BYTES, -1) < 0)
		return 1;
	run_job(job);
}
