/*
 * page.c - reading a solution's page in the host; see page.h.
 */
#include "page.h"

#include "utf8.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

size_t page_size(size_t transcript_max)
{
	return sizeof(solution_page) + transcript_max + 1;
}

/*
 * A System V segment, not a file: a file-size limit (ulimit -f), which
 * holds for a memfd too, would otherwise stop every evaluation. It is
 * marked for removal at once, so it goes with the last process that has
 * it attached, however the run ends; Linux still lets the child attach
 * it by its id until then. Read-only here: the host only reads.
 */
int page_make(page_map *out, size_t transcript_max)
{
	void *p;

	memset(out, 0, sizeof(*out));
	out->id = -1;
	if (transcript_max == 0 || transcript_max > PAGE_TRANSCRIPT_CAP)
		return err_set(ERR_INVALID, "sandbox: a transcript's cap must be from 1 byte "
			       "to %u MB", PAGE_TRANSCRIPT_CAP >> 20);
	out->transcript_max = transcript_max;
	out->size = page_size(transcript_max);
	out->id = shmget(IPC_PRIVATE, out->size, IPC_CREAT | 0600);
	if (out->id < 0)
		return err_sys("sandbox: cannot make a page for the transcript");
	p = shmat(out->id, NULL, SHM_RDONLY);
	shmctl(out->id, IPC_RMID, NULL);
	if (p == (void *)-1) {
		int rc = err_sys("sandbox: cannot map the page for the transcript");
		out->id = -1;
		return rc;
	}
	out->page = p;
	return 0;
}

void page_unmap(page_map *m)
{
	if (m->page)
		shmdt(m->page);
	memset(m, 0, sizeof(*m));
	m->id = -1;
}

static json_t *bad_output(const char *message)
{
	return json_pack("{s:s, s:s}", "outcome", "bad_output", "message", message);
}

/* The result from `text`, the host's own copy of the transcript. */
static json_t *result_of(char *text, size_t length, int driver_status, double cpu_ns)
{
	json_t *result;

	length = strnlen(text, length);  /* text ends at a NUL, as it always did */
	if (utf8_valid_prefix(text, length) != length)
		return bad_output("the result could not be encoded (text must be valid UTF-8)");
	result = json_pack("{s:s, s:s%, s:i}", "outcome", "ok", "transcript", text, length,
			   "driver_status", driver_status);
	if (result && cpu_ns >= 0 && json_object_set_new(result, "cpu_ns", json_real(cpu_ns)) < 0) {
		json_decref(result);
		return NULL;
	}
	return result;
}

/* Every field is read once, and the transcript copied before it is
 * looked at: a process that still runs can change the page, but not
 * what the host checked. */
json_t *page_result(const solution_page *page, size_t transcript_max, double cpu_ns)
{
	const volatile solution_page *live = page;
	size_t length = live->length;
	int driver_status = live->driver_status;
	json_t *result;
	char *copy;

	if (live->state != PAGE_DONE)
		return bad_output("the solution ended the run before the driver returned");
	if (live->overflow || length > transcript_max)
		return bad_output("the transcript exceeded its size cap");
	if (!(copy = malloc(length + 1)))
		return NULL;
	memcpy(copy, page->transcript, length);
	copy[length] = '\0';
	result = result_of(copy, length, driver_status, cpu_ns);
	free(copy);
	return result;
}

/* The prompts are copied before they are read, as the transcript is. */
json_t *page_request(const solution_page *page)
{
	const volatile solution_page *live = page;
	size_t system = live->ask_system, user = live->ask_user;
	json_t *request = NULL;
	char *copy;

	if (system > PAGE_ASK_MAX - 2 || user > PAGE_ASK_MAX - 2 - system) {
		err_set(ERR_INVALID, "the prompts are longer than %u bytes", PAGE_ASK_MAX);
		return NULL;
	}
	if (!(copy = malloc(system + user + 2))) {
		err_set(ERR_SYSTEM, "out of memory");
		return NULL;
	}
	memcpy(copy, page->ask, system + user + 2);
	copy[system] = copy[system + 1 + user] = '\0';
	if (utf8_valid_prefix(copy, system) != system ||
	    utf8_valid_prefix(copy + system + 1, user) != user)
		err_set(ERR_INVALID, "the prompts are not UTF-8 text");
	else if (!(request = json_pack("{s:s, s:s%, s:s%}", "op", "model", "system", copy,
				       system, "user", copy + system + 1, user)))
		err_set(ERR_INVALID, "the prompts hold a NUL or cannot be encoded");
	free(copy);
	return request;
}

json_t *page_end(const solution_page *page)
{
	if (page->state == PAGE_MEMORY)
		return json_pack("{s:s, s:I, s:I}", "outcome", "memory",
				 "requested", (json_int_t)page->requested,
				 "in_use", (json_int_t)page->in_use);
	if (page->state == PAGE_FORBIDDEN)
		return json_pack("{s:s, s:i}", "outcome", "forbidden", "syscall", page->syscall);
	return NULL;
}
