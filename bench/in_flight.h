/*
 * in_flight.h - the candidates-in-flight rows of `make bench`.
 */
#ifndef BENCH_IN_FLIGHT_H
#define BENCH_IN_FLIGHT_H

#define BENCH_IN_FLIGHT_GENS 8   /* generations of each evolve run */

/* Median wall seconds of `evolve --gens BENCH_IN_FLIGHT_GENS` against a
 * scripted model with seconds of latency, --parallel 1 (*one_s) and 4
 * (*four_s); -1 each, with why on stderr, when it cannot run. */
void bench_in_flight(const char *bin, double *one_s, double *four_s);

#endif
