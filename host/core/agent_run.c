/*
 * agent_run.c - agent runs; see agent_run.h.
 *
 * The job carries the agent's .c files as one unit and its .h files as
 * headers, which the sandbox writes to a folder of the job's own.
 */
#include "agent_run.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

static json_t *agent_job(const agent_files *files, const char *entry, const char *arg,
			 unsigned long long seed)
{
	json_t *sources = json_array(), *headers = json_array();
	size_t i;

	for (i = 0; i < files->count; i++) {
		const char *name = files->items[i].name;
		size_t len = strlen(name);
		json_t *list = name[len - 1] == 'c' ? sources : name[len - 1] == 'h' ? headers : NULL;
		if (list && name[len - 2] == '.')
			json_array_append_new(list, json_pack("{s:s, s:s}", "name", name,
							      "text", files->items[i].text));
	}
	return json_pack("{s:s, s:{s:o, s:s, s:[]}, s:o, s:s, s:s, s:I}", "kind", "agent",
			 "agent", "sources", sources, "prelude", "#include <agent.h>",
			 "include_dirs", "headers", headers, "entry", entry, "arg", arg,
			 "seed", (json_int_t)(seed & 0x7fffffffffffffffULL));
}

int agent_run(agent_run_result *out, const agent_files *files,
	      const char *entry, const char *arg, broker *broker,
	      const sandbox_limits *limits, unsigned long long seed)
{
	json_t *job = agent_job(files, entry, arg, seed);
	const char *result;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!job)
		return err_set(ERR_SYSTEM, "out of memory");
	rc = sandbox_run(&out->outcome, job, limits, broker_serve, broker);
	json_decref(job);
	if (rc < 0)
		return rc;
	result = json_string_value(json_object_get(out->outcome.result, "result"));
	out->result = result ? strdup(result) : NULL;
	out->status = (int)json_integer_value(json_object_get(out->outcome.result, "status"));
	return 0;
}

void agent_run_result_free(agent_run_result *r)
{
	sandbox_outcome_free(&r->outcome);
	free(r->result);
	r->result = NULL;
}

