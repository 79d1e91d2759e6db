/*
 * agent_abi.h - the agents' entry points by name, for the two sides that
 * call them: the host, which asks for one in an agent job and checks in
 * validation that an agent defines them, and host-sandbox's child, which
 * looks one up and runs it. agent.h declares them to the agents
 * themselves; their names are written here once, so that the two sides
 * cannot drift apart. Agents never see this header.
 */
#ifndef HOST_AGENT_ABI_H
#define HOST_AGENT_ABI_H

#include <stddef.h>

#define AGENT_ABI_TASK_ENTRY "task_agent_improve"  /* returns a solution */
#define AGENT_ABI_META_ENTRY "meta_agent_rewrite"  /* returns a status */
#define AGENT_ABI_TEST_ENTRY "test_agent_propose"  /* returns proposals; optional */

/* The i-th entry point every agent defines, in the order validation
 * smoke-tests them; NULL past the last. test_agent_propose is not one of
 * them: an agent may leave it out (ABI v2). */
static inline const char *agent_abi_required(size_t i)
{
	static const char *const names[] = { AGENT_ABI_TASK_ENTRY, AGENT_ABI_META_ENTRY };

	return i < sizeof(names) / sizeof(names[0]) ? names[i] : NULL;
}

#endif
