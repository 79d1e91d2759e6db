/*
 * support_model.c - a support solution that asks the language model
 * (model_ask, task_abi.h): the knowledge base is the system prompt and
 * the question the user's. When no model answers (offline, or the run's
 * budget spent), it falls back to retrieval: it quotes the article that
 * shares the most words of four letters or more with the question.
 */
#include "support.h"
#include "kb.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define WORD_MAX 32

static char system_prompt[MODEL_PROMPT_MAX / 2];

static void make_system_prompt(void)
{
	int used, i;

	used = snprintf(system_prompt, sizeof(system_prompt),
			"You answer customers of Nimbus in one line, from these articles only.\n");
	for (i = 0; i < KB_ARTICLES && used < (int)sizeof(system_prompt); i++)
		used += snprintf(system_prompt + used, sizeof(system_prompt) - (size_t)used,
				 "%s: %s\n", KB[i].title, KB[i].text);
}

/* Whether `text` holds `word` (lower case), whatever the case. */
static int holds(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (; *text; text++)
		if (strncasecmp(text, word, n) == 0)
			return 1;
	return 0;
}

static int shared_words(const char *question, const kb_article *a)
{
	char word[WORD_MAX];
	int n, shared = 0;

	while (*question) {
		for (n = 0; isalnum((unsigned char)*question); question++)
			if (n < WORD_MAX - 1)
				word[n++] = (char)tolower((unsigned char)*question);
		word[n] = '\0';
		if (n >= 4)
			shared += holds(a->title, word) + holds(a->text, word);
		while (*question && !isalnum((unsigned char)*question))
			question++;
	}
	return shared;
}

static void retrieve(const char *question, char *answer, int size)
{
	int best = 0, best_shared = -1, i;

	for (i = 0; i < KB_ARTICLES; i++) {
		int shared = shared_words(question, &KB[i]);
		if (shared > best_shared) {
			best = i;
			best_shared = shared;
		}
	}
	snprintf(answer, (size_t)size, "%s", KB[best].text);
}

void support_answer(const char *question, char *answer, int size)
{
	if (!system_prompt[0])
		make_system_prompt();
	if (model_ask(system_prompt, question, answer, size) > 0)
		return;
	retrieve(question, answer, size);
}
