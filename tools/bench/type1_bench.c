// SPDX-License-Identifier: GPL-2.0-only
/*
 * nvfio-bench - type1 IOMMU backend benchmarks, run in the guest against
 * whichever VFIO stack is loaded (bench/guest/run-bench.sh runs it once per
 * stack in one boot).
 *
 *   nvfio-bench [-r RUNS] [BDF]      (BDF defaults to $NVFIO_EDU)
 *
 * Measures, with medians of RUNS runs (default 5):
 *   map/unmap   throughput (GiB/s) of VFIO_IOMMU_MAP_DMA / UNMAP_DMA of one
 *               prefaulted buffer of 4 KiB, 64 KiB, 2 MiB, 64 MiB, 256 MiB,
 *               for three kinds of memory: 4 KiB pages (MADV_NOHUGEPAGE),
 *               THP (MADV_HUGEPAGE, 2 MiB aligned) and 2 MiB hugetlb
 *   latency     of one 4 KiB map+unmap pair (us; median of all pairs)
 *   threads     aggregate map rate (GiB/s) of one thread mapping 2 x 64 MiB
 *               (4 KiB pages) in 1 MiB mappings, and of two threads each
 *               mapping its own 64 MiB the same way into one container
 *
 * Output: one tab-separated line per figure on stdout:
 *   metric <TAB> kind <TAB> size <TAB> value <TAB> unit
 * Progress and warnings go to stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vfio_util.h"

#define SZ_4K 0x1000ULL
#define SZ_64K 0x10000ULL
#define SZ_1M 0x100000ULL
#define SZ_2M 0x200000ULL
#define SZ_64M 0x4000000ULL
#define SZ_256M 0x10000000ULL
#define IOVA_BASE 0x40000000ULL /* 1 GiB: 2 MiB aligned, below the MSI hole */
#define GIB (1024.0 * 1024.0 * 1024.0)

enum kind { K_4K, K_THP, K_HUGETLB, K_NR };
static const char *const kind_name[K_NR] = {"4k-pages", "thp", "hugetlb"};

