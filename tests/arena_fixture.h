/*
 * arena_fixture.h - what the arena's tests (test_arena*.c) share: labs
 * with a test agent of the tests' own, the arena's files read back from
 * git, and a refusal that must leave the lab as it was.
 */
#ifndef TESTS_ARENA_FIXTURE_H
#define TESTS_ARENA_FIXTURE_H

#include "harness.h"

#include <jansson.h>

/* `git show REV:PATH` of the lab's repository (free() it). */
char *arena_git_show(const char *dir, const char *rev, const char *path);

/* main's arena/email.json, parsed: its "cases". */
json_t *arena_grown_cases(const char *dir);

/* A lab on email in $TMPDIR/LAB_NAME (from the tasks folder `tasks_dir`;
 * NULL: ./tasks), with 3 evaluations; when `file` is not NULL, its
 * agent_code/test_agent.c is tests/arena/FILE's text (@TASKDIR@ the email
 * task's folder), recorded with host commit. free() it. */
char *arena_lab(const char *lab_name, const char *tasks_dir, const char *file);

/* Makes `source` the test agent of the lab in `dir`: agent_code/test_agent.c,
 * recorded with host commit. */
void arena_set_test_agent(const char *dir, const char *source);

/* The same for agent file `file` (e.g. "task_agent.c"). */
void arena_set_agent(const char *dir, const char *file, const char *source);

/* Runs `gens` rounds of the arena in the lab `dir`, or fails the test
 * with host's output. */
void arena_rounds(const char *dir, const char *gens);

/* arena_rounds, then `host log`: its output (free() it). */
char *arena_rounds_log(const char *dir, const char *gens);

/* host refuses `argv` with exactly `message`, and the lab in `dir` is as
 * it was. */
void arena_expect_refused(const char *dir, const char *message, char *const argv[]);

#endif
