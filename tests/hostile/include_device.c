/* An endless device. Expect: compile_error at once. */
#include "email.h"
#include "/dev/zero"
int validate_email(const char *s) { (void)s; return 0; }
