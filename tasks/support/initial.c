/*
 * initial.c - a first support answerer: it quotes the knowledge base's
 * article that shares the most words with the question. Short words such
 * as "do" and "I" count as much as "warranty", "returned" does not match
 * "return", a title counts no more than the text and a rare word no more
 * than a common one: the constants below decide, and they are a poor
 * first guess.
 */
#include "support.h"
#include "kb.h"

#include <stdio.h>
#include <string.h>

#define MIN_WORD TUNE(1, 1, 8)       /* shorter words of the question are ignored */
#define STEM TUNE(0, 0, 8)           /* words match on their first STEM letters (0: whole) */
#define TITLE_WEIGHT TUNE(1, 0, 8)   /* what a word found in the title adds */
#define TEXT_WEIGHT TUNE(1, 0, 8)    /* what a word found in the text adds */
#define RARE_BONUS TUNE(0, 0, 8)     /* what a word found in at most RARE articles adds */
#define RARE 2

#define MAX_WORDS 64
#define WORD_MAX 32

static int is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Reads the next word of *p into `word`, lower-cased; its length, 0 at the end. */
static int next_word(const char **p, char *word)
{
	int n = 0;

	while (**p && !is_word_char(**p))
		(*p)++;
	while (is_word_char(**p)) {
		if (n < WORD_MAX - 1)
			word[n++] = lower(**p);
		(*p)++;
	}
	word[n] = '\0';
	return n;
}

static int same_word(const char *a, const char *b)
{
	if (STEM > 0 && (int)strlen(a) >= STEM && (int)strlen(b) >= STEM)
		return strncmp(a, b, STEM) == 0;
	return strcmp(a, b) == 0;
}

/* Whether `text` holds a word that is the same as `word`. */
static int contains(const char *text, const char *word)
{
	char w[WORD_MAX];

	while (next_word(&text, w) > 0)
		if (same_word(w, word))
			return 1;
	return 0;
}

/* How many articles hold `word`, in the title or the text. */
static int articles_with(const char *word)
{
	int i, n = 0;

	for (i = 0; i < KB_ARTICLES; i++)
		n += contains(KB[i].title, word) || contains(KB[i].text, word);
	return n;
}

static int article_score(const kb_article *a, char words[][WORD_MAX], const int *rare, int n)
{
	int i, score = 0;

	for (i = 0; i < n; i++) {
		int in_title = contains(a->title, words[i]), in_text = contains(a->text, words[i]);

		score += in_title * TITLE_WEIGHT + in_text * TEXT_WEIGHT;
		if (rare[i] && (in_title || in_text))
			score += RARE_BONUS;
	}
	return score;
}

void support_answer(const char *question, char *answer, int size)
{
	char words[MAX_WORDS][WORD_MAX];
	int n = 0, rare[MAX_WORDS], best = 0, best_score = -1, i, len;

	while (n < MAX_WORDS && (len = next_word(&question, words[n])) > 0)
		if (len >= MIN_WORD)
			n++;
	for (i = 0; i < n; i++)
		rare[i] = articles_with(words[i]) <= RARE;
	for (i = 0; i < KB_ARTICLES; i++) {
		int score = article_score(&KB[i], words, rare, n);

		if (score > best_score) {
			best = i;
			best_score = score;
		}
	}
	snprintf(answer, (size_t)size, "%s", KB[best].text);
}
