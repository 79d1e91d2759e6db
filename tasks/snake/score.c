/*
 * score.c - replays the recorded moves of every game by the rules and
 * scores the mean number of apples. The driver's own view of the games is
 * not trusted: only the moves are read, and the host re-plays them.
 *
 * Feedback names how each game ended and the five worst games, e.g.
 * "seed 3: hit the wall at step 57 with 2 apples".
 */
#include "snake.h"
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const end_text[] = {
	"stopped early", "returned an invalid move", "hit the wall",
	"ran into itself", "used all 300 steps", "filled the board",
};

typedef struct {
	const char *seed;
	int apples, steps, state;
} game_record;

/* Replays one line "<seed> <moves>"; returns the rest of the transcript. */
static const char *replay(const char *p, const char *seed, game_record *rec,
			  char *feedback, int feedback_size)
{
	size_t len = strlen(seed);
	snake_game game;
	rules_rng rng;

	if (strncmp(p, seed, len) != 0 || p[len] != ' ') {
		if (feedback_size > 0)
			snprintf(feedback, (size_t)feedback_size,
				 "the transcript has no game for seed %s", seed);
		return NULL;
	}
	rules_seed(&rng, (unsigned int)strtoul(seed, NULL, 10));
	game_start(&game, &rng);
	for (p += len + 1; *p && *p != '\n'; p++) {
		if ((*p < '0' || *p > '3') && *p != 'x') {
			if (feedback_size > 0)
				snprintf(feedback, (size_t)feedback_size,
					 "seed %s: '%c' is not a move", seed, *p);
			return NULL;
		}
		game_step(&game, *p == 'x' ? -1 : *p - '0');
	}
	rec->seed = seed;
	rec->apples = game.apples;
	rec->steps = game.steps;
	rec->state = game.state;
	return *p == '\n' ? p + 1 : p;
}

static void describe(char *out, int size, const game_record *games, int n,
		     double mean)
{
	int ends[6] = { 0 }, shown[5], n_shown = 0, i, j, used;

	for (i = 0; i < n; i++)
		ends[games[i].state]++;
	used = snprintf(out, (size_t)size, "mean %.2f apples over %d games; ends:", mean, n);
	for (i = 0, j = 0; i < 6 && used < size; i++)
		if (ends[i])
			used += snprintf(out + used, (size_t)(size - used), "%s %d %s",
					 j++ ? "," : "", ends[i], end_text[i]);
	/* the five games with the fewest apples, worst first */
	while (n_shown < 5 && n_shown < n) {
		int worst = -1;
		for (i = 0; i < n; i++) {
			for (j = 0; j < n_shown && shown[j] != i; j++)
				;
			if (j == n_shown && (worst < 0 || games[i].apples < games[worst].apples))
				worst = i;
		}
		shown[n_shown++] = worst;
	}
	for (i = 0; i < n_shown && used < size; i++) {
		const game_record *g = &games[shown[i]];
		used += snprintf(out + used, (size_t)(size - used), "%s seed %s: %s at step %d with %d apples",
				 i ? ";" : "; worst:", g->seed, end_text[g->state], g->steps, g->apples);
	}
}

int score_transcript(const char *transcript, const task_case *cases,
		     int n_cases, double *score, char *feedback,
		     int feedback_size)
{
	game_record games[256];
	const char *p = transcript;
	long total = 0;
	int i;

	if (n_cases <= 0 || n_cases > 256) {
		if (feedback_size > 0)
			snprintf(feedback, (size_t)feedback_size, "expected 1 to 256 games");
		return -1;
	}
	for (i = 0; i < n_cases; i++) {
		p = replay(p, cases[i].input, &games[i], feedback, feedback_size);
		if (!p)
			return -1;
		total += games[i].apples;
	}
	*score = (double)total / n_cases;
	if (feedback_size > 0)
		describe(feedback, feedback_size, games, n_cases, *score);
	return 0;
}
