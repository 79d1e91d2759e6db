/* A meta agent that says what archive it was given, in one log line of
 * JSON: its bytes, its parent, the generations it holds, how many were
 * omitted and how many say their changes were cut; then it notes one
 * line in memory.md, which is its rewrite. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Nonzero when generation g says its member `name` was cut. */
static int was_cut(json_t *g, const char *name)
{
	json_t *cut = json_object_get(g, "cut");
	size_t i;

	for (i = 0; i < json_array_size(cut); i++)
		if (strcmp(json_string_value(json_array_get(cut, i)), name) == 0)
			return 1;
	return 0;
}

int meta_agent_rewrite(const char *archive_text)
{
	json_t *archive = json_loads(archive_text, 0, NULL);
	json_t *gens = json_object_get(archive, "generations"), *numbers = json_array(), *report;
	int cut = 0;
	size_t i;
	char *line;

	for (i = 0; i < json_array_size(gens); i++) {
		json_t *g = json_array_get(gens, i);
		json_array_append(numbers, json_object_get(g, "generation"));
		cut += was_cut(g, "changes");
	}
	report = json_pack("{s:I, s:O, s:O, s:o, s:i}", "bytes", (json_int_t)strlen(archive_text),
			   "parent", json_object_get(archive, "parent"), "omitted",
			   json_object_get(archive, "omitted"), "generations", numbers,
			   "changes_cut", cut);
	line = json_dumps(report, JSON_COMPACT);
	host_log("%s", line ? line : "no report");
	free(line);
	json_decref(report);
	json_decref(archive);
	return host_emit("memory.md", "measured the archive\n");
}
