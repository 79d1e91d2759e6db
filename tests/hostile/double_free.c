/* libc detects the double free and aborts after writing its message to
 * stderr with writev. Expect: crash (SIGABRT), not a forbidden call. */
#include "email.h"
#include <stdlib.h>
int validate_email(const char *s)
{
	char *p = malloc(16);
	(void)s;
	free(p);
	free(p);
	return 0;
}
