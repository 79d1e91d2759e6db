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
 *
 * Text shown in a bounded space (a summary, a line of a prompt) is cut
 * after a whole word and marked with an ellipsis, so that a reader sees
 * where it stops rather than a phrase broken off mid-word.
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

/* The mark a shortened text ends with: U+2026, three bytes. */
#define TEXT_ELLIPSIS "\xe2\x80\xa6"

/* How many bytes of s[0..n) to keep so that they and TEXT_ELLIPSIS take
 * at most `max` bytes: up to the end of the last whole word that fits,
 * without the blanks and the ",;:" before the cut; as many whole
 * characters as fit when no word ends in the second half of that room.
 * n itself when s[0..n) fits in `max` as it is. */
size_t text_cut_words(const char *s, size_t n, size_t max);

/* s[0..n) in at most `max` bytes: as it is when it fits, else cut by
 * text_cut_words with TEXT_ELLIPSIS after it; *cut (may be NULL) says
 * which. NULL when out of memory. */
char *text_shorten(const char *s, size_t n, size_t max, int *cut);

/* A model's reply without the blanks around it and, when it is one
 * fenced block ("```json" ... "```"), without the fence: the text a
 * strict reader parses (free() it; NULL when out of memory). */
char *text_unfence(const char *reply);

#endif
