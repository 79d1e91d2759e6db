/*
 * ints.h - the interface of a solution: ascents(a, n), how many of the n
 * integers of a are smaller than the one after them.
 */
#ifndef INTS_H
#define INTS_H

int ascents(const int *a, int n);

#define SOLVE ascents  /* what driver.c calls */

#endif
