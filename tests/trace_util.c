// SPDX-License-Identifier: GPL-2.0-only
/* Whole-file reads and a tracefs instance of the test's own: trace_util.h. */
#define _GNU_SOURCE
#include "trace_util.h"
#include "harness.h"
#include "vfio_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS "/sys/kernel/debug"

static char tu_dir[160];

const char *tu_slurp(const char *path)
{
	static char buf[65536];
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	if (n < 0)
		return NULL;
	buf[len] = 0;
	return buf;
}

/* Where the tracing files are: tracefs, mounted if need be, else the
 * tracing directory of debugfs (mounted if need be). */
static const char *tracing_root(void)
{
	struct stat st;

	if (!stat(TRACEFS "/instances", &st) ||
	    !mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return TRACEFS;
	if (stat(DEBUGFS "/tracing", &st) &&
	    mount("debugfs", DEBUGFS, "debugfs", 0, NULL) && errno != EBUSY)
		FAIL("mount debugfs: %s", strerror(errno));
	return DEBUGFS "/tracing";
}

void tu_trace_stop(void)
{
	char p[224];

	if (!tu_dir[0])
		return;
	snprintf(p, sizeof(p), "%s/events/nvfio/enable", tu_dir);
	vu_write_file(p, "0");
	rmdir(tu_dir);
	tu_dir[0] = 0;
}

void tu_trace_start(const char *tag, const char *const *events, size_t n)
{
	static bool registered;
	struct stat st;
	char p[224];

	tu_trace_stop();
	snprintf(tu_dir, sizeof(tu_dir), "%s/instances/nvfio-%s-%d",
		 tracing_root(), tag, getpid());
	if (mkdir(tu_dir, 0700)) {
		int err = errno;

		tu_dir[0] = 0;
		FAIL("mkdir trace instance: %s", strerror(err));
	}
	if (!registered) {
		atexit(tu_trace_stop);
		registered = true;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/events/nvfio/%s/enable", tu_dir,
			 events[i]);
		if (stat(p, &st))
			FAIL("no event nvfio:%s (%s)", events[i], p);
		ASSERT_OK(vu_write_file(p, "1"));
	}
}

const char *tu_trace_read(void)
{
	char p[224];
	const char *s;

	snprintf(p, sizeof(p), "%s/trace", tu_dir);
	s = tu_slurp(p);
	if (!s)
		FAIL("read %s: %s", p, strerror(errno));
	return s;
}

void tu_trace_expect(const char *trace, const char *line)
{
	if (!strstr(trace, line))
		FAIL("no \"%s\" in the trace:\n%s", line, trace);
}
