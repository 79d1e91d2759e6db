/*
 * oracle.h - a task's oracle: the label of any input.
 *
 * A task may hold oracle.c, a pure function from an input to its label
 * (task_abi.h's oracle_label). The host runs it like score.c, in a sandbox
 * of the task's own that no agent reaches, to label the cases test agents
 * propose: a case can only count against a solution if the task agrees
 * with its label.
 */
#ifndef HOST_ORACLE_H
#define HOST_ORACLE_H

#include "error.h"

#include "buf.h"
#include "task.h"

#include <stddef.h>

#define ORACLE_BATCH_MAX 10000  /* inputs labelled by one call */

/* Whether task `t` has an oracle (oracle.c in its folder). */
int oracle_present(const task *t);

/*
 * Labels `inputs`: labels[i] becomes the oracle's label (free() it), or
 * NULL when the oracle refuses that input as none of the task's.
 * ERR_NOTFOUND when the task has no oracle; any other negative code when
 * oracle.c itself failed (the message names it). On failure no label is
 * left allocated.
 */
HOST_MUST_CHECK int oracle_label(task *t, const char *const *inputs, size_t n, char **labels);

/*
 * Runs the oracle on every labelled case of the task, training and
 * held-out (*checked counts them), and appends each disagreement to
 * `report` (the case and both labels). Returns the number of
 * disagreements, or a negative error.
 */
HOST_MUST_CHECK int oracle_check(size_t *checked, task *t, buf *report);

#endif
