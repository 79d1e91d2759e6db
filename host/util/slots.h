/*
 * slots.h - a number of slots shared with forked processes: at most N
 * holders at once, whichever process each is in.
 *
 * evolve --parallel makes its candidates in processes of their own, each
 * of which may fork workers; they share one bound on CPU work (-j) and
 * one on the requests open to the model (--llm-concurrency). A process-
 * shared POSIX semaphore in memory mapped before the forks is that bound:
 * the kernel's, not a protocol of our own. The process that opens the
 * slots closes them; forks inherit them and simply exit.
 */
#ifndef HOST_SLOTS_H
#define HOST_SLOTS_H

#include "error.h"

typedef struct slots slots;

/* Opens `n` slots; n <= 0 opens none, and *out is NULL: unbounded. */
HOST_MUST_CHECK int slots_open(slots **out, int n);

/*
 * Takes a slot, waiting in slices of 100 ms. Between slices it gives up
 * when `give_up` (may be NULL) returns nonzero or the os_now_ms() time
 * `deadline_ms` (<= 0: none) has passed: then it returns ERR_GENERIC,
 * naming what it waited for. NULL slots: taken at once.
 */
HOST_MUST_CHECK int slots_take(slots *s, double deadline_ms, int (*give_up)(void *ctx), void *ctx);

/* Gives back a slot taken with slots_take. */
void slots_give(slots *s);

/* The slots a holder may have at most, 0 for NULL (unbounded). */
int slots_size(const slots *s);

/* Closes slots opened by this process (NULL: nothing). */
void slots_close(slots *s);

#endif
