/*
 * evolve_step.c - the step's side of --executor slurm: one unit of
 * evaluation work on a Slurm node; see evolve_step in evolve.h, and
 * evolve_slurm.c for the host's side and the unit's format.
 *
 * The unit comes whole on stdin: the agent files and the task's folder,
 * which is written to a scratch folder of this node, so no file system is
 * shared with the host. The unit then runs as it would on the host
 * (evolve_unit_local: the same sandbox, zygote and scoring, the same
 * seed), with a model client that asks the host for every call
 * (llm_open_remote). The work is done in a child, so that the scratch
 * folder goes whatever becomes of it: a signal (SIGUSR1, the host's stop,
 * which srun passes on) kills the child, whose sandboxes die with it, and
 * this process removes the folder; a kill -9 or a cancel by Slurm leaves
 * it to the next step's sweep on the node (os_make_scratch).
 */
#include "evolve_internal.h"

#include "channel.h"
#include "error.h"
#include "os.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define STEP_UNIT_MAX (64u << 20)   /* agent files, a task's folder, a solution */

static volatile sig_atomic_t step_signal;

static void on_signal(int sig)
{
	step_signal = sig;
}

/* A name the unit gives that may be a file of the scratch folder. */
static int plain_name(const char *name)
{
	return name && *name && *name != '.' && !strchr(name, '/') && strlen(name) < 200;
}

/* Writes the unit's task folder into `dir` and loads it. */
static int load_task(task **out, const json_t *unit, const char *dir)
{
	const json_t *folder = json_object_get(unit, "task");
	const char *name = json_string_value(json_object_get(folder, "name")), *file;
	char *path = plain_name(name) ? os_path_join(dir, name) : NULL;
	json_t *text;
	int rc = path ? 0 : err_set(ERR_INVALID, "the unit names no task");

	*out = NULL;
	if (rc == 0 && mkdir(path, 0700) != 0)
		rc = err_sys("cannot make %s", path);
	json_object_foreach((json_t *)json_object_get(folder, "files"), file, text) {
		char *to = plain_name(file) ? os_path_join(path, file) : NULL;

		if (rc == 0)
			rc = !to || !json_is_string(text)
			     ? err_set(ERR_INVALID, "the unit's task has a file that is none: '%.60s'", file)
			     : os_write_file(to, json_string_value(text), json_string_length(text));
		free(to);
	}
	if (rc == 0)
		rc = task_load_dir(out, path);
	free(path);
	return rc;
}

/* The evaluation settings the unit carries; the model is the host's. */
static void unit_options(evolve_eval_options *o, task **t, const json_t *unit, llm_client *llm)
{
	const json_t *opt = json_object_get(unit, "options");
	const char *seed = json_string_value(json_object_get(opt, "seed"));

	memset(o, 0, sizeof(*o));
	o->tasks = t;
	o->n_tasks = 1;
	o->budget = (int)json_integer_value(json_object_get(opt, "budget"));
	o->seed = seed ? strtoull(seed, NULL, 10) : 0;
	o->trials = (int)json_integer_value(json_object_get(opt, "trials"));
	o->agent_slack_ms = (int)json_integer_value(json_object_get(opt, "agent_slack_ms"));
	o->meta_ms = (int)json_integer_value(json_object_get(opt, "meta_ms"));
	o->agent.llm_calls = (int)json_integer_value(json_object_get(opt, "llm_calls"));
	o->agent.llm = llm;
	o->jobs = 1;
}

/* Runs the unit; *reply is what goes back to the host. */
static int run_unit(json_t **reply, const json_t *unit, const char *dir, int in, int out)
{
	const json_t *start = json_object_get(unit, "start"), *about = json_object_get(unit, "llm");
	evolve_start s = { (int)json_integer_value(json_object_get(start, "number")),
			   json_string_value(json_object_get(start, "initial")),
			   (int)json_integer_value(json_object_get(start, "carried_from")) };
	llm_usage used = { 0, 0, 0, 0, 0 };
	evolve_eval_options o;
	agent_files files = { NULL, 0 };
	llm_client *llm = NULL;
	record_task result;
	task *t = NULL;
	int rc = load_task(&t, unit, dir);

	if (rc == 0 && !s.initial)
		rc = err_set(ERR_INVALID, "the unit has no initial solution");
	if (rc == 0)
		rc = evolve_files_from_json(&files, json_object_get(unit, "agents"));
	if (rc == 0 && json_is_object(about))
		rc = llm_open_remote(&llm, in, out, about);
	if (rc == 0) {
		unit_options(&o, &t, unit, llm);
		rc = evolve_unit_local(&result, t, &files, &o, &s, &used);
	}
	llm_close(llm);  /* its figures end before the result goes */
	*reply = json_pack("{s:o?, s:s?, s:o, s:s}", "result",
			   rc == 0 ? record_task_to_json(&result) : NULL,
			   "solution", rc == 0 ? result.solution : NULL,
			   "usage", llm_usage_to_json(&used), "error", rc == 0 ? "" : err_last());
	if (rc == 0)
		record_task_free(&result);
	agents_free(&files);
	task_free(t);
	return rc;
}

/* The child: TMPDIR is the scratch folder, where the task's private
 * folders go too; signals are the default again. */
static _Noreturn void child(const json_t *unit, const char *dir, int in, int out)
{
	json_t *reply = NULL;
	int rc;

	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	setenv("TMPDIR", dir, 1);
	rc = run_unit(&reply, unit, dir, in, out);
	if (!reply || channel_send_json(out, reply) < 0)
		_exit(2);
	json_decref(reply);
	_exit(rc == 0 ? 0 : 1);
}

/* Waits for the child; a signal to this process kills it. */
static int wait_child(pid_t pid)
{
	int status = 0;

	for (;;) {
		if (step_signal)
			kill(pid, SIGKILL);
		if (waitpid(pid, &status, 0) >= 0)
			break;
		if (errno != EINTR)
			return err_sys("cannot wait for the step's work");
	}
	if (step_signal)
		return err_set(ERR_GENERIC, "the step was stopped by signal %d", (int)step_signal);
	if (WIFSIGNALED(status))
		return err_set(ERR_GENERIC, "the step's work was killed by signal %d",
			       WTERMSIG(status));
	return WEXITSTATUS(status) == 0 ? 0 : err_set(ERR_GENERIC, "the step's work failed");
}

int evolve_step(int in, int out)
{
	struct sigaction sa;
	json_t *unit = NULL;
	char *dir = NULL;
	pid_t pid;
	int rc = channel_recv_json(&unit, in, STEP_UNIT_MAX, -1);

	if (rc < 0)
		return err_set(ERR_INVALID, "no unit came on stdin: %s", channel_strerror(rc));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;  /* no SA_RESTART: the wait ends */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);  /* the host's stop, which srun passes on */
	signal(SIGPIPE, SIG_IGN);
	if ((rc = os_make_scratch(&dir, "host-step")) == 0) {
		fflush(NULL);
		if ((pid = fork()) < 0)
			rc = err_sys("cannot start the step's work");
		else if (pid == 0)
			child(unit, dir, in, out);
		else
			rc = wait_child(pid);
		os_remove_tree(dir);
		free(dir);
	}
	json_decref(unit);
	return rc;
}
