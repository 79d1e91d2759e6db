/* A FIFO nobody writes to: opening it would block the compiler forever.
 * Expect: compile_error at once. */
#include "email.h"
#include "@FIFO@"
int validate_email(const char *s) { (void)s; return 0; }
