/*
 * utf8.h - keeping text valid UTF-8.
 *
 * Everything crossing the channel is JSON, and JSON strings must be valid
 * UTF-8: a log line cut in the middle of a character, or feedback quoting
 * a hostile input, would otherwise make a whole message unencodable.
 */
#ifndef HOST_UTF8_H
#define HOST_UTF8_H

#include <stddef.h>

/* The length of the valid character at s[0..left), or 0 when s[0] does
 * not start one. */
size_t utf8_char_length(const char *s, size_t left);

/* The length of the longest prefix of s[0..len) that is valid UTF-8 and
 * does not end inside a character. */
size_t utf8_valid_prefix(const char *s, size_t len);

/* Replaces every byte of `s` that is not part of a valid UTF-8 character
 * with '?', in place. */
void utf8_repair(char *s);

#endif
