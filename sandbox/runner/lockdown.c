/*
 * lockdown.c - rlimits, namespace and seccomp filter for sandboxed children.
 *
 * The seccomp filter is an allowlist: anything not named below traps
 * (SIGSYS), so the child can report which call was refused. Writes to
 * descriptors other than the channel fail with EBADF rather than trap, so
 * code that merely prints does not die for it. Signals may only be sent to
 * the child itself, which keeps abort() working.
 */
#include "lockdown.h"

#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LOCKDOWN_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define LOCKDOWN_ASAN 1
#endif

static void (*lockdown_on_forbidden)(int);

static void on_sigsys(int sig, siginfo_t *info, void *uctx)
{
	(void)sig;
	(void)uctx;
	lockdown_on_forbidden(info->si_syscall);
}

/* /proc/self/statm, opened before the process is confined to its header
 * folders and read again at lockdown; closed before generated code runs. */
static int statm_fd = -1;

static size_t mapped_bytes(void)
{
	char text[64];
	unsigned long pages = 0;
	ssize_t n;

	if (statm_fd < 0)
		statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	n = statm_fd >= 0 ? pread(statm_fd, text, sizeof(text) - 1, 0) : -1;
	if (n > 0) {
		text[n] = '\0';
		if (sscanf(text, "%lu", &pages) != 1)
			pages = 0;
	}
	return pages * (size_t)sysconf(_SC_PAGESIZE);
}

static int set_limit(int resource, rlim_t soft, rlim_t hard, const char *what)
{
	struct rlimit rl = { soft, hard };

	if (setrlimit(resource, &rl) != 0)
		return err_sys("sandbox: cannot limit %s", what);
	return 0;
}

static rlim_t cpu_seconds(int cpu_ms)
{
	rlim_t cpu = (rlim_t)(cpu_ms + 999) / 1000;

	return cpu < 1 ? 1 : cpu;
}

int lockdown_limit_compile(int cpu_ms, size_t memory_bytes)
{
	rlim_t cpu = cpu_seconds(cpu_ms);

	if (set_limit(RLIMIT_CPU, cpu, cpu + 1, "CPU time") ||
	    set_limit(RLIMIT_CORE, 0, 0, "core size"))
		return ERR_SYSTEM;
#ifndef LOCKDOWN_ASAN
	/* only the soft limit: lockdown_apply may need to raise it, and
	 * nothing the compiler reads can lower or raise limits itself */
	{
		struct rlimit as;
		if (getrlimit(RLIMIT_AS, &as) != 0)
			return err_sys("sandbox: cannot read the address-space limit");
		as.rlim_cur = (rlim_t)(mapped_bytes() + memory_bytes);
		if (as.rlim_max != RLIM_INFINITY && as.rlim_cur > as.rlim_max)
			as.rlim_cur = as.rlim_max;
		if (setrlimit(RLIMIT_AS, &as) != 0)
			return err_sys("sandbox: cannot limit the compiler's memory");
	}
#else
	(void)memory_bytes;
#endif
	return 0;
}

static int apply_rlimits(const lockdown_config *cfg)
{
	rlim_t cpu = cpu_seconds(cfg->cpu_ms);

	if (set_limit(RLIMIT_CPU, cpu, cpu + 1, "CPU time") ||
	    set_limit(RLIMIT_FSIZE, 0, 0, "file size") ||
	    set_limit(RLIMIT_NOFILE, (rlim_t)cfg->channel_fd + 1,
		      (rlim_t)cfg->channel_fd + 1, "open files") ||
	    set_limit(RLIMIT_CORE, 0, 0, "core size"))
		return ERR_SYSTEM;
#ifndef LOCKDOWN_ASAN
	/* AddressSanitizer reserves terabytes of shadow memory up front. */
	{
		rlim_t as = (rlim_t)(mapped_bytes() + cfg->memory_bytes +
				     (64u << 20));
		if (set_limit(RLIMIT_AS, as, as, "address space"))
			return ERR_SYSTEM;
	}
#else
	(void)mapped_bytes;
#endif
	if (statm_fd >= 0)
		close(statm_fd);
	statm_fd = -1;
	return 0;
}

