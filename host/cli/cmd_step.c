/*
 * cmd_step.c - `host step`: one unit of evaluation work on a Slurm node,
 * as `host evolve --executor slurm` asks srun to run it.
 *
 * The unit comes on stdin and the result goes on stdout, as frames, with
 * the agents' model calls to the host between them (evolve_step); so
 * nothing else may write to stdout: it is made stderr's, and the frames
 * go on a copy of the descriptor.
 */
#include "cli.h"
#include "error.h"
#include "evolve.h"
#include "print.h"

#include <fcntl.h>
#include <unistd.h>

static const char step_help[] =
	"usage: host step\n"
	"\n"
	"The remote side of --executor slurm: srun runs it on a node of the\n"
	"allocation, for one task agent's evaluation of one candidate on one\n"
	"task. It reads the agent files and the task's folder from stdin, runs\n"
	"them in a sandbox of the node, passes the agents' model calls to the\n"
	"host over stdout and stdin, and writes the result to stdout. It is not\n"
	"meant to be run by hand.\n";

static int run_step(int argc, char **argv)
{
	int in, out, rc;

	(void)argv;
	if (argc > 0)
		return cli_usage("step", "takes no arguments");
	in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (in < 0 || out < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		return cli_fail("step", "cannot set up its stdin and stdout");
	close(STDIN_FILENO);
	if (open("/dev/null", O_RDONLY) != STDIN_FILENO)
		return cli_fail("step", "cannot set up its stdin");
	rc = evolve_step(in, out) < 0 ? cli_fail("step", "%s", err_last()) : CLI_OK;
	close(in);
	close(out);
	return rc;
}

const cli_command cli_step = {
	"step", "the remote side of --executor slurm, which srun runs",
	step_help, run_step,
};
