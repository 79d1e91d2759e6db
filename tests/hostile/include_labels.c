/* Looks the answers up: the task folder's held-out labels as a string.
 * Expect: compile_error (the task folder is not readable). */
#include "email.h"
static const char *answers =
#include "@TASKDIR@/holdout.json"
;
int validate_email(const char *s) { (void)s; return answers[0]; }
