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
 *
 * A request's prompt is set aside, at its estimate, before the request is
 * sent, and the check against the caps counts what is set aside: callers
 * asking at once cannot each find the budget unspent and all send. What
 * is set aside becomes the request's real cost when it ends; a process
 * killed meanwhile leaves it set aside, counted, as its prompt may have
 * left.
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
	llm_usage totals;      /* every request that left the host */
	llm_usage set_aside;   /* the prompts of the requests under way, estimated */
	int under_way;         /* how many */
	long replies;          /* requests that got a reply, and the time they took */
	double reply_seconds;
	int refused;           /* a request was refused: it would have passed a cap */
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

/* Which cap `more` would pass on top of what is spent and set aside, or
 * has been reached already: 1 --max-usd, 2 --max-tokens, 0 none. */
static int cap_passed(const llm_client *c, const struct llm_pool *p, const llm_usage *more)
{
	double usd = p->totals.usd + p->set_aside.usd;
	long tokens = p->totals.tokens_in + p->totals.tokens_out + p->set_aside.tokens_in +
		      p->set_aside.tokens_out;

	if (c->max_usd > 0 && (usd >= c->max_usd || usd + more->usd > c->max_usd))
		return 1;
	if (c->max_tokens > 0 && (tokens >= c->max_tokens ||
				  tokens + more->tokens_in + more->tokens_out > c->max_tokens))
		return 2;
	return 0;
}

int llm_pool_set_aside(llm_client *c, const llm_usage *estimate)
{
	struct llm_pool *p = c->pool;
	llm_usage spent, aside;
	int cap;

	lock(p);
	if ((cap = cap_passed(c, p, estimate)) == 0) {
		llm_ledger_add(&p->set_aside, estimate);
		p->under_way++;
	} else {
		p->refused = 1;
	}
	spent = p->totals;
	aside = p->set_aside;
	pthread_mutex_unlock(&p->lock);
	if (cap == 1)
		return err_set(LLM_ERR_BUDGET, "the LLM budget is spent: this prompt (about %ld "
			       "tokens, $%.4f) would take the spend past $%.4f ($%.4f spent, $%.4f "
			       "in calls under way)", estimate->tokens_in, estimate->usd, c->max_usd,
			       spent.usd, aside.usd);
	if (cap == 2)
		return err_set(LLM_ERR_BUDGET, "the LLM budget is spent: this prompt (about %ld "
			       "tokens) would take the tokens past %ld (%ld spent, %ld in calls "
			       "under way)", estimate->tokens_in, c->max_tokens,
			       spent.tokens_in + spent.tokens_out, aside.tokens_in + aside.tokens_out);
	return 0;
}

void llm_pool_settle(llm_client *c, const llm_usage *estimate, const llm_usage *spent,
		     int replied)
{
	struct llm_pool *p = c->pool;
	llm_usage none = { 0, 0, 0, 0, 0 };

	lock(p);
	if (estimate) {
		p->set_aside.tokens_in -= estimate->tokens_in;
		p->set_aside.tokens_out -= estimate->tokens_out;
		p->set_aside.usd -= estimate->usd;
		if (--p->under_way <= 0) {  /* no rounding left over from the sums */
			p->under_way = 0;
			p->set_aside = none;
		}
	}
	llm_ledger_add(&p->totals, spent);
	if (replied) {
		p->replies++;
		p->reply_seconds += spent->seconds;
	}
	pthread_mutex_unlock(&p->lock);
}

long llm_pool_replies(const llm_client *c, double *mean_seconds)
{
	long n;

	lock(c->pool);
	n = c->pool->replies;
	*mean_seconds = n ? c->pool->reply_seconds / (double)n : 0;
	pthread_mutex_unlock(&c->pool->lock);
	return n;
}

int llm_pool_refused(const llm_client *c)
{
	return c->pool->refused;  /* set once, never cleared */
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
