/*
 * cli.c - what host's commands share: loading the tasks, the agents, a
 * lab's generations and settings and the model a command works on, each
 * failure reported as the command's; see cli.h. Printing, errors
 * included, is print.c.
 */
#include "cli.h"

#include "error.h"
#include "eval.h"
#include "options.h"
#include "os.h"
#include "print.h"
#include "solution_model.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_tasks_root(char **out, const char *given)
{
	char *root = NULL;
	int rc = given ? 0 : task_default_root(&root);

	*out = NULL;
	if (rc == 0 && !(*out = realpath(given ? given : root, NULL)))
		rc = err_sys("the tasks folder %s", given ? given : root);
	free(root);
	return rc;
}

/* The tasks folder the lab in the current folder keeps (free() it), or
 * NULL: commands run in a lab find its tasks without --tasks-dir. */
static char *here_tasks_dir(void)
{
	settings kept;
	lab l;

	if (!lab_exists(".") || lab_open(&l, ".", 0) < 0)
		return NULL;
	if (settings_read(&kept, &l, SETTINGS_TASKS_DIR) < 0)
		kept.tasks_dir = NULL;
	lab_close(&l);
	return kept.tasks_dir;
}

int cli_load_task(task **out, const char *command, const char *tasks_dir,
		  const char *name)
{
	char *root = NULL;
	int rc;

	*out = NULL;
	if (!tasks_dir && !(root = here_tasks_dir()) && task_default_root(&root) < 0)
		return cli_fail(command, "%s", err_last());
	rc = task_load(out, tasks_dir ? tasks_dir : root, name);
	free(root);
	return rc < 0 ? cli_fail(command, "%s", err_last()) : CLI_OK;
}

int cli_load_agents(agent_files *out, const char *command, const char *dir)
{
	if (!dir && !os_is_dir(agents_default_dir()))
		return cli_fail(command, "no agent to run: this folder has neither agent_code/ (a "
				"lab's live agent) nor seed/; pass --agent DIR");
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

static int listed(task *const *tasks, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(tasks[i]->name, name) == 0)
			return 1;
	return 0;
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
	*out = calloc(EVOLVE_MAX_TASKS, sizeof(task *));
	for (name = names ? strtok_r(names, ",", &save) : NULL; name && rc == CLI_OK;
	     name = strtok_r(NULL, ",", &save)) {
		while (*name == ' ')
			name++;
		if (*n >= EVOLVE_MAX_TASKS)
			rc = cli_usage(command, "at most %d tasks", EVOLVE_MAX_TASKS);
		else if (task_load(&(*out)[*n], tasks_dir ? tasks_dir : root, name) < 0)
			rc = cli_fail(command, "%s", err_last());
		else if (listed(*out, *n, (*out)[*n]->name))  /* tasks are a set */
			rc = cli_usage(command, "the tasks %s name %s twice", list ? list : "",
				       (*out)[(*n)++]->name);  /* freed with the others */
		else
			(*n)++;
	}
	if (rc == CLI_OK && !list)
		task_keep_defaults(*out, n);
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

	if (n < 0)
		rc = cli_fail(command, "%s", err_last());
	else if (n > 0)
		rc = cli_fail(command, "agent_code/ has edits that are not a generation:\n%s"
			      "Record them with 'host commit -m MSG' or discard them with "
			      "'host checkout'.", changes.data);
	buf_free(&changes);
	return rc;
}

int cli_resolve_generation(lab *l, const char *command, const char *name, int *out)
{
	int number = store_parse_name(name), *numbers;
	size_t n, i, j;
	buf near = BUF_INIT;
	int rc;

	if (number < 0)
		return cli_fail(command, "'%s' is not a generation name (gen_N, e.g. gen_003)", name);
	if (store_numbers(l->store, &numbers, &n) < 0)
		return cli_fail(command, "%s", err_last());
	for (i = 0; i < n && numbers[i] != number; i++)
		;
	if (i < n) {
		free(numbers);
		*out = number;
		return CLI_OK;
	}
	/* the (up to) three existing numbers closest to the one asked for */
	for (j = 0; j < 3 && n > 0; j++) {
		size_t best = 0;
		for (i = 1; i < n; i++)
			if (abs(numbers[i] - number) < abs(numbers[best] - number))
				best = i;
		buf_printf(&near, "%sgen_%03d", j ? ", " : "", numbers[best]);
		numbers[best] = numbers[--n];
	}
	rc = cli_fail(command, "there is no generation gen_%03d; the nearest: %s", number,
		      near.len ? near.data : "none");
	buf_free(&near);
	free(numbers);
	return rc;
}

/* The lab's settings a command reads: those its options do not give
 * (no option gives carry: host init fixes it). */
