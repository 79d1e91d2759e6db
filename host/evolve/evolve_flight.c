/*
 * evolve_flight.c - a round's candidates in flight, each in a process of
 * its own; see evolve_fly in evolve_internal.h.
 *
 * With a model, a candidate spends nearly all its time waiting for
 * replies, so a round runs its candidates at once: each is made by a fork
 * of the host (its agents sandboxed as ever), which reports its phases and
 * finally its record and files over a socket. Only this process touches
 * the lab: the candidates come back here, and evolve.c decides and commits
 * them in the order they were proposed, whatever order they finished in.
 *
 * A signal reaches this process only, so a stop is passed on through a
 * flag shared with the candidates; the model's budget running out, or a
 * refusal no retry mends, stops them the same way. Should this process
 * die, its candidates die with it (PR_SET_PDEATHSIG): nothing outlives
 * the process that holds the lab's lock.
 */
#include "evolve_internal.h"

#include "channel.h"
#include "error.h"
#include "os.h"
#include "zygote.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define FLIGHT_MESSAGE_MAX (64u << 20)  /* a candidate's record and files */

static json_t *files_to_json(const agent_files *files)
{
	json_t *out = json_object();
	size_t i;

	for (i = 0; out && i < files->count; i++)
		if (json_object_set_new(out, files->items[i].name,
					json_string(files->items[i].text)) < 0) {
			json_decref(out);
			return NULL;
		}
	return out;
}

static int files_from_json(agent_files *out, const json_t *json)
{
	const char *name;
	json_t *text;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	json_object_foreach((json_t *)json, name, text) {
		if (!json_is_string(text) || !agents_valid_name(name))
			rc = err_set(ERR_INVALID, "a candidate sent a file that is not one: '%.60s'", name);
		else
			rc = agents_set(out, name, json_string_value(text));
		if (rc < 0) {
			agents_free(out);
			return rc;
		}
	}
	return 0;
}

/* The tasks' solutions of `r`, which its note does not carry. */
static json_t *solutions_to_json(const record *r)
{
	json_t *out = json_object();
	size_t i;

	for (i = 0; out && i < r->n_tasks; i++)
		if (r->tasks[i].solution)
			json_object_set_new(out, r->tasks[i].name, json_string(r->tasks[i].solution));
	return out;
}

static int solutions_from_json(record *r, const json_t *json)
{
	size_t i;

	for (i = 0; i < r->n_tasks; i++) {
		const char *text = json_string_value(json_object_get(json, r->tasks[i].name));
		if (text && !(r->tasks[i].solution = strdup(text)))
			return err_set(ERR_SYSTEM, "out of memory");
	}
	return 0;
}

static void send_phase(void *ctx, evolve_phase phase)
{
	json_t *msg = json_pack("{s:i}", "phase", (int)phase);

	if (msg)
		channel_send_json(*(int *)ctx, msg);
	json_decref(msg);
}

/* A candidate's process: makes it and sends back its record and files. */
static _Noreturn void candidate_process(int fd, evolve_candidate *c, const evolve_options *o,
					pid_t owner)
{
	double start = os_now_ms();
	json_t *msg;
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != owner)  /* it died before the line above */
		_exit(1);
	zygote_forget();  /* the owner's zygote answers the owner only */
	rc = llm_after_fork(o->eval.agent.llm);
	if (rc == 0)
		rc = evolve_candidate_make(c, o, send_phase, &fd);
	c->r.total_s = (os_now_ms() - start) / 1000.0;
	msg = json_pack("{s:o?, s:o?, s:o?, s:s}",
			"record", rc == 0 ? record_to_json(&c->r) : NULL,
			"files", rc == 0 && c->files.count ? files_to_json(&c->files) : NULL,
			"solutions", rc == 0 ? solutions_to_json(&c->r) : NULL,
			"error", rc == 0 ? "" : err_last());
	if (!msg || channel_send_json(fd, msg) < 0)
		_exit(1);
	_exit(0);
}

/* The processes of a round, and the flag that stops them. */
typedef struct {
	pid_t pid[EVOLVE_MAX_PARALLEL];
	int fd[EVOLVE_MAX_PARALLEL];
	volatile sig_atomic_t *stop;
} flight;

