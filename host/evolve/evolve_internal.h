/*
 * evolve_internal.h - what the evolution's own files share; nothing
 * outside host/evolve/evolve*.c and the arena (arena*.c, which runs on
 * evolve's parts) includes it, and evolve.h stays everyone else's
 * interface.
 *
 * evolve.c runs the generation loop (rewrite, validate, evaluate, decide,
 * commit); evolve_eval.c evaluates a set of agents on the training tasks,
 * with -j in worker processes, as evolve_flight.c makes a round's
 * candidates (both through evolve_workers.h);
 * evolve_archive.c reads the generations, summarises them for the meta
 * agent (with evolve_trace.c, which shortens what the task agents did)
 * and selects each round's parent from them; evolve_measure.c keeps
 * comparisons like with like; evolve_make.c makes the generations a user
 * asks for by hand.
 */
#ifndef HOST_EVOLVE_INTERNAL_H
#define HOST_EVOLVE_INTERNAL_H

#include "error.h"

#include "buf.h"
#include "evolve.h"

/* A well-mixed 64-bit function of `seed` and `n` (splitmix64): the seed
 * of generation `n`'s own draws, such as its meta agent's. */
unsigned long long evolve_mix(unsigned long long seed, unsigned long long n);

/*
 * The most bytes of a solution the host takes from a task agent: as much
 * as an agent file (1 MB), or the task's initial solution when it is
 * larger. A solution is kept in the lab and, in the arena, goes into the
 * next round's jobs (its task agent's, its test agents'), so its size is
 * bounded like everything else a job carries.
 */
#define EVOLVE_SOLUTION_MAX (1u << 20)

size_t evolve_solution_max(const task *t);

/* Where one task's evaluation starts: generation `number`'s task agent
 * (the number names its model calls) from `initial`, the solution of
 * generation `carried_from`, or of the task's initial.c (-1). */
typedef struct {
	int number;
	const char *initial;
	int carried_from;
} evolve_start;

/*
 * One unit of evaluation work: task t's agent of `files` from `s`, the
 * mean of o->trials runs, each re-scored by the host; its model use is
 * added to *used. evolve_unit_local runs it in this process, holding a
 * CPU slot (o->agent.cpu); evolve_unit_slurm (evolve_slurm.c) as a Slurm
 * job step, serving its model calls from here. Both give the same
 * record: the step runs evolve_unit_local on its node (evolve_step.c).
 * A step that dies is an error, which makes its candidate interrupted.
 */
HOST_MUST_CHECK int evolve_unit_local(record_task *out, task *t, const agent_files *files,
				      const evolve_eval_options *o, const evolve_start *s,
				      llm_usage *used);
HOST_MUST_CHECK int evolve_unit_slurm(record_task *out, task *t, const agent_files *files,
				      const evolve_eval_options *o, const evolve_start *s,
				      llm_usage *used);

/* What evolve_evaluate returns when a unit's Slurm step ended without its
 * result (the step or its node died, or it was cancelled): no measure,
 * and a failure of that generation alone (evolve_keep_lost). */
#define EVOLVE_STEP_LOST (-30)

/* With EVOLVE_STEP_LOST, `r` becomes interrupted, saying why (err_last),
 * and 0 is returned: the run goes on. Else returns `rc`. */
HOST_MUST_CHECK int evolve_keep_lost(record *r, int rc);

/*
 * Runs `unit` as a Slurm job step (srun with x->slurm_args, then `host
 * step`), answering its model requests with a->llm, and ending it when
 * *a->stop is raised (evolve_slurm.c): 0 with *last the step's last word
 * (free it), EVOLVE_STEP_LOST when none came, or an error.
 */
HOST_MUST_CHECK int evolve_slurm_run(json_t **last, const json_t *unit, const agent_options *a,
				     const evolve_executor *x);

/* What a step unpacks of its unit (evolve_unit.c): the task, written to
 * its scratch folder and loaded, the agent files, and the model through
 * the host (NULL offline). */
typedef struct {
	task *task;
	agent_files files;
	llm_client *llm;
} evolve_unit_env;

/* The host's side: a unit of `kind` with t's folder, `files` and a->llm's
 * name, to which the caller adds the kind's own fields. */
HOST_MUST_CHECK int evolve_unit_pack(json_t **out, const char *kind, const task *t,
				     const agent_files *files, const agent_options *a);

