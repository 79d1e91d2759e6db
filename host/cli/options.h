/*
 * options.h - the options several commands take, for their arg_option
 * tables and help texts: the ranges of the numeric ones, the agents'
 * limits and the language model's options.
 */
#ifndef HOST_OPTIONS_H
#define HOST_OPTIONS_H

#include "args.h"
#include "evolve.h"
#include "settings.h"
#include "store.h"

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

/* Where the evaluations run (evolve_executor): --executor's word goes to
 * `name`, for cli_set_executor, and --slurm-args to x.slurm_args. */
#define CLI_EXECUTOR_OPTIONS(name, x)                                          \
	{ "--executor", ARG_STRING, &(name), 0, 0 },                           \
	{ "--slurm-args", ARG_STRING, &(x).slurm_args, 0, 0 }

#define CLI_EXECUTOR_HELP                                                      \
	"  --executor local|slurm\n"                                            \
	"                   where the evaluations run: processes of this machine\n" \
	"                   (default), or Slurm job steps (srun), one a task\n"  \
	"                   agent's evaluation of a candidate on a task, on the\n" \
	"                   nodes of your allocation (salloc, sbatch) or of a new\n" \
	"                   one. The results are the same\n"                     \
	"  --slurm-args \"...\"\n"                                              \
	"                   more options for srun, such as \"--partition=cpu\n"  \
	"                   --time=10\"\n"

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

#endif
