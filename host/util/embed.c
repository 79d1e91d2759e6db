/*
 * embed.c - includes files verbatim into .rodata; see embed.h.
 *
 * .incbin paths are relative to the directory the build runs in (the
 * repository root), and the Makefile lists the files as prerequisites.
 */
#include "embed.h"

#define EMBED_FILE(symbol, path)                                         \
	__asm__(".section .rodata\n"                                     \
		".global " #symbol "\n"                                  \
		".type " #symbol ", @object\n"                           \
		".balign 16\n" #symbol ":\n"                             \
		".incbin \"" path "\"\n"                                 \
		".byte 0\n"                                              \
		".size " #symbol ", . - " #symbol "\n"                   \
		".previous\n")

EMBED_FILE(embed_task_abi_h, "host/cc/task_abi.h");
EMBED_FILE(embed_agent_h, "host/cc/agent.h");
