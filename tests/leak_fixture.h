/*
 * leak_fixture.h - searching everything a run produced for parts of
 * secrets: its output, the record, every file of the lab, every git
 * object of its repository (inflated, notes included) and every prompt the
 * scripted server received.
 *
 * A part is any 8 letters and digits in a row of a secret, so a secret
 * leaked piecewise (one word at a time through compile errors, say) is
 * caught as well as a whole one.
 */
#ifndef TESTS_LEAK_FIXTURE_H
#define TESTS_LEAK_FIXTURE_H

#include "llm_fixture.h"

#include <stddef.h>

/* Fails if data[0..len) holds a part of any of the NULL-terminated
 * `secrets`, naming `where`. */
void leak_fixture_data(const char *where, const void *data, size_t len,
		       const char *const *secrets);

/* The same for a string (NULL is empty). */
void leak_fixture_text(const char *where, const char *text, const char *const *secrets);

/* Everything a run produced, and every request `s` received, which must
 * all have carried `key` in their Authorization header. */
void leak_fixture_run(const run_result *r, const char *lab, const char *record,
		      const llm_server *s, const char *key, const char *const *secrets);

#endif
