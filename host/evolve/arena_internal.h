/*
 * arena_internal.h - what the arena's files share; arena.h is everyone
 * else's interface.
 *
 * arena.c runs the rounds; arena_state.c reads and writes the arena's
 * state in a generation's tree; arena_attack.c is a round's attack: the
 * test agents' proposals, the oracle and the check of each case;
 * arena_history.c keeps what became of the proposals, for the next
 * rounds' test agents;
 * arena_replace.c sizes the populations and replaces their worst.
 */
#ifndef HOST_ARENA_INTERNAL_H
#define HOST_ARENA_INTERNAL_H

#include "error.h"

#include "arena.h"
#include "evolve_internal.h"

#define ARENA_NAME_MAX 16

/* A case the arena grew, with where it came from. */
typedef struct {
	char *input;
	char *label;               /* the oracle's */
	char *reason;              /* the test agent's; NULL: none */
	int round;
	char agent[ARENA_NAME_MAX];  /* the test agent that proposed it */
} arena_case;

typedef struct {
	arena_case *items;
	size_t n;
	size_t bytes;                /* of inputs and labels, arena_case_bytes */
	size_t dropped;              /* cases read past ARENA_GROWN_MAX, left out */
} arena_cases;

/* What a case of (input, label) takes of a grown set's ARENA_GROWN_MAX:
 * both as JSON strings, as jobs carry them. */
size_t arena_case_bytes(const char *input, const char *label);

/* What became of a proposal: agent.h's "outcome" of "history", in the
 * order a round's entries are shown. */
typedef enum {
	ARENA_ADDED,          /* a code agent's solution got it wrong: a case now */
	ARENA_OVER_CAP,       /* one got it wrong, but there was no room for it */
	ARENA_PASSED,         /* every code agent's solution got it right */
	ARENA_CONTRADICTED,   /* the oracle's label is not the agent's guess */
	ARENA_DUPLICATE,      /* already a case, or proposed earlier in the round */
	ARENA_REFUSED,        /* no label: the oracle refused it, or a held-out case */
	ARENA_MALFORMED,      /* not a proposal */
	ARENA_OUTCOMES
} arena_outcome;

/* A proposal and its outcome. Refused and malformed ones are counted,
 * never shown: a refused input may be a held-out case. */
typedef struct {
	int round;
	char agent[ARENA_NAME_MAX];  /* the test agent */
	arena_outcome outcome;
	char *input;                 /* NULL when counted */
	char *guess;                 /* the agent's label; NULL: none */
	char *label;                 /* the oracle's; NULL: none */
	int count;                   /* the proposals it stands for */
	size_t bytes;                /* as JSON */
} arena_tried;

/* A task's history, newest first, within ARENA_HISTORY_MAX entries and
 * ARENA_HISTORY_BYTES; or a round's outcomes on their way to it. */
typedef struct {
	arena_tried *items;
	size_t n;
} arena_history;

/* Notes in `round` that test agent `agent`'s proposal of `input` (with
 * its guess; NULL: none) came to `outcome`, the oracle's label `label`
 * (NULL: none given). A counted outcome adds one to the agent's count. */
HOST_MUST_CHECK int arena_history_note(arena_history *round, int number, const char *agent,
				       arena_outcome outcome, const char *input,
				       const char *guess, const char *label);

/* Adds `n` malformed items of `agent` to `round`'s count. */
HOST_MUST_CHECK int arena_history_malformed(arena_history *round, int number,
					    const char *agent, int n);

/* Puts a round's outcomes (emptied) in front of `h`, in outcome order,
 * and keeps the newest entries that fit its bounds. */
HOST_MUST_CHECK int arena_history_push(arena_history *h, arena_history *round);

/* `h` as agent.h's "history" array; NULL when out of memory. */
json_t *arena_history_json(const arena_history *h);

/* Reads `list`, as arena_history_json writes it (NULL: none), into *out,
 * bounded as a push would. ERR_INVALID when an entry is not one, the
 * message a predicate: "holds a history ...". */
HOST_MUST_CHECK int arena_history_read(arena_history *out, const json_t *list);

