/*
 * embed.h - text files compiled into the host binary.
 *
 * Headers that generated code is compiled against must be exactly the
 * host's own, wherever the binary is run from, so they are embedded at
 * build time (embed.c) rather than looked up on disk.
 */
#ifndef HOST_EMBED_H
#define HOST_EMBED_H

/* host/cc/task_abi.h and host/cc/agent.h, NUL-terminated. */
extern const char embed_task_abi_h[];
extern const char embed_agent_h[];

#endif
