/*
 * lab_fixture.h - labs for the tests that need one: making them in the
 * scratch directory, running host and git on them, and checking that a
 * lab is intact, or that a command refused it, after a fault.
 *
 * test_store.c, test_lab.c and test_lab_faults.c share these, so each
 * helper exists once. Labs are made with small budgets; the email task
 * alone keeps most of them fast.
 */
#ifndef TESTS_LAB_FIXTURE_H
#define TESTS_LAB_FIXTURE_H

#include "harness.h"

#include "agents.h"

#include <stddef.h>

/* $TMPDIR/name, emptied: whatever was there is removed (free() it). */
char *scratch(const char *name);

/* The seed's agents with `task_agent` as the task agent's source, in
 * $TMPDIR/name (free() it). */
char *seed_with_task_agent(const char *name, const char *task_agent);

/* The seed's task agent with `meta_agent` as the whole meta agent, in
 * $TMPDIR/name (free() it). */
char *seed_with_meta_agent(const char *name, const char *meta_agent);

/* tasks/TASK_NAME copied to $TMPDIR/NAME/TASK_NAME: returns the tasks
 * folder $TMPDIR/NAME (free() it; remove it with os_remove_tree). */
char *task_copy(const char *name, const char *task_name);

/* tasks/TASK_NAME copied to $TMPDIR/NAME/TASK_NAME, with `from`
 * replaced by `to` in its FILE (which must hold it): the tasks folder
 * $TMPDIR/NAME (free() it; remove it with os_remove_tree). */
char *edited_task_copy(const char *name, const char *task_name, const char *file,
		       const char *from, const char *to);

/* A lab in $TMPDIR/name with gen_000 (`tasks`, 3 evaluations); free() it. */
char *make_lab(const char *name, const char *tasks);

/* A lab whose seed's C files are each larger than 3 KB once git
 * compresses them: what a rewrite changes cannot be written under a
 * file-size limit that leaves room for the headers an agent run writes. */
char *make_bulky_lab(const char *name, const char *seed_name);

/* How many generations (gen_NNN tags) the lab in `dir` holds. */
int tag_count(const char *dir);

/* Runs git with up to four arguments (NULL ends them) on the lab's
 * repository, DIR/generations. */
void git(run_result *r, const char *dir, const char *a, const char *b, const char *c,
	 const char *d);

/* git fsck --strict finds nothing wrong with the lab's repository. */
void assert_fsck_clean(const char *dir);

/* DIR/agent_code holds exactly the files of the generation main points at. */
void assert_agent_code_is_main(const char *dir);

/* After a fault: the repository is valid, no generation was lost or added,
 * main is still `live` and agent_code/ is still its checkout. */
void assert_lab_intact(const char *dir, int tags, int live);

/* Runs host and checks that it failed with exactly `message` on stderr
 * (after "host CMD: "), printing nothing on stdout. */
void expect_failure(const char *message, char *const argv[]);

/* The agent files of DIR/agent_code (free with agents_free). */
agent_files agent_code(const char *dir);

/* `a` and `b` hold the same files with the same text. */
void assert_same_files(const agent_files *a, const agent_files *b);

#endif
