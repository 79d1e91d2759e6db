/*
 * evolve_step.c - the step's side of --executor slurm: one unit of work
 * on a Slurm node; see evolve_step in evolve.h, evolve_slurm.c for the
 * host's side, and evolve_unit.c for the units.
 *
 * The unit comes whole on stdin: the agent files and the task's folder,
 * which is written to a scratch folder of this node, so no file system is
 * shared with the host. The unit then runs as it would on the host (the
 * same sandbox, zygote and scoring, the same seed), with a model client
 * that asks the host for every call (llm_open_remote). The work is done in a child, so that the scratch
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
#include <sys/wait.h>
#include <unistd.h>

#define STEP_UNIT_MAX (64u << 20)   /* agent files, a task's folder, a solution */

static volatile sig_atomic_t step_signal;

static void on_signal(int sig)
{
	step_signal = sig;
}

/* Runs the unit; *reply is its last word, for the host. */
static int run_unit(json_t **reply, const json_t *unit, const char *dir, int in, int out)
{
	const char *kind = json_string_value(json_object_get(unit, "kind"));
	evolve_unit_env env;
	int rc = evolve_unit_unpack(&env, unit, dir, in, out);

	*reply = NULL;
	if (rc == 0 && kind && strcmp(kind, "evaluate") == 0)
		rc = evolve_unit_evaluate(reply, unit, &env);
	else if (rc == 0 && kind && strcmp(kind, "improve") == 0)
		rc = evolve_unit_improve(reply, unit, &env);
	else if (rc == 0)
		rc = err_set(ERR_INVALID, "a unit of a kind this host does not know: '%.40s'",
			     kind ? kind : "");
	if (!*reply)
		*reply = json_object();
	json_object_set_new(*reply, "error", json_string(rc == 0 ? "" : err_last()));
	evolve_unit_env_free(&env);  /* the model's figures end before the last word */
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
	json_t *unit = NULL, *hello;
	char *dir = NULL, node[256] = "";
	pid_t pid;
	int rc;

	gethostname(node, sizeof(node) - 1);
	hello = json_pack("{s:s}", "started", node);  /* the host tells a step that ran */
	if (!hello)
		return err_set(ERR_SYSTEM, "out of memory");
	rc = channel_send_json(out, hello);
	json_decref(hello);
	if (rc < 0)
		return err_set(ERR_INVALID, "cannot tell the host the step started: %s",
			       channel_strerror(rc));
	if ((rc = channel_recv_json(&unit, in, STEP_UNIT_MAX, -1)) < 0)
		return err_set(ERR_INVALID, "no unit came on stdin: %s", channel_strerror(rc));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;  /* no SA_RESTART: the wait ends */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);  /* the host's stop, which srun passes on */
	signal(SIGPIPE, SIG_IGN);
	/* srun passes the host's environment on: its TMPDIR may be no folder
	 * of this node, and /tmp is */
	if (getenv("TMPDIR") && !os_is_dir(getenv("TMPDIR")))
		unsetenv("TMPDIR");
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
