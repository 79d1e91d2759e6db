/*
 * settings.h - the lab's settings: what host init fixes so that every
 * generation is measured the same way (the training tasks and their
 * folder, evaluations per task, the seed, the utility, the task agent's
 * trials, the agents' own time, and whether solutions are carried).
 *
 * This module is their one owner. The lab keeps them as text in its
 * repository's config (host.<key>, which git config shows and a user may
 * edit); they are parsed, range-checked and formatted here, and every
 * other file sees the struct.
 */
#ifndef HOST_SETTINGS_H
#define HOST_SETTINGS_H

#include "error.h"

#include "lab.h"
#include "record.h"

#include <stdint.h>

/*
 * The ranges, from the arithmetic each one feeds. Evaluations per task:
 * the agent's time limit (budget x the task's wall_ms) is computed in 64
 * bits, and a run's evaluations (budget x 64 tasks x generations) are
 * counted in a long long. Seeds are recorded as JSON integers (int64).
 * The agents' own time, a day at most, is kept in ms in an int. Utility
 * weights are numbers from 0 to SETTINGS_MAX_WEIGHT.
 */
#define SETTINGS_MAX_BUDGET 1000000
#define SETTINGS_MAX_SEED INT64_MAX
#define SETTINGS_MAX_TRIALS 1000
#define SETTINGS_MAX_SECONDS 86400
#define SETTINGS_MAX_WEIGHT 1000

typedef struct {
	char *tasks;               /* "email,snake"; NULL: not kept */
	char *tasks_dir;           /* the tasks folder, absolute; NULL: not kept */
	int budget;                /* evaluations per task per generation; 0: not kept */
	int has_seed;
	unsigned long long seed;
	int has_utility;           /* else utility is the default: score 1 */
	record_utility utility;
	int meta_ms, agent_ms;     /* the meta and task agents' own time; 0: not kept */
	int trials;                /* task agent runs per task; 0: not kept */
	/* host init --carry: each task agent starts from its parent
	 * generation's solution, not the task's initial.c; 0: off, or not
	 * kept (kept as "true"; git's other spellings of a boolean read too) */
	int carry;
} settings;

/* Which settings settings_read reads: a command's options may stand for
 * some, and a setting the command does not use is not its error. */
enum {
	SETTINGS_TASKS = 1 << 0,
	SETTINGS_TASKS_DIR = 1 << 1,
	SETTINGS_BUDGET = 1 << 2,
	SETTINGS_SEED = 1 << 3,
	SETTINGS_UTILITY = 1 << 4,
	SETTINGS_META_MS = 1 << 5,
	SETTINGS_AGENT_MS = 1 << 6,
	SETTINGS_TRIALS = 1 << 7,
	SETTINGS_CARRY = 1 << 8,
	SETTINGS_ALL = (1 << 9) - 1
};

/* Reads the settings of `which` the lab keeps; the others are left as not
 * kept. A value out of its range (or carry other than a boolean) is
 * ERR_INVALID, naming the setting, the lab's config file and the range.
 * Free *out with settings_free. */
HOST_MUST_CHECK int settings_read(settings *out, lab *l, unsigned which);

/* Keeps the settings `s` sets in the lab (those not kept are left as the
 * lab has them). */
HOST_MUST_CHECK int settings_write(lab *l, const settings *s);

void settings_free(settings *s);

/* Parses --utility's "score=1,cost=0,time=0.01": weights from 0 to
 * SETTINGS_MAX_WEIGHT; a weight not named is score 1, cost 0, time 0, and
 * so is every one for a NULL text. ERR_INVALID names the pair at fault. */
HOST_MUST_CHECK int settings_parse_utility(record_utility *out, const char *text);

#endif
