/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench_stats.h - the clock and the median every benchmark program in
 * tools/bench reports with (header only: nvfio-vmstart links nothing else).
 */
#ifndef NVFIO_BENCH_STATS_H
#define NVFIO_BENCH_STATS_H

#include <stdlib.h>
#include <time.h>

/* Monotonic seconds. */
static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of @v[0..@n) (sorts @v). */
static inline double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif /* NVFIO_BENCH_STATS_H */
