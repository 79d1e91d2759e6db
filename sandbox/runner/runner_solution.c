/*
 * runner_solution.c - the solution job: a solution runs with its task's
 * driver, which records a transcript; see runner.h.
 *
 * The job holds the solution, the driver and the case inputs, never the
 * labels: those stay with score.c, which runs in a process of its own
 * (runner_score.c). Both units compile against the task's declared headers,
 * which the host copied into a private folder, never the task folder.
 *
 * The solution shares this process, so it can do whatever the runner's
 * code after it could: a frame the runner sent at the end would prove
 * nothing. So once locked down the process can write the host single
 * bytes only (page.h); the transcript goes into a page the host made, and
 * the host makes the result from it, with a time it reads itself.
 */
#include "runner.h"

#include "buf.h"
#include "channel.h"
#include "error.h"
#include "page.h"
#include "zygote.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

typedef int (*driver_fn)(const char *const *inputs, int n_inputs);

static solution_page *page;
static size_t transcript_max;

/* The solution can change page->length; the driver's writes stay in
 * the page whatever it holds. */
static int transcript_write(const char *data, int len)
{
	if (len < 0 || page->length > transcript_max ||
	    (size_t)len > transcript_max - page->length) {
		page->overflow = 1;
		return -1;
	}
	memcpy(page->transcript + page->length, data, (size_t)len);
	page->length += (size_t)len;
	return 0;
}

