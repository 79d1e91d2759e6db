/*
 * test_lab_hostile.c - a lab from someone else: generations whose trees
 * host never wrote (names that climb out of agent_code/, links,
 * submodules, folders, control characters, files over the caps), links
 * and FIFOs in place of the lock and the journal, and agent files far
 * over their cap. Each is refused with a message naming what is wrong,
 * and nothing outside the lab is written.
 */
#include "lab_fixture.h"

#include "agents.h"
#include "buf.h"
#include "os.h"

#include <fcntl.h>
#include <git2.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* An entry of a tree written by hand, unchecked. */
typedef struct {
	unsigned mode;
	char name[300];
	git_oid id;
} raw_entry;

/* What a crafted generation adds to gen_000's tree, and what host says. */
typedef struct {
	const char *folder;   /* NULL: the top of the tree */
	unsigned mode;
	const char *name;
	size_t size;          /* a blob of that many bytes; 0: a line of C */
	const char *says;     /* after "gen_NNN cannot be used: " */
} crafted;

/* git's order of entries: by name, a folder's as if it ended in '/'. */
static int compare_entries(const void *a, const void *b)
{
	const raw_entry *x = a, *y = b;
	char kx[302], ky[302];

	snprintf(kx, sizeof(kx), "%s%s", x->name, x->mode == GIT_FILEMODE_TREE ? "/" : "");
	snprintf(ky, sizeof(ky), "%s%s", y->name, y->mode == GIT_FILEMODE_TREE ? "/" : "");
	return strcmp(kx, ky);
}

/* A tree object of `e`, written as git stores one but with no check of
 * its names: what anyone can put in a repository. */
static git_oid raw_tree(git_repository *repo, raw_entry *e, size_t n)
{
	buf b = BUF_INIT;
	git_odb *odb;
	git_oid oid;
	size_t i;

	qsort(e, n, sizeof(*e), compare_entries);
	for (i = 0; i < n; i++) {
		buf_printf(&b, "%o %s", e[i].mode, e[i].name);
		buf_append(&b, "", 1);
		buf_append(&b, e[i].id.id, GIT_OID_RAWSZ);
	}
	assert_int_equal(buf_failed(&b), 0);
	assert_int_equal(git_repository_odb(&odb, repo), 0);
	assert_int_equal(git_odb_write(&oid, odb, b.data, b.len, GIT_OBJECT_TREE), 0);
	git_odb_free(odb);
	buf_free(&b);
	return oid;
}

/* The entries of `tree` but `skip`, appended to e[*n]. */
static void copy_entries(raw_entry *e, size_t *n, const git_tree *tree, const char *skip)
{
	size_t i;

	for (i = 0; tree && i < git_tree_entrycount(tree); i++) {
		const git_tree_entry *t = git_tree_entry_byindex(tree, i);
		if (skip && strcmp(git_tree_entry_name(t), skip) == 0)
			continue;
		assert_true(*n < 64);
		e[*n].mode = git_tree_entry_filemode(t);
		snprintf(e[*n].name, sizeof(e[*n].name), "%s", git_tree_entry_name(t));
		git_oid_cpy(&e[(*n)++].id, git_tree_entry_id(t));
	}
}

/* The entry `c` adds: a blob, a link's target, a folder holding x.c, or
 * a gitlink to `commit`. */
static raw_entry bad_entry(git_repository *repo, const crafted *c, const git_oid *commit)
{
	raw_entry e = { c->mode, "", { { 0 } } };
	char *text = malloc(c->size + 32);

	assert_non_null(text);
	memset(text, 'a', c->size);
	text[c->size] = '\0';
	snprintf(e.name, sizeof(e.name), "%s", c->name);
	if (!c->size)
		snprintf(text, 32, c->mode == GIT_FILEMODE_LINK ? "/etc/passwd" : "int crafted;\n");
	if (c->mode == GIT_FILEMODE_COMMIT) {
		git_oid_cpy(&e.id, commit);
	} else {
		assert_int_equal(git_blob_create_from_buffer(&e.id, repo, text, strlen(text)), 0);
		if (c->mode == GIT_FILEMODE_TREE) {
			raw_entry inside = { GIT_FILEMODE_BLOB, "x.c", e.id };
			e.id = raw_tree(repo, &inside, 1);
		}
	}
	free(text);
	return e;
}

