/*
 * evolve_slurm.c - the host's side of --executor slurm: a unit of work
 * as a Slurm job step; see evolve_slurm_run in evolve_internal.h,
 * evolve_unit.c for the units and evolve_step.c for the step's side.
 *
 * `srun ... host step` runs on a node of the allocation; its stdin and
 * stdout, which srun forwards, are a socket of this process's, carrying
 * channel frames. This process sends the unit, then answers the step's
 * model requests ({"llm": ...}, llm_serve) until its last word comes.
 * Nothing needs a shared file system, and the step's environment has no
 * API key: this process alone talks to the model.
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
#include "text.h"

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
#define SLURM_ARGS_MAX 64                /* srun's argv, ours and --slurm-args */
#define SLURM_WORDS_MAX 4096              /* --slurm-args, in characters */
#define SLURM_TICK_MS 200               /* how often a stop is looked for */
#define SLURM_CANCEL_AFTER_MS 5000      /* a stopped step that lingers is cancelled */
#define SLURM_KILL_AFTER_MS 15000       /* and a cancelled srun that lingers, killed */

static int stopping(const agent_options *a)
{
	return a->stop && *a->stop;
}

/* A step under way. */
typedef struct {
	pid_t pid;           /* srun */
	int fd;              /* its stdin and stdout */
	int err;             /* its stderr; -1 once closed */
	char said[400];      /* the end of what srun wrote there */
	double cancelled;    /* when it was cancelled; 0: it was not */
	double ending;       /* when the host stopped talking to it; 0: not yet */
	int signalled;       /* the last signal sent to srun; 0: none */
	int started;         /* the step said it runs: srun got its allocation */
} step;

/* srun's argument list: its own options, then `host step`. Frames are
 * no lines: srun must pass the step's output on as it comes. */
