/*
 * email.h - the interface of an email-address validator.
 *
 * validate_email returns nonzero when `s` is a valid address under the
 * rules in task.json's description, and 0 otherwise.
 *
 * TUNE(value, lo, hi) marks a numeric parameter of a solution. It expands
 * to `value`; tuners (the offline proposer) may rewrite `value` within
 * [lo, hi] and change nothing else.
 */
#ifndef EMAIL_H
#define EMAIL_H

#define TUNE(value, lo, hi) (value)

int validate_email(const char *s);

#endif
