// SPDX-License-Identifier: GPL-2.0-only
/*
 * nvfio-devbench - vfio-pci benchmarks, run in the guest against whichever
 * VFIO stack is loaded (bench/guest/run-bench.sh runs it once per stack).
 *
 *   nvfio-devbench [-r RUNS] [-x MSIX_BDF] [-b BAR_BDF] EDU_BDF
 *
 * Measures, with medians of RUNS runs (default 5), on the edu:
 *   irq-latency  edu-raise   the edu raises its MSI (a write of its BAR0
 *                            raise register, 0x60, through the mmap) until
 *                            the trigger eventfd is readable (us; median of
 *                            500 interrupts per run)
 *   irq-latency  loopback    VFIO_DEVICE_SET_IRQS DATA_NONE|TRIGGER of the
 *                            same vector until its eventfd is readable (us)
 *   region-ops   config-read, config-write, bar-read, bar-write
 *                            4-byte pread/pwrite on the device fd (the
 *                            non-mmap path): config offset 0 (ids) and 0x0c
 *                            (cache line size .. BIST, written with what
 *                            they hold), BAR0 offset 0 (id) and 4
 *                            (liveness); ops/s
 * and, with -x, on a device with MSI-X (the bench's one with the most
 * vectors, bound to vfio-pci):
 *   set-irqs     msix-all    one SET_IRQS that enables every MSI-X vector
 *                            with an eventfd each, from nothing enabled (us;
 *                            the size column is the vector count)
 * and, with -b, on a device with a large memory BAR 2 (the bench's
 * ivshmem-plain, 1 GiB; at most 1 GiB of it is used):
 *   bar-touch    huge-faults a fresh mmap of the BAR at a 1 GiB-aligned
 *                            address, one read of every 4 KiB page (s):
 *                            where the kernel maps huge pfn entries
 *                            (6.12), one fault per 2 MiB or 1 GiB
 *   bar-touch    4k-faults   the same mmap 4 KiB past a 2 MiB boundary,
 *                            where no huge entry fits: a fault per page
 *   bar-touch-gain huge-vs-4k  4k-faults / huge-faults, per run (x)
 *   map-bar      prefaulted  VFIO_IOMMU_MAP_DMA of that whole mapping
 *                            (a VM_PFNMAP vma, as QEMU maps a BAR for
 *                            peer-to-peer) once every page was touched
 *                            (GiB/s); unmap-bar the UNMAP_DMA after it
 *   map-bar      not-faulted the same map of a fresh mmap never touched:
 *                            the map faults the BAR in
 *
 * Output: tab-separated lines (metric, kind, size, value, unit) as
 * nvfio-bench's; every run's figures on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "bench_stats.h"
#include "edu.h"
#include "vfio_util.h"

#define MAX_RUNS 32
#define IRQS_PER_RUN 500
#define OPS_PER_RUN 20000
#define SETIRQ_REPEAT 20
#define SZ_4K 0x1000ul
#define SZ_2M 0x200000ul
#define SZ_1G 0x40000000ul
#define BAR_INDEX VFIO_PCI_BAR2_REGION_INDEX
#define BAR_IOVA (4 * SZ_1G)

static int runs = 5;

static void die(const char *what)
{
	fprintf(stderr, "nvfio-devbench: %s: %s%s%s\n", what, strerror(errno),
		vu_last_error()[0] ? "; " : "", vu_last_error());
	exit(1);
}

static void report(const char *metric, const char *kind, unsigned long size,
		   double *v, const char *unit)
{
	fprintf(stderr, "nvfio-devbench: %s %s runs:", metric, kind);
	for (int r = 0; r < runs; r++)
		fprintf(stderr, " %.3f", v[r]);
	fprintf(stderr, "\n");
	printf("%s\t%s\t%lu\t%.3f\t%s\n", metric, kind, size, median(v, runs),
	       unit);
	fflush(stdout);
}

/* Wait for @efd (1 s at most) and drain it. */
static void wait_efd(int efd)
{
	struct pollfd pfd = {.fd = efd, .events = POLLIN};
	uint64_t n;

	if (poll(&pfd, 1, 1000) != 1) {
		errno = ETIMEDOUT;
		die("waiting for the interrupt's eventfd");
	}
	if (read(efd, &n, sizeof(n)) != sizeof(n))
		die("reading the eventfd");
}

