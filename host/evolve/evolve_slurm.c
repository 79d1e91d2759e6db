/*
 * evolve_slurm.c - the host's side of --executor slurm: one unit of
 * evaluation work as a Slurm job step; see evolve_unit_slurm in
 * evolve_internal.h, and evolve_step.c for the step's side.
 *
 * `srun ... host step` runs on a node of the allocation; its stdin and
 * stdout, which srun forwards, are a socket of this process's, carrying
 * channel frames. This process sends the unit ({task: {name, files},
 * agents, start, options, llm}), then answers the step's model requests
 * ({"llm": ...}, llm_serve) until its result comes ({result, solution,
 * usage, error}). Nothing needs a shared file system, and the step's
 * environment has no API key: this process alone talks to the model.
 *
 * srun runs in a process group of its own, so that a Ctrl-C at the
 * terminal reaches the host only, which then cancels the step by
 * signalling srun; and it gets SIGTERM should its parent die, so no step
 * outlives the run. A step that ends without its result, whatever killed
 * it, is an error of this unit: its candidate is kept as interrupted.
 */
#include "evolve_internal.h"

#include "channel.h"
#include "error.h"
#include "os.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLURM_FRAME_MAX (64u << 20)     /* a result: a record and its solution */
#define SLURM_TASK_MAX (16u << 20)      /* a task's folder, all of it */
#define SLURM_ARGS_MAX 64
#define SLURM_TICK_MS 200               /* how often a stop is looked for */
#define SLURM_CANCEL_AFTER_MS 5000      /* a stopped step that lingers is cancelled */
#define SLURM_KILL_AFTER_MS 15000       /* and a cancelled srun that lingers, killed */

/* A step under way. */
typedef struct {
	pid_t pid;           /* srun */
	int fd;              /* its stdin and stdout */
	int err;             /* its stderr; -1 once closed */
	char said[400];      /* the end of what srun wrote there */
	double cancelled;    /* when it was cancelled; 0: it was not */
} step;

