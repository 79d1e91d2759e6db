/*
 * cli.h - host's subcommands and the helpers they share for reporting.
 *
 * Exit codes are the same for every command: 0 success, 1 the job failed,
 * 2 a usage error. Only main() exits.
 */
#ifndef HOST_CLI_H
#define HOST_CLI_H

#include "agents.h"
#include "task.h"
#include "validate.h"

#define HOST_VERSION "0.1.0"

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

typedef struct {
	const char *name;
	const char *summary;  /* one line for `host --help` */
	const char *help;     /* the full text for `host help NAME` */
	int (*run)(int argc, char **argv);  /* argv excludes the command name */
} cli_command;

extern const cli_command cli_bench, cli_validate, cli_improve, cli_rewrite;

/* Prints "host CMD: message" and a hint to stderr; returns CLI_USAGE. */
int cli_usage(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints "host CMD: message" to stderr; returns CLI_FAILED. */
int cli_fail(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Loads task `name` from `tasks_dir` (NULL: the default tasks folder);
 * on failure reports it and returns CLI_FAILED. */
int cli_load_task(task **out, const char *command, const char *tasks_dir,
		  const char *name);

/* Loads the agent files of `dir` (NULL: agents_default_dir()). */
int cli_load_agents(agent_files *out, const char *command, const char *dir);

/* Prints a validation report, one line per stage. */
void cli_print_validation(const validate_report *r);

#endif
