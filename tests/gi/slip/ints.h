/*
 * ints.h - the interface of a solution: adjacent_sum(a, n), the largest
 * sum of two adjacent elements of the n integers of a.
 */
#ifndef INTS_H
#define INTS_H

int adjacent_sum(const int *a, int n);

#define SOLVE adjacent_sum  /* what driver.c calls */

#endif
