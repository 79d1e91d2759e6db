/*
 * agent.h - the contract between host and its agents, ABI v4.
 *
 * ABI v2 added the test agent's entry point, test_agent_propose, which an
 * agent may leave out: every v1 agent is a valid v2 agent. ABI v3 added,
 * at the end of host_eval_result, the time an evaluation took and its
 * limit: a v2 agent, which fills the struct by name or its first members
 * in order, is a valid v3 agent. ABI v4 added host_check, with which the
 * meta agent checks the generation it is making before it returns, and,
 * at the end of host_task_info, carried_from: the generation whose
 * solution the task agent's `initial` is, when the lab carries solutions;
 * a v3 agent, which neither calls the one nor reads the other, is a valid
 * v4 agent.
 *
 * Agents are C files compiled by the host with this header in front. They
 * run in a sandbox: no files, no network, no processes, no environment.
 * Everything they can do goes through the host_* functions below. They may
 * also use the C library subset of <stdlib.h>, <string.h>, <stdio.h>
 * (snprintf/sscanf only), <ctype.h>, <math.h> and <jansson.h>; any other
 * function fails to link.
 *
 * Strings returned as `char *` are the caller's: free() them. Strings
 * returned as `const char *` belong to the host and stay valid until the
 * entry point returns, unless a comment says otherwise. Functions that can
 * fail return -1 or NULL and leave the reason in host_error().
 */
#ifndef HOST_AGENT_H
#define HOST_AGENT_H

#define AGENT_ABI_VERSION 4

/* ---- host services ---- */

/* The task being improved (task agent), attacked (test agent), or the
 * run's first task (meta). */
typedef struct {
	const char *name;         /* e.g. "snake" */
	const char *description;  /* what a solution must do */
	const char *interface;    /* the solution's header, e.g. snake.h */
	const char *metric;       /* what the score measures */
	int higher_is_better;     /* 1: higher scores are better */
	double baseline, target;  /* a poor and an excellent score */
	/* what one host_eval may use; past them it ends as "timeout" or
	 * "memory" */
	int wall_ms;              /* wall-clock time */
	int cpu_ms;               /* CPU time */
	int memory_mb;            /* memory the solution may allocate */
	/* ABI v4: the generation whose solution for this task the task
	 * agent's `initial` is, when the lab carries solutions (host init
	 * --carry), e.g. 4 for gen_004, its parent; -1: `initial` is the
	 * task's own initial solution. Its score is host_eval's to tell. */
	int carried_from;
} host_task_info;

/* Fills *info. Returns 0, or -1 when no task is available. */
int host_task(host_task_info *info);

typedef struct {
	const char *status;       /* "ok", "compile_error", "timeout", "crash",
	                             "memory", "forbidden", "bad_output", or
	                             "task_error": the task is broken, not the
	                             solution */
	double score;             /* the host's score on the training cases;
	                             meaningful when status is "ok" */
	const char *feedback;     /* what went wrong, on which case */
	const char *diagnostics;  /* compile errors, "file:line: error: ..." */
	/* ABI v3: how long the evaluation's longest run took, compiling
	 * included, and the wall-clock limit of one run (host_task's
	 * wall_ms), which it ends at as "timeout" */
	double wall_ms;
	int wall_limit_ms;
} host_eval_result;

/* Compiles and runs `solution` on the task's training cases in a separate
 * sandbox; the host computes the score. The host's held-out runs of a
 * solution run the held-out cases in batches of at most the training
 * set's size, each under the same limits: what fits on the training
 * cases fits there too. The result's strings stay valid until the next
 * host_eval. Returns 0, or -1 when the evaluation budget is spent. */
int host_eval(const char *solution, host_eval_result *out);

/* An agent file of the current generation, e.g. "task_agent.c" or
 * "memory.md". Returns a new string, or NULL if there is no such file. */
char *host_read(const char *name);

/* Meta agent only: sets the next generation's content of an agent file.
 * `name` is [a-z0-9_]+.c, [a-z0-9_]+.h or "memory.md"; an empty `text`
 * deletes the file. Files not emitted are kept. Returns 0 or -1. */
int host_emit(const char *name, const char *text);

