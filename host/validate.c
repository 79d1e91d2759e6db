/*
 * validate.c - the validation cascade; see validate.h.
 *
 * compile and signatures are the same compilation with two preludes:
 * first agent.h without the entry points' prototypes, so that a wrong
 * prototype is not reported as a compile error but, after the symbols
 * stage, as a signature error. Nothing of the agent runs in the host:
 * symbols only links (the service functions are addresses, never called)
 * and smoke runs in the sandbox.
 */
#include "validate.h"

#include "allowlist.h"
#include "compile.h"
#include "error.h"
#include "os.h"
#include "services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SMOKE_MS 2000

static const char *const entry_points[] = { "task_agent_improve", "meta_agent_rewrite" };
#define N_ENTRY (sizeof(entry_points) / sizeof(entry_points[0]))

typedef struct {
	compile_source *srcs;   /* the .c files */
	size_t n;
	char *header_dir;       /* the .h files, written out for #include */
} agent_sources;

static int collect_sources(agent_sources *s, const agent_files *files)
{
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	s->srcs = calloc(files->count + 1, sizeof(*s->srcs));
	if (!s->srcs)
		return err_set(ERR_SYSTEM, "out of memory");
	if ((rc = os_make_scratch(&s->header_dir, "host-validate")) < 0)
		return rc;
	for (i = 0; i < files->count; i++) {
		const agent_file *f = &files->items[i];
		size_t len = strlen(f->name);
		if (strcmp(f->name + len - 2, ".c") == 0) {
			s->srcs[s->n].name = f->name;
			s->srcs[s->n++].text = f->text;
		} else if (strcmp(f->name + len - 2, ".h") == 0) {
			char *path = os_path_join(s->header_dir, f->name);
			int rc = path ? os_write_file(path, f->text, strlen(f->text)) : ERR_SYSTEM;
			free(path);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static void free_sources(agent_sources *s)
{
	if (s->header_dir)
		os_remove_tree(s->header_dir);
	free(s->header_dir);
	free(s->srcs);
}

static void stage_result(validate_stage *st, int passed, buf *diagnostics)
{
	st->ran = 1;
	st->passed = passed;
	st->diagnostics = buf_detach(diagnostics);
}

/* compile (entry prototypes hidden) or signatures (all of agent.h) */
static int stage_compile(validate_stage *st, const agent_sources *s, int with_entries)
{
	const char *dirs[] = { s->header_dir, NULL };
	compile_options opts = { with_entries ? "#include <agent.h>"
					      : "#define AGENT_NO_ENTRY_POINTS\n#include <agent.h>",
				 dirs, NULL, 0 };
	compile_diags diags = { NULL, 0 };
	buf out = BUF_INIT;
	int ok;

	if (s->n == 0) {
		buf_puts(&out, "no .c files\n");
		stage_result(st, 0, &out);
		return 0;
	}
	ok = compile_check(&diags, s->srcs, s->n, &opts) == 0;
	compile_diags_format(&out, &diags, 1);
	compile_diags_free(&diags);
	stage_result(st, ok, &out);
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
	const compile_symbol *services = services_symbols(&n);

	(void)addr;
	/* linker symbols (_end, _GLOBAL_OFFSET_TABLE_), PLT slots and imports */
	if (name[0] == '_' || strchr(name, '@') || allowlist_contains(name))
		return;
	while (n--)
		if (strcmp(services[n].name, name) == 0)
			return;
	buf_printf(&list->names, "%s%s", list->count++ ? ", " : "", name);
}

static int stage_symbols(validate_stage *st, const agent_sources *s, char **exports)
{
	const char *dirs[] = { s->header_dir, NULL };
	size_t n_services, i;
	compile_options opts = { "#define AGENT_NO_ENTRY_POINTS\n#include <agent.h>", dirs,
				 services_symbols(&n_services), 0 };
	compile_diags diags = { NULL, 0 };
	export_list list = { BUF_INIT, 0 };
	compile_unit *unit = NULL;
	buf out = BUF_INIT;

	opts.n_symbols = n_services;
	if (compile_build(&unit, &diags, s->srcs, s->n, &opts) < 0)
		compile_diags_format(&out, &diags, 1);
	for (i = 0; unit && i < N_ENTRY; i++)
		if (!compile_lookup(unit, entry_points[i]))
			buf_printf(&out, "missing entry point '%s' (agent.h declares it)\n",
				   entry_points[i]);
	if (unit)
		compile_each_symbol(unit, &list, add_export);
	*exports = buf_detach(&list.names);
	compile_diags_free(&diags);
	compile_unit_free(unit);
	stage_result(st, out.len == 0, &out);
	return st->passed;
}

/* Runs one entry point on a tiny budget; a problem is appended to `out`. */
static int smoke_one(buf *out, const agent_files *files, const char *entry, task *t)
{
	sandbox_limits limits = { SMOKE_MS, SMOKE_MS, 256 };
	agent_files emitted = { NULL, 0 };
	agents_run_result run;
	broker b;
	int rc;

	broker_init(&b, t, files, 2, SMOKE_MS / 1000.0);
	b.emitted = &emitted;
	rc = agents_run(&run, files, entry,
			strcmp(entry, "task_agent_improve") == 0 ? t->initial_text : "[]",
			&b, &limits, 1);
	if (rc == 0 && run.outcome.status != SANDBOX_OK)
		buf_printf(out, "smoke: %s %s: %s\n", entry,
			   run.outcome.status == SANDBOX_TIMEOUT ? "did not return in 2 s" :
			   run.outcome.status == SANDBOX_CRASH ? "crashed" :
			   sandbox_status_name(run.outcome.status), run.outcome.detail);
	if (rc == 0)
		agents_run_result_free(&run);
	agents_free(&emitted);
	broker_free(&b);
	return rc;
}

static int stage_smoke(validate_stage *st, const agent_files *files, task *t)
{
	buf out = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < N_ENTRY && rc == 0; i++)
		rc = smoke_one(&out, files, entry_points[i], t);
	if (rc < 0) {
		buf_free(&out);
		return rc;
	}
	stage_result(st, out.len == 0, &out);
	return 0;
}

int validate_agents(validate_report *out, const agent_files *files, task *smoke_task)
{
	static const char *const names[VALIDATE_STAGES] = {
		"compile", "symbols", "signatures", "smoke",
	};
	agent_sources s;
	int i, rc;

	memset(out, 0, sizeof(*out));
	out->failed = -1;
	for (i = 0; i < VALIDATE_STAGES; i++)
		out->stages[i].name = names[i];
	rc = collect_sources(&s, files);
	if (rc == 0 && stage_compile(&out->stages[0], &s, 0) &&
	    stage_symbols(&out->stages[1], &s, &out->exports) &&
	    stage_compile(&out->stages[2], &s, 1))
		rc = stage_smoke(&out->stages[3], files, smoke_task);
	free_sources(&s);
	for (i = 0; i < VALIDATE_STAGES && out->failed < 0; i++)
		if (!out->stages[i].ran || !out->stages[i].passed)
			out->failed = i;
	out->valid = out->failed < 0;
	return rc;
}

void validate_report_free(validate_report *r)
{
	int i;

	for (i = 0; i < VALIDATE_STAGES; i++)
		free(r->stages[i].diagnostics);
	free(r->exports);
	memset(r, 0, sizeof(*r));
}
