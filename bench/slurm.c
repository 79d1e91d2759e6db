/*
 * slurm.c - the Slurm executor's rows of `make bench`; see slurm.h.
 *
 * A round makes a lab on email and runs `evolve --gens SLURM_GENS
 * --parallel 2` in it twice over, here and with --executor slurm, from
 * the same gen_000: the same generations, so the difference in wall time
 * is what the steps cost (srun, slurmctld's allocation, slurmd's launch,
 * the unit's trip over the stream, a zygote of the step's own), spread
 * over the units. slurmd's log counts the units that ran as steps.
 */
#include "slurm.h"

#include "timing.h"

#include "error.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLURM_ROUNDS 3
#define SLURM_GENS 6

/* Steps slurmd launched so far: the lines of its log that say so. */
static int steps_launched(const char *cluster)
{
	char *log = os_path_join(cluster, "slurmd.log"), *text = NULL, *at;
	int n = 0;

	if (log && os_read_file(&text, NULL, log) == 0)
		for (at = text; (at = strstr(at, "launch task StepId=")) != NULL; at++)
			n++;
	free(text);
	free(log);
	return n;
}

/* Seconds of an evolve run in `lab` (copied from `from`), or -1. */
static double evolve_run(const char *bin, const char *from, const char *lab, const char *extra)
{
	char command[8192];

	snprintf(command, sizeof(command), "rm -rf %s && cp -a %s %s", lab, from, lab);
	if (system(command) != 0)
		return -1;
	snprintf(command, sizeof(command), "%s/host evolve --dir %s --gens %d --parallel 2 "
		 "--quiet %s >/dev/null", bin, lab, SLURM_GENS, extra);
	return bench_timed(command);
}

/* One round in `dir`: the local run's and the steps' seconds, and the
 * steps it took. Returns 0, or -1. */
static int one_round(const char *bin, const char *dir, const char *cluster, double *local_s,
		     double *slurm_s, int *steps)
{
	char command[8192], *base = os_path_join(dir, "base"), *lab = os_path_join(dir, "lab");
	int before, rc = -1;

	snprintf(command, sizeof(command), "%s/host init --dir %s --tasks email >/dev/null", bin,
		 base);
	if (base && lab && system(command) == 0 &&
	    (*local_s = evolve_run(bin, base, lab, "")) > 0) {
		before = steps_launched(cluster);
		*slurm_s = evolve_run(bin, base, lab, "--executor slurm");
		*steps = steps_launched(cluster) - before;
		rc = *slurm_s > 0 && *steps > 0 ? 0 : -1;
	}
	os_remove_tree(base);
	os_remove_tree(lab);
	free(base);
	free(lab);
	return rc;
}

static void measure(bench_slurm_result *out, const char *bin, const char *dir,
		    const char *cluster)
{
	double rate[SLURM_ROUNDS], overhead[SLURM_ROUNDS], local_s, slurm_s;
	int k, steps, n = 0;

	for (k = 0; k < SLURM_ROUNDS; k++)
		if (one_round(bin, dir, cluster, &local_s, &slurm_s, &steps) == 0) {
			rate[n] = steps / slurm_s;
			overhead[n++] = (slurm_s - local_s) * 1e3 / steps;
		}
	if (n == 0) {
		fprintf(stderr, "bench: the Slurm rounds failed\n");
		return;
	}
	out->steps_per_s = bench_quantile(rate, n, 0.5);
	out->overhead_ms = bench_quantile(overhead, n, 0.5);
}

void bench_slurm(bench_slurm_result *out, const char *bin)
{
	char *dir = NULL, *cluster = NULL, *conf = NULL, command[8192];

	out->steps_per_s = out->overhead_ms = 0;
	if (os_make_scratch(&dir, "host-bench-slurm") < 0 ||
	    !(cluster = os_path_join(dir, "cluster")) || !(conf = os_path_join(cluster, "slurm.conf"))) {
		fprintf(stderr, "bench: %s\n", err_last());
	} else {
		snprintf(command, sizeof(command), "sh tests/slurm_cluster.sh start %s >/dev/null",
			 cluster);
		if (system(command) != 0) {
			fprintf(stderr, "bench: no Slurm cluster, no Slurm rows (see above)\n");
		} else {
			setenv("SLURM_CONF", conf, 1);
			measure(out, bin, dir, cluster);
			unsetenv("SLURM_CONF");
		}
		snprintf(command, sizeof(command), "sh tests/slurm_cluster.sh stop %s", cluster);
		if (system(command) != 0)
			fprintf(stderr, "bench: the Slurm cluster in %s did not stop\n", cluster);
		os_remove_tree(dir);
	}
	free(conf);
	free(cluster);
	free(dir);
}
