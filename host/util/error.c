/*
 * error.c - keeps the message of the last failure.
 *
 * One message per thread is enough: a failure is reported by the function
 * that returned it and consumed by its caller before anything else runs.
 */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_message[1024];

/* Formats through a scratch buffer: callers may pass err_last() itself as
 * an argument, to wrap the previous message in more context. */
int err_set(int code, const char *fmt, ...)
{
	char message[sizeof(last_message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	memcpy(last_message, message, sizeof(last_message));
	return code;
}

int err_sys(const char *fmt, ...)
{
	int saved = errno;
	size_t len;
	va_list ap;

	char message[sizeof(last_message)];

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	len = strlen(message);
	snprintf(message + len, sizeof(message) - len, ": %s", strerror(saved));
	memcpy(last_message, message, sizeof(last_message));
	return ERR_SYSTEM;
}

const char *err_last(void)
{
	return last_message[0] ? last_message : "no error";
}

void err_clear(void)
{
	last_message[0] = '\0';
}
