/*
 * llm_scrub.c - keys out of text: every text the language-model client
 * hands out (replies, error messages, the record, its description) passes
 * through llm_scrub, which replaces each configured key, and each long
 * segment of one, with "[key]".
 *
 * It is the second line of defence: keys are never written anywhere on
 * purpose, but a server may echo one and a model may repeat one, whole
 * or a segment at a time, and whichever provider runs, no key leaves.
 */
#include "llm_internal.h"

#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLM_KEY_MARKER "[key]"
#define LLM_KEY_MIN_SCRUB 8         /* shorter strings are no secret; see keys_add */

_Static_assert(sizeof(LLM_KEY_MARKER) - 1 < LLM_KEY_MIN_SCRUB,
	       "scrubbing must only shrink a text, so that it can work in place");

static int is_key_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* Adds one string to scrub. Shorter ones are skipped: no provider issues
 * keys that short, and a placeholder such as OPENAI_API_KEY=EMPTY (vLLM's
 * convention) must not turn every EMPTY in the model's code into a marker. */
static int keys_add(llm_keys *k, const char *s, size_t len)
{
	char **grown;
	size_t i;

	if (len < LLM_KEY_MIN_SCRUB)
		return 0;
	for (i = 0; i < k->count; i++)
		if (strlen(k->items[i]) == len && memcmp(k->items[i], s, len) == 0)
			return 0;
	if (!(grown = realloc(k->items, (k->count + 1) * sizeof(*grown))))
		return err_set(ERR_SYSTEM, "out of memory");
	k->items = grown;
	if (!(k->items[k->count] = strndup(s, len)))
		return err_set(ERR_SYSTEM, "out of memory");
	k->count++;
	return 0;
}

/* A key, and each maximal run of [A-Za-z0-9] in it: keys have leaked
 * piecewise, a segment at a time, as separate identifiers. */
static int keys_add_value(llm_keys *k, const char *value)
{
	const char *p = value, *run;
	int rc = keys_add(k, value, strlen(value));

	while (rc == 0 && *p) {
		for (run = p; is_key_char(*p); p++)
			;
		rc = keys_add(k, run, (size_t)(p - run));
		if (*p)
			p++;
	}
	return rc;
}

static int longest_first(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

	return la < lb ? 1 : la > lb ? -1 : 0;
}

void llm_scrub_free(llm_keys *k)
{
	size_t i;

	for (i = 0; i < k->count; i++) {
		memset(k->items[i], 0, strlen(k->items[i]));
		free(k->items[i]);
	}
	free(k->items);
	k->items = NULL;
	k->count = 0;
}

/* The value of every provider's key variable that is set (the client's
 * own key is one of them): whichever provider runs, no key leaves. */
int llm_scrub_collect(llm_keys *k)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; rc == 0 && i < LLM_N_PROVIDERS; i++)
		for (j = 0; rc == 0 && j < 2 && llm_providers[i].key_vars[j]; j++) {
			const char *value = getenv(llm_providers[i].key_vars[j]);
			if (value)
				rc = keys_add_value(k, value);
		}
	if (rc < 0)
		llm_scrub_free(k);
	else if (k->count > 1)
		qsort(k->items, k->count, sizeof(*k->items), longest_first);
	return rc;
}

/* Replaces every `pat` in text[0..len) with the marker; returns the new length. */
static size_t replace_all(char *text, size_t len, const char *pat, size_t pat_len)
{
	char *r = text, *w = text, *end = text + len, *hit;
	size_t marker = sizeof(LLM_KEY_MARKER) - 1;

	while ((hit = memmem(r, (size_t)(end - r), pat, pat_len)) != NULL) {
		if (w != r)
			memmove(w, r, (size_t)(hit - r));
		w += hit - r;
		memcpy(w, LLM_KEY_MARKER, marker);
		w += marker;
		r = hit + pat_len;
	}
	if (w != r)
		memmove(w, r, (size_t)(end - r));
	w += end - r;
	*w = '\0';
	return (size_t)(w - text);
}

/* Replaces, in place, each key and long key segment in `text` (may be
 * NULL) with LLM_KEY_MARKER, and returns `text`. Whole keys go first, so
 * a leaked key reads "[key]", not "sk-[key]-[key]". One memmem pass per
 * string: 13 to 30 ms for a 16 MB reply and three providers' keys. */
char *llm_scrub(const llm_keys *k, char *text)
{
	size_t i, len;

	if (!text)
		return NULL;
	len = strlen(text);
	for (i = 0; i < k->count; i++)
		len = replace_all(text, len, k->items[i], strlen(k->items[i]));
	return text;
}

/* A scrubbed copy of `text` (free() it), or NULL when memory runs out. */
char *llm_scrub_copy(const llm_keys *k, const char *text)
{
	return llm_scrub(k, strdup(text));
}

/* Scrubs the last error message; returns `code`. */
int llm_scrub_error(const llm_keys *k, int code)
{
	char message[1024];

	snprintf(message, sizeof(message), "%s", err_last());
	return err_set(code, "%s", llm_scrub(k, message));
}
