/*
 * llm_pool.c - what every process forked from the one that opened the
 * client shares; see llm_internal.h.
 *
 * evolve --parallel makes each candidate in a process of its own, and
 * each may fork -j workers: many callers, one model. They must spend one
 * budget (--max-usd is checked against every process's calls, while they
 * run), stop together on a refusal no retry mends, keep at most
 * --llm-concurrency requests open, and slow down together when the server
 * says 429. So the totals, the reason to stop and the time the next
 * attempt may start live in memory mapped at llm_open, under a
 * process-shared lock that a process killed while holding it cannot wedge
 * (a robust mutex); the open requests are counted by slots.
 */
#include "llm_internal.h"

#include "error.h"
#include "os.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define POOL_SLICE_MS 100

struct llm_pool {
	pthread_mutex_t lock;  /* process-shared, robust */
	llm_usage totals;
	double not_before_ms;  /* no attempt starts before this os_now_ms() time */
	char fatal[512];       /* why the run must stop, once it must */
};

int llm_pool_open(llm_client *c, int concurrency)
{
	pthread_mutexattr_t attr;
	struct llm_pool *p;
	int rc;

	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return err_sys("cannot share the model's budget with forked processes");
	memset(p, 0, sizeof(*p));
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	rc = pthread_mutex_init(&p->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	if (rc != 0) {
		munmap(p, sizeof(*p));
		return err_set(ERR_SYSTEM, "cannot share the model's budget: %s", strerror(rc));
	}
	c->pool = p;
	return slots_open(&c->open_calls, concurrency);
}

void llm_pool_close(llm_client *c)
{
	if (c->pool) {
		pthread_mutex_destroy(&c->pool->lock);
		munmap(c->pool, sizeof(*c->pool));
	}
	slots_close(c->open_calls);
	c->pool = NULL;
	c->open_calls = NULL;
}

/* A process killed while holding the lock left the totals as they were
 * between two whole updates: they stay usable. */
static void lock(struct llm_pool *p)
{
	if (pthread_mutex_lock(&p->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&p->lock);
}

void llm_pool_add(llm_client *c, const llm_usage *u)
{
	lock(c->pool);
	llm_ledger_add(&c->pool->totals, u);
	pthread_mutex_unlock(&c->pool->lock);
}

llm_usage llm_pool_totals(const llm_client *c)
{
	llm_usage totals;

	lock(c->pool);
	totals = c->pool->totals;
	pthread_mutex_unlock(&c->pool->lock);
	return totals;
}

void llm_pool_set_fatal(llm_client *c, const char *why)
{
	lock(c->pool);
	if (!c->pool->fatal[0])
		snprintf(c->pool->fatal, sizeof(c->pool->fatal), "%s", why);
	pthread_mutex_unlock(&c->pool->lock);
}

const char *llm_pool_fatal(const llm_client *c)
{
	return c->pool->fatal[0] ? c->pool->fatal : NULL;  /* set once, never changed */
}

void llm_pool_hold_off(llm_client *c, long ms)
{
	double until = os_now_ms() + (double)ms;

	lock(c->pool);
	if (until > c->pool->not_before_ms)
		c->pool->not_before_ms = until;
	pthread_mutex_unlock(&c->pool->lock);
}

static int gone(void *ctx)
{
	const llm_client *c = ctx;

	return c->abort && c->abort(c->abort_ctx);
}

/* Waits out the pool's hold-off: 0, or 1 when it ends past the deadline
 * or the call is abandoned. */
static int wait_hold_off(llm_client *c, double deadline_ms)
{
	struct timespec slice = { 0, POOL_SLICE_MS * 1000000L };
	double until;

	for (;;) {
		lock(c->pool);
		until = c->pool->not_before_ms;
		pthread_mutex_unlock(&c->pool->lock);
		if (os_now_ms() >= until)
			return 0;
		if ((deadline_ms > 0 && until >= deadline_ms) || gone(c))
			return 1;
		nanosleep(&slice, NULL);
	}
}

int llm_pool_enter(llm_client *c, double deadline_ms)
{
	if (wait_hold_off(c, deadline_ms))
		return 1;
	return slots_take(c->open_calls, deadline_ms, gone, c) < 0;
}

void llm_pool_leave(llm_client *c)
{
	slots_give(c->open_calls);
}
