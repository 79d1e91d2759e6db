/*
 * prefault.h - a child of the zygote copies, before its job comes, the
 * pages of the zygote's that its job will write.
 *
 * After fork, every page a child writes is first copied by the kernel, one
 * page fault each; a compile writes about a hundred of the zygote's pages.
 * A child forked ahead (zygote_spare) waits for its job anyway, so it
 * copies them then, in a few system calls, rather than one fault at a
 * time on the evaluation's path.
 */
#ifndef SANDBOX_PREFAULT_H
#define SANDBOX_PREFAULT_H

/* In the zygote, before it compiles anything: keeps what its compiles
 * allocate and free on the main heap, in memory, where prefault_note
 * finds it (no mmap per large block, no trimming, no arena per thread). */
void prefault_keep_heap(void);

/* In the zygote, after its memory changed (a warm-up, a unit compiled):
 * notes which pages of its private anonymous writable regions (the heap,
 * .bss) it has in memory. */
void prefault_note(void);

/* In a new child: copies the pages of the noted regions that the zygote
 * had in memory. Best effort: a kernel without MADV_POPULATE_WRITE
 * (Linux 5.14) leaves the copying to the page faults. */
void prefault_now(void);

#endif
