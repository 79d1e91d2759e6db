/*
 * cmd_lab.c - controlling the live agent: `host revert`, `host commit`,
 * `host checkout` and `host status`.
 *
 * Nothing here deletes a generation: revert adds one, commit adds one,
 * checkout only rewrites agent_code/ from main.
 */
#include "args.h"
#include "cli.h"
#include "error.h"
#include "evolve.h"
#include "os.h"
#include "print.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char revert_help[] =
	"usage: host revert gen_N [--force] [--dir D]\n"
	"\n"
	"Makes gen_N the live agent again: adds a new generation on main with\n"
	"gen_N's files and fitness, and rewrites agent_code/. Nothing is deleted.\n"
	"An invalid generation is refused unless --force. When the live\n"
	"generation has gen_N's agent files already, nothing is made.\n";

static const char commit_help[] =
	"usage: host commit -m MSG [--dir D] [--tasks-dir DIR]\n"
	"\n"
	"Validates the hand edits in agent_code/, evaluates them like any\n"
	"generation and records them as a new live generation.\n";

static const char checkout_help[] =
	"usage: host checkout [--dir D]\n"
	"\n"
	"Discards hand edits: rewrites agent_code/ as the live generation.\n";

static const char status_help[] =
	"usage: host status [--dir D]\n"
	"\n"
	"Shows the live generation and its fitness, the lab's size, its\n"
	"training tasks and their folder, the mode (offline or an LLM\n"
	"provider), the spend, whether solutions are carried (host init\n"
	"--carry), and any lock or hand edits.\n";

static int open_writer(lab *l, const char *command, const char *dir)
{
	return lab_open(l, dir, 1) < 0 ? cli_fail(command, "%s", err_last()) : CLI_OK;
}

static int revert_to(lab *l, int target, int force)
{
	record r;
	int rc = evolve_revert(&r, l, target, force);

	if (rc < 0)
		return cli_fail("revert", "%s", err_last());
	if (rc == EVOLVE_UNCHANGED)
		cli_print_line("nothing to revert: the live generation, gen_%03d, has gen_%03d's "
			       "agent files already; no generation was made", r.number, target);
	else
		cli_print_line("gen_%03d: %s; agent_code/ is gen_%03d's again (fitness %.4f)",
			       r.number, r.reason, target, r.fitness);
	record_free(&r);
	return CLI_OK;
}

static int run_revert(int argc, char **argv)
{
	const char *dir = ".", *pos[1];
	int force = 0, n, target, rc;
	const arg_option opts[] = {
		{ "--force", ARG_FLAG, &force, 0, 0 }, { "--dir", ARG_STRING, &dir, 0, 0 },
		{ NULL, ARG_FLAG, NULL, 0, 0 },
	};
	lab l;

	if (args_parse(opts, argc, argv, pos, 1, &n) < 0)
		return cli_usage("revert", "%s", err_last());
	if (n == 0)
		return cli_usage("revert", "missing gen_N (for example: host revert gen_003)");
	if ((rc = open_writer(&l, "revert", dir)) != CLI_OK)
		return rc;
	if ((rc = cli_resolve_generation(&l, "revert", pos[0], &target)) == CLI_OK &&
	    (rc = cli_refuse_hand_edits(&l, "revert")) == CLI_OK)
		rc = revert_to(&l, target, force);
	lab_close(&l);
	return rc;
}

/* Validates, evaluates and records the hand-edited agent_code/. */
static int commit_edits(lab *l, const char *message, const char *tasks_dir)
{
	cli_eval_given given = { tasks_dir, NULL, 0, ULLONG_MAX, NULL, 0, 0, 0 };
	evolve_eval_options eo;
	validate_report report;
	record r;
	int rc;

	memset(&eo, 0, sizeof(eo));
	if ((rc = cli_lab_eval(&eo, l, "commit", &given)) != CLI_OK)
		return rc;
	if (evolve_record_edits(&r, &report, l, message, &eo) < 0) {
		rc = cli_fail("commit", "%s", err_last());
	} else if (!report.valid) {
		cli_print_validation(&report);
		rc = cli_fail("commit", "the edits are not valid; nothing was recorded");
	} else {
		cli_print_line("gen_%03d: %s (fitness %.4f, held-out %.4f)", r.number, message,
			       r.fitness, r.holdout);
		record_free(&r);
	}
	validate_report_free(&report);
	cli_lab_eval_free(&eo);
	return rc;
}

static int run_commit(int argc, char **argv)
{
	const char *dir = ".", *message = NULL, *tasks_dir = NULL, *pos[1];
	const arg_option opts[] = {
		{ "-m", ARG_STRING, &message, 0, 0 }, { "--dir", ARG_STRING, &dir, 0, 0 },
		{ "--tasks-dir", ARG_STRING, &tasks_dir, 0, 0 },
		{ NULL, ARG_FLAG, NULL, 0, 0 },
	};
	int n, rc, live = 0;
	lab l;

	if (args_parse(opts, argc, argv, pos, 0, &n) < 0)
		return cli_usage("commit", "%s", err_last());
	if (!message || !*message)
		return cli_usage("commit", "missing -m MSG (what the edits do)");
	if ((rc = open_writer(&l, "commit", dir)) != CLI_OK)
		return rc;
	if ((n = lab_hand_edits(&l, NULL)) < 0 || (n == 0 && store_main(l.store, &live) < 0))
		rc = cli_fail("commit", "%s", err_last());
	else if (n == 0)
		printf("nothing to commit: agent_code/ is gen_%03d\n", live);
	else
		rc = commit_edits(&l, message, tasks_dir);
	lab_close(&l);
	return rc;
}

