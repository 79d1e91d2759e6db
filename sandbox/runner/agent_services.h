/*
 * agent_services.h - the host services of agent.h as an agent sees them
 * from inside the sandbox.
 *
 * Each host_* call that needs the host becomes a request frame
 * {"op": ..., ...} on the channel and waits for the reply; host_rand and
 * the edit helpers run locally. The table of these functions is linked
 * into agents in addition to the allowlist.
 */
#ifndef SANDBOX_AGENT_SERVICES_H
#define SANDBOX_AGENT_SERVICES_H

#include "compile.h"

#include <stddef.h>

/* Seeds host_rand. Call once before running an agent. */
void agent_services_init(unsigned long long seed);

/* The host_* symbols for compile_options.symbols. */
const compile_symbol *agent_services_symbols(size_t *count);

#endif