/* The step's side: `unit` unpacked in `dir`, the model asked over `in`
 * and `out`; and freed, the model's client closed. */
HOST_MUST_CHECK int evolve_unit_unpack(evolve_unit_env *env, const json_t *unit, const char *dir,
				       int in, int out);
void evolve_unit_env_free(evolve_unit_env *env);

/* The step's side of an evaluation unit (evolve_unit_slurm's) and of an
 * improve unit (evolve_improve's): *reply is the unit's last word, to
 * which the step adds "error". */
HOST_MUST_CHECK int evolve_unit_evaluate(json_t **reply, const json_t *unit, evolve_unit_env *env);
HOST_MUST_CHECK int evolve_unit_improve(json_t **reply, const json_t *unit, evolve_unit_env *env);

/* Agent files as JSON {name: text}, and back (refusing a name that is no
 * agent file's): how a candidate's process and a Slurm step carry them. */
json_t *evolve_files_to_json(const agent_files *files);
HOST_MUST_CHECK int evolve_files_from_json(agent_files *out, const json_t *json);

/* Task t's score normalised by its baseline and target, 0..1: its
 * fitness. */
double evolve_normalised(const task *t, double score);

/* A judge of the answers (a task with task.json's "judge"): the run's
 * model, the name its calls start with ("gen_003 support trial 0"), and
 * where its spend is added. NULL, or a NULL llm: no judge. */
typedef struct {
	llm_client *llm;
	const char *tag;
	llm_usage *used;
} evolve_judging;

/* Scores `solution` of task `t` on its training and held-out cases into
 * out's solution, scores and fitness (0 unless `counts` and the run ended
 * well); a failed run is noted in out->problem, unless it has one. A
 * solution over evolve_solution_max is not taken: t's initial one is
 * scored, with no fitness, and out->problem says why. A judged task with
 * `judge` has its answers graded (evolve_judge) into out->judge, and its
 * fitness is then (1 - w) times the rubric's plus w times the judge's
 * mean grade, w its judge_weight; held-out alike. */
HOST_MUST_CHECK int evolve_score_solution(record_task *out, task *t, const char *solution,
					  int counts, const evolve_judging *judge);

/*
 * Has the model grade the answers of one solution of judged task `t`
 * (`train`, `holdout`: its transcripts from eval_solution, a line a case;
 * holdout NULL: its run failed, and only the training answers are
 * graded), each split t->judge_repeats times, one call each, named `tag`
 * and "judge training 2". A reply that is no grades, or a call that
 * failed, is a failed grading, noted in out->problem, whose answers count
 * 0. *out is the grades (record.h's record_judge), with the spend, which
 * is also added to *used. Nothing (repeats 0) without a model, a judge
 * or training answers. A negative return is the host's own failure.
 */
HOST_MUST_CHECK int evolve_judge(record_judge *out, const task *t, llm_client *llm,
				 const char *tag, const char *train, const char *holdout,
				 llm_usage *used);

/* Adds `used` to `total`. */
void evolve_add_usage(llm_usage *total, const llm_usage *used);

/* r's fitness and holdout from its tasks' normalised scores, its spend
 * and evaluate_s, weighted by o's utility. */
void evolve_set_fitness(record *r, const evolve_eval_options *o);

/* Adds a run's LLM use to a record's budget. */
void evolve_add_llm_use(record_budget *b, const llm_usage *used);

/* Every readable generation's record, ascending; unreadable ones are left
 * out (their errors are for host log and host show to report). Free it
 * with record_list_free. */
typedef record_list evolve_history;

HOST_MUST_CHECK int evolve_history_read(evolve_history *out, lab *l);

/* The meta agent's own time per rewrite under `o`. */
int evolve_meta_ms(const evolve_eval_options *o);

/* Generations, the latest, whose task agents' traces the archive holds
 * (the parent's too); older ones have their scores and summary only. */
#define EVOLVE_ARCHIVE_TRACES 8

/*
 * The most bytes of the archive's JSON text, however many generations
 * the lab holds. It is one string of the meta agent's sandbox job, where
 * escaping can double it (8 MB), beside the agent's sources: the host
 * takes at most 8 MB of them from a meta agent (BROKER_MAX_FILES_BYTES),
 * at most 48 MB escaped, and the job's cap is 64 MB.
 */
