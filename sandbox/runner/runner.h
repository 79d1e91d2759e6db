/*
 * runner.h - what the files of host-sandbox share: the program every
 * sandboxed job runs in (runner.c has the overview).
 *
 * A job goes through the same steps whatever its kind: runner_enter
 * confines the process before anything is compiled, runner_build compiles
 * a unit of the job, runner_lock_down closes the rest before any compiled
 * code runs, and runner_finish sends the one result frame and exits. The
 * job kinds live in their own files: runner_solution.c (a solution with its
 * task's driver), runner_agent.c (an agent's entry point, and the compile
 * stages of validation) and runner_score.c (a task's score.c, which answers
 * many requests).
 */
#ifndef SANDBOX_RUNNER_H
#define SANDBOX_RUNNER_H

#include "error.h"

#include "compile.h"

#include <jansson.h>

/* Sends `result` as the job's final frame and exits. */
_Noreturn void runner_finish(json_t *result);

/* Ends the job with outcome "error": the host could not run it. */
_Noreturn void runner_fail(const char *message);

/* Ends the job with outcome "compile_error" and these diagnostics, or with
 * runner_fail(err_last()) when there are none (a malformed unit). */
_Noreturn void runner_report_build(const char *stage, const compile_diags *diags);

/* Ends the job as a compile error: `name` is not defined. */
_Noreturn void runner_report_missing(const char *stage, const char *file,
				     const char *name, const char *caller);

/*
 * Before anything is compiled: writes the job's "headers" into its
 * working directory, enters it, limits CPU time and memory for the
 * compiler, and confines the process to reading the allowlist's headers,
 * tcc's own, the working directory and the units' include directories.
 */
void runner_enter(const json_t *job);

/* task_abi.h, as built into the runner, to be a unit's prelude. */
const char *runner_task_abi(void);

/* A unit's prelude: its "prelude", or the task ABI (task_abi.h, as built
 * into the runner) when its "task_abi" is true; NULL for none. */
const char *runner_unit_prelude(const json_t *spec);

/* Compiles the unit {"sources", "prelude" or "task_abi", "include_dirs"}:
 * `prelude` replaces the unit's own when not NULL, `extra` symbols are
 * linked too. The working directory is always on the include path, after
 * the host's headers. A failure ends the job (runner_report_build). */
compile_unit *runner_build(const json_t *spec, const char *stage, const char *prelude,
			   const compile_symbol *extra, size_t n_extra);

/* The same, returning the error and diagnostics instead of ending. */
HOST_MUST_CHECK int runner_compile(compile_unit **out, compile_diags *diags, const json_t *spec,
		   const char *prelude, const compile_symbol *extra, size_t n_extra,
		   int link);

/* rlimits, no descriptors but the channel, and the seccomp filter: after
 * this only computing, memory and the channel are left. */
void runner_lock_down(const json_t *job);

/* The same with limits of the caller's: CPU time from now, and memory. */
void runner_lock_down_to(int cpu_ms, json_int_t memory_mb);

/* How a locked-down process reports the two ends forced on it: a
 * forbidden system call (called in a SIGSYS handler, so async-signal-safe
 * only) and the memory limit. Neither returns. */
typedef struct {
	void (*forbidden)(int syscall_nr);
	void (*memory)(size_t requested, size_t in_use);
} runner_reporters;

/* The job's limits for a solution's process (runner_solution.c), which
 * may write the channel single bytes only, never a frame, and reports
 * through `how` (its page). */
void runner_lock_down_page(const json_t *job, const runner_reporters *how);

/* Tells the host that generated code runs from here on, in this process
 * and with its channel: a frame after this one may be the code's, so the
 * host no longer believes the reports only the runner sends. */
void runner_mark_code(void);

/* Units the zygote compiled before forking, shared by the job kinds: the
 * one `job` names (zygote_unit), or NULL; and keeping one for `spec`. */
compile_unit *runner_prepared(const json_t *job);
void runner_keep_prepared(const json_t *spec, compile_unit *unit);

/* In the zygote: compiles the driver, scorer or oracle `spec` names (see
 * zygote_unit). A unit that does not compile is left to the child. */
void runner_prepare_driver(const json_t *spec);
void runner_prepare_scorer(const json_t *spec);
void runner_prepare_oracle(const json_t *spec);

/* `size` bytes whose end touches a page that is not mapped: task code
 * that writes past the size it was given crashes there, with its name on
 * the report, instead of corrupting memory. */
char *runner_guarded_buffer(size_t size);

/* The entry point `symbol` of a task-code job's unit of kind `kind`
 * ("scorer", "oracle"): the one the zygote compiled ahead, or compiled now
 * with `extra` symbols. A unit without it ends the job as a compile error
 * naming `file`. */
void *runner_task_entry(const json_t *job, const char *kind, const char *file,
			const char *symbol, const compile_symbol *extra, size_t n_extra);

/* Answers one request of a long-lived task-code child: the reply frame. */
typedef json_t *(*runner_answer)(void *ctx, const json_t *request);

/* Serves requests until the host closes the channel, each answered by
 * `answer` in a fresh fork, locked down under the job's "call_cpu_ms" and
 * memory; a fork that ends without its reply is reported to the host. */
_Noreturn void runner_serve(const json_t *job, runner_answer answer, void *ctx);

_Noreturn void runner_solution_job(const json_t *job);
_Noreturn void runner_agent_job(const json_t *job);
_Noreturn void runner_check_job(const json_t *job);
_Noreturn void runner_scorer_job(const json_t *job);
_Noreturn void runner_oracle_job(const json_t *job);

#endif
