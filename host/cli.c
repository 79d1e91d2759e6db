/*
 * cli.c - what host's commands share: reporting errors the same way, and
 * loading the task and the agents a command works on.
 */
#include "cli.h"

#include "error.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void vreport(const char *command, const char *fmt, va_list ap)
{
	fprintf(stderr, "host%s%s: ", command ? " " : "", command ? command : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_usage(const char *command, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(command, fmt, ap);
	va_end(ap);
	if (command)
		fprintf(stderr, "Try 'host help %s'.\n", command);
	else
		fprintf(stderr, "Try 'host --help'.\n");
	return CLI_USAGE;
}

int cli_fail(const char *command, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(command, fmt, ap);
	va_end(ap);
	return CLI_FAILED;
}

int cli_load_task(task **out, const char *command, const char *tasks_dir,
		  const char *name)
{
	char *root = NULL;
	int rc;

	*out = NULL;
	if (!tasks_dir && task_default_root(&root) < 0)
		return cli_fail(command, "%s", err_last());
	rc = task_load(out, tasks_dir ? tasks_dir : root, name);
	free(root);
	return rc < 0 ? cli_fail(command, "%s", err_last()) : CLI_OK;
}

int cli_load_agents(agent_files *out, const char *command, const char *dir)
{
	if (agents_load(out, dir ? dir : agents_default_dir()) < 0)
		return cli_fail(command, "%s", err_last());
	return CLI_OK;
}

void cli_free_tasks(task **tasks, size_t n)
{
	while (n)
		task_free(tasks[--n]);
	free(tasks);
}

int cli_load_tasks(task ***out, size_t *n, const char *command, const char *tasks_dir,
		   const char *list)
{
	char *root = NULL, *names = NULL, *name, *save = NULL;
	int rc = CLI_OK;

	*out = NULL;
	*n = 0;
	if (!tasks_dir && task_default_root(&root) < 0)
		return cli_fail(command, "%s", err_last());
	names = list ? strdup(list) : task_list(tasks_dir ? tasks_dir : root);
	*out = calloc(64, sizeof(task *));
	for (name = names ? strtok_r(names, ",", &save) : NULL; name && rc == CLI_OK;
	     name = strtok_r(NULL, ",", &save)) {
		while (*name == ' ')
			name++;
		if (*n >= 64)
			rc = cli_usage(command, "at most 64 tasks");
		else if (task_load(&(*out)[*n], tasks_dir ? tasks_dir : root, name) < 0)
			rc = cli_fail(command, "%s", err_last());
		else
			(*n)++;
	}
	if (rc == CLI_OK && *n == 0)
		rc = cli_fail(command, "no tasks to train on in %s", tasks_dir ? tasks_dir : root);
	if (rc != CLI_OK) {
		cli_free_tasks(*out, *n);
		*out = NULL;
		*n = 0;
	}
	free(names);
	free(root);
	return rc;
}

int cli_refuse_hand_edits(lab *l, const char *command)
{
	buf changes = BUF_INIT;
	int n = lab_hand_edits(l, &changes), rc = CLI_OK;

	if (n > 0)
		rc = cli_fail(command, "agent_code/ has edits that are not a generation:\n%s"
			      "Record them with 'host commit -m MSG' or discard them with "
			      "'host checkout'.", changes.data);
	buf_free(&changes);
	return rc;
}


int cli_lab_eval(lab *l, const char *command, const char *tasks_dir, const char *list,
		 int budget, unsigned long long seed, evolve_eval_options *out)
{
	char *stored_list = NULL, *text = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->utility.score = 1;
	out->budget = budget;
	out->seed = seed;
	if (!list && store_setting_get(l->store, "tasks", &stored_list) == 0)
		list = stored_list;
	if (!budget && store_setting_get(l->store, "budget", &text) == 0 && text)
		out->budget = atoi(text);
	free(text);
	text = NULL;
	if (seed == ULLONG_MAX && store_setting_get(l->store, "seed", &text) == 0 && text)
		out->seed = strtoull(text, NULL, 10);
	free(text);
	if (out->budget <= 0)
		out->budget = CLI_DEFAULT_BUDGET;
	if (out->seed == ULLONG_MAX)
		out->seed = 1;
	rc = cli_load_tasks(&out->tasks, &out->n_tasks, command, tasks_dir, list);
	free(stored_list);
	return rc;
}

void cli_lab_eval_free(evolve_eval_options *o)
{
	cli_free_tasks(o->tasks, o->n_tasks);
	o->tasks = NULL;
	o->n_tasks = 0;
}

int cli_open_llm(llm_client **out, const char *command, const llm_options *o)
{
	if (o->record_path && o->replay_path)
		return cli_usage(command, "--record and --replay cannot be used together");
	if (llm_open(out, o) < 0)
		return cli_fail(command, "%s", err_last());
	return CLI_OK;
}

void cli_lab_spend(lab *l, llm_usage *total)
{
	int *numbers = NULL;
	size_t n = 0, i;

	memset(total, 0, sizeof(*total));
	if (store_numbers(l->store, &numbers, &n) < 0)
		return;
	for (i = 0; i < n; i++) {
		store_gen g;
		const json_t *b;
		if (store_read(l->store, numbers[i], &g, NULL) < 0)
			continue;
		b = json_object_get(g.record, "budget");
		total->calls += (long)json_integer_value(json_object_get(b, "llm_calls"));
		total->tokens_in += (long)json_integer_value(json_object_get(b, "tokens_in"));
		total->tokens_out += (long)json_integer_value(json_object_get(b, "tokens_out"));
		total->usd += json_number_value(json_object_get(b, "usd"));
		store_gen_free(&g);
	}
	free(numbers);
}
