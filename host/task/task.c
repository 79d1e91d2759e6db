/*
 * task.c - loads and checks task folders; see task.h.
 *
 * Every problem is reported with the file and the field, so that someone
 * writing a new task.json is told exactly what to fix:
 *     tasks/snake/task.json: field 'budget.wall_ms' must be a positive integer
 */
#include "task_internal.h"

#include "buf.h"
#include "error.h"
#include "os.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TASK_SCORE_MS 10000  /* budget.score_ms when task.json has none */

typedef struct {
	const char *file;   /* task.json's path, for messages */
	const json_t *root;
} task_json;

static const json_t *lookup(const task_json *tj, const char *field)
{
	const json_t *node = tj->root;
	char key[64];
	const char *p = field, *dot;

	while (node && (dot = strchr(p, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - p), p);
		node = json_object_get(node, key);
		p = dot + 1;
	}
	return node ? json_object_get(node, p) : NULL;
}

static int field_error(const task_json *tj, const char *field, const char *what)
{
	if (!lookup(tj, field))
		return err_set(ERR_INVALID, "%s: field '%s' is missing", tj->file, field);
	return err_set(ERR_INVALID, "%s: field '%s' must be %s", tj->file, field, what);
}

static int get_string(char **out, const task_json *tj, const char *field)
{
	const char *value = json_string_value(lookup(tj, field));

	if (!value || !*value)
		return field_error(tj, field, "a non-empty string");
	*out = strdup(value);
	return *out ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

static int get_number(double *out, const task_json *tj, const char *field)
{
	const json_t *value = lookup(tj, field);

	if (!json_is_number(value))
		return field_error(tj, field, "a number");
	*out = json_number_value(value);
	return 0;
}

static int get_positive_int(int *out, const task_json *tj, const char *field)
{
	const json_t *value = lookup(tj, field);

	if (!json_is_integer(value) || json_integer_value(value) <= 0 ||
	    json_integer_value(value) > 3600 * 1000)
		return field_error(tj, field, "a positive integer");
	*out = (int)json_integer_value(value);
	return 0;
}

static int get_entry(task *t, const task_json *tj)
{
	const json_t *entry = lookup(tj, "entry");
	size_t i, n = json_array_size(entry);

	if (!json_is_array(entry) || n == 0 || n > 32)
		return field_error(tj, "entry", "a list of 1 to 32 function names");
	t->entry = calloc(n, sizeof(*t->entry));
	if (!t->entry)
		return err_set(ERR_SYSTEM, "out of memory");
	for (i = 0; i < n; i++) {
		const char *name = json_string_value(json_array_get(entry, i));
		if (!name || !*name)
			return field_error(tj, "entry", "a list of 1 to 32 function names");
		t->entry[t->n_entry++] = strdup(name);
	}
	return 0;
}

/* A case set is a list, {"range": [a, b]} or {"file": "cases.json"}. */
static int get_cases(task_case **cases, size_t *n, const task_json *tj,
		     const char *dir, const char *field)
{
	const json_t *spec = lookup(tj, field);
	char where[256];
	int rc;

	snprintf(where, sizeof(where), "%s: field '%s'", tj->file, field);
	if (json_is_array(spec))
		rc = task_cases_from_array(cases, n, spec, where);
	else if (json_object_get(spec, "range"))
		rc = task_cases_from_range(cases, n, json_object_get(spec, "range"), where);
	else if (json_is_string(json_object_get(spec, "file")))
		rc = task_cases_from_file(cases, n, dir,
				     json_string_value(json_object_get(spec, "file")), where);
	else
		return field_error(tj, field, "a list of cases, {\"range\": [a, b]} "
				   "or {\"file\": \"cases.json\"}");
	if (rc == 0 && *n == 0)
		return field_error(tj, field, "a non-empty set of cases");
	return rc;
}

static int read_task_file(char **out, const char *dir, const char *name)
{
	char *path = os_path_join(dir, name);
	int rc;

	if (!path)
		return err_set(ERR_SYSTEM, "out of memory");
	rc = os_read_file(out, NULL, path);
	if (rc == ERR_NOTFOUND)
		rc = err_set(ERR_NOTFOUND, "%s: missing file (every task needs "
			     "task.json, its header, initial.c, driver.c and score.c)",
			     path);
	free(path);
	return rc;
}

/* A file a task may leave out: *out stays NULL when it is missing. */
static int read_optional_file(char **out, const char *dir, const char *name)
{
	char *path = os_path_join(dir, name);
	int rc;

	*out = NULL;
	if (!path)
		return err_set(ERR_SYSTEM, "out of memory");
	rc = os_is_file(path) ? os_read_file(out, NULL, path) : 0;
	free(path);
	return rc;
}

static int add_header(task *t, const char *name)
{
	task_header *h = &t->headers[t->n_headers];

	if (!(h->name = strdup(name)))
		return err_set(ERR_SYSTEM, "out of memory");
	t->n_headers++;
	return read_task_file(&h->text, t->dir, name);
}

static int is_header_name(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	return len > 2 && len <= 64 && !strchr(name, '/') && name[0] != '.' &&
	       strcmp(name + len - 2, ".h") == 0;
}

/* The interface header, then the optional "headers": what the driver and
 * the solution may include, and all of the task folder they can read. */
static int get_headers(task *t, const task_json *tj)
{
	const json_t *more = lookup(tj, "headers"), *h;
	size_t i;
	int rc;

	if (more && (!json_is_array(more) || json_array_size(more) > 16))
		return field_error(tj, "headers", "a list of at most 16 header file names");
	if (!is_header_name(t->header))
		return field_error(tj, "header", "a header file name (NAME.h) in the task folder");
	t->headers = calloc(json_array_size(more) + 1, sizeof(*t->headers));
	if (!t->headers)
		return err_set(ERR_SYSTEM, "out of memory");
	if ((rc = add_header(t, t->header)) < 0)
		return rc;
	json_array_foreach(more, i, h) {
		if (!is_header_name(json_string_value(h)))
			return field_error(tj, "headers", "a list of header file names (NAME.h)");
		if ((rc = add_header(t, json_string_value(h))) < 0)
			return rc;
	}
	t->header_text = strdup(t->headers[0].text);
	return t->header_text ? 0 : err_set(ERR_SYSTEM, "out of memory");
}

/* Copies the declared headers into a folder of their own: the task folder
 * also holds score.c and the labels, which no sandbox may read. */
static int make_header_dir(task *t)
{
	size_t i;
	int rc = os_make_scratch(&t->header_dir, "host-headers");

	t->header_dir_owner = (int)getpid();
	for (i = 0; rc == 0 && i < t->n_headers; i++) {
		char *path = os_path_join(t->header_dir, t->headers[i].name);
		rc = path ? os_write_file(path, t->headers[i].text, strlen(t->headers[i].text))
			  : err_set(ERR_SYSTEM, "out of memory");
		free(path);
	}
	return rc;
}

static int get_direction(task *t, const task_json *tj)
{
	const char *dir = json_string_value(lookup(tj, "direction"));

	if (!dir || (strcmp(dir, "higher") && strcmp(dir, "lower")))
		return field_error(tj, "direction", "\"higher\" or \"lower\"");
	t->higher_is_better = strcmp(dir, "higher") == 0;
	return 0;
}

/* An optional object of one member, `field` ("timing.repeats"), an
 * integer from 1 to `max`: *out, or 0 when the object is absent.
 * `example` shows the object in the error. */
static int get_option_int(int *out, const task_json *tj, const char *field, int max,
			  const char *example)
{
	char object[32], what[48];
	const json_t *value = lookup(tj, field);

	snprintf(object, sizeof(object), "%.*s", (int)strcspn(field, "."), field);
	*out = 0;
	if (!lookup(tj, object))
		return 0;
	snprintf(what, sizeof(what), "an integer from 1 to %d", max);
	if (!json_is_object(lookup(tj, object)))
		return field_error(tj, object, example);
	if (!json_is_integer(value) || json_integer_value(value) < 1 ||
	    json_integer_value(value) > max)
		return field_error(tj, field, what);
	*out = (int)json_integer_value(value);
	return 0;
}

/* "timing": {"repeats": K}, optional: each evaluation runs K times and
 * keeps the best score (see eval.h). */
static int get_timing(task *t, const task_json *tj)
{
	return get_option_int(&t->timing_repeats, tj, "timing.repeats", TASK_REPEATS_MAX,
			      "an object such as {\"repeats\": 5}");
}

/* "model": {"calls_per_case": N}, optional: a solution may ask the model
 * (task_abi.h's model_ask), N times per case of a run. */
static int get_model(task *t, const task_json *tj)
{
	return get_option_int(&t->model_calls, tj, "model.calls_per_case", TASK_MODEL_CALLS_MAX,
			      "an object such as {\"calls_per_case\": 1}");
}

/* A number of "judge" within [lo, hi], or `fallback` when left out. */
static int judge_number(double *out, const task_json *tj, const char *field, double lo,
			double hi, double fallback, const char *what)
{
	const json_t *v = lookup(tj, field);

	*out = fallback;
	if (!v)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi ||
	    (strcmp(field, "judge.repeats") == 0 && !json_is_integer(v)) ||
	    (strcmp(field, "judge.weight") == 0 && json_number_value(v) <= 0))
		return field_error(tj, field, what);
	*out = json_number_value(v);
	return 0;
}

