/*
 * test_user_tasks.c - a user's own tasks: the lab keeps the tasks folder
 * init was given, so that evolve, improve and bench find its tasks with no
 * further --tasks-dir; errors name the option that fixes them; and
 * offline mode changes code that has no TUNE marks.
 */
#include "harness.h"
#include "lab_fixture.h"
#include "llm_fixture.h"

#include "buf.h"
#include "os.h"

#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

/* tasks/email copied as DIR/mail, named mail: a task only DIR has. */
static void copy_email_as_mail(const char *dir)
{
	char *to = os_path_join(dir, "mail"), *json = os_path_join(to, "task.json"), *text, *fixed;
	char *mk[] = { "/bin/mkdir", "-p", (char *)dir, NULL };
	char *cp[] = { "/bin/cp", "-r", "tasks/email", to, NULL };
	run_result r;

	run_command(&r, NULL, mk);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	run_command(&r, NULL, cp);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	text = harness_read(json);
	fixed = harness_subst(text, "\"name\": \"email\"", "\"name\": \"mail\"", NULL);
	assert_int_equal(os_write_file(json, fixed, strlen(fixed)), 0);
	free(fixed);
	free(text);
	free(json);
	free(to);
}

/* Runs `host ARGS` in `dir`: a command run inside a lab. */
static void host_in(run_result *r, const char *dir, const char *args)
{
	char cmd[8192], *bin = realpath(harness_bin(), NULL);
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	assert_non_null(bin);
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s/host' %s", dir, bin, args);
	run_command(r, NULL, argv);
	free(bin);
}

/* `host ARGS` in `dir` ends with `status` and says `text`: on stdout when
 * it succeeds, else on stderr. */
static void expect_in(const char *dir, const char *args, int status, const char *text)
{
	run_result r;

	host_in(&r, dir, args);
	assert_int_equal(r.status, status);
	assert_contains(status == 0 ? r.out : r.err, text);
	run_result_free(&r);
}

static void test_the_lab_keeps_its_tasks_folder(void **state)
{
	char *dir = harness_scratch("own_tasks"), *tasks = os_path_join(dir, "mytasks");
	char *lab = os_path_join(dir, "lab"), *moved = os_path_join(dir, "moved");
	run_result r;

	(void)state;
	copy_email_as_mail(tasks);
	HOST(&r, "init", "--dir", lab, "--tasks-dir", tasks, "--tasks", "mail");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "tasks mail");
	run_result_free(&r);
	/* no --tasks-dir again: evolve, improve and bench find mail */
	HOST(&r, "evolve", "--dir", lab, "--gens", "3");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_003  parent gen_");
	run_result_free(&r);
	host_in(&r, lab, "improve mail --budget 3 -o improved.c");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "task      mail");
	run_result_free(&r);
	host_in(&r, lab, "bench mail");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "score ");
	run_result_free(&r);
	/* the folder moved away: the error names the option */
	assert_int_equal(rename(tasks, moved), 0);
	HOST(&r, "evolve", "--dir", lab);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "mytasks, kept by host init, is gone; pass --tasks-dir DIR");
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", lab, "--tasks-dir", moved);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "gen_004");
	run_result_free(&r);
	os_remove_tree(dir);
	free(moved);
	free(lab);
	free(tasks);
	free(dir);
}

/* improve outside any lab or repository names --agent. */
static void test_no_agent_here_names_the_option(void **state)
{
	char *dir = harness_scratch("no_agent");
	run_result r;

	(void)state;
	assert_int_equal(mkdir(dir, 0700) == 0 || errno == EEXIST, 1);
	{
		char args[4200], *tasks = realpath("tasks", NULL);  /* wherever host is built */
		assert_non_null(tasks);
		snprintf(args, sizeof(args), "improve snake --tasks-dir '%s'", tasks);
		host_in(&r, dir, args);
		free(tasks);
	}
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "no agent to run: this folder has neither agent_code/ (a lab's "
			"live agent) nor seed/; pass --agent DIR");
	run_result_free(&r);
	os_remove_tree(dir);
	free(dir);
}

