/*
 * print.h - what the commands print that came from outside the host, and
 * their errors.
 *
 * What the commands print quotes agents, models and labs (which may have
 * come from someone else), and a terminal takes some of its bytes as
 * commands: all of it goes through here, without the control characters
 * of text.h.
 */
#ifndef HOST_PRINT_H
#define HOST_PRINT_H

#include "buf.h"
#include "llm.h"
#include "record.h"
#include "task.h"
#include "validate.h"

#include <jansson.h>

/* Prints "host CMD: message" and a hint to stderr; returns CLI_USAGE. */
int cli_usage(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints "host CMD: message" to stderr; returns CLI_FAILED. The message
 * is printed as cli_print prints. */
int cli_fail(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* These print as printf does, to stdout, without the control characters
 * of text.h: cli_print keeps '\n' and '\t'; cli_print_line prints one
 * line, and the newline that ends it. */
void cli_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_print_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cli_print_line, to stderr. */
void cli_eprint_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A task's score as every command prints it: four decimals, without
 * trailing zeros ("0.6269", "29.75", "2.3309"), and four significant
 * digits below 0.01, where decimals would hide it. --json gives the
 * number whole. Returns `out`. */
const char *cli_score(char out[32], double score);

/* A task's training score as show, log and the report give it: "32.75",
 * or "failed (bad_output: ...)" when the host's run of the solution on
 * the training cases failed, whose score is none: 0 would read as the
 * best there is where lower is better. Appended to `out` as recorded. */
void cli_train_text(buf *out, const record_task *t);

/* initial.c's scores on a task (record_find_initial) as log and show
 * give them: "0.65 (held-out 0.6119)", each as cli_train_text and
 * cli_holdout_score give it; appended to `out`. */
void cli_initial_text(buf *out, const record_task *initial);

/* Prints `json` (dumped with `flags`) and a newline, as cli_print. */
void cli_print_json(const json_t *json, size_t flags);

/* Appends "snake (timeout), email (crash)" to `out` for g's tasks whose
 * held-out run failed, and returns how many did. Only their status: a
 * held-out run keeps nothing else. */
size_t cli_holdout_failures(buf *out, const record *g);

/* t's held-out score ("30.94"), or how its run failed ("failed: timeout"),
 * in `out`; returns `out`. */
const char *cli_holdout_score(char *out, size_t size, const record_task *t);

/* "LLM: 5 calls, ..." for a run that used `llm` (nothing for NULL or
 * when `quiet`). */
void cli_print_spend(const llm_client *llm, int quiet);

/* Prints a validation report, one line per stage. */
void cli_print_validation(const validate_report *r);

/* Prints an agent's log line on stderr ("agent: ...", one line): a
 * broker's echo for --verbose. */
void cli_echo_agent_log(void *ctx, const char *line);

#endif