void arena_history_free(arena_history *h);

typedef struct {
	char name[ARENA_NAME_MAX];   /* "t1" */
	char *source;                /* its test_agent.c */
	int exposed;                 /* cases it added: its fitness */
	int proposed, rejected;
	int born;                    /* the round it joined */
} arena_tester;

typedef struct {
	char name[ARENA_NAME_MAX];   /* "c1" */
	int generation;              /* its latest generation */
	double fitness;              /* its last round's */
	agent_files files;
	char **solutions;            /* its current solution of each task */
	int replaced;                /* solutions read over evolve_solution_max, left
	                                for the task's initial one */
} arena_coder;

typedef struct {
	int round;                   /* rounds done */
	size_t n_tasks;
	arena_cases *grown;          /* each task's grown set */
	arena_history *history;      /* each task's proposals and their outcomes */
	arena_tester *testers;
	size_t n_testers;
	arena_coder *coders;
	size_t n_coders;
	int named_testers, named_coders;  /* names given so far */
} arena_state;

/* The arena's state for `tasks`: from its latest round in the lab, or a
 * new arena of main's agents (one code agent, one test agent). */
HOST_MUST_CHECK int arena_state_load(arena_state *s, lab *l, task **tasks, size_t n_tasks);

/* The state as the files of a generation's arena/ folder. */
HOST_MUST_CHECK int arena_state_files(agent_files *out, const arena_state *s, task **tasks);

/* Adds a code agent, a copy of code agent `copy` (its files and
 * solutions), or a test agent of `source`; each gets the next name. */
HOST_MUST_CHECK int arena_add_coder(arena_state *s, size_t copy);
HOST_MUST_CHECK int arena_add_tester(arena_state *s, const char *source, int round);

/* The files a test agent of `source` runs with: `coder`'s, with
 * test_agent.c replaced (its headers go with it; see propose.h). */
HOST_MUST_CHECK int arena_tester_files(agent_files *out, const arena_coder *coder,
				       const char *source);

/* Scores `solution` on `n` cases of `t` (through a view of it); *ok says
 * whether it ran well. A run that failed shows as 0, or for a
 * lower-is-better task as its baseline, a poor score: 0 would be the best
 * there is. */
HOST_MUST_CHECK int arena_score(double *out, int *ok, task *t, const task_case *cases,
				size_t n, const char *solution);

/* Removes code agent or test agent i. */
void arena_drop_coder(arena_state *s, size_t i);
void arena_drop_tester(arena_state *s, size_t i);

/* Task i's training cases and grown set as one list (free() only the
 * array: the strings are the task's and the state's). */
task_case *arena_training(const arena_state *s, task *t, size_t i, size_t *n);

void arena_state_free(arena_state *s);

/* Adds a note to the round's events ("; " between notes), cut to the
 * field's size at a character's end. */
void arena_note(record_arena *tally, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Adds `used`, the model use of the round's own work (a test agent's
 * proposals, a replacement's meta agent), to the round's tally: see
 * record_arena's llm_calls. */
void arena_charge(record_arena *tally, const llm_usage *used);

/*
 * A round's attack: each test agent proposes against the best code
 * agent's solution of each task, the oracle labels, each labelled input
 * is run on every code agent's solution, and those some solution gets
 * wrong join the grown set, at most a->cap in all. *tally counts it.
 */
HOST_MUST_CHECK int arena_attack(record_arena *tally, arena_state *s, task **tasks,
				 const evolve_options *o, const arena_options *a);

/* Grows or shrinks the populations to a->code_agents and a->test_agents
 * (0: as they are): copies of the best join, the worst leave. */
HOST_MUST_CHECK int arena_size(arena_state *s, const arena_options *a);

/* Replaces the worst code agent and the worst test agent by mutated
 * copies of the best (see arena_replace.c); tally->events says what was
 * done. Nothing happens to a population of one. */
HOST_MUST_CHECK int arena_replace(arena_state *s, record_arena *tally, lab *l, task **tasks,
				  const evolve_options *o);

#endif
