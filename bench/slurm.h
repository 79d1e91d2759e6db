/*
 * slurm.h - the Slurm executor's rows of `make bench`, measured on a
 * one-node cluster on 127.0.0.1 (tests/slurm_cluster.sh).
 */
#ifndef BENCH_SLURM_H
#define BENCH_SLURM_H

typedef struct {
	double steps_per_s;   /* units run as steps, per second of an evolve run */
	double overhead_ms;   /* a step's cost over the same unit run here */
} bench_slurm_result;

/* Offline evolve runs on email, here and as steps, SLURM_ROUNDS times
 * each; medians. Both figures are 0, with why on stderr, when the cluster
 * cannot start (not root, no packages). */
void bench_slurm(bench_slurm_result *out, const char *bin);

#endif
