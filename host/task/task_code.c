/*
 * task_code.c - a task's own code in its sandbox; see task_code.h.
 */
#include "task_code.h"

#include "error.h"

#include <string.h>

/* The unit is compiled against the task ABI, which the runner has built
 * in ("task_abi"). */
static json_t *task_code_job(const task *t, const char *kind, const char *file,
			     const char *text)
{
	return json_pack("{s:s, s:{s:[{s:s, s:s}], s:b, s:[s]}}", "kind", kind, kind, "sources",
			 "name", file, "text", text, "task_abi", 1, "include_dirs", t->dir);
}

int task_code_call(sandbox_outcome *out, const task *t, const char *kind, const char *file,
		   const char *text, json_t *request, const char *attachment,
		   const sandbox_limits *limits)
{
	json_t *job = task_code_job(t, kind, file, text);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!job || !request) {
		json_decref(job);
		json_decref(request);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	rc = sandbox_call(out, job, request, attachment, limits);
	json_decref(job);
	json_decref(request);
	return rc;
}

int task_code_fault(const task *t, const char *file, const char *doing,
		    const sandbox_outcome *o, int memory_mb)
{
	const char *text = json_string_value(json_object_get(o->result, "diagnostics_text"));

	switch (o->status) {
	case SANDBOX_COMPILE_ERROR:
		return err_set(ERR_GENERIC, "task %s: %s does not compile:\n%s", t->name, file,
			       text ? text : "");
	case SANDBOX_TIMEOUT:
		return err_set(ERR_GENERIC, "task %s: %s did not finish %s (%s)", t->name, file,
			       doing, o->detail);
	case SANDBOX_CRASH:
		return err_set(ERR_GENERIC, "task %s: %s %s while %s", t->name, file, o->detail,
			       doing);
	case SANDBOX_MEMORY:
		return err_set(ERR_GENERIC, "task %s: %s used more than %d MB while %s", t->name,
			       file, memory_mb, doing);
	default:
		return err_set(ERR_GENERIC, "task %s: %s failed while %s: %s", t->name, file,
			       doing, o->detail);
	}
}
