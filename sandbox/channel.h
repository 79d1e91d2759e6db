/*
 * channel.h - length-prefixed JSON frames over the socket between the host
 * and a sandboxed child.
 *
 * A frame is a 4-byte big-endian length followed by that many bytes of
 * JSON. The reader is written for a hostile peer: it enforces a size cap
 * before allocating, honours a deadline, and reports each way a peer can
 * misbehave as its own code so the caller can classify it.
 */
#ifndef SANDBOX_CHANNEL_H
#define SANDBOX_CHANNEL_H

#include "error.h"

#include <jansson.h>
#include <stddef.h>

/* The descriptor a child finds its end of the channel on. */
#define CHANNEL_FD 3

enum {
	CHANNEL_EOF = -10,      /* closed cleanly before a frame began */
	CHANNEL_TRUNCATED = -11,/* closed in the middle of a frame */
	CHANNEL_TOO_BIG = -12,  /* announced length above the cap */
	CHANNEL_TIMEOUT = -13,  /* the deadline passed */
	CHANNEL_BAD_JSON = -14, /* the frame is not a JSON object */
	CHANNEL_IO = -15        /* a system call failed */
};

/* Sends one frame; returns 0 or CHANNEL_IO. Never raises SIGPIPE. */
int channel_send(int fd, const char *data, size_t len);
int channel_send_json(int fd, const json_t *msg);

/*
 * Receives one frame of at most `cap` bytes. `deadline_ms` is an absolute
 * os_now_ms() time, or a negative value for none. On success *out is a
 * NUL-terminated copy (free() it).
 */
HOST_MUST_CHECK int channel_recv(char **out, size_t *len, int fd, size_t cap,
		 double deadline_ms);

/* Receives one byte sent outside any frame (page.h). */
HOST_MUST_CHECK int channel_recv_byte(char *out, int fd, double deadline_ms);

/* Receives a frame and parses it as a JSON object (json_decref() it). */
HOST_MUST_CHECK int channel_recv_json(json_t **out, int fd, size_t cap, double deadline_ms);

/* A short description of a CHANNEL_* code. */
const char *channel_strerror(int code);

#endif
