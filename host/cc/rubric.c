/*
 * rubric.c - a rubric's checks, validated and matched; see rubric.h.
 *
 * The same code validates rubric.json in the host and scores answers in
 * the scorer's sandbox, where score.c calls it: a rubric the host
 * accepted is one the scorer reads, and the matching rules are the
 * host's, the same for every task. Matching works on tokens, so it is
 * exact and linear in the answer; nothing in it depends on a locale.
 */
#include "rubric.h"

#include "error.h"
#include "nearest.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUMBER_DIGITS 80  /* a number's digits kept for its value */

static const char check_shape[] =
	"a check is {\"says\": PHRASE}, {\"any\": [PHRASE, ...]} or {\"not\": PHRASE or "
	"[PHRASE, ...]}, with an optional \"weight\"";

/* ---- tokens ---- */

typedef struct {
	const char *word;  /* into the list's text, or a literal; NULL for a number */
	size_t len;
	double value;      /* a number's */
	int money;         /* a number written as an amount of dollars */
} token;

typedef struct {
	char *text;        /* the lower-cased copy words point into */
	token *tokens;
	size_t n, cap;
	int failed;        /* out of memory */
} token_list;

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static void add_token(token_list *l, const char *word, size_t len, double value)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		token *grown = realloc(l->tokens, cap * sizeof(*grown));

		if (!grown) {
			l->failed = 1;
			return;
		}
		l->tokens = grown;
		l->cap = cap;
	}
	l->tokens[l->n++] = (token){ word, len, value, 0 };
}

/* Reads the number at `p` ("1,299.50": digits, "," thousands groups, one
 * "." decimal part) into a token; returns what follows it. */
static const char *read_number(token_list *l, const char *p)
{
	char digits[NUMBER_DIGITS + 1];
	size_t n = 0;
	int point = 0;

	for (;;) {
		if (is_digit((unsigned char)*p)) {
			if (n < NUMBER_DIGITS)
				digits[n++] = *p;
			p++;
		} else if (!point && *p == ',' && is_digit((unsigned char)p[1]) &&
			   is_digit((unsigned char)p[2]) && is_digit((unsigned char)p[3]) &&
			   !is_digit((unsigned char)p[4])) {
			p++;  /* a thousands group: its digits join the number */
		} else if (!point && *p == '.' && is_digit((unsigned char)p[1])) {
			point = 1;
			if (n < NUMBER_DIGITS)
				digits[n++] = '.';
			p++;
		} else {
			break;
		}
	}
	digits[n] = '\0';
	add_token(l, NULL, 0, strtod(digits, NULL));
	return p;
}

static int is_word(const token *t, const char *word)
{
	return t->word && t->len == strlen(word) && memcmp(t->word, word, t->len) == 0;
}

/* "$30", "30 dollars", "30 dollar" and "30 usd" become the money amount
 * 30: the marks go, the number stays. */
static void mark_money(token_list *l)
{
	size_t i, kept = 0;

	for (i = 0; i < l->n; i++) {
		token t = l->tokens[i];

		if (is_word(&t, "$")) {
			if (i + 1 < l->n && !l->tokens[i + 1].word)
				l->tokens[i + 1].money = 1;
			continue;
		}
		if (!t.word && i + 1 < l->n &&
		    (is_word(&l->tokens[i + 1], "dollars") || is_word(&l->tokens[i + 1], "dollar") ||
		     is_word(&l->tokens[i + 1], "usd"))) {
			t.money = 1;
			i++;
		}
		l->tokens[kept++] = t;
	}
	l->n = kept;
}

/* The length of the separator at `p` beyond ASCII: a no-break space
 * (U+00A0) or a character of Unicode's General Punctuation block
 * (U+2000 to U+206F: dashes, curly quotes, ellipsis, thin spaces), which
 * separate words as ASCII's do; 0 for anything else. */
static int wide_separator(const unsigned char *p)
{
	if (p[0] == 0xc2 && p[1] == 0xa0)
		return 2;
	if (p[0] == 0xe2 && (p[1] == 0x80 || p[1] == 0x81) && p[2] >= 0x80 && p[2] <= 0xbf)
		return 3;
	return 0;
}

static void tokens_free(token_list *l)
{
	free(l->text);
	free(l->tokens);
	memset(l, 0, sizeof(*l));
}

