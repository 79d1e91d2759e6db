/*
 * rewrite.h - the meta agent once, outside evolution (`host rewrite`): it
 * proposes the next generation's files, which are then validated.
 */
#ifndef HOST_REWRITE_H
#define HOST_REWRITE_H

#include "error.h"

#include "agent_run.h"
#include "validate.h"

typedef struct {
	agent_files candidate;    /* the input with the emitted files applied */
	agent_run_result run;     /* how the meta agent's run ended */
	validate_report report;   /* the candidate's validation, when proposed */
	int proposed;             /* it ran well, returned 0, and was validated */
} rewrite_result;

/* Runs the meta agent of `files` on `archive` and validates what it
 * proposes (the smoke stage on `smoke`). Returns 0 when it ran: see
 * out->run and out->proposed for how that went. */
HOST_MUST_CHECK int rewrite_agents(rewrite_result *out, const agent_files *files, const char *archive,
		   task *smoke, const agent_run_options *o);

void rewrite_result_free(rewrite_result *r);

#endif
