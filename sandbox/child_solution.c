/*
 * child_solution.c - the solution job: a solution runs with its task's
 * driver, which records a transcript; see runner.h.
 *
 * The job holds the solution, the driver and the case inputs, never the
 * labels: those stay with score.c, which runs in a process of its own
 * (child_score.c). Both units compile against the task's declared headers,
 * which the host copied into a private folder, never the task folder.
 */
#include "runner.h"

#include "buf.h"
#include "channel.h"
#include "error.h"
#include "zygote.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TRANSCRIPT_CAP (64u << 20)  /* above any job's transcript_max */

typedef int (*driver_fn)(const char *const *inputs, int n_inputs);

/*
 * The page the worker shares with the runner: the transcript, written in
 * place by the driver, and how the worker says it ended. Everything in it
 * was writable by the solution, so the runner reads it as a claim, checks
 * its bounds, and trusts only what the kernel says of the worker.
 */
typedef struct {
	volatile int state;      /* WORKER_* */
	int driver_status;
	int syscall;             /* WORKER_FORBIDDEN */
	int overflow;            /* a write past transcript_max was refused */
	size_t requested, in_use; /* WORKER_MEMORY */
	size_t length;           /* of the transcript */
	char transcript[];
} worker_page;

enum { WORKER_RUNNING, WORKER_DONE, WORKER_MEMORY, WORKER_FORBIDDEN };

static worker_page *page;
static size_t transcript_max;

static int transcript_write(const char *data, int len)
{
	if (len < 0 || page->length + (size_t)len > transcript_max) {
		page->overflow = 1;
		return -1;
	}
	memcpy(page->transcript + page->length, data, (size_t)len);
	page->length += (size_t)len;
	return 0;
}

static int transcript_printf(const char *fmt, ...)
{
	size_t room = transcript_max - page->length + 1;  /* the page has a NUL's room */
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(page->transcript + page->length, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		page->transcript[page->length] = '\0';
		page->overflow = 1;
		return -1;
	}
	page->length += (size_t)n;
	return 0;
}

static const compile_symbol transcript_symbols[] = {
	{ "transcript_write", (const void *)transcript_write },
	{ "transcript_printf", (const void *)transcript_printf },
};

static int is_c_name(const char *name)
{
	const char *p;

	if (!name || !*name || strlen(name) > 64 || isdigit((unsigned char)*name))
		return 0;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return 0;
	return 1;
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
		const char *name = json_string_value(e);
		if (!is_c_name(name))
			return err_set(ERR_INVALID, "job: an entry point is not a C name");
		buf_printf(out, "\n#define %s (*host_entry_%s)", name, name);
	}
	buf_puts(out, "\n");
	return buf_failed(out);
}

static int driver_compile(compile_unit **out, compile_diags *diags,
			  const json_t *driver, const json_t *entry)
{
	buf prelude = BUF_INIT;
	int rc = driver_prelude(&prelude, driver, entry);

	*out = NULL;
	if (rc == 0)
		rc = runner_compile(out, diags, driver, buf_cstr(&prelude),
				    transcript_symbols, 2, 1);
	buf_free(&prelude);
	return rc;
}

void runner_prepare_driver(const json_t *spec, const char *key)
{
	compile_unit *unit;

	if (driver_compile(&unit, NULL, json_object_get(spec, "driver"),
			   json_object_get(spec, "entry")) == 0)
		runner_keep_prepared(key, unit);
}

static compile_unit *build_driver(const json_t *job)
{
	const json_t *entry = json_object_get(json_object_get(job, "solution"), "entry");
	char *key = zygote_unit_key(job);
	compile_diags diags = { NULL, 0 };
	compile_unit *unit = runner_prepared(key);

	free(key);
	if (!unit && driver_compile(&unit, &diags, json_object_get(job, "driver"), entry) < 0)
		runner_report_build("driver", &diags);
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
			runner_report_missing("solution", first, name ? name : "?", "the task");
		snprintf(slot_name, sizeof(slot_name), "host_entry_%s", name);
		slot = compile_lookup(driver, slot_name);
		if (slot)  /* absent when the driver never names the entry */
			*slot = addr;
	}
}

/* Maps the shared page: the header and transcript_max bytes, plus a NUL. */
static void map_page(void)
{
	size_t size = sizeof(worker_page) + transcript_max + 1;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		runner_fail("job: cannot map the transcript");
	page = p;
}

/* The worker's ends that its handlers report: in the page, then exit. */
static void worker_forbidden(int nr)
{
	page->syscall = nr;
	page->state = WORKER_FORBIDDEN;
	_exit(0);
}

static void worker_memory(size_t requested, size_t in_use)
{
	page->requested = requested;
	page->in_use = in_use;
	page->state = WORKER_MEMORY;
	_exit(0);
}

/*
 * The worker: the only process that runs the solution. It has no channel,
 * so nothing it does can reach the host but through the runner. It stops
 * itself before the driver's first instruction (timed jobs: the runner
 * reads its CPU clock there) and after driver_run returns.
 */