static int srun_argv(char **argv, char *words, const char *host, const char *args)
{
	static const char *const fixed[] = { "srun", "--nodes=1", "--ntasks=1", "--quiet",
					     "--unbuffered", "--job-name=host-step" };
	size_t n = 0, i, nfixed = sizeof(fixed) / sizeof(fixed[0]);
	char *save = NULL, *w;

	for (i = 0; i < nfixed; i++)
		argv[n++] = (char *)fixed[i];
	if (args && strlen(args) >= SLURM_WORDS_MAX)
		return err_set(ERR_INVALID, "--slurm-args is over %d characters", SLURM_WORDS_MAX - 1);
	if (args) {
		snprintf(words, SLURM_WORDS_MAX, "%s", args);
		for (w = strtok_r(words, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
			if (n + 3 > SLURM_ARGS_MAX)  /* host, step, NULL */
				return err_set(ERR_INVALID, "--slurm-args has over %zu words",
					       SLURM_ARGS_MAX - 3 - nfixed);
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
	char *argv[SLURM_ARGS_MAX], words[SLURM_WORDS_MAX], *host = NULL;
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
static void cancel_on_stop(step *st, const agent_options *a)
{
	double from = st->cancelled ? st->cancelled : st->ending;
	double since = from ? os_now_ms() - from : 0;
	int sig = since > SLURM_KILL_AFTER_MS ? SIGKILL : since > SLURM_CANCEL_AFTER_MS ? SIGTERM : 0;

	if (!st->cancelled && !st->ending && stopping(a)) {
		kill(st->pid, SIGUSR1);
		st->cancelled = os_now_ms();
	} else if (sig && st->signalled != sig) {  /* each signal once */
		kill(st->pid, sig);
		st->signalled = sig;
	}
}

/* After the last frame, or none: waits for srun to end, keeping its
 * words, and ends it as a stopped step is ended if it lingers, so that
 * no srun (nor a child of it holding its stderr) can hold the run. */
static void wait_srun(step *st, int *status, const agent_options *a)
{
	st->ending = os_now_ms();
	for (;;) {
		struct pollfd p = { st->err, POLLIN, 0 };
		pid_t done = waitpid(st->pid, status, WNOHANG);

		if (done == st->pid || (done < 0 && errno != EINTR))
			break;
		if (st->err < 0)
			usleep(SLURM_TICK_MS * 1000 / 10);
		else if (poll(&p, 1, SLURM_TICK_MS) > 0)
			read_said(st);
		cancel_on_stop(st, a);
	}
	while (st->err >= 0 && poll(&(struct pollfd){ st->err, POLLIN, 0 }, 1, 0) > 0)
		read_said(st);  /* what it wrote before it ended */
}

/* Waits for the step's next frame, keeping srun's words meanwhile. */
static int next_frame(json_t **msg, step *st, const agent_options *a)
{
	for (;;) {
		struct pollfd p[2] = { { st->fd, POLLIN, 0 }, { st->err, POLLIN, 0 } };
		int ready = poll(p, st->err >= 0 ? 2 : 1, SLURM_TICK_MS);

		if (ready < 0 && errno != EINTR)
			return err_sys("cannot wait for a Slurm step");
		cancel_on_stop(st, a);
		if (ready > 0 && st->err >= 0 && p[1].revents)
			read_said(st);
		if (ready > 0 && p[0].revents) {
			int rc = channel_recv_json(msg, st->fd, SLURM_FRAME_MAX, -1);

			if (rc < 0 || !json_object_get(*msg, "started"))
				return rc;
			st->started = 1;
			json_decref(*msg);
			*msg = NULL;
		}
	}
}

/* What a served model call asks while it waits: to be abandoned, when the
 * run stops or the step is gone (srun ended, and its ends of the socket
 * with it). */
typedef struct {
	const step *st;
	const agent_options *a;
} call_watch;

static int call_abandoned(void *ctx)
{
	const call_watch *w = ctx;
	struct pollfd p = { w->st->fd, 0, 0 };

	return stopping(w->a) || (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)));
}

/* Answers the step's model requests until its last word comes: 0 with
 * it in *last, or why none came. */
static int serve(json_t **last, step *st, const agent_options *a)
{
	call_watch watch = { st, a };
	json_t *msg = NULL, *answer;
	const json_t *q;
	int rc;

	while ((rc = next_frame(&msg, st, a)) == 0 && (q = json_object_get(msg, "llm")) != NULL) {
		answer = llm_serve(a->llm, q, call_abandoned, &watch);
		rc = answer ? channel_send_json(st->fd, answer) : err_set(ERR_SYSTEM, "out of memory");
		json_decref(answer);
		json_decref(msg);
		msg = NULL;
		if (rc < 0)
			break;
	}
	if (rc == 0)
		*last = msg;
	else if (rc != ERR_SYSTEM)
		rc = err_set(ERR_GENERIC, "%s", channel_strerror(rc));
	if (rc < 0)
		json_decref(msg);
	return rc;
}

/* Why the step ended without a result, from srun's status and words: a
 * step that started and died is lost (its candidate's failure); one that
 * never started is an error (the run's). */
static int no_result(step *st, int status, const char *what)
{
	char *said = st->said;
	size_t end;

	text_one_line(said);  /* srun's lines, on one */
	end = strlen(said);
	while (end > 0 && said[end - 1] == ' ')
		said[--end] = '\0';
	if (st->cancelled)
		return err_set(EVOLVE_STEP_LOST, "its Slurm step was cancelled: the run was stopped");
	if (!st->started)  /* srun's options, or the cluster: the run's failure */
		return err_set(ERR_GENERIC, "srun did not start a step (exit %d%s%s)",
			       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			       *said ? ": " : "", said);
	if (WIFSIGNALED(status))
		return err_set(EVOLVE_STEP_LOST, "its Slurm step ended before its result (%s; srun "
			       "was killed by signal %d)", what, WTERMSIG(status));
	return err_set(EVOLVE_STEP_LOST, "its Slurm step ended before its result (%s; srun exit "
		       "%d%s%s)", what, WEXITSTATUS(status), *said ? ": " : "", said);
}

int evolve_slurm_run(json_t **last, const json_t *unit, const agent_options *a,
		     const evolve_executor *x)
{
	step st = { .pid = -1, .fd = -1, .err = -1 };
	char what[200];
	int rc, status = 0;

	*last = NULL;
	if ((rc = start(&st, x)) == 0) {
		rc = channel_send_json(st.fd, unit) < 0
		     ? err_set(ERR_GENERIC, "it took no unit") : serve(last, &st, a);
		snprintf(what, sizeof(what), "%s", err_last());
		shutdown(st.fd, SHUT_RDWR);  /* a step still reading is done */
		wait_srun(&st, &status, a);
		if (rc < 0)
			rc = no_result(&st, status, what);
	}
	if (st.fd >= 0)
		close(st.fd);
	if (st.err >= 0)
		close(st.err);
	return rc;
}