/* gen_000's record as generation `number`'s: the note of a crafted one. */
static char *renumbered_note(git_repository *repo, const git_oid *gen0, int number)
{
	git_note *note;
	json_t *json;
	char *text;

	assert_int_equal(git_note_read(&note, repo, "refs/notes/commits", gen0), 0);
	json = json_loads(git_note_message(note), 0, NULL);
	assert_non_null(json);
	json_object_set_new(json, "generation", json_integer(number));
	json_object_set_new(json, "parent", json_integer(0));
	text = json_dumps(json, JSON_SORT_KEYS);
	json_decref(json);
	git_note_free(note);
	return text;
}

/* Tags as gen_`number` a child of gen_000 whose tree is gen_000's with
 * `c` added: a generation host would never write. */
static void craft_generation(const char *dir, int number, const crafted *c)
{
	raw_entry e[64], inside[64];
	size_t n = 0, n_inside = 0;
	git_repository *repo;
	git_object *gen0, *made;
	git_tree *top, *folder = NULL, *tree;
	git_tree_entry *had = NULL;
	git_signature *sig;
	git_oid oid, commit;
	char path[4096], tag[32], *note;

	snprintf(path, sizeof(path), "%s/generations", dir);
	git_libgit2_init();
	assert_int_equal(git_repository_open_bare(&repo, path), 0);
	assert_int_equal(git_revparse_single(&gen0, repo, "gen_000^{commit}"), 0);
	assert_int_equal(git_commit_tree(&top, (git_commit *)gen0), 0);
	if (c->folder && git_tree_entry_bypath(&had, top, c->folder) == 0)
		assert_int_equal(git_tree_lookup(&folder, repo, git_tree_entry_id(had)), 0);
	copy_entries(e, &n, top, c->folder);
	copy_entries(inside, &n_inside, folder, NULL);
	if (c->folder) {
		inside[n_inside++] = bad_entry(repo, c, git_object_id(gen0));
		e[n] = (raw_entry){ GIT_FILEMODE_TREE, "", raw_tree(repo, inside, n_inside) };
		snprintf(e[n++].name, sizeof(e[0].name), "%s", c->folder);
	} else {
		e[n++] = bad_entry(repo, c, git_object_id(gen0));
	}
	oid = raw_tree(repo, e, n);
	assert_int_equal(git_tree_lookup(&tree, repo, &oid), 0);
	assert_int_equal(git_signature_now(&sig, "host", "host@localhost"), 0);
	assert_int_equal(git_commit_create(&commit, repo, NULL, sig, sig, NULL, "crafted\n", tree,
					   1, (const git_commit **)&gen0), 0);
	note = renumbered_note(repo, git_object_id(gen0), number);
	assert_int_equal(git_note_create(&oid, repo, "refs/notes/commits", sig, sig, &commit,
					 note, 0), 0);
	snprintf(tag, sizeof(tag), "gen_%03d", number);
	assert_int_equal(git_object_lookup(&made, repo, &commit, GIT_OBJECT_COMMIT), 0);
	assert_int_equal(git_tag_create_lightweight(&oid, repo, tag, made, 0), 0);
	free(note);
	git_object_free(made);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(folder);
	git_tree_entry_free(had);
	git_tree_free(top);
	git_object_free(gen0);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

/* host ARGS --dir DIR fails, saying `says`, printing nothing on stdout. */
static void refused(const char *dir, const char *says, const char *a, const char *b,
		    const char *c)
{
	char *argv[] = { "host", (char *)a, (char *)b, (char *)c, NULL, NULL, NULL };
	int n = c ? 4 : b ? 3 : 2;
	run_result r;

	argv[n] = "--dir";
	argv[n + 1] = (char *)dir;
	run_host_with(&r, NULL, argv);
	if (r.status != 1 || !strstr(r.err, says))
		fail_msg("host %s: exit %d, stderr:\n%sexpected exit 1 and: %s", a, r.status, r.err,
			 says);
	assert_string_equal(r.out, "");
	run_result_free(&r);
}

static void set_main(const char *dir, const char *gen)
{
	run_result r;

	git(&r, dir, "update-ref", "refs/heads/main", gen, NULL);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
}

/* Crafted generations: revert, solution and diff refuse them; made live
 * in a lab handed over without agent_code/, checkout and evolve refuse
 * them too, and nothing is written, in the lab or outside it. */
static void test_crafted_trees_are_refused(void **state)
{
	char *dir = make_lab("craftlab", "email"), *code = os_path_join(dir, "agent_code");
	char *escaped = harness_scratch("escaped.c"), *abs_name = harness_scratch("abs.c");
	char abs_says[4200], says[4400], gen[32];
	const crafted cases[] = {
		{ NULL, GIT_FILEMODE_BLOB, "../../escaped.c", 0,
		  "'../../escaped.c' in its tree is not an agent file" },
		{ NULL, GIT_FILEMODE_BLOB, abs_name, 0, abs_says },
		{ NULL, GIT_FILEMODE_BLOB, "red\x1b[31m.c", 0,
		  "'red?[31m.c' in its tree is not an agent file" },
		{ NULL, GIT_FILEMODE_BLOB, "stdio.h", 0,
		  "'stdio.h' in its tree is the name of one of the host's headers" },
		{ NULL, GIT_FILEMODE_TREE, "..", 0,
		  "'..' in its tree is a folder other than solutions/ and arena/" },
		{ NULL, GIT_FILEMODE_TREE, "evil", 0,
		  "'evil' in its tree is a folder other than solutions/ and arena/" },
		{ NULL, GIT_FILEMODE_LINK, "link.c", 0, "'link.c' in its tree is a symbolic link" },
		{ NULL, GIT_FILEMODE_COMMIT, "sub", 0, "'sub' in its tree is a submodule" },
		{ "solutions", GIT_FILEMODE_BLOB, "../../escaped.c", 0,
		  "'solutions/../../escaped.c' in its tree is not a plain file name" },
		{ "arena", GIT_FILEMODE_BLOB, "..", 0, "'arena/..' in its tree is not a plain file name" },
		{ NULL, GIT_FILEMODE_BLOB, "big.c", 2 << 20,
		  "'big.c' in its tree is larger than 1 MB, the cap of one agent file" },
	};
	size_t i, n = sizeof(cases) / sizeof(cases[0]);
	run_result r;

	(void)state;
	snprintf(abs_says, sizeof(abs_says), "'%s' in its tree is not an agent file", abs_name);
	for (i = 0; i < n; i++) {
		snprintf(gen, sizeof(gen), "gen_%03zu", i + 1);
		snprintf(says, sizeof(says), "%s cannot be used: %s", gen, cases[i].says);
		craft_generation(dir, (int)i + 1, &cases[i]);
		refused(dir, says, "revert", gen, "--force");
		refused(dir, says, "solution", "email", gen);
		refused(dir, says, "diff", "gen_000", gen);
		set_main(dir, gen);
		os_remove_tree(code);
		refused(dir, says, "checkout", NULL, NULL);
		refused(dir, "; it is the live generation: make gen_000 live with", "checkout",
			NULL, NULL);
		refused(dir, says, "evolve", "--gens", "1");
		assert_false(os_is_dir(code));
		assert_false(os_is_file(escaped));
		assert_false(os_is_file(abs_name));
		set_main(dir, "gen_000");
		HOST(&r, "checkout", "--dir", dir);
		assert_int_equal(r.status, 0);
		run_result_free(&r);
	}
	assert_int_equal(tag_count(dir), (int)n + 1);
	assert_agent_code_is_main(dir);
	os_remove_tree(dir);
	free(abs_name);
	free(escaped);
	free(code);
	free(dir);
}

/* Whatever reads a set of agent files, agents_write writes none whose
 * name is not an agent file's: not even the valid ones beside it. */
static void test_agents_write_only_agent_names(void **state)
{
	char *dir = scratch("namedout"), *out = harness_scratch("out.c"), says[4200];
	agent_files f = { NULL, 0 };

	(void)state;
	assert_int_equal(agents_set(&f, "good.c", "int good;\n"), 0);
	assert_int_equal(agents_set(&f, "../out.c", "int out;\n"), 0);
	assert_int_equal(agents_write(&f, dir), ERR_INVALID);
	snprintf(says, sizeof(says), "%s: '../out.c' is not an agent file name; nothing was "
		 "written", dir);
	assert_string_equal(err_last(), says);
	assert_false(os_is_file(out));
	assert_false(os_is_dir(dir));
	agents_free(&f);
	free(out);
	free(dir);
}

/* `path` holds `text`. */
static void assert_holds(const char *path, const char *text)
{
	char *now = harness_read(path);

	assert_string_equal(now, text);
	free(now);
}

/* The lock and the journal replaced by links to a file of the user's, a
 * hard link to it, or a FIFO: refused with a message, the file intact. */
static void test_lock_and_journal_follow_no_link(void **state)
{
	static const char text[] = "the user's own file\n";
	char *dir = make_lab("linkedlab", "email"), *mine = harness_scratch("mine.txt");
	char *lock = os_path_join(dir, "generations/host.lock");
	char *journal = os_path_join(dir, "generations/host.journal");
	char *tmp = os_path_join(dir, "generations/host.journal.tmp");
	char *gens = os_path_join(dir, "generations"), *moved = os_path_join(dir, "elsewhere");
	char *checkout[] = { "host", "checkout", "--dir", dir, NULL };
	char *revert[] = { "host", "revert", "gen_001", "--dir", dir, NULL };
	char says[8192];
	run_result r;

	(void)state;
	HOST(&r, "evolve", "--dir", dir, "--gens", "1", "--quiet");  /* gen_001, to revert to */
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	assert_int_equal(os_write_file(mine, text, strlen(text)), 0);
	unlink(lock);
	assert_int_equal(symlink(mine, lock), 0);
	snprintf(says, sizeof(says), "%s is a symbolic link (to %s); host opens no file of its "
		 "own through a link: remove it", lock, mine);
	expect_failure(says, checkout);
	assert_holds(mine, text);
	assert_int_equal(unlink(lock), 0);
	assert_int_equal(link(mine, lock), 0);
	snprintf(says, sizeof(says), "%s has other names (hard links); host writes no file of "
		 "its own that is also another: remove it", lock);
	expect_failure(says, checkout);
	assert_holds(mine, text);
	assert_int_equal(unlink(lock), 0);
	assert_int_equal(symlink(mine, journal), 0);
	snprintf(says, sizeof(says), "%s is a symbolic link (to %s); host opens no file of its "
		 "own through a link: remove it", journal, mine);
	expect_failure(says, checkout);
	assert_holds(mine, text);
	assert_int_equal(unlink(journal), 0);
	assert_int_equal(mkfifo(journal, 0644), 0);
	snprintf(says, sizeof(says), "%s is not a regular file; remove it", journal);
	expect_failure(says, checkout);
	assert_int_equal(unlink(journal), 0);
	/* the journal's temporary file is written when main moves: the
	 * revert is recorded, but main does not move */
	assert_int_equal(symlink(mine, tmp), 0);
	snprintf(says, sizeof(says), "%s is a symbolic link (to %s); host opens no file of its "
		 "own through a link: remove it", tmp, mine);
	expect_failure(says, revert);
	assert_holds(mine, text);
	assert_int_equal(unlink(tmp), 0);
	assert_lab_intact(dir, 3, 0);
	/* generations/ itself as a link would take every write elsewhere */
	assert_int_equal(rename(gens, moved), 0);
	assert_int_equal(symlink(moved, gens), 0);
	snprintf(says, sizeof(says), "%s is a symbolic link; host works in no lab folder "
		 "through a link: make it the repository itself", gens);
	expect_failure(says, checkout);
	assert_int_equal(unlink(gens), 0);
	assert_int_equal(rename(moved, gens), 0);
	assert_lab_intact(dir, 3, 0);
	unlink(mine);
	os_remove_tree(dir);
	free(gens);
	free(moved);
	free(tmp);
	free(journal);
	free(lock);
	free(mine);
	free(dir);
}

/* A 2 GB agent file (sparse) is refused, naming the cap, having read
 * little more than the cap: host's peak memory is what refusing a file
 * one byte over the cap costs, far below the file's size. So are files within the cap each but over it in all. */
static void test_agent_files_are_read_up_to_their_cap(void **state)
{
	char *dir = scratch("bigagent"), *big = os_path_join(dir, "big.c"), says[4200];
	agent_files seed;
	run_result r;
	long base_kb;
	int fd, i;

	(void)state;
	assert_int_equal(agents_load(&seed, "seed"), 0);
	assert_int_equal(agents_write(&seed, dir), 0);
	agents_free(&seed);
	/* the same refusal of a file one byte over the cap: what it costs
	 * whatever the build (a sanitizer's adds its own hundreds of MB) */
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)AGENTS_MAX_FILE_BYTES + 1), 0);
	run_host(&r, "validate", dir, NULL);
	assert_int_equal(r.status, 1);
	base_kb = r.max_rss_kb;
	run_result_free(&r);
	assert_int_equal(ftruncate(fd, (off_t)2 << 30), 0);
	close(fd);
	run_host(&r, "validate", dir, NULL);
	snprintf(says, sizeof(says), "host validate: %s: 'big.c' is larger than 1 MB, the cap of "
		 "one agent file\n", dir);
	if (r.max_rss_kb > base_kb + 64 * 1024)
		fail_msg("host validate used %ld MB to refuse a 2 GB file, %ld MB for one byte "
			 "over the cap", r.max_rss_kb >> 10, base_kb >> 10);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, says);
	run_result_free(&r);
	unlink(big);
	for (i = 0; i < 9; i++) {  /* 1 MB each: at the cap of one file */
		char name[64], *path, *text = malloc(AGENTS_MAX_FILE_BYTES);
		assert_non_null(text);
		memset(text, 'a', AGENTS_MAX_FILE_BYTES);
		snprintf(name, sizeof(name), "part_%d.c", i);
		path = os_path_join(dir, name);
		assert_int_equal(os_write_file(path, text, AGENTS_MAX_FILE_BYTES), 0);
		free(path);
		free(text);
	}
	run_host(&r, "validate", dir, NULL);
	snprintf(says, sizeof(says), "host validate: %s: the agent files are larger than 8 MB in "
		 "all, the cap of an agent's files\n", dir);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, says);
	run_result_free(&r);
	os_remove_tree(dir);
	free(big);
	free(dir);
}

/* os_read_file_max takes a file of exactly its cap, and refuses one byte
 * more having read no further. */
static void test_bounded_read(void **state)
{
	char *path = harness_scratch("bounded.txt"), *text = NULL, says[4200];
	size_t len = 0;

	(void)state;
	assert_int_equal(os_write_file(path, "0123456789", 10), 0);
	assert_int_equal(os_read_file_max(&text, &len, path, 10), 0);
	assert_string_equal(text, "0123456789");
	assert_int_equal(len, 10);
	free(text);
	assert_int_equal(os_read_file_max(&text, &len, path, 9), ERR_INVALID);
	assert_null(text);
	snprintf(says, sizeof(says), "%s is larger than 9 bytes", path);
	assert_string_equal(err_last(), says);
	unlink(path);
	free(path);
}

void test_group_lab_hostile(harness_totals *t)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crafted_trees_are_refused),
		cmocka_unit_test(test_agents_write_only_agent_names),
		cmocka_unit_test(test_lock_and_journal_follow_no_link),
		cmocka_unit_test(test_agent_files_are_read_up_to_their_cap),
		cmocka_unit_test(test_bounded_read),
	};

	HARNESS_GROUP(t, "lab_hostile", tests);
}
