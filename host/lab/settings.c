/*
 * settings.c - the lab's settings, between the struct and the text the
 * lab's config keeps; see settings.h.
 *
 * The config is the user's to read and edit (git config host.trials), so
 * every value is checked on its way in, whoever wrote it, and an error
 * names the key and the file: a lab edited into nonsense stops the
 * command that would measure with it, before anything is made.
 */
#include "settings.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Sets the weight `name` to the value of "NUMBER". */
static int set_weight(record_utility *u, const char *name, const char *number, const char *pair)
{
	char *end;
	double v = strtod(number, &end);

	if (end == number || *end || !isfinite(v) || v < 0 || v > SETTINGS_MAX_WEIGHT)
		return err_set(ERR_INVALID, "--utility weights are numbers from 0 to %d, got '%s'",
			       SETTINGS_MAX_WEIGHT, pair);
	if (strcmp(name, "score") == 0)
		u->score = v;
	else if (strcmp(name, "cost") == 0)
		u->cost = v;
	else if (strcmp(name, "time") == 0)
		u->time = v;
	else
		return err_set(ERR_INVALID, "--utility knows score, cost and time, not '%s'", name);
	return 0;
}

int settings_parse_utility(record_utility *out, const char *text)
{
	char *copy = text ? strdup(text) : NULL, *item, *save = NULL;
	int rc = 0;

	out->score = 1;
	out->cost = out->time = 0;
	if (text && !copy)
		return err_set(ERR_SYSTEM, "out of memory");
	for (item = copy ? strtok_r(copy, ",", &save) : NULL; item && rc == 0;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '='), pair[64];
		snprintf(pair, sizeof(pair), "%s", item);
		if (!eq) {
			rc = err_set(ERR_INVALID, "--utility expects NAME=NUMBER pairs, got '%s'", pair);
			break;
		}
		*eq = '\0';
		rc = set_weight(out, item, eq + 1, pair);
	}
	free(copy);
	return rc;
}

/* The lab's setting `key` into *out when `which` has `bit`: an integer
 * in [min, max]; *out is left as it is when the lab does not keep it. */
static int read_int(long long *out, lab *l, unsigned which, unsigned bit, const char *key,
		    long long min, long long max)
{
	char *text = NULL, *end;
	long long v;
	int rc = which & bit ? store_setting_get(l->store, key, &text) : 0;

	if (rc < 0 || !text)
		return rc;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		rc = err_set(ERR_INVALID, "the lab's setting host.%s in %s/config is '%s', not an "
			     "integer from %lld to %lld", key, l->gen_dir, text, min, max);
	else
		*out = v;
	free(text);
	return rc;
}

/* The lab's carry into *out when `which` asks for it: a boolean as git
 * spells one, in any case; *out is left as it is when the lab does not
 * keep it. */
static int read_carry(int *out, lab *l, unsigned which)
{
	/* off, on, off, on ... */
	static const char *const words[] = { "false", "true", "no", "yes", "off", "on", "0", "1" };
	char *text = NULL;
	int rc = which & SETTINGS_CARRY ? store_setting_get(l->store, "carry", &text) : 0;
	size_t i = 0;

	while (rc == 0 && text && i < 8 && strcasecmp(text, words[i]) != 0)
		i++;
	if (rc == 0 && text && i == 8)
		rc = err_set(ERR_INVALID, "the lab's setting host.carry in %s/config is '%s', not "
			     "true or false", l->gen_dir, text);
	else if (rc == 0 && text)
		*out = (int)(i % 2);
	free(text);
	return rc;
}

/* The lab's utility, when `which` asks for it and the lab keeps one. */
static int read_utility(settings *out, lab *l, unsigned which)
{
	char *text = NULL;
	int rc = which & SETTINGS_UTILITY ? store_setting_get(l->store, "utility", &text) : 0;

	if (rc == 0 && text && (rc = settings_parse_utility(&out->utility, text)) < 0)
		rc = err_set(rc, "the lab's setting host.utility in %s/config: %s", l->gen_dir,
			     err_last());
	out->has_utility = rc == 0 && text;
	free(text);
	return rc;
}

