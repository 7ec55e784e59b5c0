// SPDX-License-Identifier: GPL-2.0-only
/*
 * nvfio-vmstart - what assigning a device costs a VM's start, run in the
 * guest against whichever VFIO stack is loaded (bench/guest/run-bench.sh
 * runs it once per stack, after nvfio-bench, with the edu bound to
 * vfio-pci and no other user of it).
 *
 *   nvfio-vmstart [-r RUNS] [-m MIB[,MIB...]] [-v] BDF
 *
 * For each guest RAM size (default 1024 and 2048 MiB) it starts QEMU
 * (TCG, -S, a qtest server on stdio) RUNS times (default 5) without the
 * device and RUNS times with "-device vfio-pci,host=BDF", alternating the
 * two so that drift hits both alike, and times each start from fork() to
 * QEMU's answer to its first qtest command.  QEMU answers only once the
 * machine is built, which with the device includes opening the group and
 * container and mapping all of the guest's RAM for DMA: RAM that was
 * never touched, so every page is faulted in and pinned by MAP_DMA.
 *
 * Output: tab-separated lines (metric, kind, size in bytes, value, unit)
 * as nvfio-bench's, medians in seconds:
 *   vm-start       no-device  SIZE  s
 *   vm-start       device     SIZE  s
 *   vm-start-cost  device     SIZE  s    (median(device) - median(no-device))
 * and with -v every start's time, and the spread (min..max), on stderr;
 * on our stack (test builds) also each start's time spent pinning and in
 * iommu_map() (type1's profile, kernel/iommu_type1/profile.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

#define QEMU "/usr/bin/qemu-system-x86_64"
/* Our type1's profile (test builds; kernel/iommu_type1/profile.c). */
#define PROFILE "/sys/kernel/debug/nvfio/type1_profile"
#define MAX_RUNS 32
#define MAX_SIZES 8
#define START_TIMEOUT_S 120.0

static bool verbose;