#define EVOLVE_ARCHIVE_MAX (4u << 20)

/*
 * The archive the meta agent of generation `parent` reads, rewriting it
 * into the next generation: {"parent", "limits", "tasks", "generations",
 * "omitted"}; agent.h and host-evolve(1) describe its members. It keeps
 * within EVOLVE_ARCHIVE_MAX: the parent always, then the newest
 * generations that fit; "omitted" counts the others. Each task's best
 * solution so far is read from `l`, whose history `h` is.
 */
HOST_MUST_CHECK int evolve_archive_json(json_t **out, lab *l, const evolve_history *h,
					const evolve_options *o, int parent);

/* The same archive, from the lab's history read now. */
HOST_MUST_CHECK int evolve_archive_read(json_t **out, lab *l, const evolve_options *o, int parent);

typedef struct {
	int kept;        /* evaluations that beat every one before them */
	int failed;      /* evaluations whose status was not ok */
	int llm_calls;
	double longest_ms;  /* the longest evaluation's time; < 0: none recorded */
	int limit_ms;       /* the limit it ran under; 0: not recorded */
} evolve_trace_counts;

/* A task agent's trace (the broker's events; NULL: none) in short, as a
 * JSON array of lines: what it tried, each score worth telling, each
 * failure's feedback, its log lines; *n counts what it did. */
json_t *evolve_short_trace(evolve_trace_counts *n, const json_t *trace, int higher_is_better);

/* Appends the names of a list of tasks to `out` as a set, "a,b": in byte
 * order, each once. `name` gives the i-th of `list`'s `n` (NULL: none).
 * Tasks are compared, and named in what compares them, as sets: the
 * order they are listed in changes no measure. */
void evolve_task_set(buf *out, const void *list, size_t n,
		     const char *(*name)(const void *list, size_t i));

/* Reads generation `number`'s kept solutions (solutions/NAME.c of its
 * tree, which its note does not carry) into r's tasks of those names; a
 * task whose solution is not kept (a lab made before they were) has
 * none. */
HOST_MUST_CHECK int evolve_read_solutions(record *r, lab *l, int number);

/* Nonzero when `r` was measured as `o` measures: the same model, model
 * calls, trials, budget, set of tasks, seed, utility and carry, on the
 * tasks' own cases (an arena generation's fitness counts its grown cases
 * too). When not, `why` gets what differs: "model openai:gpt-4o (was
 * offline), budget 6 (was 12)", "carry on (was off)". */
int evolve_same_measure(const record *r, const evolve_eval_options *o, buf *why);

/* Scores each task's initial.c on its training and held-out cases, as
 * any solution, into r's initial: the starting point of the measure r
 * begins (gen_000, a parent measured again). No agent runs, so only the
 * tasks' own cases count, never an arena's grown ones. */
HOST_MUST_CHECK int evolve_score_initial(record *r, const evolve_eval_options *o);

/* Measures `parent` (its files) again under `o`, as generation `number`,
 * with the tasks' initial.c scored (evolve_score_initial),
 * and commits it: accepted when the parent is live, else rejected, the
 * reason "re-measured gen_NNN: " and `why`. With carry, its task agents
 * start from the parent's own solutions (read with its record), as a
 * child's would. *out is its record. */
HOST_MUST_CHECK int evolve_remeasure(record *out, lab *l, const record *parent,
				     const agent_files *files, int number,
				     const evolve_eval_options *o, const char *why);

/* Nonzero once the run is stopping (o->agent.stop set). */
int evolve_stopping(const evolve_eval_options *o);

/* A stop abandons the model calls in flight and refuses new ones, and so
 * do the model's budget running out and a model that refused for good (a
 * 401): a generation measured with a model while one of them came is
 * marked interrupted: kept, never compared. A failed validation stands:
 * the stop did not change the code. */
HOST_MUST_CHECK int evolve_mark_interrupted(record *r, const evolve_eval_options *o);

/* Decides a measured candidate `r` against its parent, setting its status
 * and reason: accepted when its fitness is above the parent's, or equal
 * and it cost less: fewer dollars, else fewer evaluations, else fewer
 * model calls. A timed task's part of the fitness counts only beyond the
 * noise (evolve_counted_gain), and a candidate whose solutions are its
 * parent's (evolve_same_solutions) is rejected, never better. */