/* Offline, a solution with no TUNE parameters changes all the same: the
 * seed task agent's genetic improvement edits its code (here a number no
 * tuner may touch: the top-level domain starts a character later, so a
 * one-letter one is refused), and says what it kept. */
static void test_offline_changes_code_without_tune_marks(void **state)
{
	char *dir = harness_scratch("untunable"), *email = os_path_join(dir, "email");
	char *initial = os_path_join(email, "initial.c"), *out = os_path_join(dir, "out.c"), *text, *at;
	char *cp[] = { "/bin/cp", "-r", "tasks/email", dir, NULL };
	run_result r;

	(void)state;
	assert_int_equal(mkdir(dir, 0700) == 0 || errno == EEXIST, 1);
	run_command(&r, NULL, cp);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	text = harness_read(initial);
	at = strstr(text, "TUNE(1, 1, 6)");
	assert_non_null(at);
	memcpy(at, "1            ", 13);  /* the same length, no TUNE */
	assert_int_equal(os_write_file(initial, text, strlen(text)), 0);
	free(text);
	HOST(&r, "improve", "email", "--tasks-dir", dir, "--budget", "10", "--verbose", "-o", out);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "initial   train 0.65 ");
	assert_contains(r.out, "improved  train 0.7 ");
	assert_contains(r.err, "agent: GI: kept 0.65 -> 0.7, a patch of 1 edit (of 1 before "
			"minimising); line 24: 1 -> 2\n");
	assert_null(strstr(r.err, "offline, the seed"));
	run_result_free(&r);
	text = harness_read(out);
	assert_contains(text, "return (int)strlen(dot + 2) >= MIN_TLD_LENGTH;");
	free(text);
	os_remove_tree(dir);
	free(out);
	free(initial);
	free(email);
	free(dir);
}

/* `text` with `line` inserted after line `after` of DIR/FILE. */
static void insert_line(const char *dir, const char *file, int after, const char *line)
{
	char *path = os_path_join(dir, file), *text = harness_read(path), *at = text;
	buf b = BUF_INIT;
	int n;

	for (n = 0; n < after && (at = strchr(at, '\n')) != NULL; n++)
		at++;
	assert_non_null(at);
	buf_append(&b, text, (size_t)(at - text));
	buf_printf(&b, "%s\n%s", line, at);
	assert_int_equal(os_write_file(path, b.data, b.len), 0);
	buf_free(&b);
	free(text);
	free(path);
}

/* A driver with a syntax error is the task's fault: check-task names
 * driver.c and the line, an evaluation says task_error (not the
 * solution's compile_error), and init and evolve refuse to start. */
static void test_a_broken_driver_is_the_tasks_fault(void **state)
{
	char *dir = harness_scratch("broken_task"), *tasks = os_path_join(dir, "tasks");
	char *mail = os_path_join(tasks, "mail"), *lab = os_path_join(dir, "lab");
	run_result r;

	(void)state;
	copy_email_as_mail(tasks);
	HOST(&r, "check-task", mail);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "training  initial.c on 20 cases: ok, score 0.65");
	assert_contains(r.out, "is sound");
	run_result_free(&r);
	HOST(&r, "init", "--dir", lab, "--tasks-dir", tasks);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	insert_line(mail, "driver.c", 8, "int broken = ;");
	HOST(&r, "check-task", mail);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "the task's driver.c does not compile; the task must be fixed, "
			"not the solution\ndriver.c:9: error: ");
	run_result_free(&r);
	HOST(&r, "bench", "mail", "--tasks-dir", tasks);
	assert_contains(r.out, "status    task_error");
	assert_null(strstr(r.out, "compile_error"));
	run_result_free(&r);
	HOST(&r, "evolve", "--dir", lab);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "host evolve: task mail is broken: the task's driver.c does not "
			"compile");
	assert_contains(r.err, "driver.c:9: error: ");
	assert_contains(r.err, "(host check-task ");
	run_result_free(&r);
	HOST(&r, "log", "--dir", lab);
	assert_null(strstr(r.out, "gen_001"));  /* nothing was made */
	run_result_free(&r);
	os_remove_tree(lab);
	HOST(&r, "init", "--dir", lab, "--tasks-dir", tasks);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "host init: task mail is broken");
	assert_false(os_is_dir(lab));
	run_result_free(&r);
	os_remove_tree(dir);
	free(lab);
	free(mail);
	free(tasks);
	free(dir);
}

