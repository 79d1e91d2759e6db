/*
 * harness.c - running bin/host, loading fixtures and counting results.
 */
#include "harness.h"

#include "os.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>


const char *harness_bin(void)
{
	const char *bin = getenv("HOST_BIN");

	return bin && *bin ? bin : "bin";
}

static char *host_home;  /* harness_home_make's folder */
static const char *const home_links[] = { "tasks", "tests" };

/* DIR/seed, a copy of ./seed's files: host takes no link for an agent
 * folder. */
static int copy_seed(const char *dir)
{
	char *to = os_path_join(dir, "seed");
	DIR *d = opendir("seed");
	struct dirent *e;
	int rc = to && d && mkdir(to, 0700) == 0 ? 0 : -1;

	while (rc == 0 && (e = readdir(d)) != NULL) {
		char *from = os_path_join("seed", e->d_name), *copy = os_path_join(to, e->d_name);
		char *text = NULL;
		size_t len = 0;
		if (!from || !copy)
			rc = -1;
		else if (os_is_file(from))
			rc = os_read_file(&text, &len, from) == 0 &&
			     os_write_file(copy, text, len) == 0 ? 0 : -1;
		free(text);
		free(from);
		free(copy);
	}
	if (d)
		closedir(d);
	free(to);
	return rc;
}

int harness_home_make(const char *dir)
{
	char *bin = realpath(harness_bin(), NULL), *target = NULL, *link = NULL;
	size_t i;
	int rc = bin && setenv("HOST_BIN", bin, 1) == 0 && mkdir(dir, 0700) == 0 ? 0 : -1;

	if (rc == 0)
		host_home = strdup(dir);  /* harness_home_remove removes what was made */
	for (i = 0; rc == 0 && i < sizeof(home_links) / sizeof(home_links[0]); i++) {
		target = realpath(home_links[i], NULL);
		link = os_path_join(dir, home_links[i]);
		rc = target && link && symlink(target, link) == 0 ? 0 : -1;
		free(target);
		free(link);
	}
	if (rc == 0)
		rc = copy_seed(dir);
	if (rc < 0)
		fprintf(stderr, "tests: cannot make %s, where host runs (from the checkout's "
			"root, with %s built): %s\n", dir, harness_bin(), strerror(errno));
	free(bin);
	return rc;
}

void harness_home_remove(void)
{
	size_t i;

	/* the links first, so that nothing could ever follow them */
	for (i = 0; host_home && i < sizeof(home_links) / sizeof(home_links[0]); i++) {
		char *link = os_path_join(host_home, home_links[i]);
		if (link)
			unlink(link);
		free(link);
	}
	if (host_home)
		os_remove_tree(host_home);
	free(host_home);
	host_home = NULL;
}

static char *capture_path(const char *name)
{
	const char *tmp = getenv("TMPDIR");
	char *path = malloc(4096);

	snprintf(path, 4096, "%s/host-test-%d-%s", tmp ? tmp : "/tmp", (int)getpid(), name);
	return path;
}

/* Root ignores file permissions through CAP_DAC_OVERRIDE and friends;
 * without them it is refused like anyone else. */
static void drop_dac_capabilities(void)
{
	struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	unsigned int drop = 1u << CAP_DAC_OVERRIDE | 1u << CAP_DAC_READ_SEARCH | 1u << CAP_FOWNER;

	/* root regains every capability of the bounding set at exec */
	prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0);
	prctl(PR_CAPBSET_DROP, CAP_DAC_READ_SEARCH, 0, 0, 0);
	prctl(PR_CAPBSET_DROP, CAP_FOWNER, 0, 0, 0);
	if (syscall(SYS_capget, &header, data) != 0)
		return;
	data[0].effective &= ~drop;
	data[0].permitted &= ~drop;
	data[0].inheritable &= ~drop;
	syscall(SYS_capset, &header, data);
}