/* Turn the profile on (zeroed) or off; false if there is none. */
static bool profile_set(bool on)
{
	FILE *f = fopen(PROFILE, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs(on ? "1" : "0", f) >= 0;
	return !fclose(f) && ok;
}

/* -v, ours: how much of a start went into pinning and iommu_map(). */
static void profile_print(double t)
{
	char buf[512];
	FILE *f = fopen(PROFILE, "r");
	size_t n;

	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	for (char *p = buf; (p = strchr(p, '\n'));)
		*p = ' ';
	fprintf(stderr, "nvfio-vmstart: start %.3f s; type1 profile: %s\n", t,
		buf);
}

/*
 * Start QEMU with @mib of RAM (and the device @bdf unless NULL), wait for
 * its answer to "endianness", kill it.  Return: seconds, or -1 (the reason
 * on stderr).
 */
static double one_start(unsigned int mib, const char *bdf)
{
	char mem[16], dev[64], line[256];
	int in[2], out[2], status;
	double t0, t = -1;
	size_t got = 0;
	pid_t pid;

	snprintf(mem, sizeof(mem), "%u", mib);
	snprintf(dev, sizeof(dev), "vfio-pci,host=%s", bdf ? bdf : "");
	if (pipe(in) || pipe(out)) {
		perror("nvfio-vmstart: pipe");
		return -1;
	}
	if (bdf && verbose)
		profile_set(true);
	t0 = now_s();
	pid = fork();
	if (pid < 0) {
		perror("nvfio-vmstart: fork");
		return -1;
	}
	if (!pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execl(QEMU, QEMU, "-nodefaults", "-no-user-config", "-display",
		      "none", "-S", "-machine", "q35", "-accel", "tcg", "-m",
		      mem, "-monitor", "none", "-qtest", "stdio", "-qtest-log",
		      "/dev/null", bdf ? "-device" : NULL, dev, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	/* Queued in the pipe: QEMU reads it once its main loop runs. */
	if (write(in[1], "endianness\n", 11) != 11)
		perror("nvfio-vmstart: write");
	for (;;) {
		fd_set rd;
		struct timeval tv = {1, 0};
		ssize_t n;

		if (now_s() - t0 > START_TIMEOUT_S) {
			fprintf(stderr, "nvfio-vmstart: no answer in %.0f s\n",
				START_TIMEOUT_S);
			break;
		}
		FD_ZERO(&rd);
		FD_SET(out[0], &rd);
		if (select(out[0] + 1, &rd, NULL, NULL, &tv) <= 0)
			continue;
		n = read(out[0], line + got, sizeof(line) - 1 - got);
		if (n <= 0) {
			fprintf(stderr, "nvfio-vmstart: QEMU exited first\n");
			break;
		}
		got += n;
		line[got] = 0;
		if (strstr(line, "OK")) {
			t = now_s() - t0;
			break;
		}
		if (got == sizeof(line) - 1)
			got = 0;
	}
	kill(pid, SIGKILL);
	/* Its exit closes the device and unpins its RAM before we reap it. */
	waitpid(pid, &status, 0);
	if (bdf && verbose && profile_set(false))
		profile_print(t);
	close(in[1]);
	close(out[0]);
	return t;
}

static void spread(const char *what, unsigned int mib, const double *v, int n)
{
	double lo = v[0], hi = v[0];

	for (int i = 1; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	fprintf(stderr, "nvfio-vmstart: %u MiB %s: %.3f..%.3f s (", mib, what,
		lo, hi);
	for (int i = 0; i < n; i++)
		fprintf(stderr, "%s%.3f", i ? " " : "", v[i]);
	fprintf(stderr, ")\n");
}

int main(int argc, char **argv)
{
	unsigned int sizes[MAX_SIZES] = {1024, 2048}, nsizes = 2;
	int runs = 5, opt;
	const char *bdf;

	while ((opt = getopt(argc, argv, "r:m:v")) != -1) {
		if (opt == 'r' && atoi(optarg) > 0 &&
		    atoi(optarg) <= MAX_RUNS) {
			runs = atoi(optarg);
		} else if (opt == 'm') {
			char *p = optarg;

			for (nsizes = 0; *p && nsizes < MAX_SIZES; nsizes++) {
				sizes[nsizes] = strtoul(p, &p, 10);
				if (!sizes[nsizes] || (*p && *p != ','))
					goto usage;
				p += *p == ',';
			}
		} else if (opt == 'v') {
			verbose = true;
		} else {
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	bdf = argv[optind];
	if (access(QEMU, X_OK)) {
		fprintf(stderr, "nvfio-vmstart: no %s\n", QEMU);
		return 2;
	}

	for (unsigned int s = 0; s < nsizes; s++) {
		double bare[MAX_RUNS], dev[MAX_RUNS], mb, md;
		unsigned long long bytes = (unsigned long long)sizes[s] << 20;

		fprintf(stderr, "nvfio-vmstart: %u MiB\n", sizes[s]);
		/* One untimed start of each: page cache, QEMU's binary. */
		if (one_start(sizes[s], NULL) < 0 ||
		    one_start(sizes[s], bdf) < 0)
			return 1;
		for (int r = 0; r < runs; r++) {
			bare[r] = one_start(sizes[s], NULL);
			dev[r] = one_start(sizes[s], bdf);
			if (bare[r] < 0 || dev[r] < 0)
				return 1;
		}
		if (verbose) {
			spread("no device", sizes[s], bare, runs);
			spread("device", sizes[s], dev, runs);
		}
		mb = median(bare, runs);
		md = median(dev, runs);
		printf("vm-start\tno-device\t%llu\t%.3f\ts\n", bytes, mb);
		printf("vm-start\tdevice\t%llu\t%.3f\ts\n", bytes, md);
		printf("vm-start-cost\tdevice\t%llu\t%.3f\ts\n", bytes,
		       md - mb);
		fflush(stdout);
	}
	return 0;

usage:
	fprintf(stderr,
		"usage: %s [-r RUNS(1-%d)] [-m MIB[,MIB...]] [-v] BDF\n",
		argv[0], MAX_RUNS);
	return 2;
}
