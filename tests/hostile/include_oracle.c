/* The oracle, which labels the arena's cases, by the task folder's path
 * and by its bare name. Expect: compile_error. */
#include "email.h"
#include "@TASKDIR@/oracle.c"
#include "oracle.c"
int validate_email(const char *s) { (void)s; return 0; }