static int run_checkout(int argc, char **argv)
{
	const char *dir = ".", *pos[1];
	const arg_option opts[] = {
		{ "--dir", ARG_STRING, &dir, 0, 0 }, { NULL, ARG_FLAG, NULL, 0, 0 },
	};
	buf changes = BUF_INIT;
	int n, rc, live = 0;
	lab l;

	if (args_parse(opts, argc, argv, pos, 0, &n) < 0)
		return cli_usage("checkout", "%s", err_last());
	if ((rc = open_writer(&l, "checkout", dir)) != CLI_OK)
		return rc;
	/* the listing is best effort: checkout also repairs what it cannot
	 * compare, such as a link where a file should be */
	if (lab_hand_edits(&l, &changes) < 0)
		buf_clear(&changes);
	if (lab_checkout(&l) < 0 || store_main(l.store, &live) < 0)
		rc = cli_fail("checkout", "%s", err_last());
	else
		cli_print("agent_code/ is gen_%03d%s%s", live, changes.len ? "; discarded:\n" : "\n",
			  changes.len ? changes.data : "");
	buf_free(&changes);
	lab_close(&l);
	return rc;
}

/* The status's "carry" line: where the lab's task agents start. */
/* The training tasks and the folder they come from, as the lab keeps
 * them: what evolve trains on without --tasks. */
static int print_tasks(lab *l)
{
	settings kept;

	if (settings_read(&kept, l, SETTINGS_TASKS | SETTINGS_TASKS_DIR) < 0) {
		cli_print_line("tasks     %s", err_last());
		return CLI_FAILED;
	}
	printf("tasks     %s", kept.tasks ? kept.tasks : "not kept: evolve takes the default tasks");
	if (kept.tasks_dir)
		printf(", from %s", kept.tasks_dir);
	printf("\n");
	settings_free(&kept);
	return CLI_OK;
}

static int print_carry(lab *l)
{
	settings kept;

	if (settings_read(&kept, l, SETTINGS_CARRY) < 0) {
		cli_print_line("carry     %s", err_last());
		return CLI_FAILED;
	}
	printf("carry     %s\n", kept.carry ? "on: each task agent starts from its parent "
	       "generation's solution" : "off: each task agent starts from the task's initial.c");
	settings_free(&kept);
	return CLI_OK;
}

/* The status's "edits" line: how agent_code/ differs from gen_`live`. */
static int print_edits(lab *l, int live)
{
	buf changes = BUF_INIT;
	int n = lab_hand_edits(l, &changes);

	if (n < 0)
		cli_print_line("edits     agent_code/ cannot be compared with gen_%03d: %s", live,
			       err_last());
	else if (n > 0)
		cli_print("edits     agent_code/ differs from gen_%03d:\n%s"
			  "          record with 'host commit -m MSG' or discard with 'host "
			  "checkout'\n", live, changes.data);
	else
		printf("edits     none\n");
	buf_free(&changes);
	return n < 0 ? CLI_FAILED : CLI_OK;
}

static int run_status(int argc, char **argv)
{
	const char *dir = ".", *pos[1];
	const arg_option opts[] = {
		{ "--dir", ARG_STRING, &dir, 0, 0 }, { NULL, ARG_FLAG, NULL, 0, 0 },
	};
	int n, rc, live, holder, *numbers = NULL;
	size_t count = 0, bytes = 0;
	record g;
	lab l;

	if (args_parse(opts, argc, argv, pos, 0, &n) < 0)
		return cli_usage("status", "%s", err_last());
	if (lab_open(&l, dir, 0) < 0)
		return cli_fail("status", "%s", err_last());
	if (store_main(l.store, &live) < 0 || store_read(l.store, live, &g, NULL) < 0) {
		rc = cli_fail("status", "%s", err_last());
		lab_close(&l);
		return rc;
	}
	if (store_numbers(l.store, &numbers, &count) < 0 || store_size(l.store, &bytes) < 0) {
		rc = cli_fail("status", "%s", err_last());
		record_free(&g);
		lab_close(&l);
		return rc;
	}
	printf("live      gen_%03d, fitness %.4f, held-out %.4f\n", live, g.fitness, g.holdout);
	printf("lab       %s: %zu generations, %.1f MB in generations/\n", l.dir, count,
	       (double)bytes / (1 << 20));
	rc = print_tasks(&l);
	{
		char mode[512];
		record_budget spend;
		llm_describe_env(mode, sizeof(mode));
		if (lab_spend(&spend, &l) < 0)
			memset(&spend, 0, sizeof(spend));  /* store_numbers just worked */
		printf("mode      %s\n", mode);
		printf("spend     %ld LLM calls, %ld tokens in, %ld out, $%.4f\n", spend.llm_calls,
		       spend.tokens_in, spend.tokens_out, spend.usd);
	}
	holder = lab_lock_holder(&l);
	printf("lock      %s", holder ? "" : "free\n");
	if (holder)
		printf("held by pid %d\n", holder);
	if (os_is_file(l.journal_path))
		printf("pending   an interrupted step; the next command that writes completes it\n");
	rc = print_carry(&l) != CLI_OK ? CLI_FAILED : rc;
	rc = print_edits(&l, live) != CLI_OK ? CLI_FAILED : rc;
	free(numbers);
	record_free(&g);
	lab_close(&l);
	return rc;
}

const cli_command cli_revert = { "revert", "make a generation live again: host revert gen_003",
				 revert_help, run_revert };
const cli_command cli_commit = { "commit", "record hand edits in agent_code/ as a generation",
				 commit_help, run_commit };
const cli_command cli_checkout = { "checkout", "discard hand edits in agent_code/",
				   checkout_help, run_checkout };
const cli_command cli_status = { "status", "the live generation, the lab, locks and edits",
				 status_help, run_status };
