/* score.c by the path of the task folder. Expect: compile_error. */
#include "email.h"
#include "@TASKDIR@/score.c"
int validate_email(const char *s) { (void)s; return 0; }