int settings_read(settings *out, lab *l, unsigned which)
{
	long long budget = 0, seed = -1, meta_ms = 0, agent_ms = 0, trials = 0;
	long long max_ms = SETTINGS_MAX_SECONDS * 1000LL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->utility.score = 1;
	if ((rc = read_int(&budget, l, which, SETTINGS_BUDGET, "budget", 1,
			   SETTINGS_MAX_BUDGET)) < 0 ||
	    (rc = read_int(&seed, l, which, SETTINGS_SEED, "seed", 0, SETTINGS_MAX_SEED)) < 0 ||
	    (rc = read_int(&meta_ms, l, which, SETTINGS_META_MS, "meta-ms", 1, max_ms)) < 0 ||
	    (rc = read_int(&agent_ms, l, which, SETTINGS_AGENT_MS, "agent-ms", 1, max_ms)) < 0 ||
	    (rc = read_int(&trials, l, which, SETTINGS_TRIALS, "trials", 1,
			   SETTINGS_MAX_TRIALS)) < 0 ||
	    ((which & SETTINGS_TASKS) &&
	     (rc = store_setting_get(l->store, "tasks", &out->tasks)) < 0) ||
	    (rc = read_utility(out, l, which)) < 0 ||
	    (rc = read_carry(&out->carry, l, which)) < 0 ||
	    ((which & SETTINGS_TASKS_DIR) &&
	     (rc = store_setting_get(l->store, "tasks-dir", &out->tasks_dir)) < 0)) {
		settings_free(out);
		return rc;
	}
	out->budget = (int)budget;
	out->has_seed = seed >= 0;
	out->seed = out->has_seed ? (unsigned long long)seed : 0;
	out->meta_ms = (int)meta_ms;
	out->agent_ms = (int)agent_ms;
	out->trials = (int)trials;
	return 0;
}

static int write_int(lab *l, const char *key, long long value)
{
	char text[32];

	snprintf(text, sizeof(text), "%lld", value);
	return store_setting_set(l->store, key, text);
}

/* `v` in as few digits as read back as `v` ("0.01", not
 * "0.010000000000000000208"). */
static void format_weight(char *out, size_t size, double v)
{
	int digits;

	for (digits = 1; digits < 17; digits++) {
		snprintf(out, size, "%.*g", digits, v);
		if (strtod(out, NULL) == v)
			return;
	}
	snprintf(out, size, "%.17g", v);
}

static int write_utility(lab *l, const record_utility *u)
{
	char score[32], cost[32], time[32], text[128];

	format_weight(score, sizeof(score), u->score);
	format_weight(cost, sizeof(cost), u->cost);
	format_weight(time, sizeof(time), u->time);
	snprintf(text, sizeof(text), "score=%s,cost=%s,time=%s", score, cost, time);
	return store_setting_set(l->store, "utility", text);
}

int settings_write(lab *l, const settings *s)
{
	int rc = s->tasks ? store_setting_set(l->store, "tasks", s->tasks) : 0;

	if (rc == 0 && s->tasks_dir)
		rc = store_setting_set(l->store, "tasks-dir", s->tasks_dir);
	if (rc == 0 && s->budget > 0)
		rc = write_int(l, "budget", s->budget);
	if (rc == 0 && s->has_seed)
		rc = write_int(l, "seed", (long long)s->seed);
	if (rc == 0 && s->has_utility)
		rc = write_utility(l, &s->utility);
	if (rc == 0 && s->meta_ms > 0)
		rc = write_int(l, "meta-ms", s->meta_ms);
	if (rc == 0 && s->agent_ms > 0)
		rc = write_int(l, "agent-ms", s->agent_ms);
	if (rc == 0 && s->trials > 0)
		rc = write_int(l, "trials", s->trials);
	if (rc == 0 && s->carry)
		rc = store_setting_set(l->store, "carry", "true");
	return rc;
}

void settings_free(settings *s)
{
	free(s->tasks);
	free(s->tasks_dir);
	s->tasks = s->tasks_dir = NULL;
}
