/* inttypes.h - printf formats for stdint.h's types (LP64). */
#ifndef HOST_LIBC_INTTYPES_H
#define HOST_LIBC_INTTYPES_H
#include <stdint.h>
#define PRId32 "d"
#define PRIu32 "u"
#define PRIx32 "x"
#define PRId64 "ld"
#define PRIu64 "lu"
#define PRIx64 "lx"
#endif
