/* A test agent that includes the oracle, which labels its cases, and the
 * held-out cases, by the task folder's path. Expect: compile_error. */
#include "@TASKDIR@/oracle.c"
#include "@TASKDIR@/holdout.json"

char *test_agent_propose(const char *request)
{
	(void)request;
	return NULL;
}
