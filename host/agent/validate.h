/*
 * validate.h - the validation cascade every candidate agent goes through,
 * cheapest stage first, stopping at the first failure:
 *
 *   compile     the files compile (syntax and types);
 *   symbols     the entry points exist and every external reference is in
 *               the allowlist; the exported names are listed;
 *   signatures  the definitions type-check against agent.h's prototypes;
 *   smoke       each entry point runs once in a sandbox on a budget of 2
 *               evaluations and returns within 2 s of its own, plus the
 *               smoke task's limit for those evaluations.
 */
#ifndef HOST_VALIDATE_H
#define HOST_VALIDATE_H

#include "error.h"

#include "agents.h"
#include "buf.h"
#include "task.h"

enum { VALIDATE_STAGES = 4, VALIDATE_CHECK_STAGES = 3 };

typedef struct {
	const char *name;    /* "compile", "symbols", "signatures", "smoke" */
	int ran, passed;
	char *diagnostics;   /* one problem per line; "" when it passed */
} validate_stage;

typedef struct {
	validate_stage stages[VALIDATE_STAGES];
	char *exports;       /* the agents' global functions, comma-separated */
	int valid;           /* every stage passed */
	int failed;          /* index of the failing stage, or -1 */
} validate_report;

/* Validates `files`; the smoke stage runs the task agent on `smoke_task`.
 * Returns 0 when validation ran (whatever its verdict), negative when the
 * host could not validate at all. */
HOST_MUST_CHECK int validate_agents(validate_report *out, const agent_files *files,
		    task *smoke_task);

/* The first VALIDATE_CHECK_STAGES stages only (compile, symbols,
 * signatures: one confined compile job, nothing run), within `wall_ms`
 * and at most 10 s: host_check's. `valid` says whether they passed; smoke
 * does not run. Returns 0 when the check ran, negative when the host
 * could not check. */
HOST_MUST_CHECK int validate_check(validate_report *out, const agent_files *files, int wall_ms);

/* The smoke stage's run of a test agent, when `files` has one: it
 * proposes on `t`'s own cases, and must end well and answer a JSON
 * array; what went wrong is appended to `out`, which stays empty when
 * nothing did. */
HOST_MUST_CHECK int validate_smoke_test_agent(buf *out, const agent_files *files, task *t);

void validate_report_free(validate_report *r);

#endif
