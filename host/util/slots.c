/*
 * slots.c - slots shared with forked processes; see slots.h.
 */
#include "slots.h"

#include "error.h"
#include "os.h"

#include <errno.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <time.h>

#define SLOTS_SLICE_MS 100

struct slots {
	sem_t free;   /* slots nobody holds */
	int size;
};

int slots_open(slots **out, int n)
{
	slots *s;

	*out = NULL;
	if (n <= 0)
		return 0;
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		return err_sys("cannot share %d slots with forked processes", n);
	if (sem_init(&s->free, 1, (unsigned int)n) != 0) {
		munmap(s, sizeof(*s));
		return err_sys("cannot share %d slots with forked processes", n);
	}
	s->size = n;
	*out = s;
	return 0;
}

/* The realtime clock `ms` from now, as sem_timedwait wants it. */
static struct timespec from_now(long ms)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

int slots_take(slots *s, double deadline_ms, int (*give_up)(void *ctx), void *ctx)
{
	struct timespec until;

	if (!s)
		return 0;
	for (;;) {
		until = from_now(SLOTS_SLICE_MS);
		if (sem_timedwait(&s->free, &until) == 0)
			return 0;
		if (errno != ETIMEDOUT && errno != EINTR)
			return err_sys("cannot wait for a slot");
		if (give_up && give_up(ctx))
			return err_set(ERR_GENERIC, "gave up waiting for one of %d slots", s->size);
		if (deadline_ms > 0 && os_now_ms() >= deadline_ms)
			return err_set(ERR_GENERIC, "the deadline passed while waiting for one of %d "
				       "slots", s->size);
	}
}

void slots_give(slots *s)
{
	if (s)
		sem_post(&s->free);
}

int slots_size(const slots *s)
{
	return s ? s->size : 0;
}

void slots_close(slots *s)
{
	if (!s)
		return;
	sem_destroy(&s->free);
	munmap(s, sizeof(*s));
}
