/*
 * record_internal.h - what the record's files share (record.c, a
 * generation's record; record_task.c, a task's result): text entering a
 * record. The interface is record.h.
 */
#ifndef HOST_RECORD_INTERNAL_H
#define HOST_RECORD_INTERNAL_H

#include "record.h"

/* A copy of `s` (NULL: NULL) without control characters, of many lines
 * or as one line (text.h): how every string enters a record. */
enum { RECORD_LINES, RECORD_LINE };
char *record_text(const char *s, int form);

/* The string member `key` of `json` as one line (NULL: none). */
char *record_member(const json_t *json, const char *key);

#endif