/* A task is known by its folder: a name that differs is refused, naming
 * the field; check-task without DIR says what it needs. */
static void test_check_task_names_what_is_wrong(void **state)
{
	char *dir = harness_scratch("misnamed"), *mail = os_path_join(dir, "mail");
	char *json = os_path_join(mail, "task.json"), *text, *fixed;
	run_result r;

	(void)state;
	copy_email_as_mail(dir);
	text = harness_read(json);
	fixed = harness_subst(text, "\"name\": \"mail\"", "\"name\": \"email\"", NULL);
	assert_int_equal(os_write_file(json, fixed, strlen(fixed)), 0);
	HOST(&r, "check-task", mail);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "task.json: field 'name' must be the task folder's name, 'mail'");
	run_result_free(&r);
	HOST(&r, "check-task");
	assert_int_equal(r.status, 2);
	assert_contains(r.err, "missing DIR (for example: host check-task tasks/demo)");
	run_result_free(&r);
	os_remove_tree(dir);
	free(fixed);
	free(text);
	free(json);
	free(mail);
	free(dir);
}

/* new-task writes a task that passes check-task as written, in a folder
 * of the user's; a lab made on it evolves with no --tasks-dir again. */
static void test_a_new_task_passes_check_task(void **state)
{
	char *dir = harness_scratch("new_task"), *tasks = os_path_join(dir, "tasks");
	char *demo = os_path_join(tasks, "demo/demo.h");
	char *mk[] = { "/bin/mkdir", "-p", dir, NULL };
	run_result r;

	(void)state;
	run_command(&r, NULL, mk);
	run_result_free(&r);
	HOST(&r, "new-task", "demo", "--tasks-dir", tasks);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "/tasks/demo, a task like email: check it with host check-task ");
	run_result_free(&r);
	host_in(&r, dir, "check-task tasks/demo");
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "task      demo: accuracy, higher is better; 20 training and 67 "
			"held-out cases");
	assert_contains(r.out, "tasks/demo is sound");
	run_result_free(&r);
	assert_true(os_is_file(demo));  /* the header renamed */
	HOST(&r, "new-task", "pac", "--like", "snake", "--tasks-dir", tasks);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "/tasks/pac, a task like snake");
	run_result_free(&r);
	expect_in(dir, "check-task tasks/pac", 0, "tasks/pac is sound");
	HOST(&r, "new-task", "fast", "--like", "sort", "--tasks-dir", tasks);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	expect_in(dir, "check-task tasks/fast", 0, "an evaluation keeps the best of 5 runs");
	/* a name as new-task takes it; the installed tasks that ./tasks hides
	 * are pointed to; a folder that is not there is named as such */
	expect_in(dir, "check-task demo", 0, "demo is sound");
	{
		/* the tasks installed beside this host; none beside make asan's */
		char installed[4200];
		snprintf(installed, sizeof(installed), "%s/../tasks/snake", harness_bin());
		if (os_is_dir(installed)) {
			expect_in(dir, "bench snake", 1, "no task 'snake' in tasks (tasks: demo, fast, "
				  "pac); the installed tasks in ");
			expect_in(dir, "bench snake", 1, " have it: pass --tasks-dir ");
		} else {
			expect_in(dir, "bench snake", 1, "no task 'snake' in tasks (tasks: demo, fast, "
				  "pac)\n");
		}
	}
	expect_in(dir, "bench snake --tasks-dir nowhere", 1, "the tasks folder nowhere does not "
		  "exist");
	expect_in(dir, "check-task nothere", 1, "no task 'nothere' in tasks (tasks: demo, fast, pac)\n");
	{
		char args[4200], *seed = realpath("seed", NULL);  /* wherever host is built */
		assert_non_null(seed);
		snprintf(args, sizeof(args), "init --tasks-dir tasks --tasks demo --from '%s'", seed);
		expect_in(dir, args, 0, "lab ready in .");
		free(seed);
	}
	expect_in(dir, "evolve --gens 3", 0, "3 generations in");
	/* bad input changes nothing */
	HOST(&r, "new-task", "demo", "--tasks-dir", tasks);
	assert_int_equal(r.status, 1);
	assert_contains(r.err, "/tasks/demo already exists; nothing was changed");
	run_result_free(&r);
	expect_in(dir, "new-task Demo", 1,
		  "'Demo' is not a task name: use lower-case letters, digits and '_'");
	expect_in(dir, "new-task x --like chess", 2,
		  "--like takes email, snake, sort or support, not 'chess'");
	expect_in(dir, "new-task", 2, "missing NAME (for example: host new-task demo)");
	os_remove_tree(dir);
	free(demo);
	free(tasks);
	free(dir);
}

