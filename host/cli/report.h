/*
 * report.h - `host report`: one self-contained HTML page about a lab.
 *
 * Charts are inline SVG drawn here (fitness per generation, each task's
 * training and held-out scores in its own units with its initial.c's,
 * the family tree, spend per generation), followed by a table of
 * generations and, for each, its diff against its parent, its validation
 * and a trace of what its agents did. No scripts, fonts or anything else
 * is fetched: the file opens offline, and its links are to its own parts.
 */
#ifndef HOST_REPORT_H
#define HOST_REPORT_H

#include "error.h"

#include "buf.h"
#include "lab.h"

/* Appends the report of every generation of `l` to `out`. */
HOST_MUST_CHECK int report_write(buf *out, lab *l);

#endif
