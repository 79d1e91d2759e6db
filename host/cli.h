/*
 * cli.h - host's subcommands and the helpers they share for reporting.
 *
 * Exit codes are the same for every command: 0 success, 1 the job failed,
 * 2 a usage error. Only main() exits.
 */
#ifndef HOST_CLI_H
#define HOST_CLI_H

#include "agents.h"
#include "args.h"
#include "evolve.h"
#include "llm.h"
#include "lab.h"
#include "task.h"
#include "validate.h"
#include "version.h"


enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

typedef struct {
	const char *name;
	const char *summary;  /* one line for `host --help` */
	const char *help;     /* the full text for `host help NAME` */
	int (*run)(int argc, char **argv);  /* argv excludes the command name */
} cli_command;

extern const cli_command cli_bench, cli_validate, cli_improve, cli_rewrite;
extern const cli_command cli_init, cli_evolve, cli_log, cli_show, cli_diff;
extern const cli_command cli_revert, cli_commit, cli_checkout, cli_status, cli_report;

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

/* Loads the comma-separated tasks of `list` (NULL: every task). */
int cli_load_tasks(task ***out, size_t *n, const char *command, const char *tasks_dir,
		   const char *list);
void cli_free_tasks(task **tasks, size_t n);

/* Loads the agent files of `dir` (NULL: agents_default_dir()). */
int cli_load_agents(agent_files *out, const char *command, const char *dir);

/* Resolves a generation name of the open lab; on failure reports it,
 * naming the nearest generations, and returns CLI_FAILED. */
int cli_resolve_generation(lab *l, const char *command, const char *name, int *out);

/* Refuses (CLI_FAILED, naming `host commit` and `host checkout`) while
 * agent_code/ has edits that are not a generation. */
int cli_refuse_hand_edits(lab *l, const char *command);

#define CLI_DEFAULT_BUDGET 12
#define CLI_DEFAULT_LLM_CALLS 4

/* The options that configure the language model, for an arg_option table. */
#define CLI_LLM_OPTIONS(o)                                                     \
	{ "--llm", ARG_STRING, &(o).provider },                                \
	{ "--llm-url", ARG_STRING, &(o).url },                                 \
	{ "--llm-prices", ARG_STRING, &(o).prices_path },                      \
	{ "--record", ARG_STRING, &(o).record_path },                          \
	{ "--replay", ARG_STRING, &(o).replay_path },                          \
	{ "--max-usd", ARG_NUMBER, &(o).max_usd },                             \
	{ "--max-tokens", ARG_LONG, &(o).max_tokens }

#define CLI_LLM_HELP                                                           \
	"  --llm P[:MODEL]  use a language model: openai, anthropic or gemini\n"\
	"                   (default: $HOST_LLM; none: offline)\n"               \
	"  --llm-url URL    the provider's base URL ($HOST_LLM_URL), e.g.\n"     \
	"                   http://127.0.0.1:11434/v1 for a local Ollama\n"      \
	"  --llm-calls N    model calls each agent run may make (default 4)\n"   \
	"  --max-usd X      stop before spending more than X dollars\n"          \
	"  --max-tokens N   stop before using more than N tokens\n"              \
	"  --llm-prices F   the price table (default: prices.json beside host)\n"\
	"  --record FILE    append every LLM exchange to FILE (JSON lines)\n"    \
	"  --replay FILE    answer LLM calls from a record, with no network\n"

/* The LLM use recorded in every generation of the lab. */
void cli_lab_spend(lab *l, llm_usage *total);

/* Opens the LLM client for `o` (NULL when offline); reports failures. */
int cli_open_llm(llm_client **out, const char *command, const llm_options *o);

/* The lab's evaluation settings (tasks, budget, seed, fixed by host init),
 * with the tasks loaded. `list`, a nonzero `budget` and a `seed` other
 * than ULLONG_MAX override them. */
int cli_lab_eval(lab *l, const char *command, const char *tasks_dir, const char *list,
		 int budget, unsigned long long seed, evolve_eval_options *out);
void cli_lab_eval_free(evolve_eval_options *o);

/* "snake,email" (free() it). */
char *cli_task_names(task **tasks, size_t n);

/* Prints a validation report, one line per stage. */
void cli_print_validation(const validate_report *r);

#endif
