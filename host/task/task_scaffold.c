/*
 * task_scaffold.c - a new task folder made from an existing task; see
 * task_scaffold in task.h.
 *
 * A new task is easiest to write by changing one that works: the scaffold
 * is a copy of the model task (email, snake, sort or support) under the
 * new name, its header renamed to NAME.h and every reference to it
 * changed, each C file opening with a comment that says what to change. It passes host
 * check-task as written, so a user changes a working task step by step.
 */
#include "task_internal.h"

#include "buf.h"
#include "error.h"
#include "os.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* What each C file is for, and what to change in it; `rubric`: the
 * model task's labels are rubric.json's checks. */
static const char *role(const char *file, int is_header, int rubric)
{
	if (is_header)
		return "the interface a solution implements: change the entry points and "
		       "their types (and task.json's \"entry\")";
	if (strcmp(file, "initial.c") == 0)
		return "the starting solution the agents improve: any correct, simple one";
	if (strcmp(file, "driver.c") == 0)
		return "runs in the sandbox: calls the solution on each input and writes what "
		       "it did to the transcript; it never sees the labels";
	if (strcmp(file, "oracle.c") == 0)
		return "labels any input of the task, for the arena's test agents (oracle_label, "
		       "in a sandbox of its own): it must agree with every labelled case, which "
		       "host check-task checks";
	if (strcmp(file, "score.c") == 0 && rubric)
		return "scores each answer with the host's rubric_score against its case's "
		       "checks, which the host makes from rubric.json ({\"train\": [{\"case\", "
		       "\"checks\"}], \"holdout\": [...]}, an entry for every case); "
		       "feedback_size 0 means held-out cases: name none";
	if (strcmp(file, "score.c") == 0)
		return "scores a transcript against the cases and their labels, in a sandbox of "
		       "its own (with the run's CPU time from transcript_cpu_ns() when task.json "
		       "has \"timing\"); feedback_size 0 means held-out cases: name none";
	return "a header of the task";
}

/* `text` with each `from` replaced by `to`, into *out. */
static void replace_all(buf *out, const char *text, const char *from, const char *to)
{
	const char *at;
	size_t n = strlen(from);

	while ((at = strstr(text, from)) != NULL) {
		buf_append(out, text, (size_t)(at - text));
		buf_puts(out, to);
		text = at + n;
	}
	buf_puts(out, text);
}

/* Copies one file of the model into the new folder, renamed. */
static int copy_file(const task *like, const char *dir, const char *name, const char *file)
{
	char from_h[300], to_h[300], *path = os_path_join(like->dir, file), *text = NULL;
	char *target_name = strcmp(file, like->header) == 0 ? NULL : (char *)file, *target;
	size_t len = strlen(file);
	buf out = BUF_INIT;
	int rc = path ? os_read_file(&text, NULL, path) : err_set(ERR_SYSTEM, "out of memory");

	snprintf(from_h, sizeof(from_h), "%s", like->header);
	snprintf(to_h, sizeof(to_h), "%s.h", name);
	if (rc == 0 && len > 2 && (strcmp(file + len - 2, ".c") == 0 || !target_name))
		buf_printf(&out, "/*\n * %s, task %s (made by host new-task from %s): %s.\n */\n",
			   target_name ? file : to_h, name, like->name,
			   role(file, !target_name, like->rubric_checks > 0));
	if (rc == 0 && strcmp(file, "task.json") == 0) {
		char from_n[300], to_n[300];
		buf renamed = BUF_INIT;
		snprintf(from_n, sizeof(from_n), "\"name\": \"%s\"", like->name);
		snprintf(to_n, sizeof(to_n), "\"name\": \"%s\"", name);
		replace_all(&renamed, text, from_n, to_n);
		replace_all(&out, buf_cstr(&renamed), from_h, to_h);
		buf_free(&renamed);
	} else if (rc == 0) {
		replace_all(&out, text, from_h, to_h);
	}
	target = os_path_join(dir, target_name ? target_name : to_h);
	if (rc == 0 && (rc = buf_failed(&out)) == 0)
		rc = target ? os_write_file(target, out.data, out.len)
			    : err_set(ERR_SYSTEM, "out of memory");
	buf_free(&out);
	free(target);
	free(text);
	free(path);
	return rc;
}

static int valid_name(const char *name)
{
	size_t i;

	for (i = 0; name[i]; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_'))
			return 0;
	return i > 0 && i < 64;
}

/* Copies every file of the model's folder. */
static int copy_files(const task *like, const char *dir, const char *name)
{
	struct dirent *e;
	DIR *d = opendir(like->dir);
	int rc = 0;

	if (!d)
		return err_sys("cannot read %s", like->dir);
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char *path = os_path_join(like->dir, e->d_name);
		if (e->d_name[0] != '.' && path && os_is_file(path))
			rc = copy_file(like, dir, name, e->d_name);
		free(path);
	}
	closedir(d);
	return rc;
}

int task_scaffold(char **out, const char *root, const char *name, const char *like_root,
		  const char *like_name)
{
	task *like;
	char *dir;
	int rc;

	*out = NULL;
	if (!valid_name(name))
		return err_set(ERR_INVALID, "'%s' is not a task name: use lower-case letters, digits "
			       "and '_'", name);
	if (!(dir = os_path_join(root, name)))
		return err_set(ERR_SYSTEM, "out of memory");
	if (os_is_dir(dir) || os_is_file(dir)) {
		rc = err_set(ERR_INVALID, "%s already exists; nothing was changed", dir);
		free(dir);
		return rc;
	}
	if ((rc = task_load(&like, like_root, like_name)) < 0) {
		free(dir);
		return rc;
	}
	if (mkdir(root, 0755) != 0 && !os_is_dir(root))
		rc = err_sys("cannot make %s", root);
	else if (mkdir(dir, 0755) != 0)
		rc = err_sys("cannot make %s", dir);
	else if ((rc = copy_files(like, dir, name)) < 0)
		os_remove_tree(dir);  /* half a task is worse than none */
	task_free(like);
	if (rc < 0)
		free(dir);
	else
		*out = dir;
	return rc;
}
