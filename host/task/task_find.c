/*
 * task_find.c - where tasks are: the tasks folder to use when none is
 * given, the names in a folder, and what to say when a name is not there.
 *
 * A ./tasks of the current folder (one `host new-task` made, say) is used
 * instead of the tasks installed beside host; a name missing from it is
 * refused saying where else it is, so that the installed tasks are not
 * hidden without a word.
 */
#include "task_internal.h"

#include "buf.h"
#include "error.h"
#include "os.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int task_default_root(char **out)
{
	char *installed;
	int rc;

	if (os_is_dir("tasks")) {
		*out = strdup("tasks");
		return *out ? 0 : err_set(ERR_SYSTEM, "out of memory");
	}
	if ((rc = os_beside_exe(&installed, "../tasks")) < 0)
		return rc;
	*out = realpath(installed, NULL);  /* said as a path, not .../bin/../tasks */
	if (!*out)
		*out = installed;
	else
		free(installed);
	return 0;
}

/* The installed tasks folder, normalised, when `root` is another; NULL. */
static char *installed_other(const char *root)
{
	char *installed, *real, *given;

	if (os_beside_exe(&installed, "../tasks") < 0)
		return NULL;
	real = realpath(installed, NULL);
	given = realpath(root, NULL);
	free(installed);
	if (real && given && strcmp(real, given) == 0) {
		free(real);
		real = NULL;
	}
	free(given);
	return real;
}

/* "no task 'snake' in tasks (tasks: demo)", saying where else it is: a
 * folder that does not exist is named as such, and a task the installed
 * folder has is pointed to. */
static int not_found(const char *root, const char *name)
{
	char *known, *other, *there;
	int rc;

	if (!os_is_dir(root))
		return err_set(ERR_NOTFOUND, "the tasks folder %s does not exist", root);
	known = task_list(root);
	other = installed_other(root);
	there = other ? os_path_join(other, name) : NULL;
	if (there && os_is_dir(there))
		rc = err_set(ERR_NOTFOUND, "no task '%s' in %s (tasks: %s); the installed tasks "
			     "in %s have it: pass --tasks-dir %s", name, root,
			     known && *known ? known : "none", other, other);
	else
		rc = err_set(ERR_NOTFOUND, "no task '%s' in %s (tasks: %s)", name, root,
			     known && *known ? known : "none");
	free(there);
	free(other);
	free(known);
	return rc;
}

int task_load(task **out, const char *root, const char *name)
{
	char *dir;
	int rc;

	*out = NULL;
	if (!*name || strchr(name, '/') || name[0] == '.')
		return err_set(ERR_INVALID, "'%s' is not a task name", name);
	dir = os_path_join(root, name);
	if (!dir)
		return err_set(ERR_SYSTEM, "out of memory");
	if (!os_is_dir(dir)) {
		rc = not_found(root, name);
	} else {
		rc = task_load_dir(out, dir);
	}
	free(dir);
	return rc;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *task_list(const char *root)
{
	char *names[256];
	size_t n = 0, i;
	struct dirent *ent;
	DIR *d = opendir(root);
	buf out = BUF_INIT;

	while (d && (ent = readdir(d)) != NULL && n < 256) {
		char *json = ent->d_name[0] == '.' ? NULL : os_path_join(root, ent->d_name);
		char *file = json ? os_path_join(json, "task.json") : NULL;
		if (file && os_is_file(file))
			names[n++] = strdup(ent->d_name);
		free(json);
		free(file);
	}
	if (d)
		closedir(d);
	qsort(names, n, sizeof(names[0]), compare_names);
	for (i = 0; i < n; i++) {
		buf_printf(&out, "%s%s", i ? ", " : "", names[i] ? names[i] : "");
		free(names[i]);
	}
	return buf_detach(&out);
}

static int by_default(const task *t)
{
	return t->timing_repeats == 0 && !t->opt_in;
}

void task_keep_defaults(task **tasks, size_t *n)
{
	size_t i, kept = 0, defaults = 0;

	for (i = 0; i < *n; i++)
		defaults += by_default(tasks[i]);
	if (defaults == 0)
		return;
	for (i = 0; i < *n; i++) {
		if (!by_default(tasks[i]))
			task_free(tasks[i]);
		else
			tasks[kept++] = tasks[i];
	}
	*n = kept;
}
