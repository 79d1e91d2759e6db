/* assert.h - a failed assertion aborts, which the sandbox reports as a
 * crash (SIGABRT). */
#ifndef HOST_LIBC_ASSERT_H
#define HOST_LIBC_ASSERT_H
void abort(void);
#endif
#undef assert
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((e) ? (void)0 : abort())
#endif