/* A new network namespace has no interfaces, not even a usable loopback.
 * It needs privileges; unprivileged, a user namespace grants them. */
void lockdown_leave_network(void)
{
	if (unshare(CLONE_NEWNET) == 0)
		return;
	(void)unshare(CLONE_NEWUSER | CLONE_NEWNET);
}

static int allow(scmp_filter_ctx ctx, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not on this architecture */
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

/* A system call allowed (or failed with errno_value) only when its first
 * argument compares to `arg0` as `op` says. */
typedef struct {
	const char *name;
	enum scmp_compare op;
	scmp_datum_t arg0;
	int errno_value;  /* 0: allow */
} arg0_rule;

/* The channel's writes: any, or (bytes_only) one byte at a time, which
 * can spell no frame the host would read (page.h). */
static int add_channel_rules(scmp_filter_ctx ctx, scmp_datum_t chan, int bytes_only)
{
	const struct scmp_arg_cmp to_chan = { 0, SCMP_CMP_EQ, chan, 0 };
	const struct scmp_arg_cmp one_byte[] = { to_chan, { 2, SCMP_CMP_EQ, 1, 0 } };
	int write_nr = seccomp_syscall_resolve_name("write");

	if (bytes_only)
		return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, write_nr, 2, one_byte);
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, write_nr, 1, &to_chan) |
	       seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name("sendto"),
				      1, &to_chan);
}

static int add_rules(scmp_filter_ctx ctx, int fd, int bytes_only, scmp_datum_t self)
{
	static const char *const plain[] = {
		"mmap", "munmap", "mremap", "mprotect", "brk", "madvise",
		"futex", "exit", "exit_group", "rt_sigreturn",
		"rt_sigprocmask", "getpid", "gettid", "clock_gettime",
		"sched_yield", "sigaltstack",
	};
	scmp_datum_t chan = (scmp_datum_t)fd;
	const arg0_rule rules[] = {
		{ "read", SCMP_CMP_EQ, chan, 0 },
		{ "write", SCMP_CMP_NE, chan, EBADF },  /* printing fails quietly */
		{ "writev", SCMP_CMP_NE, chan, EBADF }, /* so do libc's own messages */
		{ "rt_sigaction", SCMP_CMP_NE, SIGSYS, 0 },
		{ "kill", SCMP_CMP_EQ, self, 0 },       /* abort() signals itself */
		{ "tgkill", SCMP_CMP_EQ, self, 0 },
		{ "tkill", SCMP_CMP_EQ, self, 0 },
	};
	size_t i;
	int rc = add_channel_rules(ctx, chan, bytes_only);

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		rc |= allow(ctx, plain[i]);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct scmp_arg_cmp cmp = { 0, rules[i].op, rules[i].arg0, 0 };
		uint32_t action = rules[i].errno_value ? SCMP_ACT_ERRNO(rules[i].errno_value)
						       : SCMP_ACT_ALLOW;
		rc |= seccomp_rule_add_array(ctx, action,
					     seccomp_syscall_resolve_name(rules[i].name), 1, &cmp);
	}
	return rc;
}

/*
 * The filters as the programs libseccomp makes of them, built once by
 * lockdown_prepare in a process that forks (the zygote), for every child
 * it forks: building one takes longer than loading it. The kill rules
 * hold PID_HOLE, which no pid can be, in the place of the process's own
 * pid; each child writes its pid there before it loads the program.
 */
#define PID_HOLE 0x7ffffff0u  /* above any pid_max */

typedef struct {
	struct sock_filter code[BPF_MAXINSNS];
	unsigned short len;
	int fd;  /* the channel it was built for; -1: not built */
} prepared_filter;

static prepared_filter prepared[2] = { { .fd = -1 }, { .fd = -1 } };  /* [bytes_only] */

