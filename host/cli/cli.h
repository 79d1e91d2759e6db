/*
 * cli.h - what host's commands share: their table entries and exit
 * codes, and loading what a command works on (tasks, agents, a lab's
 * generations and settings, the model), each reporting its failure as
 * the command's. Printing is print.h; the options several commands take
 * are options.h.
 *
 * Exit codes are the same for every command: 0 success, 1 the job failed,
 * 2 a usage error. Only main() exits.
 */
#ifndef HOST_CLI_H
#define HOST_CLI_H

#include "error.h"

#include "agents.h"
#include "evolve.h"
#include "lab.h"
#include "llm.h"
#include "task.h"

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
extern const cli_command cli_solution, cli_check, cli_new_task, cli_rubric, cli_step;

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

/* Refuses a broken task before a run: each task's initial.c is run on its
 * training cases, and a task_error (its driver does not build) stops the
 * command with driver.c's lines, as host check-task shows them. */
HOST_MUST_CHECK int cli_check_tasks(const char *command, task *const *tasks, size_t n);

/* The tasks folder `given` (NULL: the default) as an absolute path (free()
 * it), as a lab keeps it. */
HOST_MUST_CHECK int cli_tasks_root(char **out, const char *given);

/* Sets x->slurm from --executor's word `name` (NULL: local); reports a
 * word that is neither, and --slurm-args without slurm. */
HOST_MUST_CHECK int cli_set_executor(evolve_executor *x, const char *command, const char *name);

/* Opens the LLM client for `o` (NULL when offline); reports failures.
 * The solutions of tasks with "model" ask it too (solution_model.h). */
HOST_MUST_CHECK int cli_open_llm(llm_client **out, const char *command, const llm_options *o);

/* Closes what cli_open_llm opened, after taking it from the solutions. */
void cli_close_llm(llm_client *llm);

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

/* Sets out's tasks (loaded), budget, seed, utility, trials, the agents'
 * time and carry from `given` and the lab's settings, leaving its other
 * fields as they are; reports failures. */
HOST_MUST_CHECK int cli_lab_eval(evolve_eval_options *out, lab *l, const char *command,
		 const cli_eval_given *given);
void cli_lab_eval_free(evolve_eval_options *o);

/* "snake,email" (free() it). */
char *cli_task_names(task **tasks, size_t n);

/* Sets the error for an agent run (`agent`: "meta", "task") that did not
 * end with ok: how it ended and, for a build that failed, the compiler's
 * diagnostics, one a line. Returns ERR_GENERIC. */
int cli_agent_failure(const char *agent, const sandbox_outcome *o);

#endif
