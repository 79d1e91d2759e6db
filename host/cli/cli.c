/*
 * cli.c - what host's commands share: loading the tasks, the agents and a
 * lab's settings a command works on. Printing, errors included, is
 * print.c.
 */
#include "cli.h"

#include "error.h"
#include "eval.h"
#include "os.h"

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

/* With no list of tasks, the timed ones are left out while others remain:
 * their scores vary from run to run, and a default run is exact (a seed
 * gives the same generations, with any number of jobs). */
static void drop_timed(task **tasks, size_t *n)
{
	size_t i, kept = 0, untimed = 0;

	for (i = 0; i < *n; i++)
		untimed += tasks[i]->timing_repeats == 0;
	if (untimed == 0)
		return;
	for (i = 0; i < *n; i++) {
		if (tasks[i]->timing_repeats > 0)
			task_free(tasks[i]);
		else
			tasks[kept++] = tasks[i];
	}
	*n = kept;
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
		drop_timed(*out, n);
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


/* The lab's settings a command reads: those its options do not give. */
static unsigned settings_wanted(const cli_eval_given *g)
{
	return (g->tasks ? 0 : SETTINGS_TASKS) | (g->tasks_dir ? 0 : SETTINGS_TASKS_DIR) |
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
	return CLI_OK;
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

static int add_spend(void *ctx, const record *r)
{
	llm_usage *total = ctx;

	total->calls += r->budget.llm_calls;
	total->tokens_in += r->budget.tokens_in;
	total->tokens_out += r->budget.tokens_out;
	total->usd += r->budget.usd;
	return 0;
}

int cli_lab_spend(lab *l, llm_usage *total)
{
	memset(total, 0, sizeof(*total));
	return store_each(l->store, add_spend, total);
}

char *cli_task_names(task **tasks, size_t n)
{
	buf names = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		buf_printf(&names, "%s%s", i ? "," : "", tasks[i]->name);
	return buf_detach(&names);
}

void cli_print_spend(const llm_client *llm, int quiet)
{
	llm_usage total = llm_totals(llm);

	if (llm && !quiet)
		printf("LLM: %ld calls, %ld tokens in, %ld out, $%.4f\n", total.calls,
		       total.tokens_in, total.tokens_out, total.usd);
}

typedef struct {
	cli_best *best;
	lab *l;
	const char *task;
} best_search;

static int consider(void *ctx, const record *r)
{
	best_search *s = ctx;
	cli_best *b = s->best;
	const record_task *t = record_find_task(r, s->task);
	size_t i, len = 0;
	char *text = NULL;

	for (i = 0; record_measured(r) && i < r->n_tasks && len < sizeof(b->tasks); i++)
		len += (size_t)snprintf(b->tasks + len, sizeof(b->tasks) - len, "%s%s",
					i ? ", " : "", r->tasks[i].name);
	if (!t || !record_measured(r))
		return 0;
	b->seen++;
	b->failed += t->train_failed != NULL;
	if (t->train_failed ||  /* no score on training, let alone the best */
	    (b->number >= 0 && t->fitness <= b->fitness) ||
	    store_solution(s->l->store, r->number, s->task, &text) < 0)
		return 0;  /* not better, or kept none (recorded before solutions were) */
	free(text);
	b->number = r->number;
	b->fitness = t->fitness;
	return 0;
}

int cli_best_solution(cli_best *out, lab *l, const char *task)
{
	best_search s = { out, l, task };

	memset(out, 0, sizeof(*out));
	out->number = -1;
	return store_each(l->store, consider, &s);
}

size_t cli_holdout_failures(buf *out, const record *g)
{
	size_t i, n = 0;

	for (i = 0; i < g->n_tasks; i++)
		if (record_holdout_failed(&g->tasks[i]))
			buf_printf(out, "%s%s (%s)", n++ ? ", " : "", g->tasks[i].name,
				   g->tasks[i].holdout_status);
	return n;
}

const char *cli_holdout_score(char *out, size_t size, const record_task *t)
{
	if (record_holdout_failed(t))
		snprintf(out, size, "failed: %s", t->holdout_status);
	else
		snprintf(out, size, "%g", t->holdout);
	return out;
}

void cli_offline_notice(task *const *tasks, size_t n, const llm_client *llm)
{
	char names[256] = "";
	size_t i, len = 0, without = 0;

	for (i = 0; !llm && i < n; i++)
		if (!strstr(tasks[i]->initial_text, "TUNE(") && len < sizeof(names)) {
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
						without++ ? ", " : "", tasks[i]->name);
		}
	if (without)
		fprintf(stderr, "host: offline, the seed task agent only tunes numbers marked "
			"TUNE(value, lo, hi) in a solution, and %s's initial.c %s none: offline runs "
			"keep %s as it is. Mark the numbers to tune (README, Tasks) or give a model "
			"(--llm).\n", names, without == 1 ? "has" : "have",
			without == 1 ? "it" : "them");
}

int cli_check_tasks(const char *command, task *const *tasks, size_t n)
{
	eval_result r;
	size_t i;
	int rc = CLI_OK;

	for (i = 0; rc == CLI_OK && i < n; i++) {
		if (eval_solution(&r, tasks[i], "initial.c", tasks[i]->initial_text, EVAL_TRAIN) < 0)
			return cli_fail(command, "task %s: %s", tasks[i]->name, err_last());
		if (r.status == SANDBOX_TASK_ERROR)
			rc = cli_fail(command, "task %s is broken: %s\n%s(host check-task %s shows "
				      "every problem)", tasks[i]->name, r.detail,
				      r.diagnostics ? r.diagnostics : "", tasks[i]->dir);
		eval_result_free(&r);
	}
	return rc;
}
