/*
 * main.c - runs every test group and ends with "N passed, N failed".
 *
 * The suite runs from the repository root (make test): tasks are read
 * from ./tasks and the binaries from HOST_BIN (default bin/). Scratch
 * files go to a private TMPDIR, which must be empty at the end: sandboxes
 * remove their working directories. bin/host runs in a folder of its own
 * beside it, which holds the checkout's tasks, seed and tests only: a lab
 * in the checkout (make demo makes one) is not the tests' business.
 */
#include "harness.h"

#include "compile.h"
#include "error.h"
#include "os.h"
#include "sandbox.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	int n = 0;

	while (d && (ent = readdir(d)) != NULL)
		n += strcmp(ent->d_name, ".") && strcmp(ent->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

int main(void)
{
	harness_totals totals = { 0, 0 };
	char tmp[] = "/tmp/host-tests-XXXXXX", path[4096];
	int leftovers;

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s-host", tmp);
	if (harness_home_make(path) < 0) {
		harness_home_remove();
		os_remove_tree(tmp);
		return 1;
	}
	setenv("TMPDIR", tmp, 1);
	if (getenv("HOST_TEST_FILTER"))  /* e.g. HOST_TEST_FILTER='*llm*' */
		cmocka_set_test_filter(getenv("HOST_TEST_FILTER"));
	snprintf(path, sizeof(path), "%s/libc", harness_bin());
	if (compile_set_libc_dir(path) < 0 ||
	    (snprintf(path, sizeof(path), "%s/host-sandbox", harness_bin()),
	     sandbox_set_runner(path) < 0)) {
		fprintf(stderr, "tests: %s\n", err_last());
		harness_home_remove();
		return 1;
	}

	test_group_compile(&totals);
	test_group_task(&totals);
	test_group_snake(&totals);
	test_group_email(&totals);
	test_group_sandbox(&totals);
	test_group_confine(&totals);
	test_group_hostile(&totals);
	test_group_text(&totals);
	test_group_agents(&totals);
	test_group_edits(&totals);
	test_group_store(&totals);
	test_group_lab(&totals);
	test_group_lab_faults(&totals);
	test_group_lab_hostile(&totals);
	test_group_archive(&totals);
	test_group_llm(&totals);
	test_group_llm_runs(&totals);
	test_group_llm_agent(&totals);
	test_group_llm_hostile(&totals);
	test_group_llm_slow(&totals);
	test_group_llm_pool(&totals);
	test_group_llm_spend(&totals);
	test_group_kept(&totals);
	test_group_llm_meta(&totals);
	test_group_llm_edits(&totals);
	test_group_parallel(&totals);
	test_group_workers(&totals);
	test_group_solutions(&totals);
	test_group_user_tasks(&totals);
	test_group_timing(&totals);
	test_group_noise(&totals);
	test_group_reports(&totals);
	test_group_holdout(&totals);
	test_group_oracle(&totals);
	test_group_arena(&totals);
	test_group_arena_runs(&totals);
	test_group_arena_spend(&totals);
	test_group_report(&totals);
	test_group_cli(&totals);
	test_group_layers(&totals);

	sandbox_stop();
	harness_home_remove();
	leftovers = count_entries(tmp);
	if (leftovers) {
		printf("[  FAILED  ] %d files left in the sandboxes' TMPDIR %s\n", leftovers, tmp);
		totals.failed++;
	} else {
		totals.passed++;
	}
	os_remove_tree(tmp);
	printf("%d passed, %d failed\n", totals.passed, totals.failed);
	return totals.failed ? 1 : 0;
}
