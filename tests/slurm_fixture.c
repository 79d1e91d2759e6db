/*
 * slurm_fixture.c - the Slurm executor's tests' shared helpers; see
 * slurm_fixture.h.
 */
#include "slurm_fixture.h"

#include "os.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *cluster;          /* the cluster's folder; NULL: it is not up */
static char cluster_why[600];  /* why not */
static pid_t running_host;     /* started, not yet seen to end */
static llm_server server;
static int serving;

/* Runs tests/slurm_cluster.sh `what` on the cluster's folder. */
static void cluster_script(run_result *r, const char *what)
{
	char *argv[] = { "/bin/sh", "tests/slurm_cluster.sh", (char *)what, cluster, NULL };

	run_command(r, NULL, argv);
}

const char *slurm_fixture_cluster(const char **why)
{
	static int tried;
	char *conf;
	run_result r;

	*why = cluster_why;
	if (tried++)
		return cluster;
	cluster = harness_scratch("slurm_cluster");
	cluster_script(&r, "start");
	if (r.status != 0) {
		snprintf(cluster_why, sizeof(cluster_why), "%.*s", (int)strcspn(r.err, "\n"), r.err);
		run_result_free(&r);
		cluster_script(&r, "stop");
		os_remove_tree(cluster);
		free(cluster);
		cluster = NULL;
	} else {
		conf = os_path_join(cluster, "slurm.conf");
		setenv("SLURM_CONF", conf, 1);
		free(conf);
	}
	run_result_free(&r);
	return cluster;
}

void slurm_fixture_end(void)
{
	run_result r;
	int status;

	if (running_host > 0) {
		kill(running_host, SIGKILL);
		harness_wait_exit(running_host, &status, 10000);
	}
	running_host = 0;
	slurm_fixture_stop_serving();
	if (!cluster)
		return;
	cluster_script(&r, "stop");
	run_result_free(&r);
	os_remove_tree(cluster);
	free(cluster);
	cluster = NULL;
}

char *slurm_fixture_steps(void)
{
	char *argv[] = { "/usr/bin/squeue", "--noheader", "--steps", "--format=%i", NULL };
	char *out;
	run_result r;

	run_command(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	out = strdup(r.out);
	run_result_free(&r);
	return out;
}

void slurm_fixture_signal_steps(const char *signal)
{
	char *ids = slurm_fixture_steps(), *line, *save = NULL;

	assert_non_null(strchr(ids, '.'));  /* there is a step */
	for (line = strtok_r(ids, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *argv[] = { "/usr/bin/scancel", "--signal", (char *)signal, line, NULL };
		run_result r;

		run_command(&r, NULL, argv);
		assert_int_equal(r.status, 0);
		run_result_free(&r);
	}
	free(ids);
}

void slurm_fixture_assert_no_key(void)
{
	char *ids = slurm_fixture_steps(), *id, *save = NULL;
	int seen = 0;

	for (id = strtok_r(ids, "\n", &save); id; id = strtok_r(NULL, "\n", &save)) {
		char *argv[] = { "/usr/bin/scontrol", "listpids", id, NULL }, *line, *at = NULL;
		run_result r;

		run_command(&r, NULL, argv);
		for (line = strtok_r(r.out, "\n", &at); line; line = strtok_r(NULL, "\n", &at)) {
			char path[64], *env = NULL;
			size_t len = 0, k;

			snprintf(path, sizeof(path), "/proc/%ld/environ", strtol(line, NULL, 10));
			if (strtol(line, NULL, 10) <= 0 || os_read_file(&env, &len, path) < 0)
				continue;
			for (k = 0; k < len; k++)  /* one string of its variables */
				env[k] = env[k] ? env[k] : '\n';
			assert_non_null(strstr(env, "SLURM_JOB_ID="));
			assert_null(strstr(env, "OPENAI_API_KEY"));
			assert_null(strstr(env, TEST_KEY));
			seen++;
			free(env);
		}
		run_result_free(&r);
	}
	assert_true(seen > 0);
	free(ids);
}

pid_t slurm_fixture_start_host(char *const argv[])
{
	run_options no_wait = { .no_wait = 1 };
	run_result r;

	run_host_with(&r, &no_wait, argv);
	running_host = r.status;
	run_result_free(&r);
	return running_host;
}

int slurm_fixture_host_ended(void)
{
	int status = 0;

	assert_int_equal(harness_wait_exit(running_host, &status, 60000), 0);
	running_host = 0;
	return status;
}

llm_server *slurm_fixture_serve(json_t *script, const char *name)
{
	llm_fixture_start(&server, script, name);
	serving = 1;
	return &server;
}

void slurm_fixture_stop_serving(void)
{
	if (serving)
		llm_fixture_stop(&server);
	serving = 0;
}