/* Reads the program libseccomp generates for `ctx` into `f`, through a
 * pipe (this libseccomp exports to a descriptor only): -1 if it did not
 * fit, or the pipe would have blocked. */
static int export_filter(prepared_filter *f, scmp_filter_ctx ctx)
{
	int p[2], rc = -1;
	ssize_t n;
	char more;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	if (seccomp_export_bpf(ctx, p[1]) == 0) {
		n = read(p[0], f->code, sizeof(f->code));
		if (n > 0 && n % (ssize_t)sizeof(f->code[0]) == 0 && read(p[0], &more, 1) < 0) {
			f->len = (unsigned short)(n / (ssize_t)sizeof(f->code[0]));
			rc = 0;
		}
	}
	close(p[0]);
	close(p[1]);
	return rc;
}

int lockdown_prepare(int channel_fd, int bytes_only)
{
	prepared_filter *f = &prepared[bytes_only != 0];
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int rc;

	f->fd = -1;
	if (!ctx)
		return err_set(ERR_SYSTEM, "sandbox: cannot create a seccomp filter");
	/* a binary tree of system call numbers rather than a list: the same
	 * rules, fewer comparisons per call, and the kernel takes a quarter
	 * less time to load it (it runs the program for every call number
	 * once). A libseccomp without the attribute makes the list. */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	rc = add_rules(ctx, channel_fd, bytes_only, PID_HOLE);
	if (rc == 0 && export_filter(f, ctx) < 0)
		rc = -EIO;
	seccomp_release(ctx);
	if (rc != 0)
		return err_set(ERR_SYSTEM, "sandbox: cannot build the seccomp filter: %s",
			       strerror(-rc));
	f->fd = channel_fd;
	return 0;
}

/* This process's copy of the program for `cfg`, built now unless it was
 * ahead, with its pid in the kill rules: the comparisons of a first
 * argument with PID_HOLE, and only those, must hold it. Before the
 * rlimits, which leave no descriptor for the pipe. */
static int filter_for(prepared_filter *out, const lockdown_config *cfg)
{
	const prepared_filter *f = &prepared[cfg->channel_bytes_only != 0];
	unsigned short i;
	int holes = 0;

	if (f->fd != cfg->channel_fd && lockdown_prepare(cfg->channel_fd,
							 cfg->channel_bytes_only) < 0)
		return ERR_SYSTEM;
	out->len = f->len;
	memcpy(out->code, f->code, f->len * sizeof(f->code[0]));
	for (i = 0; i < out->len; i++) {
		if (out->code[i].k != PID_HOLE)
			continue;
		if (out->code[i].code != (BPF_JMP | BPF_JEQ | BPF_K))
			return err_set(ERR_SYSTEM, "sandbox: the seccomp filter uses its pid "
				       "placeholder unexpectedly");
		out->code[i].k = (uint32_t)getpid();
		holes++;
	}
	if (holes == 0)
		return err_set(ERR_SYSTEM, "sandbox: the seccomp filter has no place for its pid");
	return 0;
}

/* Loads it as libseccomp's seccomp_load would with its default
 * attributes: no flags (no_new_privs is set by the caller). */
static int install_filter(const prepared_filter *f)
{
	struct sock_fprog prog = { f->len, (struct sock_filter *)f->code };

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		return err_sys("sandbox: cannot install the seccomp filter");
	return 0;
}

int lockdown_apply(const lockdown_config *cfg, void (*on_forbidden)(int))
{
	static prepared_filter filter;  /* 32 KB: not on the stack */
	struct sigaction sa;

	if (chdir(cfg->workdir) != 0)
		return err_sys("sandbox: cannot enter %s", cfg->workdir);
	if (filter_for(&filter, cfg) < 0)
		return ERR_SYSTEM;
	if (apply_rlimits(cfg) < 0)
		return ERR_SYSTEM;
	lockdown_on_forbidden = on_forbidden;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return err_sys("sandbox: cannot handle SIGSYS");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return err_sys("sandbox: cannot set no_new_privs");
	return install_filter(&filter);
}