static unsigned settings_wanted(const cli_eval_given *g)
{
	return SETTINGS_CARRY | (g->tasks ? 0 : SETTINGS_TASKS) |
	       (g->tasks_dir ? 0 : SETTINGS_TASKS_DIR) |
	       (g->budget ? 0 : SETTINGS_BUDGET) | (g->seed != ULLONG_MAX ? 0 : SETTINGS_SEED) |
	       (g->utility ? 0 : SETTINGS_UTILITY) | (g->meta_ms ? 0 : SETTINGS_META_MS) |
	       (g->agent_ms ? 0 : SETTINGS_AGENT_MS) | (g->trials ? 0 : SETTINGS_TRIALS);
}

int cli_lab_eval(evolve_eval_options *out, lab *l, const char *command,
		 const cli_eval_given *given)
{
	settings kept;
	int rc;

	if (settings_read(&kept, l, settings_wanted(given)) < 0)
		return cli_fail(command, "%s", err_last());
	out->budget = given->budget ? given->budget : kept.budget ? kept.budget : CLI_DEFAULT_BUDGET;
	out->seed = given->seed != ULLONG_MAX ? given->seed : kept.has_seed ? kept.seed : 1;
	out->utility = given->utility ? *given->utility : kept.utility;
	out->meta_ms = (int)(given->meta_ms ? given->meta_ms : kept.meta_ms);
	out->agent_slack_ms = (int)(given->agent_ms ? given->agent_ms : kept.agent_ms);
	out->trials = given->trials ? given->trials : kept.trials;
	out->carry = kept.carry;
	if (kept.tasks_dir && !os_is_dir(kept.tasks_dir))
		rc = cli_fail(command, "the lab's tasks folder %s, kept by host init, is gone; "
			      "pass --tasks-dir DIR", kept.tasks_dir);
	else
		rc = cli_load_tasks(&out->tasks, &out->n_tasks, command,
				    given->tasks_dir ? given->tasks_dir : kept.tasks_dir,
				    given->tasks ? given->tasks : kept.tasks);
	settings_free(&kept);
	return rc;
}

void cli_lab_eval_free(evolve_eval_options *o)
{
	cli_free_tasks(o->tasks, o->n_tasks);
	o->tasks = NULL;
	o->n_tasks = 0;
}

/* The LLM client's notices go to stderr, as host's own remarks; they may
 * quote the server. */
static void print_notice(void *ctx, const char *message)
{
	(void)ctx;
	cli_eprint_line("host: %s", message);
}

int cli_set_executor(evolve_executor *x, const char *command, const char *name)
{
	if (!name || strcmp(name, "local") == 0)
		x->slurm = 0;
	else if (strcmp(name, "slurm") == 0)
		x->slurm = 1;
	else
		return cli_usage(command, "--executor takes local or slurm, not '%s'", name);
	if (x->slurm_args && !x->slurm)
		return cli_usage(command, "--slurm-args is for --executor slurm");
	return CLI_OK;
}

int cli_open_llm(llm_client **out, const char *command, const llm_options *o)
{
	llm_options with_notices = *o;

	if (o->record_path && o->replay_path)
		return cli_usage(command, "--record and --replay cannot be used together");
	with_notices.notice = print_notice;
	with_notices.temperature_set = o->temperature >= 0;
	if (with_notices.concurrency <= 0)  /* evolve sets its --parallel */
		with_notices.concurrency = 1;
	if (llm_open(out, &with_notices) < 0)
		return cli_fail(command, "%s", err_last());
	solution_model_use(*out);
	return CLI_OK;
}

void cli_close_llm(llm_client *llm)
{
	solution_model_use(NULL);
	llm_close(llm);
}

int cli_agent_failure(const char *agent, const sandbox_outcome *o)
{
	char *diags = o->status == SANDBOX_COMPILE_ERROR ? eval_diagnostics(o->result) : NULL;
	const char *line, *next;
	buf text = BUF_INIT;
	int rc;

	buf_printf(&text, "the %s agent failed: %s (%s)", agent, sandbox_status_name(o->status),
		   o->detail);
	for (line = diags; line && *line; line = next) {
		next = line + strcspn(line, "\n");
		buf_printf(&text, "%s\n  %.*s", line == diags ? ":" : "", (int)(next - line), line);
		next += *next == '\n';
	}
	rc = err_set(ERR_GENERIC, "%s", buf_cstr(&text));
	buf_free(&text);
	free(diags);
	return rc;
}

char *cli_task_names(task **tasks, size_t n)
{
	buf names = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		buf_printf(&names, "%s%s", i ? "," : "", tasks[i]->name);
	return buf_detach(&names);
}

int cli_check_tasks(const char *command, task *const *tasks, size_t n)
{
	eval_result r;
	size_t i;
	int rc = CLI_OK;

	if (eval_find_broken(&r, &i, tasks, n) < 0)
		return cli_fail(command, "%s", err_last());
	if (i < n)
		rc = cli_fail(command, "task %s is broken: %s\n%s(host check-task %s shows "
			      "every problem)", tasks[i]->name, r.detail,
			      r.diagnostics ? r.diagnostics : "", tasks[i]->dir);
	eval_result_free(&r);
	return rc;
}
