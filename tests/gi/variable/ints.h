/*
 * ints.h - the interface of a solution: spread(a, n), the largest of the
 * n integers of a minus the smallest.
 */
#ifndef INTS_H
#define INTS_H

int spread(const int *a, int n);

#define SOLVE spread  /* what driver.c calls */

#endif