/* "judge": {"repeats": K, "weight": W}, optional: a model grades each
 * answer K times, and weighs W in the task's fitness (evolve_judge.c). */
static int get_judge(task *t, const task_json *tj)
{
	const json_t *judge = lookup(tj, "judge");
	char what[48];
	double repeats;
	int rc;

	if (!judge)
		return 0;
	if (!json_is_object(judge))
		return field_error(tj, "judge", "an object such as {\"repeats\": 3, \"weight\": 0.5}");
	snprintf(what, sizeof(what), "an integer from 1 to %d", TASK_REPEATS_MAX);
	if ((rc = judge_number(&repeats, tj, "judge.repeats", 1, TASK_REPEATS_MAX,
			       TASK_JUDGE_REPEATS, what)) < 0 ||
	    (rc = judge_number(&t->judge_weight, tj, "judge.weight", 0, 1, TASK_JUDGE_WEIGHT,
			       "a number above 0 and at most 1")) < 0)
		return rc;
	t->judge_repeats = (int)repeats;
	if (!t->higher_is_better || t->timing_repeats > 0)
		return field_error(tj, "judge", "left out: a judged task's direction is \"higher\", "
				   "and it is not timed");
	return 0;
}

/* "default", optional: false leaves the task out of runs that name none. */
static int get_default(task *t, const task_json *tj)
{
	const json_t *value = lookup(tj, "default");

	t->opt_in = json_is_false(value);
	return !value || json_is_boolean(value) ? 0 : field_error(tj, "default", "true or false");
}

