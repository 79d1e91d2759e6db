/* Turns a host file into the text of a compile error: the file becomes a
 * string through the stringizing macro. Expect: compile_error, and the
 * file's text nowhere. */
#include "email.h"
#define TEXT(...) #__VA_ARGS__
_Static_assert(0, TEXT(
#include "@SECRET@"
));
int validate_email(const char *s) { (void)s; return 0; }
