/*
 * lab_fixture.c - labs for the tests that need one; see lab_fixture.h.
 */
#include "lab_fixture.h"

#include "lab.h"
#include "os.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *scratch(const char *name)
{
	char *path = os_path_join(getenv("TMPDIR"), name);

	os_remove_tree(path);
	return path;
}

/* $TMPDIR/name with the seed's files `kept` that exist, and `file`
 * holding `text`. */
static char *seed_copy(const char *name, const char *const *kept, size_t n_kept,
		       const char *file, const char *text)
{
	char *dir = scratch(name), *path;
	size_t i;

	assert_int_equal(mkdir(dir, 0755), 0);
	for (i = 0; i < n_kept; i++) {
		char from[64], *seed_text;

		snprintf(from, sizeof(from), "seed/%s", kept[i]);
		if (!os_is_file(from))
			continue;
		assert_int_equal(os_read_file(&seed_text, NULL, from), 0);
		path = os_path_join(dir, kept[i]);
		assert_int_equal(os_write_file(path, seed_text, strlen(seed_text)), 0);
		free(path);
		free(seed_text);
	}
	path = os_path_join(dir, file);
	assert_int_equal(os_write_file(path, text, strlen(text)), 0);
	free(path);
	return dir;
}

char *seed_with_task_agent(const char *name, const char *task_agent)
{
	static const char *const kept[] = { "meta_agent.c", "meta_model.c", "meta_edits.c",
					    "meta_prompt.c", "meta_gi.c", "gi.h", "gi_internal.h",
					    "gi_parse.c", "gi.c", "memory.md" };

	return seed_copy(name, kept, sizeof(kept) / sizeof(kept[0]), "task_agent.c", task_agent);
}

char *seed_with_meta_agent(const char *name, const char *meta_agent)
{
	static const char *const kept[] = { "task_agent.c", "task_model.c", "gi.h", "gi_internal.h",
					    "gi_parse.c", "gi.c", "gi_search.c", "memory.md" };

	return seed_copy(name, kept, sizeof(kept) / sizeof(kept[0]), "meta_agent.c", meta_agent);
}

char *task_copy(const char *name, const char *task_name)
{
	char *root = scratch(name), *source = os_path_join("tasks", task_name);
	char *cp[] = { "/bin/cp", "-R", source, NULL, NULL };
	run_result r;

	assert_int_equal(mkdir(root, 0755), 0);
	cp[3] = os_path_join(root, task_name);
	run_command(&r, NULL, cp);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	free(cp[3]);
	free(source);
	return root;
}

char *edited_task_copy(const char *name, const char *task_name, const char *file,
		       const char *from, const char *to)
{
	char *root = task_copy(name, task_name), *dir = os_path_join(root, task_name);
	char *path = os_path_join(dir, file), *text, *changed;

	assert_int_equal(os_read_file(&text, NULL, path), 0);
	assert_non_null(strstr(text, from));
	changed = harness_subst(text, from, to, NULL);
	assert_int_equal(os_write_file(path, changed, strlen(changed)), 0);
	free(changed);
	free(text);
	free(path);
	free(dir);
	return root;
}

char *make_lab(const char *name, const char *tasks)
{
	char *dir = scratch(name);
	run_result r;

	HOST(&r, "init", "--dir", dir, "--tasks", (char *)tasks, "--budget", "3");
	if (r.status != 0)
		fail_msg("init failed: %s", r.err);
	run_result_free(&r);
	return dir;
}

int tag_count(const char *dir)
{
	lab l;
	int *numbers = NULL;
	size_t n = 0;

	assert_int_equal(lab_open(&l, dir, 0), 0);
	assert_int_equal(store_numbers(l.store, &numbers, &n), 0);
	free(numbers);
	lab_close(&l);
	return (int)n;
}

void git(run_result *r, const char *dir, const char *a, const char *b, const char *c,
	 const char *d)
{
	char gen[4096];
	char *argv[] = { "/usr/bin/git", "-C", gen, (char *)a, (char *)b, (char *)c, (char *)d, NULL };

	snprintf(gen, sizeof(gen), "%s/generations", dir);
	run_command(r, NULL, argv);
}

void assert_fsck_clean(const char *dir)
{
	run_result r;

	git(&r, dir, "fsck", "--strict", NULL, NULL);
	if (r.status != 0 || strstr(r.err, "error") || strstr(r.out, "error"))
		fail_msg("git fsck: %s%s", r.out, r.err);
	run_result_free(&r);
}

void assert_agent_code_is_main(const char *dir)
{
	buf changes = BUF_INIT;
	lab l;

	assert_int_equal(lab_open(&l, dir, 0), 0);
	if (lab_hand_edits(&l, &changes) != 0)
		fail_msg("agent_code/ differs from main: %s", changes.data);
	buf_free(&changes);
	lab_close(&l);
}

void assert_lab_intact(const char *dir, int tags, int live)
{
	int main_gen = -1;
	lab l;

	assert_int_equal(tag_count(dir), tags);
	assert_fsck_clean(dir);
	assert_agent_code_is_main(dir);
	assert_int_equal(lab_open(&l, dir, 0), 0);
	assert_int_equal(store_main(l.store, &main_gen), 0);
	assert_int_equal(main_gen, live);
	lab_close(&l);
}

void expect_failure(const char *message, char *const argv[])
{
	char expect[4096];
	run_result r;

	run_host_with(&r, NULL, argv);
	snprintf(expect, sizeof(expect), "host %s: %s\n", argv[1], message);
	if (r.status != 1 || strcmp(r.err, expect) != 0)
		fail_msg("host %s: exit %d, stderr:\n%sexpected exit 1 and:\n%s", argv[1], r.status,
			 r.err, expect);
	assert_string_equal(r.out, "");
	run_result_free(&r);
}

agent_files agent_code(const char *dir)
{
	char *path = os_path_join(dir, "agent_code");
	agent_files files;

	assert_int_equal(agents_load(&files, path), 0);
	free(path);
	return files;
}

void assert_same_files(const agent_files *a, const agent_files *b)
{
	size_t i;

	assert_int_equal(a->count, b->count);
	for (i = 0; i < a->count; i++)
		assert_string_equal(a->items[i].text, agents_get(b, a->items[i].name));
}

char *make_bulky_lab(const char *name, const char *seed_name)
{
	char *seed = scratch(seed_name), *dir = scratch(name);
	char *cp[] = { "/bin/cp", "-r", "seed", seed, NULL };
	agent_files f;
	run_result r;
	size_t i, k;

	run_command(&r, NULL, cp);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(agents_load(&f, seed), 0);
	for (i = 0; i < f.count; i++) {  /* 8 KB of noise that does not compress */
		buf text = BUF_INIT;
		unsigned int x = 12345u + (unsigned int)i;

		if (!strstr(f.items[i].name, ".c"))  /* headers are written as they are */
			continue;
		buf_printf(&text, "%s\n/*", f.items[i].text);
		for (k = 0; k < 8192; k++) {
			x = x * 1103515245u + 12345u;
			buf_printf(&text, "%c", 'a' + (int)((x >> 16) % 26));
		}
		buf_puts(&text, "*/\n");
		free(f.items[i].text);
		f.items[i].text = buf_detach(&text);
	}
	assert_int_equal(agents_write(&f, seed), 0);
	agents_free(&f);
	HOST(&r, "init", "--dir", dir, "--from", seed, "--tasks", "email", "--budget", "3");
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	os_remove_tree(seed);
	free(seed);
	return dir;
}