/* The name, which must be the folder's: a task is known by its folder. */
static int get_name(task *t, const task_json *tj)
{
	size_t end = strlen(t->dir), start;
	char want[256];
	int rc = get_string(&t->name, tj, "name");

	while (end > 1 && t->dir[end - 1] == '/')
		end--;
	for (start = end; start > 0 && t->dir[start - 1] != '/'; start--)
		;
	snprintf(want, sizeof(want), "the task folder's name, '%.*s'", (int)(end - start),
		 t->dir + start);
	if (rc == 0 && (strlen(t->name) != end - start || strncmp(t->name, t->dir + start, end - start)))
		return field_error(tj, "name", want);
	return rc;
}

/* Every member of task.json and of its objects is one the host reads. */
static int known_fields(const task_json *tj)
{
	static const char *const top[] = {
		"name", "description", "metric", "direction", "header", "headers", "entry",
		"baseline", "target", "budget", "timing", "model", "train", "holdout", "default",
		"judge",
		NULL,
	};
	static const char *const budget[] = { "wall_ms", "cpu_ms", "memory_mb", "score_ms", NULL };
	static const char *const timing[] = { "repeats", NULL };
	static const char *const model[] = { "calls_per_case", NULL };
	static const char *const judge[] = { "repeats", "weight", NULL };
	static const char *const cases[] = { "range", "file", NULL };
	static const struct { const char *field; const char *const *known; } nested[] = {
		{ "budget", budget }, { "timing", timing }, { "model", model }, { "train", cases },
		{ "holdout", cases }, { "judge", judge },
	};
	char prefix[16];
	size_t i;
	int rc = task_known_fields(tj->root, tj->file, "", top);

	for (i = 0; rc == 0 && i < sizeof(nested) / sizeof(nested[0]); i++) {
		const json_t *object = lookup(tj, nested[i].field);
		snprintf(prefix, sizeof(prefix), "%s.", nested[i].field);
		if (json_is_object(object))
			rc = task_known_fields(object, tj->file, prefix, nested[i].known);
	}
	return rc;
}

