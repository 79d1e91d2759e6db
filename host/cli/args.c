/*
 * args.c - option parsing for subcommands; see args.h.
 *
 * getopt_long is not used because its messages cannot be made to match
 * the rest of host's ("unknown option '--x'") and it permutes argv.
 */
#include "args.h"

#include "error.h"
#include "nearest.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARGS_MAX_OPTIONS 64  /* more than any command has */

static const arg_option *find_option(const arg_option *opts, const char *arg,
				     size_t len)
{
	for (; opts->name; opts++)
		if (strlen(opts->name) == len && strncmp(opts->name, arg, len) == 0)
			return opts;
	return NULL;
}

static int range_error(const arg_option *opt, const char *value)
{
	return err_set(ERR_INVALID, "%s expects %s from %lld to %lld, got '%s'", opt->name,
		       opt->kind == ARG_SECONDS ? "seconds" :
		       opt->kind == ARG_NUMBER ? "a number" : "an integer", opt->min, opt->max,
		       value);
}

static int store_number(const arg_option *opt, const char *value)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(value, &end);
	if (errno || end == value || *end || !isfinite(d) || d < (double)opt->min ||
	    d > (double)opt->max)
		return range_error(opt, value);
	if (opt->kind == ARG_SECONDS)
		*(long *)opt->dest = lround(d * 1000);
	else
		*(double *)opt->dest = d;
	return 0;
}

static int store_integer(const arg_option *opt, const char *value)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(value, &end, 10);
	if (errno || end == value || *end || n < opt->min || n > opt->max)
		return range_error(opt, value);
	if (opt->kind == ARG_INT)
		*(int *)opt->dest = (int)n;
	else if (opt->kind == ARG_LONG)
		*(long *)opt->dest = (long)n;
	else
		*(unsigned long long *)opt->dest = (unsigned long long)n;
	return 0;
}

static int store_value(const arg_option *opt, const char *value)
{
	if (opt->kind == ARG_STRING) {
		*(const char **)opt->dest = value;
		return 0;
	}
	if (opt->kind == ARG_NUMBER || opt->kind == ARG_SECONDS)
		return store_number(opt, value);
	return store_integer(opt, value);
}

/* "unknown option '--gen'; did you mean '--gens'?", the guess only when
 * the option is a slip of a known one. */
static int unknown_option(const arg_option *opts, const char *arg, size_t len)
{
	const char *known[ARGS_MAX_OPTIONS + 1], *guess;
	char word[NEAREST_MAX_LEN + 1];
	size_t n = 0;

	for (; opts->name && n < ARGS_MAX_OPTIONS; opts++)
		known[n++] = opts->name;
	known[n] = NULL;
	snprintf(word, sizeof(word), "%.*s", (int)len, arg);
	guess = nearest_slip(word, known);
	if (guess)
		return err_set(ERR_INVALID, "unknown option '%.*s'; did you mean '%s'?", (int)len,
			       arg, guess);
	return err_set(ERR_INVALID, "unknown option '%.*s'", (int)len, arg);
}

/* Handles argv[*i], an option; advances *i past a separate value. */
static int parse_option(const arg_option *opts, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const arg_option *opt = find_option(opts, arg, len);

	if (!opt)
		return unknown_option(opts, arg, len);
	if (opt->kind == ARG_FLAG) {
		if (eq)
			return err_set(ERR_INVALID, "%s takes no value", opt->name);
		*(int *)opt->dest = 1;
		return 0;
	}
	if (eq)
		return store_value(opt, eq + 1);
	if (*i + 1 >= argc)
		return err_set(ERR_INVALID, "%s needs a value", opt->name);
	return store_value(opt, argv[++*i]);
}

int args_parse(const arg_option *opts, int argc, char **argv,
	       const char **positional, int max_positional, int *n_positional)
{
	int i, options_done = 0, rc;

	*n_positional = 0;
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (!options_done && strcmp(arg, "--") == 0) {
			options_done = 1;
			continue;
		}
		if (!options_done && arg[0] == '-' && arg[1] != '\0') {
			rc = parse_option(opts, argc, argv, &i);
			if (rc < 0)
				return rc;
			continue;
		}
		if (*n_positional >= max_positional)
			return err_set(ERR_INVALID, "unexpected argument '%s'", arg);
		positional[(*n_positional)++] = arg;
	}
	return 0;
}

int args_wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}
