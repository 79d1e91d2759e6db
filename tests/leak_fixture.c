/*
 * leak_fixture.c - searching a run's products for secrets; see
 * leak_fixture.h.
 */
#include "leak_fixture.h"

#include "os.h"

#include <ctype.h>
#include <dirent.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEAK_PART 8

void leak_fixture_data(const char *where, const void *data, size_t len,
		       const char *const *secrets)
{
	size_t i, n;

	for (; data && *secrets; secrets++) {
		const char *secret = *secrets;
		for (i = 0; strlen(secret) >= LEAK_PART && secret[i + LEAK_PART - 1]; i++) {
			for (n = 0; n < LEAK_PART && isalnum((unsigned char)secret[i + n]); n++)
				;
			if (n == LEAK_PART && memmem(data, len, secret + i, LEAK_PART))
				fail_msg("%s holds \"%.*s\", a part of a secret", where, LEAK_PART,
					 secret + i);
		}
	}
}

void leak_fixture_text(const char *where, const char *text, const char *const *secrets)
{
	leak_fixture_data(where, text, text ? strlen(text) : 0, secrets);
}

typedef struct {
	git_odb *odb;
	const char *const *secrets;
} object_scan;

static int scan_object(const git_oid *id, void *payload)
{
	object_scan *scan = payload;
	git_odb_object *object;
	char where[64];

	assert_int_equal(git_odb_read(&object, scan->odb, id), 0);
	snprintf(where, sizeof(where), "git object %s", git_oid_tostr_s(id));
	leak_fixture_data(where, git_odb_object_data(object), git_odb_object_size(object),
			  scan->secrets);
	git_odb_object_free(object);
	return 0;
}

/* Every object of the lab's repository, inflated (packs are compressed):
 * commits, trees, blobs and the notes with their traces. */
static void scan_objects(const char *lab, const char *const *secrets)
{
	char *path = os_path_join(lab, "generations");
	git_repository *repo;
	object_scan scan = { NULL, secrets };

	git_libgit2_init();
	assert_int_equal(git_repository_open_bare(&repo, path), 0);
	assert_int_equal(git_repository_odb(&scan.odb, repo), 0);
	assert_int_equal(git_odb_foreach(scan.odb, scan_object, &scan), 0);
	git_odb_free(scan.odb);
	git_repository_free(repo);
	git_libgit2_shutdown();
	free(path);
}

/* Every file below `dir`, byte for byte: sources, logs, the lab's git files. */
static void scan_files(const char *dir, const char *const *secrets)
{
	DIR *d = opendir(dir);
	struct dirent *ent;

	assert_non_null(d);
	while ((ent = readdir(d)) != NULL) {
		char *path, *text;
		size_t len;
		if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
			continue;
		path = os_path_join(dir, ent->d_name);
		if (os_is_dir(path)) {
			scan_files(path, secrets);
		} else if (os_read_file(&text, &len, path) == 0) {
			leak_fixture_data(path, text, len, secrets);
			free(text);
		}
		free(path);
	}
	closedir(d);
}

void leak_fixture_run(const run_result *r, const char *lab, const char *record,
		      const llm_server *s, const char *key, const char *const *secrets)
{
	json_t *requests = llm_fixture_requests(s), *request;
	char *text = harness_read(record);
	size_t i;

	leak_fixture_text("stdout", r->out, secrets);
	leak_fixture_text("stderr", r->err, secrets);
	leak_fixture_text("the record", text, secrets);
	free(text);
	scan_files(lab, secrets);
	scan_objects(lab, secrets);
	assert_true(json_array_size(requests) > 0);
	json_array_foreach(requests, i, request) {
		assert_contains(json_string_value(json_object_get(json_object_get(request, "headers"),
								  "Authorization")), key);
		leak_fixture_text("a system prompt the server got",
				  json_string_value(json_object_get(request, "system")), secrets);
		leak_fixture_text("a prompt the server got",
				  json_string_value(json_object_get(request, "user")), secrets);
	}
	json_decref(requests);
}
