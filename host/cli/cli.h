/*
 * cli.h - host's subcommands and the helpers they share for reporting.
 *
 * Exit codes are the same for every command: 0 success, 1 the job failed,
 * 2 a usage error. Only main() exits.
 */
#ifndef HOST_CLI_H
#define HOST_CLI_H

#include "error.h"

#include "agents.h"
#include "args.h"
#include "evolve.h"
#include "llm.h"
#include "lab.h"
#include "settings.h"
#include "task.h"
#include "validate.h"
#include "version.h"

#include <stdint.h>


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
extern const cli_command cli_solution, cli_check, cli_new_task;

/* Prints "host CMD: message" and a hint to stderr; returns CLI_USAGE. */
int cli_usage(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints "host CMD: message" to stderr; returns CLI_FAILED. The message
 * is printed as cli_print prints. */
int cli_fail(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * What the commands print quotes agents, models and labs (which may have
 * come from someone else), and a terminal takes some of its bytes as
 * commands. These print as printf does, to stdout, without the control
 * characters of text.h: cli_print keeps '\n' and '\t'; cli_print_line
 * prints one line, and the newline that ends it.
 */
void cli_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_print_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cli_print_line, to stderr. */
void cli_eprint_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A task's training score as show, log and the report give it: "32.75",
 * or "failed (bad_output: ...)" when the host's run of the solution on
 * the training cases failed, whose score is none: 0 would read as the
 * best there is where lower is better. Appended to `out` as recorded. */
void cli_train_text(buf *out, const record_task *t);

/* Prints `json` (dumped with `flags`) and a newline, as cli_print. */
void cli_print_json(const json_t *json, size_t flags);

/* Loads task `name` from `tasks_dir` (NULL: the default tasks folder);
 * on failure reports it and returns CLI_FAILED. */
HOST_MUST_CHECK int cli_load_task(task **out, const char *command, const char *tasks_dir,
		  const char *name);

/* Loads the comma-separated tasks of `list` (NULL: every task but the
 * timed ones, unless all are timed). */
HOST_MUST_CHECK int cli_load_tasks(task ***out, size_t *n, const char *command, const char *tasks_dir,
		   const char *list);
void cli_free_tasks(task **tasks, size_t n);

/* Loads the agent files of `dir` (NULL: agents_default_dir()). */
HOST_MUST_CHECK int cli_load_agents(agent_files *out, const char *command, const char *dir);

/* Resolves a generation name of the open lab; on failure reports it,
 * naming the nearest generations, and returns CLI_FAILED. */
HOST_MUST_CHECK int cli_resolve_generation(lab *l, const char *command, const char *name, int *out);

/* Refuses (CLI_FAILED, naming `host commit` and `host checkout`) while
 * agent_code/ has edits that are not a generation. */
HOST_MUST_CHECK int cli_refuse_hand_edits(lab *l, const char *command);

#define CLI_DEFAULT_BUDGET 12
#define CLI_DEFAULT_LLM_CALLS 4

/*
 * The ranges of the numeric options, from the arithmetic each one feeds;
 * those of the lab's settings are settings.h's. Generations: gen_NNN
 * numbers end at STORE_MAX_NUMBER. Workers: one per task at most.
 * Repeats: one double each.
 */
#define CLI_MAX_BUDGET SETTINGS_MAX_BUDGET
#define CLI_MAX_GENS STORE_MAX_NUMBER
#define CLI_MAX_SEED SETTINGS_MAX_SEED
#define CLI_MAX_JOBS EVOLVE_MAX_TASKS
#define CLI_MAX_REPEAT 1000000
#define CLI_MAX_LLM_CALLS 10000
#define CLI_MAX_TRIALS SETTINGS_MAX_TRIALS
#define CLI_MAX_TOKENS 1000000000
#define CLI_MAX_USD 1000000
#define CLI_MAX_LLM_ATTEMPTS 20
#define CLI_MAX_LLM_CONCURRENCY 64
#define CLI_MAX_LLM_SECONDS 86400
#define CLI_MAX_REPLY_TOKENS 1000000
#define CLI_MAX_AGENT_SECONDS SETTINGS_MAX_SECONDS

/* The agents' own limits, for the options of init and evolve. */
#define CLI_LIMIT_OPTIONS(given)                                                      \
	{ "--meta-seconds", ARG_SECONDS, &(given).meta_ms, 1, CLI_MAX_AGENT_SECONDS }, \
	{ "--agent-seconds", ARG_SECONDS, &(given).agent_ms, 1, CLI_MAX_AGENT_SECONDS }

#define CLI_LIMIT_HELP                                                         \
	"  --meta-seconds S the meta agent's own time per rewrite (default 60)\n" \
	"  --agent-seconds S  the task agent's own time, on top of the task's\n"  \
	"                   limit for each evaluation of the budget (default 10)\n"

/* An llm_options before its options are parsed: the temperature is the
 * server's own unless --llm-temperature is given. */
#define CLI_LLM_DEFAULTS { .provider = NULL, .temperature = -1 }

/* The options that configure the language model, for an arg_option table. */
#define CLI_LLM_OPTIONS(o)                                                     \
	{ "--llm", ARG_STRING, &(o).provider, 0, 0 },                          \
	{ "--llm-url", ARG_STRING, &(o).url, 0, 0 },                           \
	{ "--llm-prices", ARG_STRING, &(o).prices_path, 0, 0 },                \
	{ "--record", ARG_STRING, &(o).record_path, 0, 0 },                    \
	{ "--replay", ARG_STRING, &(o).replay_path, 0, 0 },                    \
	{ "--max-usd", ARG_NUMBER, &(o).max_usd, 0, CLI_MAX_USD },             \
	{ "--max-tokens", ARG_LONG, &(o).max_tokens, 1, CLI_MAX_TOKENS },      \
	{ "--llm-timeout", ARG_SECONDS, &(o).timeout_ms, 1, CLI_MAX_LLM_SECONDS }, \
	{ "--llm-attempts", ARG_INT, &(o).attempts, 1, CLI_MAX_LLM_ATTEMPTS }, \
	{ "--llm-concurrency", ARG_INT, &(o).concurrency, 1, CLI_MAX_LLM_CONCURRENCY }, \
	{ "--llm-run-seconds", ARG_SECONDS, &(o).run_ms, 1, CLI_MAX_LLM_SECONDS }, \
	{ "--llm-max-tokens", ARG_LONG, &(o).reply_tokens, 1, CLI_MAX_REPLY_TOKENS }, \
	{ "--llm-temperature", ARG_NUMBER, &(o).temperature, 0, 2 }

#define CLI_LLM_HELP                                                           \
	"  --llm P[:MODEL]  use a language model: openai, anthropic or gemini\n"\
	"                   (default: $HOST_LLM; none: offline)\n"               \
	"  --llm-url URL    the provider's base URL ($HOST_LLM_URL), e.g.\n"     \
	"                   http://127.0.0.1:11434/v1 for a local Ollama\n"      \
	"  --llm-calls N    model calls each agent run may make (default 4)\n"   \
	"  --max-usd X      stop before spending more than X dollars\n"          \
	"  --max-tokens N   stop before using more than N tokens\n"              \
	"  --llm-timeout S  seconds one request may take (default 120)\n"       \
	"  --llm-attempts N tries per call, retries included (default 5)\n"     \
	"  --llm-concurrency N  requests open at once, whichever process\n"     \
	"                   makes them (default: the candidates in flight,\n"  \
	"                   evolve --parallel; else 1); a 429 slows them all\n" \
	"  --llm-run-seconds S  model time one agent run may use in all; it\n"  \
	"                   does not count against the agent (default 600)\n"   \
	"  --llm-max-tokens N  the longest reply to ask for, in tokens\n"     \
	"                   (the request's max_tokens; default 4096)\n"         \
	"  --llm-temperature T  sampling temperature, 0 to 2 (default: the\n"   \
	"                   server's)\n"                                         \
	"  --llm-prices F   the price table (default: prices.json beside host)\n"\
	"  --record FILE    append every LLM exchange to FILE (JSON lines)\n"    \
	"  --replay FILE    answer LLM calls from a record, with no network\n"

/* The lab's best solution of a task: the measured generation whose
 * solution of it scored best on training and was kept, the first to reach
 * it; number -1 when none was. */
typedef struct {
	int number;
	double fitness;    /* its training score, normalised */
	int seen;          /* generations measured on the task at all */
	int failed;        /* of them, those whose training run failed */
	char tasks[200];   /* the latest measured generation's tasks, for errors */
} cli_best;

HOST_MUST_CHECK int cli_best_solution(cli_best *out, lab *l, const char *task);

/* Appends "snake (timeout), email (crash)" to `out` for g's tasks whose
 * held-out run failed, and returns how many did. Only their status: a
 * held-out run keeps nothing else. */
size_t cli_holdout_failures(buf *out, const record *g);

/* t's held-out score ("30.94"), or how its run failed ("failed: timeout"),
 * in `out`; returns `out`. */
const char *cli_holdout_score(char *out, size_t size, const record_task *t);

/* Says once, on stderr, what offline mode cannot change: with no model,
 * the seed's task agent only tunes a solution's TUNE(value, lo, hi)
 * numbers, so a task whose initial.c has none would come back unchanged
 * with nothing said. Nothing when `llm` is set or every task has some. */
void cli_offline_notice(task *const *tasks, size_t n, const llm_client *llm);

/* Refuses a broken task before a run: each task's initial.c is run on its
 * training cases, and a task_error (its driver does not build) stops the
 * command with driver.c's lines, as host check-task shows them. */
HOST_MUST_CHECK int cli_check_tasks(const char *command, task *const *tasks, size_t n);

/* The tasks folder `given` (NULL: the default) as an absolute path (free()
 * it), as a lab keeps it. */
HOST_MUST_CHECK int cli_tasks_root(char **out, const char *given);

/* The LLM use recorded in every generation of the lab. */
HOST_MUST_CHECK int cli_lab_spend(lab *l, llm_usage *total);

/* Opens the LLM client for `o` (NULL when offline); reports failures. */
HOST_MUST_CHECK int cli_open_llm(llm_client **out, const char *command, const llm_options *o);

/* What a command's options say about the evaluation settings; the lab's
 * own, fixed by host init, fill in the rest. */
typedef struct {
	const char *tasks_dir;           /* where task folders are; NULL: the default */
	const char *tasks;               /* "snake,email"; NULL: the lab's */
	int budget;                      /* 0: the lab's */
	unsigned long long seed;         /* ULLONG_MAX: the lab's */
	const evolve_utility *utility;   /* NULL: the lab's */
	long meta_ms, agent_ms;          /* the agents' own time; 0: the lab's */
	int trials;                      /* 0: the lab's */
} cli_eval_given;

/* Sets out's tasks (loaded), budget, seed and utility from `given` and the
 * lab's settings, leaving its other fields as they are; reports failures. */
HOST_MUST_CHECK int cli_lab_eval(evolve_eval_options *out, lab *l, const char *command,
		 const cli_eval_given *given);
void cli_lab_eval_free(evolve_eval_options *o);

/* "snake,email" (free() it). */
char *cli_task_names(task **tasks, size_t n);

/* "LLM: 5 calls, ..." for a run that used `llm` (nothing for NULL or
 * when `quiet`). */
void cli_print_spend(const llm_client *llm, int quiet);

/* Prints a validation report, one line per stage. */
void cli_print_validation(const validate_report *r);

/* Sets the error for an agent run (`agent`: "meta", "task") that did not
 * end with ok: how it ended and, for a build that failed, the compiler's
 * diagnostics, one a line. Returns ERR_GENERIC. */
int cli_agent_failure(const char *agent, const sandbox_outcome *o);

/* Prints an agent's log line on stderr ("agent: ...", one line): a
 * broker's echo for --verbose. */
void cli_echo_agent_log(void *ctx, const char *line);

#endif
