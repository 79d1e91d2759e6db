/*
 * driver.c - calls validate_email on every input and records one verdict
 * per case: '1' for valid, '0' for invalid. The labels are not here; the
 * host compares the verdicts with them.
 */
#include "email.h"

int driver_run(const char *const *inputs, int n_inputs)
{
	int i;

	for (i = 0; i < n_inputs; i++)
		transcript_write(validate_email(inputs[i]) ? "1" : "0", 1);
	return 0;
}
