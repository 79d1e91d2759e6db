/*
 * print.c - what the commands print that came from outside the host, and
 * their errors; see cli.h.
 *
 * Reasons, diagnostics, agents' log lines, a model server's words and a
 * lab's notes reach the terminal through here, without the bytes a
 * terminal takes as commands (text.h). The commands' own escape sequences
 * (the status line of evolve, its colors) are printed apart.
 */
#include "cli.h"

#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Prints to `out` as vfprintf does, without control characters; as one
 * line ended by a newline when `one_line`. Out of memory, it prints what
 * it could format. */
static void vprint(FILE *out, int one_line, const char *fmt, va_list ap)
{
	buf text = BUF_INIT;

	buf_vprintf(&text, fmt, ap);
	if (one_line)
		text_one_line(text.data);
	else
		text_clean(text.data);
	fputs(buf_cstr(&text), out);
	if (one_line)
		fputc('\n', out);
	buf_free(&text);
}

void cli_print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(stdout, 0, fmt, ap);
	va_end(ap);
}

void cli_print_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(stdout, 1, fmt, ap);
	va_end(ap);
}

void cli_eprint_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(stderr, 1, fmt, ap);
	va_end(ap);
}

void cli_print_json(const json_t *json, size_t flags)
{
	char *text = json ? json_dumps(json, flags) : NULL;

	cli_print("%s\n", text ? text : "{}");
	free(text);
}

void cli_echo_agent_log(void *ctx, const char *line)
{
	(void)ctx;
	cli_eprint_line("agent: %s", line);
}

void cli_train_text(buf *out, const record_task *t)
{
	if (t->train_failed)
		buf_printf(out, "failed (%s)", t->train_failed);
	else
		buf_printf(out, "%g", t->train);
}

static void vreport(const char *command, const char *fmt, va_list ap)
{
	fprintf(stderr, "host%s%s: ", command ? " " : "", command ? command : "");
	vprint(stderr, 0, fmt, ap);
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
