/*
 * slurm_fixture.h - what the Slurm executor's tests (test_slurm.c) share:
 * the one-node cluster they run on (tests/slurm_cluster.sh), started on
 * first use and stopped with the group; Slurm's view of the steps; and
 * the host and model server a test runs in the background, which a
 * failed assertion would leave running, ended with the group.
 */
#ifndef TESTS_SLURM_FIXTURE_H
#define TESTS_SLURM_FIXTURE_H

#include "harness.h"
#include "llm_fixture.h"

/* The cluster's folder, started on the first call with SLURM_CONF set; or
 * NULL, with *why saying why there is none (not root, no packages). */
const char *slurm_fixture_cluster(const char **why);

/* Ends what a test left running, then the cluster and its folder. */
void slurm_fixture_end(void);

/* Skips the test, saying why, when there is no cluster. */
#define SLURM_NEED_CLUSTER() do { \
	const char *why_; \
	if (!slurm_fixture_cluster(&why_)) { \
		print_message("[  SKIP    ] no Slurm cluster: %s\n", why_); \
		skip(); \
	} \
} while (0)

/* The steps Slurm has: `squeue --steps`, one "JOB.STEP" a line (free it). */
char *slurm_fixture_steps(void);

/* Sends `signal` to every step running now (scancel --signal); fails the
 * test when none runs. */
void slurm_fixture_signal_steps(const char *signal);

/* No process of a running step has the API key in its environment (read
 * through scontrol listpids); fails the test when there is none. */
void slurm_fixture_assert_no_key(void);

/* Starts host with `argv` (argv[0] ignored) in the background: its pid. */
pid_t slurm_fixture_start_host(char *const argv[]);

/* Waits at most a minute for that host to end: its wait status. */
int slurm_fixture_host_ended(void);

/* Starts the scripted model server (consumes `script`), and stops it. */
llm_server *slurm_fixture_serve(json_t *script, const char *name);
void slurm_fixture_stop_serving(void);

#endif