void run_command(run_result *r, const run_options *o, char *const argv[])
{
	char *out_path = capture_path("out"), *err_path = capture_path("err");
	pid_t pid;
	int status;

	memset(r, 0, sizeof(*r));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int out = open(o && o->no_wait ? "/dev/null" : out_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		int err = open(o && o->no_wait ? "/dev/null" : err_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		dup2(out, 1);
		dup2(err, 2);
		if (o && o->fsize_limit > 0) {
			struct rlimit rl = { (rlim_t)o->fsize_limit, (rlim_t)o->fsize_limit };
			signal(SIGXFSZ, SIG_IGN);
			setrlimit(RLIMIT_FSIZE, &rl);
		}
		if (o && o->no_dac)
			drop_dac_capabilities();
		if (o && o->cwd && chdir(o->cwd) != 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (o && o->no_wait) {
		r->status = pid;
		r->out = strdup("");
		r->err = strdup("");
	} else {
		struct rusage usage;
		assert_int_equal(wait4(pid, &status, 0, &usage), pid);
		r->max_rss_kb = usage.ru_maxrss;
		r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		assert_int_equal(os_read_file(&r->out, NULL, out_path), 0);
		assert_int_equal(os_read_file(&r->err, NULL, err_path), 0);
	}
	unlink(out_path);
	unlink(err_path);
	free(out_path);
	free(err_path);
}

void run_host_with(run_result *r, const run_options *o, char *const argv[])
{
	run_options in_home = { 0, 0, 0, NULL };
	char host[4096], *args[64];
	int n;

	if (o)
		in_home = *o;
	if (!in_home.cwd)
		in_home.cwd = host_home;

	snprintf(host, sizeof(host), "%s/host", harness_bin());
	args[0] = host;
	for (n = 1; argv[n] && n < 63; n++)
		args[n] = argv[n];
	args[n] = NULL;
	run_command(r, &in_home, args);
}

void run_host(run_result *r, const char *arg, ...)
{
	char *argv[64];
	va_list ap;
	int n = 1;

	argv[0] = "host";
	va_start(ap, arg);
	for (; arg && n < 63; arg = va_arg(ap, const char *))
		argv[n++] = (char *)arg;
	va_end(ap);
	argv[n] = NULL;
	run_host_with(r, NULL, argv);
}

int harness_wait_exit(pid_t pid, int *status, int ms)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), ended = 0;
	struct pollfd p = { fd, POLLIN, 0 };

	/* the pidfd is readable once the process has ended */
	while (fd >= 0 && (ended = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	ended = ended == 1;
	if (fd >= 0)
		close(fd);
	if (!ended)
		kill(pid, SIGKILL);
	return waitpid(pid, status, 0) == pid && ended ? 0 : -1;
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

/* HOST_TEST_FILTER, a shell pattern, picks a whole group by its name or
 * tests by theirs; only the tests that run are counted. */
static int chosen(const char *group, const char *test)
{
	const char *filter = getenv("HOST_TEST_FILTER");

	return !filter || !*filter || fnmatch(filter, group, 0) == 0 ||
	       fnmatch(filter, test, 0) == 0;
}

int harness_run_group(harness_totals *t, const char *name,
		      const struct CMUnitTest *tests, size_t n)
{
	struct CMUnitTest *run = calloc(n, sizeof(*run));
	size_t i, k = 0;
	int failed = 0;

	if (!run) {
		fprintf(stderr, "tests: out of memory for group %s\n", name);
		t->failed++;
		return 1;
	}
	for (i = 0; i < n; i++)
		if (chosen(name, tests[i].name))
			run[k++] = tests[i];
	if (k > 0)
		failed = _cmocka_run_group_tests(name, run, k, NULL, NULL);
	free(run);
	t->failed += failed;
	t->passed += (int)k - failed;
	return failed;
}

char *harness_subst(const char *text, ...)
{
	buf out = BUF_INIT;
	va_list ap;

	buf_puts(&out, text);
	va_start(ap, text);
	for (;;) {
		const char *name = va_arg(ap, const char *), *value, *at;
		buf next = BUF_INIT;
		const char *p;

		if (!name)
			break;
		value = va_arg(ap, const char *);
		for (p = buf_cstr(&out); (at = strstr(p, name)) != NULL; p = at + strlen(name)) {
			buf_append(&next, p, (size_t)(at - p));
			buf_puts(&next, value);
		}
		buf_puts(&next, p);
		buf_free(&out);
		out = next;
	}
	va_end(ap);
	return buf_detach(&out);
}

char *harness_scratch(const char *name)
{
	char *path = os_path_join(getenv("TMPDIR"), name);

	assert_non_null(path);
	return path;
}

const char harness_meta_agent[] =
	"int meta_agent_rewrite(const char *archive)\n"
	"{ (void)archive; return host_emit(\"memory.md\", \"tried nothing yet\\n\"); }\n";

void harness_json_texts(char *out, size_t size, const json_t *object, const char *member)
{
	const json_t *v;
	size_t i, len = 0;

	out[0] = '\0';
	json_array_foreach(json_object_get(object, member), i, v)
		len += (size_t)snprintf(out + len, len < size ? size - len : 0, "%s%s", i ? " " : "",
					json_string_value(v));
}