static int transcript_printf(const char *fmt, ...)
{
	size_t room;
	va_list ap;
	int n;

	if (page->length > transcript_max) {
		page->overflow = 1;
		return -1;
	}
	room = transcript_max - page->length + 1;  /* the page has a NUL's room */
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
	const char *own = runner_unit_prelude(driver);
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

void runner_prepare_driver(const json_t *spec)
{
	compile_unit *unit;

	if (driver_compile(&unit, NULL, json_object_get(spec, "driver"),
			   json_object_get(spec, "entry")) == 0)
		runner_keep_prepared(spec, unit);
}

static compile_unit *build_driver(const json_t *job)
{
	const json_t *entry = json_object_get(json_object_get(job, "solution"), "entry");
	compile_diags diags = { NULL, 0 };
	compile_unit *unit = runner_prepared(job);

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

/* Attaches the page the host made for this run (page.h), before
 * anything is compiled, so that no unit can use up the address space it
 * needs. */
static void map_page(const json_t *job)
{
	const json_t *id = json_object_get(job, "page");
	struct shmid_ds ds;
	void *p = (void *)-1;

	if (json_is_integer(id) && shmctl((int)json_integer_value(id), IPC_STAT, &ds) == 0 &&
	    ds.shm_segsz >= page_size(transcript_max))
		p = shmat((int)json_integer_value(id), NULL, 0);
	if (p == (void *)-1)
		runner_fail("job: cannot attach the page for the transcript");
	page = p;
}

/* How the run ends when the kernel or the allocator ends it: in the
 * page, since the channel takes no frame after lockdown. */
static void page_forbidden(int nr)
{
	page->syscall = nr;
	page->state = PAGE_FORBIDDEN;
	_exit(0);
}

static void page_memory(size_t requested, size_t in_use)
{
	page->requested = requested;
	page->in_use = in_use;
	page->state = PAGE_MEMORY;
	_exit(0);
}

/*
 * Once locked down, the process writes the host single bytes, which no
 * frame begins with: PAGE_LOCKED first, so that the host reads no frame
 * from here on. A timed run then marks its start, before any compiled
 * code runs (libtcc runs no constructors): the host stops this process,
 * reads its CPU clock and answers. At PAGE_END the host reads it again,
 * with the process waiting off the CPU, so its teardown is not counted.
 */
static void send_byte(char byte)
{
	if (write(CHANNEL_FD, &byte, 1) != 1)
		_exit(1);  /* the host is gone */
}

static void mark_clock(void)
{
	char reply;

	send_byte(PAGE_MARK);
	if (read(CHANNEL_FD, &reply, 1) != 1)
		_exit(1);
}

/* task_abi.h's, which this file cannot include: it declares the
 * transcript functions this file defines as its own. */
#define MODEL_NONE (-1)

/* The length of `text`'s first `n` bytes or fewer, cut at the end of a
 * character. */
static size_t whole_chars(const char *text, size_t n)
{
	while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* task_abi.h's model_ask: the prompts go in the page, PAGE_ASK tells the
 * host, and the one frame it answers with is read from the channel,
 * which the process may still read whole frames from. */
static int model_ask(const char *system, const char *user, char *reply, int reply_size)
{
	size_t ls = system ? strlen(system) : 0, lu = user ? strlen(user) : 0, len;
	char *answer = NULL;
	int rc = MODEL_NONE;

	if (reply && reply_size > 0)
		reply[0] = '\0';
	if (!user || !reply || reply_size <= 0 || ls > PAGE_ASK_MAX - 2 ||
	    lu > PAGE_ASK_MAX - 2 - ls)
		return MODEL_NONE;
	memcpy(page->ask, system ? system : "", ls + 1);
	memcpy(page->ask + ls + 1, user, lu + 1);
	page->ask_system = ls;
	page->ask_user = lu;
	send_byte(PAGE_ASK);
	if (channel_recv(&answer, &len, CHANNEL_FD, PAGE_ANSWER_MAX + 1, -1) < 0)
		_exit(1);  /* the host is gone or ended the run */
	if (len > 0 && answer[0] == PAGE_ANSWERED) {
		len = whole_chars(answer + 1, len - 1 < (size_t)reply_size - 1 ? len - 1
								  : (size_t)reply_size - 1);
		memcpy(reply, answer + 1, len);
		reply[len] = '\0';
		rc = (int)len;
	}
	free(answer);
	return rc;
}

static const compile_symbol model_symbols[] = {
	{ "model_ask", (const void *)model_ask },
};

/* The solution, with model_ask and the task ABI that declares it when
 * the job offers a model ("model": true). */
static compile_unit *build_solution(const json_t *job)
{
	const json_t *spec = json_object_get(job, "solution");
	const char *own = runner_unit_prelude(spec);
	compile_unit *unit;
	buf prelude = BUF_INIT;

	if (!json_is_true(json_object_get(job, "model")))
		return runner_build(spec, "solution", NULL, NULL, 0);
	buf_printf(&prelude, "%s\n%s", runner_task_abi(), own ? own : "");
	if (buf_failed(&prelude) < 0)
		runner_fail("out of memory");
	unit = runner_build(spec, "solution", buf_cstr(&prelude), model_symbols, 1);
	buf_free(&prelude);
	return unit;
}

static _Noreturn void end_run(void)
{
	char byte;

	send_byte(PAGE_END);
	while (read(CHANNEL_FD, &byte, 1) > 0 || errno == EINTR)
		;
	_exit(0);
}

_Noreturn void runner_solution_job(const json_t *job)
{
	static const runner_reporters reporters = { page_forbidden, page_memory };
	const json_t *cases = json_object_get(job, "cases");
	const json_t *solution_spec = json_object_get(job, "solution");
	const char **inputs;
	compile_unit *solution, *driver;
	driver_fn driver_run;
	size_t i, n_cases = json_array_size(cases);

	transcript_max = (size_t)json_integer_value(json_object_get(job, "transcript_max"));
	inputs = calloc(n_cases + 1, sizeof(*inputs));
	if (!inputs || transcript_max == 0 || transcript_max > PAGE_TRANSCRIPT_CAP)
		runner_fail("job: cases and transcript_max are required");
	for (i = 0; i < n_cases; i++)
		inputs[i] = json_string_value(json_array_get(cases, i));
	map_page(job);
	runner_enter(job);
	solution = build_solution(job);
	driver = build_driver(job);
	link_entries(driver, solution, solution_spec);
	driver_run = (driver_fn)compile_lookup(driver, "driver_run");
	if (!driver_run)
		runner_report_missing("driver", "driver.c", "driver_run", "the host");
	runner_lock_down_page(job, &reporters);
	send_byte(PAGE_LOCKED);
	if (json_is_true(json_object_get(job, "clock")))
		mark_clock();
	page->driver_status = driver_run(inputs, (int)n_cases);
	page->state = PAGE_DONE;
	end_run();
}
