/*
 * page.h - the page a solution's process shares with the host: the
 * transcript, which the driver writes in place, and how the run ended.
 *
 * The host makes it for each run, attaches it to read, and names it in
 * the job ("page": its System V id); the child attaches it before it
 * compiles anything. A solution shares its process with the
 * driver, so everything in the page was within its reach: the host reads
 * it once the process said PAGE_END or died, copies the transcript
 * before checking it, so that a process still running cannot change what
 * was checked, and takes what it says as the solution's claim, never as
 * the host's.
 *
 * After lockdown the child may write the host single bytes only, never a
 * frame: PAGE_LOCKED at once (a frame's first byte is 0, frames being
 * under 16 MB, so the host tells them apart and reads no frame after it),
 * then PAGE_MARK (a timed run's start; the host answers with one byte
 * once it has read the clock), PAGE_ASK (a solution asks the model: its
 * prompts are in the page's `ask`; the host answers with one frame,
 * PAGE_ANSWERED or PAGE_NO_MODEL followed by the reply or the reason)
 * and PAGE_END (the driver returned).
 */
#ifndef SANDBOX_PAGE_H
#define SANDBOX_PAGE_H

#include "error.h"

#include <jansson.h>
#include <stddef.h>

#define PAGE_LOCKED 'L'
#define PAGE_MARK 'M'
#define PAGE_END 'E'
#define PAGE_ASK 'A'
#define PAGE_ANSWERED 'A'  /* the first byte of the host's answer to PAGE_ASK */
#define PAGE_NO_MODEL 'N'

/* The prompts of one request, NULs included (task_abi.h's MODEL_PROMPT_MAX),
 * and the most of a reply the host sends back (cut at a character's end). */
#define PAGE_ASK_MAX 65536
#define PAGE_ANSWER_MAX (256u << 10)

enum { PAGE_RUNNING, PAGE_DONE, PAGE_MEMORY, PAGE_FORBIDDEN };

typedef struct {
	int state;                /* PAGE_* */
	int driver_status;
	int syscall;              /* PAGE_FORBIDDEN */
	int overflow;             /* a write past the transcript's cap was refused */
	size_t requested, in_use; /* PAGE_MEMORY */
	/* PAGE_ASK: the system prompt, a NUL, the user prompt and a NUL;
	 * ask_system and ask_user are their lengths */
	size_t ask_system, ask_user;
	char ask[PAGE_ASK_MAX];
	size_t length;            /* of the transcript */
	char transcript[];        /* transcript_max bytes and a NUL */
} solution_page;

/* The page's size for a transcript of at most `transcript_max` bytes. */
size_t page_size(size_t transcript_max);

/* The largest transcript_max a job may ask for. */
#define PAGE_TRANSCRIPT_CAP (64u << 20)

/* The host's side of a page: its id, attached to read. */
typedef struct {
	int id;
	const solution_page *page;
	size_t size, transcript_max;
} page_map;

/* Makes the page of a run whose transcript may take `transcript_max`
 * bytes (at most PAGE_TRANSCRIPT_CAP). Free with page_unmap. */
HOST_MUST_CHECK int page_make(page_map *out, size_t transcript_max);
void page_unmap(page_map *m);

/*
 * The run's final frame as the host makes it from the page of a process
 * that sent PAGE_END (stopped, when its clock was read): the transcript
 * and the driver's status (outcome "ok"), or "bad_output" when the page
 * says the driver never returned, the transcript overflowed, or it is
 * not UTF-8 text.
 * `cpu_ns` is added when not negative. NULL only when out of memory.
 */
json_t *page_result(const solution_page *page, size_t transcript_max, double cpu_ns);

/* The request of a process that sent PAGE_ASK, copied out of its page
 * before it is checked: {"op": "model", "system", "user"}, or NULL with
 * the reason in err_last() when the page holds no such request (lengths
 * out of bounds, text that is not UTF-8). */
json_t *page_request(const solution_page *page);

/* The outcome of a process that ended without PAGE_END, when its page
 * says how (the memory limit, a forbidden call); else NULL. */
json_t *page_end(const solution_page *page);

#endif
