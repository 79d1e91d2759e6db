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

int err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_message, sizeof(last_message), fmt, ap);
	va_end(ap);
	return code;
}

int err_sys(const char *fmt, ...)
{
	int saved = errno;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_message, sizeof(last_message), fmt, ap);
	va_end(ap);
	len = strlen(last_message);
	snprintf(last_message + len, sizeof(last_message) - len, ": %s",
		 strerror(saved));
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