static void bench_irq(int device, struct edu *e)
{
	static double lat[IRQS_PER_RUN];
	double raise[MAX_RUNS], loop[MAX_RUNS];
	int efd = vu_eventfd_new();

	if (efd < 0 || vu_pci_command_set(device, 0x4 /* bus master */) ||
	    vu_irq_set_eventfds(device, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd))
		die("enabling the edu's MSI");
	for (int r = 0; r < runs; r++) {
		for (int i = 0; i < IRQS_PER_RUN; i++) {
			double t0 = now_s();

			if (edu_write32(e, EDU_REG_IRQ_RAISE, 0x1000))
				die("raising the edu's irq");
			wait_efd(efd);
			lat[i] = (now_s() - t0) * 1e6;
			if (edu_irq_ack(e, 0x1000))
				die("acking the edu's irq");
		}
		raise[r] = median(lat, IRQS_PER_RUN);
		for (int i = 0; i < IRQS_PER_RUN; i++) {
			double t0 = now_s();

			if (vu_irq_trigger(device, VFIO_PCI_MSI_IRQ_INDEX, 0,
					   1))
				die("SET_IRQS loopback trigger");
			wait_efd(efd);
			lat[i] = (now_s() - t0) * 1e6;
		}
		loop[r] = median(lat, IRQS_PER_RUN);
	}
	report("irq-latency", "edu-raise", 0, raise, "us");
	report("irq-latency", "loopback", 0, loop, "us");
	vu_irq_disable(device, VFIO_PCI_MSI_IRQ_INDEX);
	close(efd);
}

/* OPS_PER_RUN 4-byte pread (@write false) or pwrite of @off in @region. */
static double region_ops(int device, uint32_t region, uint64_t off, bool write)
{
	struct vfio_region_info ri;
	uint32_t v = 0;
	double t0;

	if (vu_region_info(device, region, &ri))
		die("REGION_INFO");
	if (vu_region_read(device, &ri, off, &v, sizeof(v)))
		die("region read");
	t0 = now_s();
	for (int i = 0; i < OPS_PER_RUN; i++) {
		int ret =
			write ? vu_region_write(device, &ri, off, &v,
						sizeof(v)) :
				vu_region_read(device, &ri, off, &v, sizeof(v));

		if (ret)
			die(write ? "region write" : "region read");
	}
	return OPS_PER_RUN / (now_s() - t0);
}

static void bench_regions(int device)
{
	static const struct {
		const char *kind;
		uint32_t region;
		uint64_t off;
		bool write;
	} c[] = {
		{"config-read", VFIO_PCI_CONFIG_REGION_INDEX, 0, false},
		{"config-write", VFIO_PCI_CONFIG_REGION_INDEX, 0x0c, true},
		{"bar-read", VFIO_PCI_BAR0_REGION_INDEX, EDU_REG_ID, false},
		{"bar-write", VFIO_PCI_BAR0_REGION_INDEX, EDU_REG_LIVENESS,
		 true},
	};
	double ops[MAX_RUNS];

	for (unsigned int k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		for (int r = 0; r < runs; r++)
			ops[r] = region_ops(device, c[k].region, c[k].off,
					    c[k].write);
		report("region-ops", c[k].kind, 4, ops, "op/s");
	}
}

static void bench_msix(const char *bdf)
{
	double us[MAX_RUNS];
	struct vfio_irq_info ii;
	struct vu_dev d;
	int *fds;

	if (vu_dev_open(&d, bdf, VU_STAGE_DEVICE))
		die("opening the MSI-X device");
	if (vu_irq_info(d.device, VFIO_PCI_MSIX_IRQ_INDEX, &ii) || !ii.count)
		die("the device has no MSI-X");
	fds = calloc(ii.count, sizeof(*fds));
	if (!fds)
		die("calloc");
	for (unsigned int i = 0; i < ii.count; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fds[i] < 0)
			die("eventfd");
	}
	fprintf(stderr, "nvfio-devbench: %s: %u MSI-X vectors\n", bdf,
		ii.count);
	for (int r = 0; r < runs; r++) {
		double t = 0;

		for (int i = 0; i < SETIRQ_REPEAT; i++) {
			double t0 = now_s();

			if (vu_irq_set_eventfds(d.device,
						VFIO_PCI_MSIX_IRQ_INDEX, 0,
						ii.count, fds))
				die("SET_IRQS of every MSI-X vector");
			t += now_s() - t0;
			if (vu_irq_disable(d.device, VFIO_PCI_MSIX_IRQ_INDEX))
				die("disabling MSI-X");
		}
		us[r] = t / SETIRQ_REPEAT * 1e6;
	}
	report("set-irqs", "msix-all", ii.count, us, "us");
	for (unsigned int i = 0; i < ii.count; i++)
		close(fds[i]);
	free(fds);
	vu_dev_close(&d);
}

/* One read of every 4 KiB page of [@p, @p + @len): seconds. */
static double touch_pages(const volatile uint8_t *p, size_t len)
{
	double t0 = now_s();
	uint8_t sum = 0;

	for (size_t off = 0; off < len; off += SZ_4K)
		sum += p[off];
	(void)sum;
	return now_s() - t0;
}

/* A fresh mapping of the first @len bytes of the BAR at @align + @skew. */
static uint8_t *bar_map(int device, const struct vfio_region_info *ri,
			size_t len, size_t align, size_t skew)
{
	uint8_t *p = vu_region_mmap_aligned(device, ri, 0, len, align, skew);

	if (!p)
		die("mmap of the large BAR");
	return p;
}