static int runs = 5;
static int container;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "nvfio-bench: %s: %s%s%s\n", what, strerror(errno),
		vu_last_error()[0] ? "; " : "", vu_last_error());
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A prefaulted buffer of @size bytes of the given kind (2 MiB aligned). */
static void *alloc_kind(enum kind k, size_t size)
{
	size_t len = (size + SZ_2M - 1) & ~(SZ_2M - 1);
	uint8_t *p, *a;

	if (k == K_HUGETLB) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (p == MAP_FAILED)
			die("mmap MAP_HUGETLB (reserve pages in nr_hugepages)");
		memset(p, 1, len);
		return p;
	}
	p = mmap(NULL, len + SZ_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	a = (uint8_t *)(((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1));
	if (madvise(a, len, k == K_THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		die("madvise");
	memset(a, 1, len);
	return a;
}

/* The alignment slack of THP/4K buffers stays mapped: 2 MiB each. */
static void free_kind(void *p, size_t size)
{
	munmap(p, (size + SZ_2M - 1) & ~(SZ_2M - 1));
}

static void map1(void *va, uint64_t iova, uint64_t size)
{
	if (vu_dma_map(container, va, iova, size))
		die("MAP_DMA");
}

static void unmap1(uint64_t iova, uint64_t size)
{
	uint64_t n = 0;

	if (vu_dma_unmap(container, iova, size, &n) || n != size) {
		if (!errno)
			errno = EIO;
		die("UNMAP_DMA");
	}
}

/* How many map+unmap pairs one run of @size does. */
static int iters_for(uint64_t size)
{
	if (size <= SZ_4K)
		return 2000;
	if (size <= SZ_64K)
		return 1000;
	if (size <= SZ_2M)
		return 64;
	if (size <= SZ_64M)
		return 2;
	return 1;
}

static void bench_throughput(enum kind k, uint64_t size)
{
	double map_rate[32], unmap_rate[32];
	int iters = iters_for(size), r, i;
	void *buf = alloc_kind(k, size);

	/* One untimed round to warm caches and page tables. */
	map1(buf, IOVA_BASE, size);
	unmap1(IOVA_BASE, size);
	for (r = 0; r < runs; r++) {
		double tmap = 0, tunmap = 0, t0;

		for (i = 0; i < iters; i++) {
			t0 = now_s();
			map1(buf, IOVA_BASE, size);
			tmap += now_s() - t0;
			t0 = now_s();
			unmap1(IOVA_BASE, size);
			tunmap += now_s() - t0;
		}
		map_rate[r] = (double)size * iters / tmap / GIB;
		unmap_rate[r] = (double)size * iters / tunmap / GIB;
	}
	printf("map\t%s\t%llu\t%.3f\tGiB/s\n", kind_name[k],
	       (unsigned long long)size, median(map_rate, runs));
	printf("unmap\t%s\t%llu\t%.3f\tGiB/s\n", kind_name[k],
	       (unsigned long long)size, median(unmap_rate, runs));
	fflush(stdout);
	free_kind(buf, size);
}

static void bench_latency(void)
{
	enum { PAIRS = 2000 };
	static double lat[PAIRS];
	double all[32];
	void *buf = alloc_kind(K_4K, SZ_4K);
	int r, i;

	for (r = 0; r < runs; r++) {
		for (i = 0; i < PAIRS; i++) {
			double t0 = now_s();

			map1(buf, IOVA_BASE, SZ_4K);
			unmap1(IOVA_BASE, SZ_4K);
			lat[i] = (now_s() - t0) * 1e6;
		}
		all[r] = median(lat, PAIRS);
	}
	printf("latency\t4k-pages\t4096\t%.2f\tus\n", median(all, runs));
	fflush(stdout);
	free_kind(buf, SZ_4K);
}

struct worker {
	uint8_t *buf;
	uint64_t iova;
	uint64_t len;
	pthread_barrier_t *go;
};

/* Map @len bytes of @buf at @iova in 1 MiB mappings. */
static void map_chunks(uint8_t *buf, uint64_t iova, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += SZ_1M)
		map1(buf + off, iova + off, SZ_1M);
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(w->go);
	map_chunks(w->buf, w->iova, w->len);
	return NULL;
}

static void bench_threads(void)
{
	double one[32], two[32];
	uint8_t *b0 = alloc_kind(K_4K, SZ_64M), *b1 = alloc_kind(K_4K, SZ_64M);
	uint64_t i0 = IOVA_BASE, i1 = IOVA_BASE + SZ_256M;
	pthread_barrier_t go;
	struct worker w[2];
	pthread_t th[2];
	int r;

	for (r = 0; r < runs; r++) {
		double t0 = now_s(), t;

		map_chunks(b0, i0, SZ_64M);
		map_chunks(b1, i1, SZ_64M);
		t = now_s() - t0;
		one[r] = 2.0 * SZ_64M / t / GIB;
		unmap1(i0, SZ_64M);
		unmap1(i1, SZ_64M);

		pthread_barrier_init(&go, NULL, 3);
		w[0] = (struct worker){b0, i0, SZ_64M, &go};
		w[1] = (struct worker){b1, i1, SZ_64M, &go};
		for (int i = 0; i < 2; i++)
			if (pthread_create(&th[i], NULL, worker_fn, &w[i]))
				die("pthread_create");
		pthread_barrier_wait(&go);
		t0 = now_s();
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		t = now_s() - t0;
		two[r] = 2.0 * SZ_64M / t / GIB;
		pthread_barrier_destroy(&go);
		unmap1(i0, SZ_64M);
		unmap1(i1, SZ_64M);
	}
	printf("threads1\t4k-pages\t%llu\t%.3f\tGiB/s\n",
	       (unsigned long long)(2 * SZ_64M), median(one, runs));
	printf("threads2\t4k-pages\t%llu\t%.3f\tGiB/s\n",
	       (unsigned long long)(2 * SZ_64M), median(two, runs));
	fflush(stdout);
	free_kind(b0, SZ_64M);
	free_kind(b1, SZ_64M);
}

int main(int argc, char **argv)
{
	static const uint64_t sizes[] = {SZ_4K, SZ_64K, SZ_2M, SZ_64M, SZ_256M};
	const char *bdf = getenv("NVFIO_EDU");
	struct vu_dev d;
	int opt;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt == 'r' && atoi(optarg) > 0 && atoi(optarg) <= 32) {
			runs = atoi(optarg);
		} else {
			fprintf(stderr, "usage: %s [-r RUNS(1-32)] [BDF]\n",
				argv[0]);
			return 2;
		}
	}
	if (optind < argc)
		bdf = argv[optind];
	if (!bdf || !bdf[0]) {
		fprintf(stderr,
			"nvfio-bench: no device: give a BDF or set NVFIO_EDU\n");
		return 2;
	}
	if (vu_dev_open(&d, bdf, VU_STAGE_IOMMU))
		die("opening the device's container");
	container = d.container;

	for (int k = 0; k < K_NR; k++)
		for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]);
		     s++) {
			fprintf(stderr, "nvfio-bench: %s %llu\n", kind_name[k],
				(unsigned long long)sizes[s]);
			bench_throughput(k, sizes[s]);
		}
	fprintf(stderr, "nvfio-bench: latency\n");
	bench_latency();
	fprintf(stderr, "nvfio-bench: threads\n");
	bench_threads();
	vu_dev_close(&d);
	return 0;
}
