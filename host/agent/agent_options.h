/*
 * agent_options.h - the settings every agent run of a command shares:
 * the model and the calls a run may make of it, the stop, the bound on
 * CPU work and where the agents' log lines go.
 *
 * A command writes them once and they are passed down unchanged: evolve's
 * options hold them (evolve_eval_options.agent), each agent run points to
 * them (agent_run_options.agent), and so does the broker that serves it.
 * What differs from run to run (its limits, seed, evaluations and the
 * name of its model calls) is the run's own, in agent_run_options.
 */
#ifndef HOST_AGENT_OPTIONS_H
#define HOST_AGENT_OPTIONS_H

#include "llm.h"
#include "slots.h"

#include <signal.h>

typedef struct {
	llm_client *llm;             /* NULL: offline */
	int llm_calls;               /* calls each agent run may make */
	/* Set by SIGINT/SIGTERM: model calls in flight are abandoned and no
	 * more are made. May be NULL. */
	volatile sig_atomic_t *stop;
	/* CPU work at once across every process of the run (-j), each
	 * evaluation holding a slot except while its agent waits for the
	 * model. NULL: unbounded (one process). */
	slots *cpu;
	/* Each log line an agent keeps (host_log), as it comes; may be NULL. */
	void (*echo)(void *ctx, const char *line);
	void *echo_ctx;
} agent_options;

#endif