/* MAP_DMA of @p (@len bytes) at BAR_IOVA, then its UNMAP: GiB/s of each. */
static void bar_dma(int container, uint8_t *p, size_t len, double *map,
		    double *unmap)
{
	uint64_t unmapped;
	double t0, t1;

	t0 = now_s();
	if (vu_dma_map(container, p, BAR_IOVA, len))
		die("MAP_DMA of the BAR's mapping");
	t1 = now_s();
	if (vu_dma_unmap(container, BAR_IOVA, len, &unmapped) ||
	    unmapped != len)
		die("UNMAP_DMA of the BAR's mapping");
	*map = len / (t1 - t0) / SZ_1G;
	*unmap = len / (now_s() - t1) / SZ_1G;
}

static void bench_bar(const char *bdf)
{
	double huge[MAX_RUNS], small[MAX_RUNS], gain[MAX_RUNS];
	double map[MAX_RUNS], unmap[MAX_RUNS], map_cold[MAX_RUNS], unused;
	struct vfio_region_info ri;
	struct vu_dev d;
	uint8_t *p;
	size_t len;

	if (vu_dev_open(&d, bdf, VU_STAGE_DEVICE))
		die("opening the large-BAR device");
	if (vu_region_info(d.device, BAR_INDEX, &ri))
		die("REGION_INFO of BAR 2");
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) || ri.size < SZ_2M) {
		errno = EINVAL;
		die("BAR 2 is not a large mmap-able BAR");
	}
	len = ri.size < SZ_1G ? ri.size : SZ_1G;
	if (vu_pci_command_set(d.device, PCI_COMMAND_MEMORY))
		die("enabling memory decode");
	fprintf(stderr, "nvfio-devbench: %s: BAR 2, %zu MiB\n", bdf, len >> 20);

	/* The host allocates the BAR's memory at its first touch: not timed. */
	p = bar_map(d.device, &ri, len, SZ_1G, 0);
	touch_pages(p, len);
	munmap(p, len);

	for (int r = 0; r < runs; r++) {
		p = bar_map(d.device, &ri, len, SZ_1G, 0);
		huge[r] = touch_pages(p, len);
		bar_dma(d.container, p, len, &map[r], &unmap[r]);
		munmap(p, len);

		p = bar_map(d.device, &ri, len, SZ_1G, 0);
		bar_dma(d.container, p, len, &map_cold[r], &unused);
		munmap(p, len);

		/* Shorter by 2 MiB: the skewed mapping stays inside the BAR. */
		p = bar_map(d.device, &ri, len - SZ_2M, SZ_2M, SZ_4K);
		small[r] = touch_pages(p, len - SZ_2M) * len / (len - SZ_2M);
		munmap(p, len - SZ_2M);
		gain[r] = small[r] / huge[r];
	}
	report("bar-touch", "huge-faults", len, huge, "s");
	report("bar-touch", "4k-faults", len, small, "s");
	report("bar-touch-gain", "huge-vs-4k", len, gain, "x");
	report("map-bar", "prefaulted", len, map, "GiB/s");
	report("unmap-bar", "prefaulted", len, unmap, "GiB/s");
	report("map-bar", "not-faulted", len, map_cold, "GiB/s");
	vu_dev_close(&d);
}

int main(int argc, char **argv)
{
	const char *msix = NULL, *bar = NULL;
	struct vu_dev d;
	struct edu e;
	int opt;

	while ((opt = getopt(argc, argv, "r:x:b:")) != -1) {
		if (opt == 'r' && atoi(optarg) > 0 &&
		    atoi(optarg) <= MAX_RUNS) {
			runs = atoi(optarg);
		} else if (opt == 'x') {
			msix = optarg;
		} else if (opt == 'b') {
			bar = optarg;
		} else {
			fprintf(stderr,
				"usage: %s [-r RUNS(1-%d)] [-x MSIX_BDF] [-b BAR_BDF] EDU_BDF\n",
				argv[0], MAX_RUNS);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "nvfio-devbench: give the edu's BDF\n");
		return 2;
	}
	if (vu_dev_open(&d, argv[optind], VU_STAGE_DEVICE))
		die("opening the edu");
	if (edu_init(&e, d.device, true))
		die("mapping the edu's BAR0");
	fprintf(stderr, "nvfio-devbench: interrupts\n");
	bench_irq(d.device, &e);
	fprintf(stderr, "nvfio-devbench: region access\n");
	bench_regions(d.device);
	edu_fini(&e);
	vu_dev_close(&d);
	if (msix) {
		fprintf(stderr, "nvfio-devbench: MSI-X SET_IRQS\n");
		bench_msix(msix);
	}
	if (bar) {
		fprintf(stderr, "nvfio-devbench: large BAR\n");
		bench_bar(bar);
	}
	return 0;
}
