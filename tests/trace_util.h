/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the tests that read what nvfio tells: the whole of a
 * small kernel file, and a tracefs instance of the test's own with some
 * of the nvfio:* trace events on (test_revoke.c, test_visibility.c).
 */
#ifndef NVFIO_TRACE_UTIL_H
#define NVFIO_TRACE_UTIL_H

#include <stddef.h>

/*
 * The whole of @path in a static buffer (64 KiB; the next call reuses
 * it); NULL with errno set if it cannot be read.
 */
const char *tu_slurp(const char *path);

/*
 * Make the instance instances/nvfio-<tag>-<pid> (mounting tracefs, or
 * debugfs for the older path, if need be) and turn on the nvfio events
 * named in @events[0..n): each must exist, else the test fails.  The
 * instance goes at exit or with tu_trace_stop().
 */
void tu_trace_start(const char *tag, const char *const *events, size_t n);
/* The instance's trace so far; fails the test if it cannot be read. */
const char *tu_trace_read(void);
/* Fails the test, showing the trace, unless @trace contains @line. */
void tu_trace_expect(const char *trace, const char *line);
/* Turn the events off and remove the instance (no-op if none). */
void tu_trace_stop(void);

#endif
