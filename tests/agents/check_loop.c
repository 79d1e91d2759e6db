/* A meta agent for host_check's tests: it emits the files the archive
 * names ({"emit": {"name": "text"}}), then checks the generation
 * "checks" times, or, with "forever", again and again whatever the host
 * says, as a hostile agent would; each verdict is one log line:
 * "check 1: failed compile task_agent.c:2: error: ...". */
#include <jansson.h>

int meta_agent_rewrite(const char *archive)
{
	json_t *a = json_loads(archive, 0, NULL), *text;
	int forever = json_is_true(json_object_get(a, "forever"));
	int n = (int)json_integer_value(json_object_get(a, "checks")), i;
	const char *name;
	host_check_result r;

	json_object_foreach(json_object_get(a, "emit"), name, text)
		host_emit(name, json_string_value(text));
	for (i = 0; forever || i < n; i++) {
		if (host_check(&r) < 0)
			host_log("check %d refused: %s", i + 1, host_error());
		else
			host_log("check %d: %s %s %s", i + 1, r.passed ? "passed" : "failed",
				 r.stage, r.diagnostics);
	}
	json_decref(a);
	return 0;
}
