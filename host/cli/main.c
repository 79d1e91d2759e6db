/*
 * main.c - host's entry point: finds the subcommand and runs it.
 *
 * The table below is the whole command set; `host --help` prints it,
 * `host NAME --help` a command's usage and options, and `host help NAME`
 * its manual page (manual.h).
 */
#include "args.h"
#include "cli.h"
#include "manual.h"
#include "nearest.h"
#include "print.h"
#include "version.h"

#include <stdio.h>
#include <string.h>

static const cli_command *const commands[] = {
	&cli_init, &cli_evolve, &cli_log, &cli_show, &cli_solution, &cli_diff, &cli_revert,
	&cli_commit, &cli_checkout, &cli_status, &cli_report, &cli_bench, &cli_validate,
	&cli_improve, &cli_rewrite, &cli_new_task, &cli_check, &cli_rubric, &cli_step,
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_overview(FILE *out)
{
	size_t i;

	fprintf(out,
		"usage: host COMMAND [ARGS]\n"
		"\n"
		"host compiles C agents in memory, runs them sandboxed, scores\n"
		"their work and keeps every generation in git.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out,
		"  %-10s %s\n"
		"\n"
		"Options:\n"
		"  --help     show this text\n"
		"  --version  show the version\n"
		"\n"
		"Exit status: 0 success, 1 the job failed, 2 usage error; evolve\n"
		"stopped by Ctrl-C or SIGTERM exits 130 or 143 after keeping its work.\n",
		"help", "show a command's manual page: host help COMMAND\n"
		"             (host help task, host help agent: their formats)");
}

static const cli_command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

/* "unknown command 'evolv'; did you mean 'evolve'?", the guess only when
 * the name is a slip of a command's. */
static int unknown_command(const char *name)
{
	const char *known[N_COMMANDS + 2], *guess;
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		known[i] = commands[i]->name;
	known[N_COMMANDS] = "help";
	known[N_COMMANDS + 1] = NULL;
	guess = nearest_slip(name, known);
	if (guess)
		return cli_usage(NULL, "unknown command '%s'; did you mean '%s'?", name, guess);
	return cli_usage(NULL, "unknown command '%s'", name);
}

/* The manual pages that are not a command's: host(1) and the formats. */
static const char *const topics[][2] = {
	{ "help", "host.1" }, { "task", "host-task.5" }, { "agent", "host-agent.5" },
};
#define N_TOPICS (sizeof(topics) / sizeof(topics[0]))

/* The page of a command or a topic, in `page`; NULL when there is none. */
static const char *page_of(char page[64], const char *name)
{
	size_t i;

	for (i = 0; i < N_TOPICS; i++)
		if (strcmp(topics[i][0], name) == 0) {
			snprintf(page, 64, "%s", topics[i][1]);
			return page;
		}
	if (!find_command(name) || strlen(name) > 40)
		return NULL;
	snprintf(page, 64, "host-%s.1", name);
	return page;
}

/* "host help NAME": the page, or a usage error naming the nearest. */
static int show_manual(const char *name)
{
	const char *known[N_COMMANDS + N_TOPICS + 1], *guess;
	char page[64];
	size_t i;

	if (page_of(page, name)) {
		if (manual_show(page) < 0)
			return cli_fail("help", "%s", err_last());
		return CLI_OK;
	}
	for (i = 0; i < N_COMMANDS; i++)
		known[i] = commands[i]->name;
	for (i = 0; i < N_TOPICS; i++)
		known[N_COMMANDS + i] = topics[i][0];
	known[N_COMMANDS + N_TOPICS] = NULL;
	if ((guess = nearest_slip(name, known)) != NULL)
		return cli_usage("help", "no manual page for '%s'; did you mean '%s'?", name,
				 guess);
	return cli_usage("help", "no manual page for '%s'", name);
}

static int run_help(int argc, char **argv)
{
	if (argc == 0) {
		print_overview(stdout);
		return CLI_OK;
	}
	if (argc > 1)
		return cli_usage("help", "expects one command name");
	return show_manual(argv[0]);
}

/* "host NAME --help": the usage and options, and where the manual is. */
static void print_usage(const cli_command *cmd)
{
	fputs(cmd->help, stdout);
	printf("\nThe manual: host help %s, or man host-%s.\n", cmd->name, cmd->name);
}

int main(int argc, char **argv)
{
	const cli_command *cmd;

	/* a line out is a line written, to a file as to a terminal: a second
	 * Ctrl-C, which ends host at once, loses nothing printed */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		print_overview(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return run_help(0, NULL);
	if (strcmp(argv[1], "--version") == 0) {
		printf("host %s\n", HOST_VERSION);
		return CLI_OK;
	}
	if (strcmp(argv[1], "help") == 0)
		return run_help(argc - 2, argv + 2);
	if (argv[1][0] == '-')
		return cli_usage(NULL, "unknown option '%s'", argv[1]);
	cmd = find_command(argv[1]);
	if (!cmd)
		return unknown_command(argv[1]);
	if (args_wants_help(argc - 2, argv + 2)) {
		print_usage(cmd);
		return CLI_OK;
	}
	return cmd->run(argc - 2, argv + 2);
}
