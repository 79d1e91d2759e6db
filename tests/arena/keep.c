/* A task agent that keeps the solution it is given, asking nothing of a
 * model: in a test of the test agents, their calls are the only ones. */
#include <stdlib.h>

char *task_agent_improve(const char *initial)
{
	(void)initial;
	return NULL;
}