static int parse_task(task *t, const task_json *tj)
{
	int rc;

	if ((rc = known_fields(tj)) || (rc = get_name(t, tj)) ||
	    (rc = get_string(&t->description, tj, "description")) ||
	    (rc = get_string(&t->metric, tj, "metric")) ||
	    (rc = get_string(&t->header, tj, "header")) ||
	    (rc = get_entry(t, tj)) || (rc = get_direction(t, tj)) ||
	    (rc = get_number(&t->baseline, tj, "baseline")) ||
	    (rc = get_number(&t->target, tj, "target")) ||
	    (rc = get_positive_int(&t->budget.wall_ms, tj, "budget.wall_ms")) ||
	    (rc = get_positive_int(&t->budget.cpu_ms, tj, "budget.cpu_ms")) ||
	    (rc = get_positive_int(&t->budget.memory_mb, tj, "budget.memory_mb")) ||
	    (lookup(tj, "budget.score_ms") &&
	     (rc = get_positive_int(&t->score_ms, tj, "budget.score_ms"))) ||
	    (rc = get_timing(t, tj)) || (rc = get_model(t, tj)) || (rc = get_default(t, tj)) ||
	    (rc = get_judge(t, tj)) ||
	    (rc = get_cases(&t->train, &t->n_train, tj, t->dir, "train")) ||
	    (rc = get_cases(&t->holdout, &t->n_holdout, tj, t->dir, "holdout")))
		return rc;
	if (t->baseline == t->target)
		return field_error(tj, "target", "different from 'baseline'");
	if ((rc = get_headers(t, tj)) ||
	    (rc = read_task_file(&t->initial_text, t->dir, "initial.c")) ||
	    (rc = read_task_file(&t->driver_text, t->dir, "driver.c")) ||
	    (rc = read_task_file(&t->score_text, t->dir, "score.c")) ||
	    (rc = read_optional_file(&t->oracle_text, t->dir, "oracle.c")) ||
	    (rc = task_rubric_apply(t, tj->file)))
		return rc;
	if (t->judge_repeats > 0 && t->rubric_checks == 0)
		return field_error(tj, "judge", "left out, or a rubric.json beside task.json: the "
				   "judge grades answers against the rubric");
	return make_header_dir(t);
}

int task_load_dir(task **out, const char *dir)
{
	task_json tj;
	json_error_t jerr;
	char *path;
	json_t *root;
	task *t;
	int rc;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	path = os_path_join(dir, "task.json");
	if (!t || !path || !(t->dir = realpath(dir, NULL))) {
		rc = t && path ? err_sys("%s: not a task folder", dir)
			       : err_set(ERR_SYSTEM, "out of memory");
		goto done;
	}
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root)) {
		rc = !os_is_file(path)
			? err_set(ERR_NOTFOUND, "%s: missing file", path)
			: err_set(ERR_INVALID, "%s:%d: %s", path, jerr.line,
				  root ? "expected a JSON object" : jerr.text);
		json_decref(root);
		goto done;
	}
	tj.file = path;
	tj.root = root;
	t->score_ms = TASK_SCORE_MS;
	rc = parse_task(t, &tj);
	json_decref(root);
done:
	free(path);
	if (rc < 0)
		task_free(t);
	else
		*out = t;
	return rc;
}

void task_view(task *out, const task *t, const task_case *train, size_t n_train,
	       const char *initial)
{
	*out = *t;
	out->train = (task_case *)train;
	out->n_train = n_train;
	out->initial_text = (char *)initial;
	out->header_dir_owner = 0;  /* never the view's to remove */
}

void task_free(task *t)
{
	size_t i;

	if (!t)
		return;
	if (t->header_dir && t->header_dir_owner == (int)getpid())
		os_remove_tree(t->header_dir);
	free(t->header_dir);
	for (i = 0; i < t->n_headers; i++) {
		free(t->headers[i].name);
		free(t->headers[i].text);
	}
	free(t->headers);
	for (i = 0; i < t->n_entry; i++)
		free(t->entry[i]);
	free(t->entry);
	task_cases_free(t->train, t->n_train);
	task_cases_free(t->holdout, t->n_holdout);
	free(t->name);
	free(t->dir);
	free(t->description);
	free(t->metric);
	free(t->header);
	free(t->header_text);
	free(t->initial_text);
	free(t->driver_text);
	free(t->score_text);
	free(t->oracle_text);
	free(t);
}