typedef struct {
	int passed;               /* 1: every stage passed */
	const char *stage;        /* the first that failed: "compile", "symbols"
	                             or "signatures"; "" when they passed */
	const char *diagnostics;  /* its problems, one a line, e.g.
	                             "task_agent.c:12: error: ..." */
} host_check_result;

/* ABI v4, meta agent only: runs validation's compile, symbols and
 * signatures stages on the next generation as it stands (the parent's
 * files with what host_emit has set so far over them), in a sandbox,
 * nothing run. The check takes the agent's own time; a run may check
 * 16 times, or as often as it may call the model if that is more. The
 * result's strings stay valid until the next host_check. Returns 0 when
 * the check ran, whatever its verdict, or -1 when it was refused. */
int host_check(host_check_result *out);

/* Adds a line to the run's log (printf-style, at most 1000 bytes). */
void host_log(const char *fmt, ...);

/* A pseudo-random 32-bit number from the run's seed: the same seed gives
 * the same sequence. */
unsigned int host_rand(void);

typedef struct {
	int evals_left;           /* host_eval calls still allowed */
	int llm_calls_left;       /* host_llm calls still allowed */
	double seconds_left;      /* the agent's own wall time left (host_llm's
	                             waits are not counted) */
} host_budget_info;

/* Fills *out with what is left of this run's budget. Returns 0. */
int host_budget(host_budget_info *out);

/* Asks the configured language model. Returns its reply as a new string,
 * or NULL: "no provider" when none is configured, the budget is spent, or
 * the model did not answer within its own limits (the reason names how
 * long its replies have taken). The wait is not counted against the
 * agent's time. */
char *host_llm(const char *system_prompt, const char *user_prompt);

/* The reason for the last failure of a host_* call. Never NULL. */
const char *host_error(void);

/* ---- helpers for agents that talk to a model ---- */

/* The first fenced code block of `text` (```c ... ``` or ``` ... ```), as
 * a new string. NULL when there is none. */
char *host_extract_code(const char *text);

/*
 * Applies edit blocks to `source` and returns the result as a new string:
 *
 *     <<<<<<< SEARCH
 *     exact lines of the source
 *     =======
 *     their replacement
 *     >>>>>>> REPLACE
 *
 * A SEARCH text that occurs exactly once is replaced as it is. One that
 * does not occur is matched line by line ignoring whitespace (indentation,
 * tabs against spaces, trailing blanks); if that finds exactly one place,
 * the replacement goes there with the file's own indentation. On a
 * malformed or unmatched block returns NULL; host_error() names the block
 * ("block 2: ...") and why it did not apply, followed by the nearest
 * lines of the source, to copy from. A line between blocks that starts
 * like a mark but is none ("<<<<<<< SEARCH:") is an error too, so no
 * block is skipped unseen. Blocks apply in order, each to the text the
 * blocks before it left.
 */
char *host_apply_edits(const char *source, const char *edits);

/* ---- entry points the agents define ---- */
#ifndef AGENT_NO_ENTRY_POINTS

/* Task agent: improves `initial`, a solution of host_task()'s task, within
 * the budget: the task's initial solution, or, when the lab carries
 * solutions, its parent generation's (host_task's carried_from). Returns
 * the best solution found as a new string (the host frees it and scores
 * it itself), or NULL to keep `initial`. */
char *task_agent_improve(const char *initial);