static int start(flight *f, evolve_candidate *c, size_t i, const evolve_options *co)
{
	pid_t owner = getpid();
	int pair[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
		return err_sys("cannot start candidate gen_%03d", c[i].number);
	if ((f->pid[i] = fork()) < 0) {
		close(pair[0]);
		close(pair[1]);
		return err_sys("cannot start candidate gen_%03d", c[i].number);
	}
	if (f->pid[i] == 0) {
		close(pair[0]);
		candidate_process(pair[1], &c[i], co, owner);
	}
	close(pair[1]);
	f->fd[i] = pair[0];
	return 0;
}

/* A candidate that did not come back: kept, as interrupted, with why. */
static int lost(evolve_candidate *c, const char *why)
{
	char reason[600];

	snprintf(reason, sizeof(reason), "its process %s before it was measured; kept, not "
		 "measured", why);
	c->r.status = RECORD_INTERRUPTED;
	c->back = 1;
	if (!(c->error = strdup(why)))
		return err_set(ERR_SYSTEM, "out of memory");
	return record_set_reason(&c->r, reason);
}

/* Takes what the candidate sent back. */
static int take_back(evolve_candidate *c, const json_t *msg)
{
	const char *error = json_string_value(json_object_get(msg, "error"));
	const json_t *files = json_object_get(msg, "files");
	record r;
	int rc;

	if (error && *error) {
		char why[560];
		snprintf(why, sizeof(why), "failed (%.500s)", error);
		return lost(c, why);
	}
	if ((rc = record_from_json(&r, json_object_get(msg, "record"))) < 0)
		return rc;
	if ((rc = solutions_from_json(&r, json_object_get(msg, "solutions"))) < 0 ||
	    (files && (rc = files_from_json(&c->files, files)) < 0)) {
		record_free(&r);
		return rc;
	}
	record_free(&c->r);
	c->r = r;
	c->back = 1;
	return 0;
}

/* Reads one message of candidate i: a phase, or its end. */
static int hear(flight *f, evolve_candidate *c, size_t i)
{
	json_t *msg = NULL;
	int status = 0, rc = channel_recv_json(&msg, f->fd[i], FLIGHT_MESSAGE_MAX, -1);
	char why[120];

	if (rc == 0 && json_is_integer(json_object_get(msg, "phase"))) {
		c[i].phase = (evolve_phase)json_integer_value(json_object_get(msg, "phase"));
		json_decref(msg);
		return 0;
	}
	if (rc == 0 && take_back(&c[i], msg) < 0) {
		snprintf(why, sizeof(why), "sent what cannot be read (%.50s)", err_last());
		rc = lost(&c[i], why);
	}
	json_decref(msg);
	close(f->fd[i]);
	f->fd[i] = -1;
	waitpid(f->pid[i], &status, 0);
	if (c[i].back)
		return rc;
	if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(why, sizeof(why), "ended without a word (exit %d)", WEXITSTATUS(status));
	return lost(&c[i], why);
}

/* Passes a stop on: a signal, or the model's budget or a fatal refusal,
 * which end every candidate's calls alike. */
static void pass_stop(flight *f, const evolve_options *o)
{
	if (evolve_stopping(&o->eval) || llm_fatal(o->eval.agent.llm) || llm_exhausted(o->eval.agent.llm))
		*f->stop = 1;
}

/* Waits until every candidate is back, hearing their phases. */
static int wait_all(flight *f, evolve_candidate *c, size_t n, const evolve_options *o,
		    evolve_flight_fn seen, void *ctx)
{
	struct pollfd p[EVOLVE_MAX_PARALLEL];
	size_t i, open;
	int rc = 0;

	for (;;) {
		for (i = 0, open = 0; i < n; i++) {
			p[i].fd = f->fd[i];  /* a negative fd is ignored */
			p[i].events = POLLIN;
			p[i].revents = 0;
			open += f->fd[i] >= 0;
		}
		if (!open)
			return rc;
		if (poll(p, n, 200) < 0 && errno != EINTR)
			return err_sys("cannot wait for the candidates");
		pass_stop(f, o);
		for (i = 0; i < n; i++) {
			if (f->fd[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			int heard = hear(f, c, i);
			rc = rc ? rc : heard;
			if (seen)
				seen(ctx, c, n);
		}
	}
}

/* One candidate alone is made in this process: a fork, a zygote of its
 * own and the drivers compiled again would cost more than it waits. */
typedef struct {
	evolve_candidate *c;
	evolve_flight_fn seen;
	void *ctx;
} here_ctx;

static void phase_here(void *ctx, evolve_phase phase)
{
	here_ctx *h = ctx;

	h->c->phase = phase;
	if (h->seen)
		h->seen(h->ctx, h->c, 1);
}

static int fly_here(evolve_candidate *c, const evolve_options *o, evolve_flight_fn seen,
		    void *ctx)
{
	here_ctx h = { c, seen, ctx };
	double start = os_now_ms();
	char why[560];
	int rc = evolve_candidate_make(c, o, phase_here, &h);

	c->r.total_s = (os_now_ms() - start) / 1000.0;
	c->back = 1;
	if (rc < 0) {
		snprintf(why, sizeof(why), "failed (%.500s)", err_last());
		rc = lost(c, why);
	}
	if (seen)
		seen(ctx, c, 1);
	return rc;
}

int evolve_fly(evolve_candidate *c, size_t n, const evolve_options *o, evolve_flight_fn seen,
	       void *ctx)
{
	evolve_options co = *o;
	flight f;
	size_t i, started;
	int rc = 0;

	if (n > EVOLVE_MAX_PARALLEL)
		return err_set(ERR_INVALID, "at most %d candidates can be in flight", EVOLVE_MAX_PARALLEL);
	if (n == 1)
		return fly_here(c, o, seen, ctx);
	f.stop = mmap(NULL, sizeof(*f.stop), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (f.stop == MAP_FAILED)
		return err_sys("cannot share the stop flag with the candidates");
	*f.stop = 0;
	pass_stop(&f, o);
	co.eval.agent.stop = f.stop;
	fflush(NULL);  /* nothing buffered is written twice */
	for (started = 0; started < n && rc == 0; started++) {
		c[started].phase = EVOLVE_REWRITE;
		rc = start(&f, c, started, &co);
	}
	if (rc < 0)
		started--;
	for (i = started; i < n; i++) {  /* never started: kept, as interrupted */
		f.fd[i] = -1;
		if (lost(&c[i], "could not be started") < 0)
			break;
	}
	if (seen)
		seen(ctx, c, n);
	{
		int waited = wait_all(&f, c, started, o, seen, ctx);
		rc = rc ? rc : waited;
	}
	munmap((void *)f.stop, sizeof(*f.stop));
	return rc;
}