/* Task t's folder, its plain files only, as {name: text}. */
static int task_files(json_t **out, const task *t)
{
	DIR *d = opendir(t->dir);
	struct dirent *e;
	size_t total = 0;
	int rc = 0;

	*out = json_object();
	if (!d || !*out) {
		json_decref(*out);
		*out = NULL;
		return d ? err_set(ERR_SYSTEM, "out of memory") : err_sys("cannot read %s", t->dir);
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char *path = os_path_join(t->dir, e->d_name), *text = NULL;
		size_t len = 0;

		if (!path)
			rc = err_set(ERR_SYSTEM, "out of memory");
		else if (e->d_name[0] != '.' && os_is_file(path) &&
			 (rc = os_read_file_max(&text, &len, path, SLURM_TASK_MAX)) == 0 &&
			 ((total += len) > SLURM_TASK_MAX ||
			  json_object_set_new(*out, e->d_name, json_stringn(text, len)) < 0))
			rc = err_set(ERR_INVALID, "task %s cannot go to a Slurm step: %s is not "
				     "text, or the folder is over %u MB", t->name, e->d_name,
				     SLURM_TASK_MAX >> 20);
		free(text);
		free(path);
	}
	closedir(d);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* The unit, as the step reads it (evolve_step.c). */
static int unit_json(json_t **out, const task *t, const agent_files *files,
		     const evolve_eval_options *o, const evolve_start *s)
{
	char seed[32];
	json_t *folder;
	int rc = task_files(&folder, t);

	*out = NULL;
	if (rc < 0)
		return rc;
	snprintf(seed, sizeof(seed), "%llu", o->seed);
	*out = json_pack("{s:{s:s, s:o}, s:o?, s:{s:i, s:s, s:i}, s:{s:i, s:s, s:i, s:i, s:i, "
			 "s:i}, s:o?}",
			 "task", "name", t->name, "files", folder,
			 "agents", evolve_files_to_json(files),
			 "start", "number", s->number, "initial", s->initial, "carried_from",
			 s->carried_from,
			 "options", "budget", o->budget, "seed", seed, "trials", o->trials,
			 "agent_slack_ms", o->agent_slack_ms, "meta_ms", o->meta_ms,
			 "llm_calls", o->agent.llm_calls,
			 "llm", llm_remote_about(o->agent.llm));
	return *out && json_object_get(*out, "agents") ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

/* srun's argument list: its own options, then `host step`. Frames are
 * no lines: srun must pass the step's output on as it comes. */
static int srun_argv(char **argv, char *words, const char *host, const char *args)
{
	static const char *const fixed[] = { "srun", "--nodes=1", "--ntasks=1", "--quiet",
					     "--unbuffered", "--job-name=host-step" };
	size_t n = 0, i;
	char *save = NULL, *w;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		argv[n++] = (char *)fixed[i];
	if (args) {
		snprintf(words, 4096, "%s", args);
		for (w = strtok_r(words, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
			if (n + 3 > SLURM_ARGS_MAX)
				return err_set(ERR_INVALID, "--slurm-args has over %d words",
					       SLURM_ARGS_MAX - 8);
			argv[n++] = w;
		}
	}
	argv[n++] = (char *)host;
	argv[n++] = "step";
	argv[n] = NULL;
	return 0;
}

/* In srun's process, before its exec: stdin and stdout are the socket,
 * stderr the pipe; no key in its environment, which srun passes on. */
static _Noreturn void run_srun(char **argv, int sock, int err, pid_t owner)
{
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != owner)
		_exit(127);
	if (dup2(sock, 0) < 0 || dup2(sock, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	llm_unset_keys();
	execvp(argv[0], argv);
	dprintf(2, "cannot run srun: %s\n", strerror(errno));
	_exit(127);
}

/* Starts srun for the unit. */
static int start(step *st, const evolve_executor *x)
{
	char *argv[SLURM_ARGS_MAX], words[4096], *host = NULL;
	int pair[2] = { -1, -1 }, pipe_err[2] = { -1, -1 }, rc;
	pid_t owner = getpid();

	if ((rc = os_beside_exe(&host, "host")) < 0 ||
	    (rc = srun_argv(argv, words, host, x->slurm_args)) < 0) {
		free(host);
		return rc;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0 ||
	    pipe2(pipe_err, O_CLOEXEC) != 0)
		rc = err_sys("cannot start a Slurm step");
	fflush(NULL);
	if (rc == 0 && (st->pid = fork()) < 0)
		rc = err_sys("cannot start a Slurm step");
	if (rc == 0 && st->pid == 0)
		run_srun(argv, pair[1], pipe_err[1], owner);
	free(host);
	if (pair[1] >= 0)
		close(pair[1]);
	if (pipe_err[1] >= 0)
		close(pipe_err[1]);
	st->fd = pair[0];
	st->err = pipe_err[0];
	return rc;
}

/* Keeps the end of what srun writes on its stderr. */
static void read_said(step *st)
{
	char chunk[256];
	ssize_t n = read(st->err, chunk, sizeof(chunk) - 1);
	size_t have = strlen(st->said), keep;

	if (n <= 0) {
		if (n == 0 || errno != EINTR) {
			close(st->err);
			st->err = -1;
		}
		return;
	}
	chunk[n] = '\0';
	keep = sizeof(st->said) - 1 - (size_t)n;
	if (have > keep) {
		memmove(st->said, st->said + have - keep, keep + 1);
		have = keep;
	}
	memcpy(st->said + have, chunk, (size_t)n + 1);
}

/* Ends the step once the run stops. srun passes SIGUSR1 on to the step,
 * which then ends its work and removes its scratch folder (evolve_step);
 * a SIGTERM would have Slurm cancel it at once, its folder left for the
 * next step's sweep: so only a step that lingers gets it, and an srun
 * that lingers still is killed. */
static void cancel_on_stop(step *st, const evolve_eval_options *o)
{
	double since = st->cancelled ? os_now_ms() - st->cancelled : 0;

	if (!st->cancelled && evolve_stopping(o)) {
		kill(st->pid, SIGUSR1);
		st->cancelled = os_now_ms();
	} else if (since > SLURM_KILL_AFTER_MS) {
		kill(st->pid, SIGKILL);
	} else if (since > SLURM_CANCEL_AFTER_MS) {
		kill(st->pid, SIGTERM);
	}
}

/* Waits for the step's next frame, keeping srun's words meanwhile. */
static int next_frame(json_t **msg, step *st, const evolve_eval_options *o)
{
	for (;;) {
		struct pollfd p[2] = { { st->fd, POLLIN, 0 }, { st->err, POLLIN, 0 } };
		int ready = poll(p, st->err >= 0 ? 2 : 1, SLURM_TICK_MS);

		if (ready < 0 && errno != EINTR)
			return err_sys("cannot wait for a Slurm step");
		cancel_on_stop(st, o);
		if (ready > 0 && st->err >= 0 && p[1].revents)
			read_said(st);
		if (ready > 0 && p[0].revents)
			return channel_recv_json(msg, st->fd, SLURM_FRAME_MAX, -1);
	}
}

/* What a served model call asks while it waits: to be abandoned, when the
 * run stops or the step is gone (srun ended, and its ends of the socket
 * with it). */
typedef struct {
	const step *st;
	const evolve_eval_options *o;
} call_watch;

static int call_abandoned(void *ctx)
{
	const call_watch *w = ctx;
	struct pollfd p = { w->st->fd, 0, 0 };

	return evolve_stopping(w->o) || (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)));
}

/* Reads the step's result into *out and its model use into *used. */
static int take_result(record_task *out, const task *t, const json_t *msg, llm_usage *used)
{
	const char *error = json_string_value(json_object_get(msg, "error"));
	const json_t *solution = json_object_get(msg, "solution");
	llm_usage u;
	int rc;

	llm_usage_from_json(&u, json_object_get(msg, "usage"));
	used->calls += u.calls;
	used->tokens_in += u.tokens_in;
	used->tokens_out += u.tokens_out;
	used->usd += u.usd;
	used->seconds += u.seconds;
	if (error && *error)
		return err_set(ERR_GENERIC, "its Slurm step failed: %s", error);
	if ((rc = record_task_from_json(out, t->name, json_object_get(msg, "result"))) < 0)
		return rc;
	if (json_is_string(solution) && !(out->solution = strdup(json_string_value(solution)))) {
		record_task_free(out);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	return 0;
}

/* Answers the step's model requests until its last word comes (*heard):
 * 0 with the result in *out, or why there is none. */
static int serve(record_task *out, int *heard, step *st, const task *t,
		 const evolve_eval_options *o, llm_usage *used)
{
	call_watch watch = { st, o };
	json_t *msg = NULL, *answer;
	const json_t *q;
	int rc;

	while ((rc = next_frame(&msg, st, o)) == 0 && (q = json_object_get(msg, "llm")) != NULL) {
		answer = llm_serve(o->agent.llm, q, call_abandoned, &watch);
		rc = answer ? channel_send_json(st->fd, answer) : err_set(ERR_SYSTEM, "out of memory");
		json_decref(answer);
		json_decref(msg);
		msg = NULL;
		if (rc < 0)
			break;
	}
	*heard = rc == 0;
	if (rc == 0)
		rc = take_result(out, t, msg, used);
	else if (rc != ERR_SYSTEM)
		rc = err_set(ERR_GENERIC, "%s", channel_strerror(rc));
	json_decref(msg);
	return rc;
}

/* Why the step ended without a result, from srun's status and words. */
static int no_result(step *st, int status, const char *what)
{
	char *nl;

	while ((nl = strrchr(st->said, '\n')) != NULL && nl[1] == '\0')
		*nl = '\0';
	nl = strrchr(st->said, '\n');
	if (st->cancelled)
		return err_set(EVOLVE_STEP_LOST, "its Slurm step was cancelled: the run was stopped");
	if (WIFSIGNALED(status))
		return err_set(EVOLVE_STEP_LOST, "its Slurm step ended before its result (%s; srun "
			       "was killed by signal %d)", what, WTERMSIG(status));
	return err_set(EVOLVE_STEP_LOST, "its Slurm step ended before its result (%s; srun exit %d%s%s)",
		       what, WEXITSTATUS(status), st->said[0] ? ": " : "",
		       nl ? nl + 1 : st->said);
}

int evolve_unit_slurm(record_task *out, task *t, const agent_files *files,
		      const evolve_eval_options *o, const evolve_start *s, llm_usage *used)
{
	step st = { .pid = -1, .fd = -1, .err = -1 };
	json_t *unit;
	char what[200];
	int rc = unit_json(&unit, t, files, o, s), status = 0, heard = 0;

	memset(out, 0, sizeof(*out));
	if (rc == 0 && (rc = start(&st, &o->executor)) == 0) {
		rc = channel_send_json(st.fd, unit) < 0
		     ? err_set(ERR_GENERIC, "it took no unit") : serve(out, &heard, &st, t, o, used);
		snprintf(what, sizeof(what), "%s", err_last());
		shutdown(st.fd, SHUT_RDWR);  /* a step still reading is done */
		while (st.err >= 0)
			read_said(&st);
		while (waitpid(st.pid, &status, 0) < 0 && errno == EINTR)
			;
		if (rc < 0 && !heard)  /* else the step said why */
			rc = no_result(&st, status, what);
	}
	if (st.fd >= 0)
		close(st.fd);
	if (st.err >= 0)
		close(st.err);
	json_decref(unit);
	return rc;
}
