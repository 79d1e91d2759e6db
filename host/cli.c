/*
 * cli.c - what host's commands share: reporting errors the same way, and
 * loading the task and the agents a command works on.
 */
#include "cli.h"

#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
