/*
 * text.h - making text from outside the host safe to print, commit and
 * draw.
 *
 * Agents, models and the labs others hand over write text that the host
 * shows: reasons, compiler diagnostics, log lines, notes. A terminal takes
 * some bytes of it as commands (ESC ] 52 writes the clipboard, ESC [ 2 J
 * clears the screen), and a newline in what should be one line forges a
 * row of `host log` or a trailer of a commit. These functions remove what
 * a terminal or git would take as more than text: the C0 controls, DEL
 * and the C1 controls (U+0080..U+009F, and the bytes 0x80..0x9F where the
 * text is not UTF-8, which an 8-bit terminal takes as C1).
 */
#ifndef HOST_TEXT_H
#define HOST_TEXT_H

#include "buf.h"

/* Removes the control characters of `s` in place but '\n' and '\t': text
 * of many lines, such as diagnostics. NULL is left alone. */
void text_clean(char *s);

/* Makes `s` one line, in place: as text_clean, and every line break,
 * tab and separator ('\n', '\r', '\t', '\v', '\f', U+0085, U+2028,
 * U+2029) becomes a space. NULL is left alone. */
void text_one_line(char *s);

/* Appends `s` (NULL: nothing) to `b` as text_clean, or text_one_line,
 * would leave it. */
void text_append(buf *b, const char *s);
void text_append_line(buf *b, const char *s);

#endif
