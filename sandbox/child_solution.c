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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static buf transcript;
static size_t transcript_max;
static int transcript_overflow;

static int transcript_write(const char *data, int len)
{
	if (len < 0 || transcript.len + (size_t)len > transcript_max) {
		transcript_overflow = 1;
		return -1;
	}
	buf_append(&transcript, data, (size_t)len);
	return transcript.failed ? -1 : 0;
}

static int transcript_printf(const char *fmt, ...)
{
	size_t before = transcript.len;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&transcript, fmt, ap);
	va_end(ap);
	if (transcript.failed)
		return -1;
	if (transcript.len > transcript_max) {
		transcript.len = before;
		transcript.data[before] = '\0';
		transcript_overflow = 1;
		return -1;
	}
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

/*
 * A timed job marks the start of the measured span: the parent reads this
 * process's CPU clock when the mark arrives, and again when the final
 * frame does (stopping the process for each reading; see parent_cpu_ns).
 * Nothing compiled has run yet (libtcc runs no constructors), so the
 * solution cannot move the start; a mark of its own later is refused by
 * the parent.
 */
static int mark_clock(const json_t *job)
{
	static const char mark[] = "{\"op\":\"clock\"}";
	json_t *reply = NULL;

	if (!json_is_true(json_object_get(job, "clock")))
		return 0;
	if (channel_send(CHANNEL_FD, mark, sizeof(mark) - 1) < 0 ||
	    channel_recv_json(&reply, CHANNEL_FD, 4096, -1) < 0)
		runner_fail("job: the host did not answer the clock mark");
	json_decref(reply);
	return 1;
}

_Noreturn void runner_solution_job(const json_t *job)
{
	const json_t *cases = json_object_get(job, "cases");
	const json_t *solution_spec = json_object_get(job, "solution");
	const char **inputs;
	compile_unit *solution, *driver;
	int (*driver_run)(const char *const *, int);
	size_t i, n_cases = json_array_size(cases);
	json_t *result;
	int rc, timed;

	transcript_max = (size_t)json_integer_value(json_object_get(job, "transcript_max"));
	inputs = calloc(n_cases + 1, sizeof(*inputs));
	if (!inputs || transcript_max == 0)
		runner_fail("job: cases and transcript_max are required");
	for (i = 0; i < n_cases; i++)
		inputs[i] = json_string_value(json_array_get(cases, i));
	runner_enter(job);
	solution = runner_build(solution_spec, "solution", NULL, NULL, 0);
	driver = build_driver(job);
	link_entries(driver, solution, solution_spec);
	driver_run = (int (*)(const char *const *, int))compile_lookup(driver, "driver_run");
	if (!driver_run)
		runner_report_missing("driver", "driver.c", "driver_run", "the host");

	runner_lock_down(job);
	timed = mark_clock(job);
	rc = driver_run(inputs, (int)n_cases);
	if (transcript_overflow)
		result = json_pack("{s:s, s:s}", "outcome", "bad_output", "message",
				   "the transcript exceeded its size cap");
	else
		result = json_pack("{s:s, s:s, s:i}", "outcome", "ok", "transcript",
				   buf_cstr(&transcript), "driver_status", rc);
	if (timed)
		runner_finish_held(result);
	runner_finish(result);
}