/*
 * Meta agent: rewrites the agents (its own files included) with host_emit.
 * `archive` is a JSON object (an older host passed only the array of
 * generations):
 *   "parent"       the generation whose files host_read reads
 *   "limits"       {"evals_per_task", "llm_calls_per_run", "meta_seconds",
 *                  "prompt_max_chars" (the budget of a prompt to the model),
 *                  "max_usd", "max_tokens" (0: no cap), "usd_spent",
 *                  "tokens_spent", "archive_max_bytes" (this archive's
 *                  budget), "carry" (true: each task agent starts from
 *                  its parent generation's solution for the task, so a
 *                  fitness measures what the agent adds to it; false:
 *                  from the task's initial solution)}
 *   "tasks"        [{"name", "metric", "higher_is_better", "baseline",
 *                  "target", "description" (what host_task says), "best",
 *                  "cut"}]; "best", when a generation has scored one: the
 *                  lab's best solution of the task so far, {"generation",
 *                  "train" (the host's training score: held-out scores
 *                  choose nothing), "code" (what that task agent wrote;
 *                  absent when the archive's budget left it out)};
 *                  "cut", only when something was shortened or left out:
 *                  "description", "best.code"
 *   "generations"  oldest first, one per generation: {"generation",
 *                  "parent" (gen_000's is itself, 0: it has none),
 *                  "status", "fitness", "holdout", "reason",
 *                  "changes" (what it added to memory.md), "summary" (one
 *                  line), "tasks": [{"name", "agent", "problem", "train",
 *                  "holdout", "holdout_status", "fitness",
 *                  "holdout_fitness", "baseline", "target", "evals",
 *                  "llm_calls", "seconds", "kept", "failed",
 *                  "longest_eval_ms", "eval_limit_ms", "trace"}],
 *                  "cut"}; "holdout_status", only when the host's
 *                  held-out run of the solution failed: how ("timeout"
 *                  ...), its "holdout" then no score; "longest_eval_ms",
 *                  the task agent's longest evaluation, and
 *                  "eval_limit_ms", the wall-clock limit it ran under,
 *                  only when the run recorded them; "trace", the task
 *                  agent's run in short lines, each evaluation's time
 *                  beside its limit, only for the latest 8 and the
 *                  parent; "cut", only when some text was shortened (after
 *                  a word, ending in an ellipsis) to keep within the
 *                  budget, names those members ("changes", "reason",
 *                  "summary", "tasks.problem"...; memory.md has every note
 *                  whole). The parent is always here; of the others, the
 *                  newest that fit.
 *   "omitted"      how many generations the budget left out (the oldest).
 *   "round"        only when this rewrite has siblings (host evolve
 *                  --parallel): {"generation" (the one being made),
 *                  "candidate" (1..), "candidates"}; the siblings are
 *                  made at once, and do not see each other.
 *   "mutate"       only when the arena asks for a mutated copy of one
 *                  agent file (host evolve --arena): its name, e.g.
 *                  "test_agent.c"; the rewrite should change that file.
 * A task's fitness is (score - baseline) / (target - baseline), clipped to
 * 0..1; a generation's is their mean. "kept" counts evaluations that beat
 * every earlier one. Returns 0, or -1 when it has nothing to propose.
 */
int meta_agent_rewrite(const char *archive);

/*
 * Test agent (optional): proposes inputs of host_task()'s task that the
 * current solution may get wrong, for the arena (host evolve --arena).
 * `request` is a JSON object:
 *   "solution"  the current solution's source
 *   "cases"     the training cases so far, [{"input", "label"}], labels as
 *               text ("1"/"0" for a yes-or-no task); held-out cases are
 *               never shown
 *   "max"       the most proposals the host takes
 *   "history"   what became of the task's earlier proposals in the arena,
 *               every test agent's, newest round first: at most the
 *               latest 64 entries, 16 KB of JSON ([] in the first round,
 *               and outside the arena). Each is {"round", "test_agent",
 *               "outcome", "input", "guess" (the agent's label, if it
 *               gave one), "label" (the oracle's, if it gave one)}, the
 *               outcome one of
 *                 "added"         a code agent's solution got it wrong:
 *                                 it is a training case now
 *                 "over_cap"      one got it wrong, but the round's cap
 *                                 (or the grown set's) left no room
 *                 "passed"        every code agent's solution got it right
 *                 "contradicted"  the oracle's label is not the guess
 *                 "duplicate"     already a case, or proposed earlier in
 *                                 its round
 *               or, with a "count" and no input, "refused" (the oracle
 *               gave no label: a held-out case is refused alike, and
 *               never shown) and "malformed" (items that were no
 *               proposal, or past "max"). A round's entries are in that
 *               order, not the order proposed.
 * Returns a JSON array as a new string, [{"input", "label", "reason"}]:
 * "label" (optional) is the agent's guess, "reason" why the solution may
 * fail. The host labels every input with the task's oracle, which no
 * agent can read: a proposal the oracle refuses, or whose guess it
 * contradicts, is discarded and counted against the agent. NULL: nothing
 * to propose. It runs alone: test_agent.c and the .h files, no other .c
 * file. host_eval is not offered to it.
 */
char *test_agent_propose(const char *request);

#endif
#endif
