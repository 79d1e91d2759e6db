/*
 * manual.h - host's manual pages, as `host help NAME` shows them.
 *
 * The pages are written once, as roff in man/ (host-evolve.1 ...); make
 * copies them beside the binary (bin/man/), where `host help` finds them
 * installed or not, and `make install` also puts them where man(1) looks.
 * They are shown with `man -l`, or, where man is missing, as plain text
 * rendered here, so that no page needs a second source.
 */
#ifndef HOST_MANUAL_H
#define HOST_MANUAL_H

#include "buf.h"

/* Shows the manual page `page` ("host-evolve.1") found beside the binary:
 * with man -l when man is on the PATH, else rendered by manual_render.
 * Returns 0, or a negative code (err_last(): the page is missing, or man
 * failed). */
HOST_MUST_CHECK int manual_show(const char *page);

/* Renders the roff source `roff`, in the subset host's pages use (the man
 * macros, font and character escapes), as plain text `width` columns
 * wide, appended to `out`. */
void manual_render(buf *out, const char *roff, int width);

#endif
