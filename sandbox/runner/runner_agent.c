/*
 * runner_agent.c - agent jobs: running an entry point, and the compile
 * stages of validation; see runner.h.
 *
 * Validation compiles untrusted agents too, so its first three stages run
 * here, confined like every other compile, rather than in the host:
 *
 *   compile     the files compile with agent.h's entry points hidden;
 *   symbols     they link against the allowlist and the host services,
 *               the entry points exist, and the exported names are listed;
 *   signatures  they compile against all of agent.h, so a definition that
 *               disagrees with its prototype fails here, not as a compile
 *               error.
 *
 * The job stops at the first stage that fails. Nothing of the agent runs:
 * linking only relocates it.
 */
#include "runner.h"

#include "agent_abi.h"
#include "allowlist.h"
#include "buf.h"
#include "error.h"
#include "agent_services.h"

#include <stdlib.h>
#include <string.h>

#define NO_ENTRY_PRELUDE "#define AGENT_NO_ENTRY_POINTS\n#include <agent.h>"
#define FULL_PRELUDE "#include <agent.h>"

_Noreturn void runner_agent_job(const json_t *job)
{
	const char *entry = json_string_value(json_object_get(job, "entry"));
	const char *arg = json_string_value(json_object_get(job, "arg"));
	const compile_symbol *services;
	compile_unit *agent;
	void *fn;
	size_t n;

	if (!entry || !arg)
		runner_fail("job: an agent job needs entry and arg");
	runner_enter(job);
	services = agent_services_symbols(&n);
	agent = runner_build(json_object_get(job, "agent"), "agent", NULL, services, n);
	fn = compile_lookup(agent, entry);
	if (!fn)
		runner_report_missing("agent", "agent", entry, "the host");
	agent_services_init((unsigned long long)json_integer_value(json_object_get(job, "seed")));
	runner_lock_down(job);
	runner_mark_code();
	/* the task agent's solution, the test agent's proposals */
	if (strcmp(entry, AGENT_ABI_TASK_ENTRY) == 0 || strcmp(entry, AGENT_ABI_TEST_ENTRY) == 0) {
		char *text = ((char *(*)(const char *))fn)(arg);
		runner_finish(json_pack("{s:s, s:s?}", "outcome", "ok", "result", text));
	}
	runner_finish(json_pack("{s:s, s:i}", "outcome", "ok", "status",
				((int (*)(const char *))fn)(arg)));
}

static int add_stage(json_t *stages, int passed, const buf *diagnostics)
{
	json_array_append_new(stages, json_pack("{s:b, s:s}", "passed", passed,
						"diagnostics", buf_cstr(diagnostics)));
	return passed;
}

/* compile (entry prototypes hidden) or signatures (all of agent.h) */
static int stage_compile(json_t *stages, const json_t *spec, const char *prelude)
{
	compile_diags diags = { NULL, 0 };
	compile_unit *none;
	buf out = BUF_INIT;
	int ok = runner_compile(&none, &diags, spec, prelude, NULL, 0, 0) == 0;

	compile_diags_format(&out, &diags, 1);
	if (!ok && !out.len)
		buf_printf(&out, "%s\n", err_last());
	compile_diags_free(&diags);
	ok = add_stage(stages, ok, &out);
	buf_free(&out);
	return ok;
}

typedef struct {
	buf names;
	size_t count;
} export_list;

static void add_export(void *ctx, const char *name, const void *addr)
{
	export_list *list = ctx;
	size_t n;
	const compile_symbol *services = agent_services_symbols(&n);

	(void)addr;
	/* linker symbols (_end, _GLOBAL_OFFSET_TABLE_), PLT slots and imports */
	if (name[0] == '_' || strchr(name, '@') || allowlist_contains(name))
		return;
	while (n--)
		if (strcmp(services[n].name, name) == 0)
			return;
	buf_printf(&list->names, "%s%s", list->count++ ? ", " : "", name);
}

static int stage_symbols(json_t *stages, const json_t *spec, buf *exports)
{
	size_t n_services, i;
	const char *entry;
	const compile_symbol *services = agent_services_symbols(&n_services);
	compile_diags diags = { NULL, 0 };
	export_list list = { BUF_INIT, 0 };
	compile_unit *unit = NULL;
	buf out = BUF_INIT;
	int ok;

	if (runner_compile(&unit, &diags, spec, NO_ENTRY_PRELUDE, services, n_services, 1) < 0) {
		compile_diags_format(&out, &diags, 1);
		if (!out.len)
			buf_printf(&out, "%s\n", err_last());
	}
	for (i = 0; unit && (entry = agent_abi_required(i)) != NULL; i++)
		if (!compile_lookup(unit, entry))
			buf_printf(&out, "missing entry point '%s' (agent.h declares it)\n", entry);
	if (unit)
		compile_each_symbol(unit, &list, add_export);
	*exports = list.names;
	compile_diags_free(&diags);
	compile_unit_free(unit);
	ok = add_stage(stages, out.len == 0, &out);
	buf_free(&out);
	return ok;
}

_Noreturn void runner_check_job(const json_t *job)
{
	const json_t *spec = json_object_get(job, "agent");
	json_t *stages = json_array();
	buf exports = BUF_INIT;

	runner_enter(job);
	if (stage_compile(stages, spec, NO_ENTRY_PRELUDE) &&
	    stage_symbols(stages, spec, &exports))
		stage_compile(stages, spec, FULL_PRELUDE);
	runner_finish(json_pack("{s:s, s:o, s:s}", "outcome", "ok", "stages", stages,
				"exports", buf_cstr(&exports)));
}
