/*
 * rewrite.c - the meta agent once; see rewrite.h.
 */
#include "rewrite.h"

#include <string.h>

int rewrite_agents(rewrite_result *out, const agent_files *files, const char *archive,
		   task *smoke, const agent_run_options *o)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = agent_rewrite(&out->candidate, &out->run, files, archive, o)) < 0)
		return rc;
	if (out->run.outcome.status != SANDBOX_OK || out->run.status != 0)
		return 0;
	if ((rc = validate_agents(&out->report, &out->candidate, smoke)) < 0) {
		rewrite_result_free(out);
		return rc;
	}
	out->proposed = 1;
	return 0;
}

void rewrite_result_free(rewrite_result *r)
{
	agents_free(&r->candidate);
	agent_run_result_free(&r->run);
	validate_report_free(&r->report);
	r->proposed = 0;
}
