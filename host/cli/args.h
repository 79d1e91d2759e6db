/*
 * args.h - command-line options for host's subcommands.
 *
 * Every command takes "--name value", "--name=value" and bare flags in any
 * order among its positional arguments, with "--" ending options. Errors
 * come back as ERR_INVALID with a one-line message for the usage error.
 */
#ifndef HOST_ARGS_H
#define HOST_ARGS_H

#include "error.h"

typedef enum {
	ARG_FLAG,    /* int *: set to 1 */
	ARG_STRING,  /* const char **: the value */
	ARG_INT,     /* int *: an integer in [min, max] */
	ARG_LONG,    /* long *: an integer in [min, max] */
	ARG_UINT,    /* unsigned long long *: an integer in [min, max], min >= 0 */
	ARG_NUMBER,  /* double *: a finite number in [min, max] */
	ARG_SECONDS  /* long *: milliseconds, given as seconds in [min, max] */
} arg_kind;

typedef struct {
	const char *name;    /* with the dashes, e.g. "--repeat" */
	arg_kind kind;
	void *dest;
	long long min, max;  /* a numeric option's range, from what it feeds */
} arg_option;

/*
 * Parses argv[0..argc). `opts` ends with a { NULL } entry. Positional
 * arguments are stored in `positional` (at most `max_positional`, else a
 * usage error) and counted in *n_positional. A numeric value outside its
 * option's range is a usage error naming the option and the range.
 */
HOST_MUST_CHECK int args_parse(const arg_option *opts, int argc, char **argv,
	       const char **positional, int max_positional, int *n_positional);

/* Nonzero if argv holds -h or --help before any "--". */
int args_wants_help(int argc, char **argv);

#endif