/* make install into a DESTDIR: the installed host makes a lab and evolves
 * from an empty folder elsewhere, with its seed, tasks and sandbox. */
static void test_an_installed_host_works_from_anywhere(void **state)
{
	char *dir = harness_scratch("installed"), *root = os_path_join(dir, "root");
	char *empty = os_path_join(dir, "empty"), *bin = realpath(harness_bin(), NULL);
	char destdir[4200], binvar[4200];
	char *make[] = { "/usr/bin/make", "-s", "-o", "all", "install", destdir, "PREFIX=/usr",
			 binvar, NULL };
	char *mk[] = { "/bin/mkdir", "-p", empty, NULL };
	char cmd[8192];
	char *sh[] = { "/bin/sh", "-c", cmd, NULL };
	run_result r;

	(void)state;
	assert_non_null(bin);
	snprintf(destdir, sizeof(destdir), "DESTDIR=%s", root);
	snprintf(binvar, sizeof(binvar), "BIN=%s", bin);
	run_command(&r, NULL, make);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	run_command(&r, NULL, mk);
	run_result_free(&r);
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s/usr/bin/host' init && '%s/usr/bin/host' evolve "
		 "--gens 2", empty, root, root);
	run_command(&r, NULL, sh);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "lab ready in .: agent_code/ and generations/");
	assert_contains(r.out, "2 generations in");
	run_result_free(&r);
	os_remove_tree(dir);
	free(bin);
	free(empty);
	free(root);
	free(dir);
}

/* A slow task is not the seed's fault: a sort whose training runs take
 * about 250 ms of CPU each, 5 runs an evaluation, takes longer than an
 * agent's own 2 s for the smoke run's 2 evaluations; the smoke's limit
 * counts the task's. host init validates the seed on its first task so;
 * validate alone keeps the test short. */
static void test_a_slow_task_passes_the_smoke_test(void **state)
{
	char *tasks = edited_task_copy("slow_tasks", "sort", "initial.c",
				       "void sort_ints(int *a, int n)\n{\n",
				       "static volatile unsigned long spin;\n\n"
				       "void sort_ints(int *a, int n)\n{\n"
				       "\tstatic int burned;\n\tunsigned long i;\n\n"
				       "\tif (!burned)\n"
				       "\t\tfor (burned = 1, i = 0; i < 220000000UL; i++)\n"
				       "\t\t\tspin += i;\n");
	run_result r;

	(void)state;
	HOST(&r, "validate", "seed", "--task", "sort", "--tasks-dir", tasks);
	assert_contains(r.out, "smoke       pass\nseed: valid\n");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	os_remove_tree(tasks);
	free(tasks);
}

void test_group_user_tasks(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_lab_keeps_its_tasks_folder),
		cmocka_unit_test(test_no_agent_here_names_the_option),
		cmocka_unit_test(test_offline_changes_code_without_tune_marks),
		cmocka_unit_test(test_a_broken_driver_is_the_tasks_fault),
		cmocka_unit_test(test_check_task_names_what_is_wrong),
		cmocka_unit_test(test_a_new_task_passes_check_task),
		cmocka_unit_test(test_a_slow_task_passes_the_smoke_test),
		cmocka_unit_test(test_an_installed_host_works_from_anywhere),
	};

	HARNESS_GROUP(t, "user_tasks", tests);
}
