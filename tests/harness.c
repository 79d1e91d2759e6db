/*
 * harness.c - running bin/host, loading fixtures and counting results.
 */
#include "harness.h"

#include "os.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

const char *harness_bin(void)
{
	const char *bin = getenv("HOST_BIN");

	return bin && *bin ? bin : "bin";
}

static char *capture_path(const char *name)
{
	const char *tmp = getenv("TMPDIR");
	char *path = malloc(4096);

	snprintf(path, 4096, "%s/host-test-%d-%s", tmp ? tmp : "/tmp", (int)getpid(), name);
	return path;
}

void run_host(run_result *r, const char *arg, ...)
{
	char *argv[64], *out_path = capture_path("out"), *err_path = capture_path("err");
	char host[4096];
	posix_spawn_file_actions_t fa;
	va_list ap;
	pid_t pid;
	int n = 1, status;

	snprintf(host, sizeof(host), "%s/host", harness_bin());
	argv[0] = host;
	va_start(ap, arg);
	for (; arg && n < 63; arg = va_arg(ap, const char *))
		argv[n++] = (char *)arg;
	va_end(ap);
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(posix_spawn(&pid, host, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	assert_int_equal(os_read_file(&r->out, NULL, out_path), 0);
	assert_int_equal(os_read_file(&r->err, NULL, err_path), 0);
	unlink(out_path);
	unlink(err_path);
	free(out_path);
	free(err_path);
}

void run_result_free(run_result *r)
{
	free(r->out);
	free(r->err);
}

task *harness_task(const char *name)
{
	task *t = NULL;

	if (task_load(&t, "tasks", name) != 0)
		fail_msg("cannot load task %s", name);
	return t;
}

char *harness_read(const char *path)
{
	char *text = NULL;

	if (os_read_file(&text, NULL, path) != 0)
		fail_msg("cannot read %s", path);
	return text;
}

void harness_assert_contains(const char *haystack, const char *needle,
			     const char *file, int line)
{
	if (!haystack || !strstr(haystack, needle)) {
		print_error("expected to find \"%s\" in:\n%s\n", needle,
			       haystack ? haystack : "(null)");
		_fail(file, line);
	}
}

int harness_run_group(harness_totals *t, const char *name,
		      const struct CMUnitTest *tests, size_t n)
{
	int failed = _cmocka_run_group_tests(name, tests, n, NULL, NULL);

	t->failed += failed;
	t->passed += (int)n - failed;
	return failed;
}
