/*
 * propose.c - a test agent's run; see propose.h.
 *
 * The reply is read strictly: a JSON array of objects, each with a string
 * "input" of at most PROPOSE_INPUT_MAX bytes, an optional "label" that is
 * a label (string, integer or boolean) and an optional string "reason".
 * Anything else in the array is counted as malformed; a reply that is not
 * an array is the run's problem.
 */
#include "propose.h"

#include "buf.h"
#include "error.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

#define REASON_MAX 300   /* the characters of a reason kept */

int propose_present(const agent_files *files)
{
	return agents_get(files, PROPOSE_FILE) != NULL;
}

/* test_agent.c and the headers: the test agent runs alone. */
static int test_agent_files(agent_files *out, const agent_files *files)
{
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; rc == 0 && i < files->count; i++) {
		const char *name = files->items[i].name;
		size_t len = strlen(name);
		if (strcmp(name, PROPOSE_FILE) == 0 || (len > 2 && strcmp(name + len - 2, ".h") == 0))
			rc = agents_set(out, name, files->items[i].text);
	}
	if (rc < 0)
		agents_free(out);
	return rc;
}

static char *request_text(const propose_request *req, int max)
{
	json_t *list = json_array(), *request = NULL, *history;
	char *text;
	size_t i;

	/* the caller's history is only read: a copy of it goes in */
	history = req->history ? json_copy((json_t *)req->history) : json_array();
	for (i = 0; list && i < req->n_cases; i++)
		json_array_append_new(list, json_pack("{s:s, s:s?}", "input", req->cases[i].input,
						      "label", req->cases[i].label));
	if (list && history)
		request = json_pack("{s:s, s:o, s:i, s:o}", "solution", req->solution, "cases",
				    list, "max", max, "history", history);
	else {
		json_decref(list);
		json_decref(history);
	}
	text = request ? json_dumps(request, JSON_COMPACT) : NULL;
	json_decref(request);
	return text;
}

/* One item of the reply into out->items[out->n], or counted malformed. */
static int read_item(propose_list *out, const json_t *item)
{
	const char *input = json_string_value(json_object_get(item, "input"));
	const char *reason = json_string_value(json_object_get(item, "reason"));
	const json_t *label = json_object_get(item, "label");
	propose_item *p = &out->items[out->n];

	if (!input || strlen(input) > PROPOSE_INPUT_MAX || (label && json_is_null(label) == 0 &&
	    !json_is_string(label) && !json_is_integer(label) && !json_is_boolean(label))) {
		out->malformed++;
		return 0;
	}
	p->input = strdup(input);
	p->label = label && !json_is_null(label) ? task_label_text(label) : NULL;
	/* cut on a character: the reason goes into the lab's JSON */
	p->reason = reason ? strndup(reason, utf8_valid_prefix(reason, strnlen(reason, REASON_MAX)))
			   : NULL;
	if (!p->input || (label && !json_is_null(label) && !p->label) || (reason && !p->reason)) {
		free(p->input);
		free(p->label);
		free(p->reason);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	out->n++;
	return 0;
}

static int read_reply(propose_list *out, const char *reply, int max)
{
	json_t *list = reply ? json_loads(reply, 0, NULL) : NULL;
	size_t i, n = json_array_size(list);
	int rc = 0;

	if (!json_is_array(list)) {
		json_decref(list);
		out->problem = strdup(reply ? "the test agent's reply is not a JSON array"
				      : "the test agent proposed nothing");
		return out->problem ? 0 : err_set(ERR_SYSTEM, "out of memory");
	}
	/* only `max` are kept, whatever the reply's length */
	out->items = calloc(n < (size_t)max ? n + 1 : (size_t)max + 1, sizeof(*out->items));
	if (!out->items)
		rc = err_set(ERR_SYSTEM, "out of memory");
	for (i = 0; rc == 0 && i < n; i++) {
		if (out->n >= (size_t)max)
			out->malformed++;
		else
			rc = read_item(out, json_array_get(list, i));
	}
	json_decref(list);
	return rc;
}

static int run_problem(propose_list *out, const agent_run_result *run)
{
	out->problem = agent_run_problem(run);
	return out->problem ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

int propose_run(propose_list *out, agent_run_result *run, task *t, const agent_files *files,
		const propose_request *req, const agent_run_options *o)
{
	int max = req->max;
	agent_files alone;
	agent_run_result mine;
	char *request;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!run)
		run = &mine;
	memset(run, 0, sizeof(*run));
	if (!propose_present(files))
		return err_set(ERR_NOTFOUND, "the agents have no test agent (%s)", PROPOSE_FILE);
	max = max < 1 ? 1 : max > PROPOSE_MAX ? PROPOSE_MAX : max;
	if ((rc = test_agent_files(&alone, files)) < 0)
		return rc;
	request = request_text(req, max);
	rc = request ? agent_propose(run, t, &alone, request, o)
		     : err_set(ERR_SYSTEM, "out of memory");
	if (rc == 0)
		rc = run->outcome.status == SANDBOX_OK ? read_reply(out, run->result, max)
						       : run_problem(out, run);
	free(request);
	agents_free(&alone);
	if (run == &mine)
		agent_run_result_free(&mine);
	if (rc < 0)
		propose_list_free(out);
	return rc;
}

void propose_list_free(propose_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++) {
		free(list->items[i].input);
		free(list->items[i].label);
		free(list->items[i].reason);
	}
	free(list->items);
	free(list->problem);
	memset(list, 0, sizeof(*list));
}
