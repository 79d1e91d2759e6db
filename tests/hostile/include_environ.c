/* Reads the host's environment, where API keys live: the first word
 * would come back as "'NAME' undeclared". Expect: compile_error, no key. */
#include "email.h"
int leaked =
#include "/proc/@HOSTPID@/environ"
;
int validate_email(const char *s) { (void)s; return leaked; }
