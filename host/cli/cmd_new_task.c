/*
 * cmd_new_task.c - `host new-task`: a task folder to start from.
 *
 * The scaffold is a working task under the new name (task_scaffold), one
 * of those host ships (beside it, so wherever the user's tasks are), so
 * that host check-task passes before the first change and every change
 * after can be checked on its own.
 */
#include "args.h"
#include "cli.h"
#include "error.h"
#include "os.h"
#include "print.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char new_task_help[] =
	"usage: host new-task NAME [--like email|snake|sort|support] [--tasks-dir DIR]\n"
	"\n"
	"Writes DIR/NAME (default DIR: ./tasks): a copy of the task email (a\n"
	"function on strings, scored by accuracy against labels), snake (a\n"
	"policy, scored by what it achieves), sort (scored on the CPU time the\n"
	"host measures) or support (answers to questions from a knowledge base,\n"
	"scored by a rubric of weighted checks, rubric.json) under the new name,\n"
	"with its header renamed NAME.h and a comment at the top of each C file\n"
	"on what to change: task.json, NAME.h, initial.c, driver.c, score.c and\n"
	"the cases. It passes host check-task as written; change it a step at a\n"
	"time and check again.\n"
	"\n"
	"Options:\n"
	"  --like T         the task to start from: email (default), snake, sort\n"
	"                   or support\n"
	"  --tasks-dir DIR  where to write it (default: ./tasks)\n";

static int has_model(const char *root, const char *like)
{
	char *dir = os_path_join(root, like);
	int yes = dir && os_is_dir(dir);

	free(dir);
	return yes;
}

static int run_new_task(int argc, char **argv)
{
	const char *pos[1], *like = "email", *tasks_dir = "tasks";
	const arg_option opts[] = {
		{ "--like", ARG_STRING, &like, 0, 0 },
		{ "--tasks-dir", ARG_STRING, &tasks_dir, 0, 0 },
		{ NULL, ARG_FLAG, NULL, 0, 0 },
	};
	char *root = NULL, *dir = NULL;
	int n, rc;

	if (args_parse(opts, argc, argv, pos, 1, &n) < 0)
		return cli_usage("new-task", "%s", err_last());
	if (n == 0)
		return cli_usage("new-task", "missing NAME (for example: host new-task demo)");
	if (strcmp(like, "email") && strcmp(like, "snake") && strcmp(like, "sort") &&
	    strcmp(like, "support"))
		return cli_usage("new-task", "--like takes email, snake, sort or support, not '%s'",
				 like);
	/* the models are the tasks host ships, beside it (./tasks is the
	 * user's); a host run from its build tree finds them in ./tasks */
	if ((rc = os_beside_exe(&root, "../tasks")) < 0)
		return cli_fail("new-task", "%s", err_last());
	if (!has_model(root, like)) {
		free(root);
		if ((rc = cli_tasks_root(&root, NULL)) < 0)
			return cli_fail("new-task", "%s", err_last());
	}
	if (task_scaffold(&dir, tasks_dir, pos[0], root, like) < 0) {
		rc = cli_fail("new-task", "%s", err_last());
	} else {
		printf("wrote %s, a task like %s: check it with host check-task %s\n", dir, like,
		       dir);
		rc = CLI_OK;
	}
	free(dir);
	free(root);
	return rc;
}

const cli_command cli_new_task = {
	"new-task", "write a task folder to start from: host new-task demo",
	new_task_help, run_new_task,
};
