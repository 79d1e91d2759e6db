/*
 * print.c - what the commands print that came from outside the host, and
 * their errors; see print.h.
 *
 * Reasons, diagnostics, agents' log lines, a model server's words and a
 * lab's notes reach the terminal through here, without the bytes a
 * terminal takes as commands (text.h). The commands' own escape sequences
 * (the status line of evolve, its colors) are printed apart. What several
 * commands print alike is here too: held-out failures, the model's spend,
 * a validation report, the offline notice.
 */
#include "print.h"

#include "cli.h"
#include "text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

const char *cli_score(char out[32], double score)
{
	size_t n;

	if (score != 0 && fabs(score) < 0.01) {
		snprintf(out, 32, "%.4g", score);
		return out;
	}
	n = (size_t)snprintf(out, 32, "%.4f", score);
	while (n > 0 && strchr(out, '.') && (out[n - 1] == '0' || out[n - 1] == '.'))
		out[--n] = '\0';
	return out;
}

void cli_train_text(buf *out, const record_task *t)
{
	char score[32];

	if (t->train_failed)
		buf_printf(out, "failed (%s)", t->train_failed);
	else
		buf_puts(out, cli_score(score, t->train));
}

void cli_initial_text(buf *out, const record_task *initial)
{
	char holdout[64];

	cli_train_text(out, initial);
	buf_printf(out, " (held-out %s)", cli_holdout_score(holdout, sizeof(holdout), initial));
}

void cli_print_spend(const llm_client *llm, int quiet)
{
	llm_usage total = llm_totals(llm);

	if (llm && !quiet)
		printf("LLM: %ld calls, %ld tokens in, %ld out, $%.4f\n", total.calls,
		       total.tokens_in, total.tokens_out, total.usd);
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
		snprintf(out, size, "%s", cli_score((char[32]){ 0 }, t->holdout));
	return out;
}

void cli_print_validation(const validate_report *r)
{
	int i;

	for (i = 0; i < VALIDATE_STAGES; i++) {
		const validate_stage *st = &r->stages[i];
		const char *line, *next;
		int with_exports = i == 1 && st->passed && r->exports;

		cli_print_line("%-11s %s%s%s%s", st->name,
			       !st->ran ? "skipped" : st->passed ? "pass" : "fail",
			       with_exports ? "  (exports: " : "", with_exports ? r->exports : "",
			       with_exports ? ")" : "");
		for (line = st->diagnostics; line && *line; line = next) {
			next = strchr(line, '\n');
			next = next ? next + 1 : line + strlen(line);
			cli_print_line("  %.*s", (int)(next - line - (next[-1] == '\n')), line);
		}
	}
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
