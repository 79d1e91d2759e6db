/* The training labels by a relative name, as when the task folder was on
 * the include path. Expect: compile_error. */
#include "email.h"
static const char *answers =
#include "task.json"
;
int validate_email(const char *s) { (void)s; return answers[0]; }