static _Noreturn void run_worker(const json_t *job, driver_fn driver_run,
				 const char **inputs, int n_inputs, int timed)
{
	static const runner_reporters reporters = { worker_forbidden, worker_memory };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(CHANNEL_FD);
	runner_lock_down_worker(job, &reporters);
	if (timed)
		raise(SIGSTOP);
	page->driver_status = driver_run(inputs, n_inputs);
	page->state = WORKER_DONE;
	raise(SIGSTOP);
	_exit(0);
}

/* The worker's CPU time in ns, read while it is stopped. */
static double worker_cpu_ns(pid_t pid)
{
	struct timespec ts;
	clockid_t clock;

	if (clock_getcpuclockid(pid, &clock) != 0 || clock_gettime(clock, &ts) != 0)
		runner_fail("job: cannot read the solution's CPU clock");
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Waits for the worker to stop or end; 1 when it stopped. */
static int wait_worker(pid_t pid, int *status, struct rusage *ru)
{
	while (wait4(pid, status, WUNTRACED, ru) < 0)
		if (errno != EINTR)
			runner_fail("job: cannot wait for the solution's process");
	return WIFSTOPPED(*status);
}

/* A worker that ended without stopping: how, for the host to classify,
 * unless it reported one of the ends the runner knows. */
static json_t *ended(int status, const struct rusage *ru)
{
	double cpu_ms = (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e3 +
			(double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e3;

	if (WIFEXITED(status) && page->state == WORKER_MEMORY)
		return json_pack("{s:s, s:I, s:I}", "outcome", "memory",
				 "requested", (json_int_t)page->requested,
				 "in_use", (json_int_t)page->in_use);
	if (WIFEXITED(status) && page->state == WORKER_FORBIDDEN)
		return json_pack("{s:s, s:i}", "outcome", "forbidden", "syscall", page->syscall);
	return json_pack("{s:s, s:i, s:f}", "outcome", "ended", "wait_status", status,
			 "cpu_ms", cpu_ms);
}

/* The worker stopped after its run: the result, from the page. */
static json_t *finished(double cpu_ns)
{
	size_t length = page->length;
	json_t *result;

	if (page->state != WORKER_DONE)
		return json_pack("{s:s, s:s}", "outcome", "bad_output", "message",
				 "the solution stopped its process before the driver returned");
	if (page->overflow || length > transcript_max)
		return json_pack("{s:s, s:s}", "outcome", "bad_output", "message",
				 "the transcript exceeded its size cap");
	page->transcript[length] = '\0';
	result = json_pack("{s:s, s:s%, s:i}", "outcome", "ok", "transcript",
			   page->transcript, length, "driver_status", page->driver_status);
	if (result && cpu_ns >= 0)
		json_object_set_new(result, "cpu_ns", json_real(cpu_ns));
	return result;
}

/*
 * The runner's side: it never runs a line of the solution, so the frame
 * it sends, and the time in it, are its own. The time is the worker's CPU
 * clock from its first stop to its last, both read while it is off the
 * CPU; code in the worker cannot move either reading, only add to what
 * lies between them.
 */
static _Noreturn void supervise(pid_t pid, int timed)
{
	double start_ns = 0, end_ns = -1;
	struct rusage ru;
	int status, stopped = wait_worker(pid, &status, &ru);

	if (stopped && timed) {
		start_ns = worker_cpu_ns(pid);
		kill(pid, SIGCONT);
		stopped = wait_worker(pid, &status, &ru);
	}
	if (!stopped)
		runner_finish(ended(status, &ru));
	if (timed)
		end_ns = worker_cpu_ns(pid) - start_ns;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	runner_finish(finished(end_ns));
}

_Noreturn void runner_solution_job(const json_t *job)
{
	const json_t *cases = json_object_get(job, "cases");
	const json_t *solution_spec = json_object_get(job, "solution");
	const char **inputs;
	compile_unit *solution, *driver;
	driver_fn driver_run;
	size_t i, n_cases = json_array_size(cases);
	int timed = json_is_true(json_object_get(job, "clock"));
	pid_t pid;

	transcript_max = (size_t)json_integer_value(json_object_get(job, "transcript_max"));
	inputs = calloc(n_cases + 1, sizeof(*inputs));
	if (!inputs || transcript_max == 0 || transcript_max > TRANSCRIPT_CAP)
		runner_fail("job: cases and transcript_max are required");
	for (i = 0; i < n_cases; i++)
		inputs[i] = json_string_value(json_array_get(cases, i));
	runner_enter(job);
	solution = runner_build(solution_spec, "solution", NULL, NULL, 0);
	driver = build_driver(job);
	link_entries(driver, solution, solution_spec);
	driver_run = (driver_fn)compile_lookup(driver, "driver_run");
	if (!driver_run)
		runner_report_missing("driver", "driver.c", "driver_run", "the host");
	map_page();
	pid = fork();
	if (pid < 0)
		runner_fail("job: cannot start the solution's process");
	if (pid == 0)
		run_worker(job, driver_run, inputs, (int)n_cases, timed);
	supervise(pid, timed);
}
