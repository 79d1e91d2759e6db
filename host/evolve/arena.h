/*
 * arena.h - the arena (host evolve --arena): code agents and test agents
 * that evolve against each other on tasks with an oracle.
 *
 * Each round, the test agents propose inputs against the code agents'
 * current solutions, shown what became of the earlier rounds' proposals
 * (without the inputs the oracle refused); the task's oracle labels every input, and those it
 * refuses or whose guessed label it contradicts are discarded and
 * counted, as are those that are held-out cases (never labelled). An input that some code agent's solution gets wrong joins the
 * task's grown set, up to a cap a round. Then each code agent's task
 * agent improves its own current solution against the original training
 * cases and the grown set, and the host scores the result on the
 * original cases, the grown set and the held-out cases, which nothing in
 * the arena ever sees. Every code agent's round is a generation; the
 * round's best becomes live. Every K rounds the worst code agent and the
 * worst test agent are replaced by mutated copies of the best: the best
 * code agent's meta agent rewrites them.
 *
 * The arena's state is in the tree of each of its generations, under
 * arena/: state.json (the round, the code agents and the test agents
 * with their fitness), NAME.json (task NAME's grown set, each case with
 * its provenance: round, test agent, the oracle's label; and its history,
 * the latest proposals and what became of each, which every test
 * agent's request carries: see agent.h) and the test
 * agents' sources, t1.c, t2.c... `git log -p -- arena/` shows the grown
 * sets' history. A run resumes from the arena's latest round.
 */
#ifndef HOST_ARENA_H
#define HOST_ARENA_H

#include "error.h"

#include "evolve.h"

#define ARENA_MAX_AGENTS 8       /* code agents, and test agents */
#define ARENA_CAP 8              /* cases a round adds, by default */
#define ARENA_PROPOSALS 16       /* inputs asked of a test agent a round */
#define ARENA_REPLACE_EVERY 3    /* rounds between replacements, by default */
#define ARENA_MAX_CASES 5000     /* the most a task's grown set holds */
/* The most bytes a task's grown set takes as JSON text (its inputs and
 * labels), so that the jobs it goes into, every evaluation of the
 * task's training cases and each test agent's request, keep within the
 * sandbox's job cap however long the arena runs. */
#define ARENA_GROWN_MAX (4u << 20)
/* The most a task's history (agent.h's "history" of a test agent's
 * request) keeps: entries, the newest, and bytes of JSON. */
#define ARENA_HISTORY_MAX 64
#define ARENA_HISTORY_BYTES (16u << 10)

typedef struct {
	int code_agents;     /* P; 0: as many as the arena has, or 1 */
	int test_agents;     /* Q; 0: as many as the arena has, or 1 */
	int replace_every;   /* K; 0: ARENA_REPLACE_EVERY */
	int cap;             /* 0: ARENA_CAP */
	int proposals;       /* 0: ARENA_PROPOSALS */
} arena_options;

/* 0 when an arena can run in lab `l` on `tasks`: each has an oracle, and
 * the lab's arena can be resumed, or main has a test agent to start one;
 * else an error saying what is missing. */
HOST_MUST_CHECK int arena_check(lab *l, task **tasks, size_t n);

/*
 * Runs o->gens rounds in an open, locked lab, on o->eval's tasks, which
 * must all have an oracle. Progress goes to o->progress, a generation at
 * a time, each record's `arena` saying what its round did. out->done
 * counts rounds; accepted and rejected count generations.
 */
HOST_MUST_CHECK int arena_run(evolve_summary *out, lab *l, const evolve_options *o,
			      const arena_options *a);

#endif