/* The tokens of `s`; see rubric.h for what they are. */
static int tokenize(token_list *l, const char *s)
{
	char *p;

	memset(l, 0, sizeof(*l));
	if (!(l->text = strdup(s)))
		return err_set(ERR_SYSTEM, "out of memory");
	for (p = l->text; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	for (p = l->text; *p && !l->failed;) {
		unsigned char c = (unsigned char)*p;
		char *start = p;

		if (is_digit(c)) {
			p = (char *)read_number(l, p);
			continue;
		}
		if (wide_separator((unsigned char *)p)) {
			p += wide_separator((unsigned char *)p);
			continue;
		}
		if (is_letter(c)) {
			while (is_letter((unsigned char)*p) && !wide_separator((unsigned char *)p))
				p++;
			add_token(l, start, (size_t)(p - start), 0);
			continue;
		}
		if (c == '%')
			add_token(l, "percent", 7, 0);
		else if (c == '$')
			add_token(l, "$", 1, 0);
		p++;
	}
	mark_money(l);
	if (l->failed) {
		tokens_free(l);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	return 0;
}

static int token_matches(const token *phrase, const token *answer)
{
	if (!phrase->word != !answer->word)
		return 0;
	if (phrase->word)
		return phrase->len == answer->len && memcmp(phrase->word, answer->word, phrase->len) == 0;
	return phrase->value == answer->value && (!phrase->money || answer->money);
}

/* Whether the phrase's tokens occur in a row in the answer's. */
static int occurs(const token_list *phrase, const token_list *answer)
{
	size_t i, k;

	for (i = 0; phrase->n > 0 && i + phrase->n <= answer->n; i++) {
		for (k = 0; k < phrase->n && token_matches(&phrase->tokens[k], &answer->tokens[i + k]);
		     k++)
			;
		if (k == phrase->n)
			return 1;
	}
	return 0;
}

/* ---- checks ---- */

enum { CHECK_SAYS, CHECK_ANY, CHECK_NOT, CHECK_KINDS };
static const char *const kinds[] = { "says", "any", "not", NULL };

typedef struct {
	int kind;
	const json_t *phrases;  /* a string, or a list of them */
	double weight;
} check;

/* One phrase: a string of at most RUBRIC_PHRASE_MAX bytes with something
 * to match. */
static int check_phrase(const json_t *phrase, const char *at, const char *field)
{
	const char *text = json_string_value(phrase);
	token_list l;
	int rc;

	if (!text)
		return err_set(ERR_INVALID, "%s: '%s' must hold phrases (strings)", at, field);
	if (strlen(text) > RUBRIC_PHRASE_MAX)
		return err_set(ERR_INVALID, "%s: the phrase \"%.40s...\" is longer than %d bytes",
			       at, text, RUBRIC_PHRASE_MAX);
	if ((rc = tokenize(&l, text)) < 0)
		return rc;
	rc = l.n > 0 ? 0 : err_set(ERR_INVALID, "%s: the phrase \"%s\" has no word or number "
				   "to match", at, text);
	tokens_free(&l);
	return rc;
}

/* The phrases of `c`: one string ("says", "not"), or a list of 1 to
 * RUBRIC_PHRASES_MAX ("any", "not"). */
static int check_phrases(const check *c, const char *at)
{
	const char *field = kinds[c->kind];
	size_t i, n = json_array_size(c->phrases);
	const json_t *p;
	int rc = 0;

	if (json_is_string(c->phrases) && c->kind != CHECK_ANY)
		return check_phrase(c->phrases, at, field);
	if (!json_is_array(c->phrases) || c->kind == CHECK_SAYS || n == 0 ||
	    n > RUBRIC_PHRASES_MAX)
		return err_set(ERR_INVALID, "%s: '%s' must be %s", at, field,
			       c->kind == CHECK_SAYS ? "a phrase (a string)"
			       : c->kind == CHECK_ANY ? "a list of 1 to 32 phrases"
			       : "a phrase or a list of 1 to 32 phrases");
	json_array_foreach(c->phrases, i, p)
		if ((rc = check_phrase(p, at, field)) < 0)
			break;
	return rc;
}

static int check_weight(check *c, const json_t *weight, const char *at)
{
	char *shown;
	int rc;

	c->weight = 1;
	if (!weight)
		return 0;
	c->weight = json_number_value(weight);
	if (json_is_number(weight) && isfinite(c->weight) && c->weight > 0)
		return 0;
	shown = json_dumps(weight, JSON_ENCODE_ANY | JSON_COMPACT);
	rc = err_set(ERR_INVALID, "%s: 'weight' must be a positive number, not %.40s", at,
		     shown ? shown : "that");
	free(shown);
	return rc;
}

/* Check `k` (1, 2, ...) of a case whose checks `where` names. */
static int read_check(check *c, const json_t *value, const char *where, size_t k)
{
	static const char *const fields[] = { "says", "any", "not", "weight", NULL };
	const char *key;
	const json_t *member;
	char at[512];
	int found = 0, i, rc;

	snprintf(at, sizeof(at), "%s, check %zu", where, k);
	if (!json_is_object(value))
		return err_set(ERR_INVALID, "%s: %s", at, check_shape);
	json_object_foreach((json_t *)value, key, member) {
		for (i = 0; fields[i] && strcmp(fields[i], key); i++)
			;
		if (!fields[i])
			return err_set(ERR_INVALID, "%s: unknown field '%.64s'; did you mean '%s'?",
				       at, key, nearest_word(key, fields));
	}
	for (i = 0; i < CHECK_KINDS; i++)
		if (json_object_get(value, kinds[i])) {
			c->kind = i;
			c->phrases = json_object_get(value, kinds[i]);
			found++;
		}
	if (found != 1)
		return err_set(ERR_INVALID, "%s: %s", at, check_shape);
	if ((rc = check_phrases(c, at)) < 0)
		return rc;
	return check_weight(c, json_object_get(value, "weight"), at);
}

/* Every check of `checks`, into out[0..*n). */
static int read_checks(check *out, size_t *n, const json_t *checks, const char *where)
{
	const json_t *value;
	size_t i;
	int rc;

	*n = 0;
	if (!json_is_array(checks) || json_array_size(checks) == 0 ||
	    json_array_size(checks) > RUBRIC_CHECKS_MAX)
		return err_set(ERR_INVALID, "%s: 'checks' must be a list of 1 to %d checks", where,
			       RUBRIC_CHECKS_MAX);
	json_array_foreach(checks, i, value) {
		if ((rc = read_check(&out[i], value, where, i + 1)) < 0)
			return rc;
		(*n)++;
	}
	return 0;
}

int rubric_canonical(char **out, size_t *n, const json_t *checks, const char *where)
{
	check list[RUBRIC_CHECKS_MAX];
	json_t *canonical;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = read_checks(list, n, checks, where)) < 0)
		return rc;
	canonical = json_array();
	for (i = 0; canonical && i < *n; i++)
		if (json_array_append_new(canonical, json_pack("{s:O, s:f}", kinds[list[i].kind],
							       list[i].phrases, "weight",
							       list[i].weight)) < 0)
			break;
	if (canonical && i == *n)
		*out = json_dumps(canonical, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(canonical);
	return *out ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

/* ---- scoring ---- */

typedef struct {
	char *text;
	int size, used;
} report;

static void say(report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(report *rep, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (rep->used >= rep->size - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(rep->text + rep->used, (size_t)(rep->size - rep->used), fmt, ap);
	va_end(ap);
	rep->used = n < 0 ? rep->size : rep->used + n;
}

/* The first of the check's phrases that occurs in the answer, or NULL. */
static const char *found_phrase(const check *c, const token_list *answer, int *failed)
{
	const json_t *list = c->phrases, *p;
	size_t i, n = json_is_array(list) ? json_array_size(list) : 1;
	token_list phrase;

	for (i = 0; i < n; i++) {
		p = json_is_array(list) ? json_array_get(list, i) : list;
		if (tokenize(&phrase, json_string_value(p)) < 0) {
			*failed = 1;
			return NULL;
		}
		if (occurs(&phrase, answer)) {
			tokens_free(&phrase);
			return json_string_value(p);
		}
		tokens_free(&phrase);
	}
	return NULL;
}

/* Says why check `c` is not met, after what was said before. */
static void tell(report *rep, const check *c, const char *found)
{
	size_t i;

	say(rep, "%s", rep->used > 0 ? "; " : "");
	if (c->kind == CHECK_NOT) {
		say(rep, "says \"%s\", which it must not", found);
		return;
	}
	if (json_is_string(c->phrases)) {
		say(rep, "missing \"%s\"", json_string_value(c->phrases));
		return;
	}
	say(rep, "missing any of ");
	for (i = 0; i < json_array_size(c->phrases); i++)
		say(rep, "%s\"%s\"", i ? ", " : "",
		    json_string_value(json_array_get(c->phrases, i)));
}

int rubric_score(const char *answer, const char *rubric, double *score, char *feedback,
		 int feedback_size)
{
	report rep = { feedback, feedback_size, 0 };
	json_t *checks = rubric ? json_loads(rubric, JSON_REJECT_DUPLICATES, NULL) : NULL;
	check list[RUBRIC_CHECKS_MAX];
	double met = 0, all = 0;
	token_list said;
	size_t i, n;
	int failed = 0;

	*score = 0;
	if (feedback_size > 0)
		feedback[0] = '\0';
	if (!answer || read_checks(list, &n, checks, "the case's rubric") < 0 ||
	    tokenize(&said, answer) < 0) {
		say(&rep, "%s", !answer ? "no answer" : !checks ? "the case's label is not a rubric"
			       : err_last());
		json_decref(checks);
		return -1;
	}
	for (i = 0; i < n && !failed; i++) {
		const char *found = found_phrase(&list[i], &said, &failed);
		int ok = list[i].kind == CHECK_NOT ? !found : found != NULL;

		all += list[i].weight;
		met += ok ? list[i].weight : 0;
		if (!ok && !failed)
			tell(&rep, &list[i], found);
	}
	tokens_free(&said);
	json_decref(checks);
	if (failed) {
		say(&rep, "%sout of memory", rep.used > 0 ? "; " : "");
		return -1;
	}
	*score = met / all;
	return 0;
}
