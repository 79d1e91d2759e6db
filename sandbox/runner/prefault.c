/*
 * prefault.c - copying a new child's pages ahead; see prefault.h.
 *
 * The zygote notes which pages of its private anonymous writable regions
 * (the heap, .bss) it has in memory (/proc/self/pagemap): those are the
 * pages its compiles wrote, and a child's compile writes the same ones
 * again (seven in eight of them, measured on snake and email). A file's
 * own data (.data) and the libraries' code are left to fault in: a child
 * writes few .data pages, and mapping code it may never run would cost
 * more than the faults it saves.
 */
#include "prefault.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define RUNS_MAX 256
#define REGION_MAX_PAGES 16384  /* 64 MB: larger ones are reservations, not data */
#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_CHUNK 512

static struct {
	uintptr_t start, end;
} runs[RUNS_MAX];
static size_t n_runs;

static void add_run(uintptr_t *start, uintptr_t end)
{
	runs[n_runs].start = *start;
	runs[n_runs++].end = end;
	*start = 0;
}

void prefault_keep_heap(void)
{
	/* a compile allocates two 768 KB blocks: below the threshold, they
	 * come from the heap and stay there for the next compile */
	mallopt(M_MMAP_THRESHOLD, 8 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_ARENA_MAX, 1);  /* the thread that compiles task code too */
}

/* A line of /proc/self/maps for a private, writable, anonymous region
 * other than the stack: the heap, .bss, anonymous mappings. */
static int is_private_data(const char *line, uintptr_t *start, uintptr_t *end)
{
	unsigned long from, to, offset, inode;
	char perms[8], dev[16];

	if (sscanf(line, "%lx-%lx %7s %lx %15s %lu", &from, &to, perms, &offset, dev, &inode) != 6 ||
	    perms[1] != 'w' || perms[3] != 'p' || inode != 0 ||
	    (strchr(line, '[') && !strstr(line, "[heap]")))
		return 0;
	*start = from;
	*end = to;
	return 1;
}

/* Adds the runs of pages of [start, end) that are in memory now, reading
 * their pagemap entries a stack buffer at a time: a buffer of the
 * zygote's own data would be copied by every child. */
static void note_region(int pagemap, uintptr_t start, uintptr_t end, size_t page)
{
	uint64_t entries[PAGEMAP_CHUNK];
	uintptr_t at, run_start = 0;
	size_t n = 0, i = PAGEMAP_CHUNK;

	if ((end - start) / page > REGION_MAX_PAGES)
		return;
	for (at = start; at < end && n_runs < RUNS_MAX; at += page, i++) {
		if (i == PAGEMAP_CHUNK) {
			n = (end - at) / page < PAGEMAP_CHUNK ? (end - at) / page : PAGEMAP_CHUNK;
			if (pread(pagemap, entries, n * sizeof(entries[0]),
				  (off_t)(at / page * sizeof(entries[0]))) != (ssize_t)(n * sizeof(entries[0])))
				return;
			i = 0;
		}
		if ((entries[i] & PAGEMAP_PRESENT) && !run_start)
			run_start = at;
		if (!(entries[i] & PAGEMAP_PRESENT) && run_start)
			add_run(&run_start, at);
	}
	if (run_start && n_runs < RUNS_MAX)
		add_run(&run_start, at);
}

void prefault_note(void)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char line[512];
	uintptr_t start, end;

	n_runs = 0;
	while (maps && pagemap >= 0 && fgets(line, sizeof(line), maps))
		if (is_private_data(line, &start, &end))
			note_region(pagemap, start, end, page);
	if (maps)
		fclose(maps);
	if (pagemap >= 0)
		close(pagemap);
}

void prefault_now(void)
{
	size_t i;

	for (i = 0; i < n_runs; i++)
		(void)madvise((void *)runs[i].start, runs[i].end - runs[i].start,
			      MADV_POPULATE_WRITE);
}
