/*
 * agent_run.h - running one entry point of an agent in a sandbox, its
 * host services served by a broker.
 */
#ifndef HOST_AGENT_RUN_H
#define HOST_AGENT_RUN_H

#include "agents.h"
#include "broker.h"
#include "sandbox.h"

/* How an agent's run ended. */
typedef struct {
	sandbox_outcome outcome;
	char *result;     /* task_agent_improve's returned source, or NULL */
	int status;       /* meta_agent_rewrite's return value */
} agent_run_result;

/*
 * Runs `entry` ("task_agent_improve" or "meta_agent_rewrite") of `files`
 * with the string argument `arg` in a sandbox, serving its requests with
 * `broker`. Returns 0 when the agent ran, whatever its outcome.
 */
int agent_run(agent_run_result *out, const agent_files *files,
	      const char *entry, const char *arg, broker *broker,
	      const sandbox_limits *limits, unsigned long long seed);

void agent_run_result_free(agent_run_result *r);

#endif