HOST_MUST_CHECK int evolve_decide(record *r, const record *parent);

/* A timed task's comparison counts at this significance, shared by the
 * candidate's timed tasks (each at EVOLVE_NOISE_ALPHA / k of k), so that
 * a candidate no better than its parent is accepted on noise at most
 * this often. */
#define EVOLVE_NOISE_ALPHA 0.05

/* Runs of each solution in a comparison: the task's repeats, and no
 * fewer than this, the fewest with which the rank test can reach
 * EVOLVE_NOISE_ALPHA at all (5 against 5: p = 1/252 at the least). */
#define EVOLVE_PAIRED_RUNS 5

/* Nonzero when every task's solution of `r` is byte for byte its
 * parent's (all kept, the same tasks) and each of r's scores is of that
 * solution alone: one trial, as with more the mean counts others. */
int evolve_same_solutions(const record *r, const record *parent);

/*
 * Measures each timed task's solution of candidate `r` against its
 * parent's, in one sitting (eval_interleaved, EVOLVE_PAIRED_RUNS or the
 * task's repeats each), into r's timing: the medians and the rank test's
 * p-values. A solution that is the parent's is marked same, not
 * measured; one whose own evaluation failed, or whose parent's solution
 * is not kept, is left uncompared, as is any when a run fails.
 */
HOST_MUST_CHECK int evolve_pair_timed(record *r, const record *parent,
				      const evolve_eval_options *o);

/*
 * How much r's fitness is above its parent's when a timed task counts
 * only on evidence: r->fitness - parent->fitness, each timed task's term
 * replaced by what its comparison shows, and each judged task's judge
 * part counted only when the two judges' spreads are apart (see
 * evolve_noise.c). Other tasks count exactly. `why` gets each timed or
 * judged task's comparison, in words; nothing when there is none.
 */
double evolve_counted_gain(const record *r, const record *parent, buf *why);

/* The parent of generation `number`: the live generation under "best",
 * a weighted draw from the history under "archive". An error when main
 * cannot be read: a lab that lost main is never evolved from a guess. */
HOST_MUST_CHECK int evolve_select_parent(int *out, lab *l, const evolve_options *o,
			 const evolve_history *h, int number);

/* One candidate of a round: its parent, and what became of it. */
typedef struct {
	int number;                /* gen_NNN, numbered in the order proposed */
	int index;                 /* its place in the round, from 0 */
	record parent;
	agent_files parent_files;
	json_t *archive;           /* what its meta agent reads */
	record r;                  /* its record: filled in as it is made */
	agent_files files;         /* the rewritten files; none: the parent's are committed */
	evolve_phase phase;        /* where it is */
	int back;                  /* its process has ended and r is final */
	char *error;               /* why its process failed, when it did */
} evolve_candidate;

/* Where a candidate has got to, as it goes. */
typedef void (*evolve_phase_fn)(void *ctx, evolve_phase phase);

/*
 * Makes candidate c from its parent: the parent's meta agent rewrites
 * c->parent_files into c->files, which are validated and, when valid,
 * evaluated, each timed task's solution against c->parent's
 * (evolve_pair_timed; its solutions read with its record). c->r is then invalid, interrupted (the run stopped while its
 * agents could call the model), or measured and waiting for the decision.
 * `phase` (may be NULL) hears each phase as it starts.
 */
HOST_MUST_CHECK int evolve_candidate_make(evolve_candidate *c, const evolve_options *o,
					  evolve_phase_fn phase, void *ctx);

/* Heard while candidates are in flight: a phase changed. */
typedef void (*evolve_flight_fn)(void *ctx, const evolve_candidate *c, size_t n);

/*
 * Makes the n candidates at once, each in a process of its own (a fork of
 * the host; the agents are sandboxed as ever; one alone is made in this
 * process), and waits for every one:
 * each c[i].back is then set, with c[i].r and c[i].files as it sent them.
 * A candidate whose process failed or died comes back interrupted, with
 * c[i].error saying why. A stop (*o->eval.agent.stop), or the model's budget
 * running out, reaches every process. `seen` (may be NULL) hears each
 * change of phase.
 */
HOST_MUST_CHECK int evolve_fly(evolve_candidate *c, size_t n, const evolve_options *o,
			       evolve_flight_fn seen, void *ctx);

#endif
