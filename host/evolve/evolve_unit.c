/*
 * evolve_unit.c - the units a Slurm step runs, as they travel: what every
 * unit carries (the task's folder, the agent files, the model's name), and
 * the evaluation unit, both ends; see evolve_unit_slurm in
 * evolve_internal.h. evolve_improve.c has the improve unit.
 *
 * A unit is one JSON frame: {kind, task: {name, files: {name: text}},
 * agents: {name: text}, llm: {model, run_ms} or absent offline, and the
 * kind's own fields}. The step writes the task's plain files to its
 * scratch folder and loads them as the host loaded the task: no file
 * system is shared. Its last word is {result..., usage, error}, error ""
 * when the unit ran.
 */
#include "evolve_internal.h"

#include "error.h"
#include "os.h"
#include "solution_model.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define UNIT_TASK_MAX (16u << 20)  /* a task's folder, all of it */

/* Task t's folder, its plain files only, as {name: text}. */
static int task_files(json_t **out, const task *t)
{
	DIR *d = opendir(t->dir);
	struct dirent *e;
	size_t total = 0;
	int rc = 0;

	*out = json_object();
	if (!d || !*out) {
		json_decref(*out);
		*out = NULL;
		return d ? err_set(ERR_SYSTEM, "out of memory") : err_sys("cannot read %s", t->dir);
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char *path = os_path_join(t->dir, e->d_name), *text = NULL;
		size_t len = 0;

		if (!path)
			rc = err_set(ERR_SYSTEM, "out of memory");
		else if (e->d_name[0] != '.' && os_is_file(path) &&
			 (rc = os_read_file_max(&text, &len, path, UNIT_TASK_MAX)) == 0 &&
			 ((total += len) > UNIT_TASK_MAX ||
			  json_object_set_new(*out, e->d_name, json_stringn(text, len)) < 0))
			rc = err_set(ERR_INVALID, "task %s cannot go to a Slurm step: %s is not "
				     "text, or the folder is over %u MB", t->name, e->d_name,
				     UNIT_TASK_MAX >> 20);
		free(text);
		free(path);
	}
	closedir(d);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int evolve_unit_pack(json_t **out, const char *kind, const task *t, const agent_files *files,
		     const agent_options *a)
{
	json_t *folder;
	int rc = task_files(&folder, t);

	*out = NULL;
	if (rc < 0)
		return rc;
	*out = json_pack("{s:s, s:{s:s, s:o}, s:o?, s:o?}", "kind", kind, "task", "name", t->name,
			 "files", folder, "agents", evolve_files_to_json(files),
			 "llm", llm_remote_about(a->llm));
	return *out && json_object_get(*out, "agents") ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

/* A name the unit gives that may be a file of the scratch folder. */
static int plain_name(const char *name)
{
	return name && *name && *name != '.' && !strchr(name, '/') && strlen(name) < 200;
}

/* Writes the unit's task folder into `dir` and loads it. */
static int load_task(task **out, const json_t *unit, const char *dir)
{
	const json_t *folder = json_object_get(unit, "task");
	const char *name = json_string_value(json_object_get(folder, "name")), *file;
	char *path = plain_name(name) ? os_path_join(dir, name) : NULL;
	json_t *text;
	int rc = path ? 0 : err_set(ERR_INVALID, "the unit names no task");

	*out = NULL;
	if (rc == 0 && mkdir(path, 0700) != 0)
		rc = err_sys("cannot make %s", path);
	json_object_foreach((json_t *)json_object_get(folder, "files"), file, text) {
		char *to;

		if (rc < 0)
			break;
		to = plain_name(file) ? os_path_join(path, file) : NULL;
		rc = !to || !json_is_string(text)
		     ? err_set(ERR_INVALID, "the unit's task has a file that is none: '%.60s'", file)
		     : os_write_file(to, json_string_value(text), json_string_length(text));
		free(to);
	}
	if (rc == 0)
		rc = task_load_dir(out, path);
	free(path);
	return rc;
}

int evolve_unit_unpack(evolve_unit_env *env, const json_t *unit, const char *dir, int in,
		       int out)
{
	const json_t *about = json_object_get(unit, "llm");
	int rc = load_task(&env->task, unit, dir);

	env->files.items = NULL;
	env->files.count = 0;
	env->llm = NULL;
	if (rc == 0)
		rc = evolve_files_from_json(&env->files, json_object_get(unit, "agents"));
	if (rc == 0 && json_is_object(about))
		rc = llm_open_remote(&env->llm, in, out, about);
	if (rc == 0 && env->llm)  /* a solution's model_ask asks the host too */
		solution_model_use(env->llm);
	return rc;
}

void evolve_unit_env_free(evolve_unit_env *env)
{
	if (env->llm)
		solution_model_use(NULL);
	llm_close(env->llm);
	agents_free(&env->files);
	task_free(env->task);
	env->llm = NULL;
	env->task = NULL;
}

/* The host's side of an evaluation unit: the common part, where the task
 * agent starts, and the settings of its runs. */
static int eval_unit(json_t **out, const task *t, const agent_files *files,
		     const evolve_eval_options *o, const evolve_start *s)
{
	char seed[32];
	int rc = evolve_unit_pack(out, "evaluate", t, files, &o->agent);

	snprintf(seed, sizeof(seed), "%llu", o->seed);
	if (rc == 0 &&
	    (json_object_set_new(*out, "start", json_pack("{s:i, s:s, s:i}", "number", s->number,
							   "initial", s->initial, "carried_from",
							   s->carried_from)) < 0 ||
	     json_object_set_new(*out, "options", json_pack("{s:i, s:s, s:i, s:i, s:i, s:i}",
							     "budget", o->budget, "seed", seed,
							     "trials", o->trials, "agent_slack_ms",
							     o->agent_slack_ms, "meta_ms", o->meta_ms,
							     "llm_calls", o->agent.llm_calls)) < 0))
		rc = err_set(ERR_SYSTEM, "out of memory");
	return rc;
}

/* The evaluation settings the unit carries; the model is the host's. */
static void unit_options(evolve_eval_options *o, evolve_unit_env *env, const json_t *unit)
{
	const json_t *opt = json_object_get(unit, "options");
	const char *seed = json_string_value(json_object_get(opt, "seed"));

	memset(o, 0, sizeof(*o));
	o->tasks = &env->task;
	o->n_tasks = 1;
	o->budget = (int)json_integer_value(json_object_get(opt, "budget"));
	o->seed = seed ? strtoull(seed, NULL, 10) : 0;
	o->trials = (int)json_integer_value(json_object_get(opt, "trials"));
	o->agent_slack_ms = (int)json_integer_value(json_object_get(opt, "agent_slack_ms"));
	o->meta_ms = (int)json_integer_value(json_object_get(opt, "meta_ms"));
	o->agent.llm_calls = (int)json_integer_value(json_object_get(opt, "llm_calls"));
	o->agent.llm = env->llm;
	o->jobs = 1;
}

int evolve_unit_evaluate(json_t **reply, const json_t *unit, evolve_unit_env *env)
{
	const json_t *start = json_object_get(unit, "start");
	evolve_start s = { (int)json_integer_value(json_object_get(start, "number")),
			   json_string_value(json_object_get(start, "initial")),
			   (int)json_integer_value(json_object_get(start, "carried_from")) };
	llm_usage used = { 0, 0, 0, 0, 0 };
	evolve_eval_options o;
	record_task result;
	int rc = s.initial ? 0 : err_set(ERR_INVALID, "the unit has no initial solution");

	unit_options(&o, env, unit);
	if (rc == 0)
		rc = evolve_unit_local(&result, env->task, &env->files, &o, &s, &used);
	*reply = json_pack("{s:o?, s:s?, s:o}", "result",
			   rc == 0 ? record_task_to_json(&result) : NULL,
			   "solution", rc == 0 ? result.solution : NULL,
			   "usage", llm_usage_to_json(&used));
	if (rc == 0)
		record_task_free(&result);
	return rc;
}

/* Reads the step's result into *out and its model use into *used. */
static int take_result(record_task *out, const task *t, const json_t *msg, llm_usage *used)
{
	const char *error = json_string_value(json_object_get(msg, "error"));
	const json_t *solution = json_object_get(msg, "solution");
	llm_usage u;
	int rc;

	llm_usage_from_json(&u, json_object_get(msg, "usage"));
	evolve_add_usage(used, &u);
	if (error && *error)
		return err_set(ERR_GENERIC, "its Slurm step failed: %s", error);
	if ((rc = record_task_from_json(out, t->name, json_object_get(msg, "result"))) < 0)
		return rc;
	if (json_is_string(solution) && !(out->solution = strdup(json_string_value(solution)))) {
		record_task_free(out);
		return err_set(ERR_SYSTEM, "out of memory");
	}
	return 0;
}


int evolve_unit_slurm(record_task *out, task *t, const agent_files *files,
		      const evolve_eval_options *o, const evolve_start *s, llm_usage *used)
{
	json_t *unit = NULL, *last = NULL;
	int rc = eval_unit(&unit, t, files, o, s);

	memset(out, 0, sizeof(*out));
	if (rc == 0 && (rc = evolve_slurm_run(&last, unit, &o->agent, &o->executor)) == 0)
		rc = take_result(out, t, last, used);
	json_decref(last);
	json_decref(unit);
	return rc;
}
