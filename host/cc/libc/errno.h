/* errno.h - errno as set by the allowed functions (strtol, strtod...). */
#ifndef HOST_LIBC_ERRNO_H
#define HOST_LIBC_ERRNO_H
int *__errno_location(void);
#define errno (*__errno_location())
#define EDOM 33
#define ERANGE 34
#define EINVAL 22
#define ENOMEM 12
#endif
