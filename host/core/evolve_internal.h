/*
 * evolve_internal.h - what the evolution's own files share; nothing
 * outside host/evolve*.c includes it, and evolve.h stays everyone else's
 * interface.
 *
 * evolve.c runs the generation loop (rewrite, validate, evaluate, decide,
 * commit); evolve_eval.c evaluates a set of agents on the training tasks;
 * evolve_archive.c summarises the generations for the meta agent and
 * selects each round's parent from them.
 */
#ifndef HOST_EVOLVE_INTERNAL_H
#define HOST_EVOLVE_INTERNAL_H

#include "evolve.h"

/* A well-mixed 64-bit function of `seed` and `n` (splitmix64): the seed
 * of generation `n`'s own draws, such as its meta agent's. */
unsigned long long evolve_mix(unsigned long long seed, unsigned long long n);

/* A record's "budget": evaluations per task and used, and the LLM use. */
json_t *evolve_usage_json(int evals_per_task, int evals, const llm_usage *used);

/* The parent of generation `number`: the live generation under "best",
 * a weighted draw from `archive` under "archive". An error when main
 * cannot be read: a lab that lost main is never evolved from a guess. */
int evolve_select_parent(int *out, lab *l, const evolve_options *o, const json_t *archive,
			 int number);

#endif
