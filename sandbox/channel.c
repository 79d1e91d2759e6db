/*
 * channel.c - framed JSON messages; see channel.h.
 */
#include "channel.h"

#include "os.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A pipe takes no send(): a Slurm step's stdout is one, and its process
 * ignores SIGPIPE (evolve_step). */
static int send_all(int fd, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t w = send(fd, data + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return CHANNEL_IO;
		off += (size_t)w;
	}
	return 0;
}

static void put_header(unsigned char *header, size_t len)
{
	header[0] = (unsigned char)(len >> 24);
	header[1] = (unsigned char)(len >> 16);
	header[2] = (unsigned char)(len >> 8);
	header[3] = (unsigned char)len;
}

/* A frame up to this size goes in one write, copied behind its header:
 * the reader then wakes once for it, not for the header and again for
 * the rest. */
#define CHANNEL_ONE_WRITE (64u << 10)

int channel_send(int fd, const char *data, size_t len)
{
	unsigned char header[4], *frame;
	int rc;

	if (len > UINT32_MAX)
		return CHANNEL_IO;
	if (len <= CHANNEL_ONE_WRITE && (frame = malloc(len + 4)) != NULL) {
		put_header(frame, len);
		memcpy(frame + 4, data, len);
		rc = send_all(fd, (const char *)frame, len + 4);
		free(frame);
		return rc;
	}
	put_header(header, len);
	rc = send_all(fd, (const char *)header, 4);
	return rc ? rc : send_all(fd, data, len);
}

int channel_send_json(int fd, const json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	int rc;

	if (!text)
		return CHANNEL_IO;
	rc = channel_send(fd, text, strlen(text));
	free(text);
	return rc;
}

/* Reads exactly `len` bytes; `started` says whether part of a frame has
 * already been read, which turns an EOF into a truncation. */
static int read_exact(int fd, char *dst, size_t len, double deadline_ms,
		      int started)
{
	size_t off = 0;

	while (off < len) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int timeout, ready;
		ssize_t n;

		/* without a deadline, read blocks: a sandboxed child may not poll */
		if (deadline_ms >= 0) {
			double left = deadline_ms - os_now_ms();
			if (left <= 0)
				return CHANNEL_TIMEOUT;
			timeout = (int)left + 1;
			ready = poll(&pfd, 1, timeout);
			if (ready < 0 && errno != EINTR)
				return CHANNEL_IO;
			if (ready <= 0)
				continue;
		}
		n = read(fd, dst + off, len - off);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno != ECONNRESET)
			return CHANNEL_IO;
		if (n <= 0)
			return started || off ? CHANNEL_TRUNCATED : CHANNEL_EOF;
		off += (size_t)n;
	}
	return 0;
}

int channel_recv(char **out, size_t *len, int fd, size_t cap,
		 double deadline_ms)
{
	unsigned char header[4];
	size_t size;
	char *data;
	int rc;

	*out = NULL;
	rc = read_exact(fd, (char *)header, 4, deadline_ms, 0);
	if (rc < 0)
		return rc;
	size = (size_t)header[0] << 24 | (size_t)header[1] << 16 |
	       (size_t)header[2] << 8 | header[3];
	if (size > cap)
		return CHANNEL_TOO_BIG;
	data = malloc(size + 1);
	if (!data)
		return CHANNEL_IO;
	rc = read_exact(fd, data, size, deadline_ms, 1);
	if (rc < 0) {
		free(data);
		return rc;
	}
	data[size] = '\0';
	*out = data;
	if (len)
		*len = size;
	return 0;
}

int channel_recv_byte(char *out, int fd, double deadline_ms)
{
	return read_exact(fd, out, 1, deadline_ms, 0);
}

int channel_recv_json(json_t **out, int fd, size_t cap, double deadline_ms)
{
	char *text;
	size_t len;
	json_t *msg;
	int rc;

	*out = NULL;
	rc = channel_recv(&text, &len, fd, cap, deadline_ms);
	if (rc < 0)
		return rc;
	msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	if (!json_is_object(msg)) {
		json_decref(msg);
		return CHANNEL_BAD_JSON;
	}
	*out = msg;
	return 0;
}

const char *channel_strerror(int code)
{
	switch (code) {
	case CHANNEL_EOF: return "the channel closed";
	case CHANNEL_TRUNCATED: return "the channel closed inside a message";
	case CHANNEL_TOO_BIG: return "a message exceeded the size cap";
	case CHANNEL_TIMEOUT: return "the deadline passed";
	case CHANNEL_BAD_JSON: return "a message was not a JSON object";
	case CHANNEL_IO: return "the channel failed";
	default: return "no error";
	}
}
