// SPDX-License-Identifier: GPL-2.0-only
/*
 * nvfio-bench - type1 IOMMU backend benchmarks, run in the guest against
 * whichever VFIO stack is loaded (bench/guest/run-bench.sh runs it once per
 * stack in one boot).
 *
 *   nvfio-bench [-r RUNS] [-c CASES] [-v] [BDF]   (BDF defaults to $NVFIO_EDU)
 *
 *   -c CASES  comma-separated cases to run (default: all): KIND/SIZE (e.g.
 *             4k-pages/256M), KIND (all its sizes), "latency", "threads"
 *   -v        also print every run's figures, and how many physically
 *             contiguous runs each buffer has (from /proc/self/pagemap; it
 *             decides how many IOMMU writes a map takes), to stderr
 *
 * Measures, with medians of RUNS runs (default 5):
 *   map/unmap   throughput (GiB/s) of VFIO_IOMMU_MAP_DMA / UNMAP_DMA of one
 *               prefaulted buffer of 4 KiB, 64 KiB, 2 MiB, 64 MiB, 256 MiB,
 *               for three kinds of memory: 4 KiB pages (MADV_NOHUGEPAGE,
 *               faulted top-down, so each page is its own physical run),
 *               THP (MADV_HUGEPAGE, 2 MiB aligned) and 2 MiB hugetlb
 *   map-unfaulted  throughput (GiB/s) of one MAP_DMA of memory never
 *               touched (a fresh buffer each run, 64 MiB and 256 MiB, the
 *               three kinds): pinning must fault and zero every page, as
 *               when QEMU maps a new guest's RAM; cases "unfaulted/KIND/SIZE"
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
static const char *cases; /* -c */
static bool verbose; /* -v */

/* Whether -c selects the case @name ("kind/size", "latency", ...). */
static bool selected(const char *name)
{
	const char *p = cases;

	if (!p)
		return true;
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n && !strncmp(p, name, n) &&
		    (name[n] == '\0' || name[n] == '/'))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

static const char *size_name(uint64_t size)
{
	static char buf[32];

	if (size >= SZ_1M)
		snprintf(buf, sizeof(buf), "%lluM",
			 (unsigned long long)(size / SZ_1M));
	else
		snprintf(buf, sizeof(buf), "%lluK",
			 (unsigned long long)(size / 1024));
	return buf;
}

/* Physically contiguous runs of 4 KiB pages in [@p, @p + @size); -1: unknown.
 */
static long phys_runs(const void *p, uint64_t size)
{
	uint64_t n = size / SZ_4K, prev = 0, e;
	long nruns = 0;
	FILE *f = fopen("/proc/self/pagemap", "r");

	if (!f)
		return -1;
	if (fseeko(f, (off_t)((uintptr_t)p / SZ_4K * 8), SEEK_SET)) {
		fclose(f);
		return -1;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pfn;

		if (fread(&e, sizeof(e), 1, f) != 1) {
			nruns = -1;
			break;
		}
		pfn = e & ((1ULL << 55) - 1);
		if (!(e >> 63) || !pfn) { /* not present, or PFNs hidden */
			nruns = -1;
			break;
		}
		if (!i || pfn != prev + 1)
			nruns++;
		prev = pfn;
	}
	fclose(f);
	return nruns;
}

static void print_runs(const char *what, const double *v)
{
	if (!verbose)
		return;
	fprintf(stderr, "nvfio-bench: %s runs:", what);
	for (int r = 0; r < runs; r++)
		fprintf(stderr, " %.3f", v[r]);
	fprintf(stderr, "\n");
}

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

/*
 * A buffer of @size bytes of the given kind (2 MiB aligned), prefaulted
 * unless @fresh: then no page is there yet and MAP_DMA must fault them in.
 */
static void *alloc_kind_fresh(enum kind k, size_t size, bool fresh)
{
	size_t len = (size + SZ_2M - 1) & ~(SZ_2M - 1);
	uint8_t *p, *a;

	if (k == K_HUGETLB) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (p == MAP_FAILED)
			die("mmap MAP_HUGETLB (reserve pages in nr_hugepages)");
		if (!fresh)
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
	if (fresh)
		return a;
	if (k == K_THP) {
		memset(a, 1, len);
		return a;
	}
	/*
	 * Fault 4 KiB pages in from the top down: the page allocator tends to
	 * hand out ascending addresses, so a buffer faulted bottom-up is
	 * sometimes physically contiguous and sometimes not, which changes
	 * how many IOMMU writes a map takes from one process (stack) to the
	 * next.  Top-down makes every page its own physical run.
	 */
	for (size_t off = len; off; off -= SZ_4K)
		a[off - SZ_4K] = 1;
	return a;
}

static void *alloc_kind(enum kind k, size_t size)
{
	return alloc_kind_fresh(k, size, false);
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

	if (verbose)
		fprintf(stderr,
			"nvfio-bench: %s %llu: %ld physically contiguous runs\n",
			kind_name[k], (unsigned long long)size,
			phys_runs(buf, size));
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
	print_runs("map", map_rate);
	print_runs("unmap", unmap_rate);
	printf("map\t%s\t%llu\t%.3f\tGiB/s\n", kind_name[k],
	       (unsigned long long)size, median(map_rate, runs));
	printf("unmap\t%s\t%llu\t%.3f\tGiB/s\n", kind_name[k],
	       (unsigned long long)size, median(unmap_rate, runs));
	fflush(stdout);
	free_kind(buf, size);
}

/*
 * Map of memory never touched, as QEMU maps its guest RAM: every run maps
 * a fresh buffer once (MAP_DMA faults and zeroes each page as it pins it),
 * then unmaps and frees it.
 */
static void bench_unfaulted(enum kind k, uint64_t size)
{
	double rate[32];

	for (int r = 0; r < runs; r++) {
		void *buf = alloc_kind_fresh(k, size, true);
		double t0 = now_s();

		map1(buf, IOVA_BASE, size);
		rate[r] = (double)size / (now_s() - t0) / GIB;
		if (verbose)
			fprintf(stderr,
				"nvfio-bench: unfaulted %s %llu: %ld physically contiguous runs\n",
				kind_name[k], (unsigned long long)size,
				phys_runs(buf, size));
		unmap1(IOVA_BASE, size);
		free_kind(buf, size);
	}
	print_runs("map-unfaulted", rate);
	printf("map-unfaulted\t%s\t%llu\t%.3f\tGiB/s\n", kind_name[k],
	       (unsigned long long)size, median(rate, runs));
	fflush(stdout);
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
	print_runs("latency", all);
	printf("latency\t4k-pages\t4096\t%.2f\tus\n", median(all, runs));
	fflush(stdout);
	free_kind(buf, SZ_4K);
}

struct worker {
	uint8_t *buf;
	uint64_t iova;
	uint64_t len;
	pthread_barrier_t *go;
	double t0, t1; /* when it started and finished mapping */
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
	w->t0 = now_s();
	map_chunks(w->buf, w->iova, w->len);
	w->t1 = now_s();
	return NULL;
}

/* -v control: the same 1-vs-2-thread split of pure CPU work, no ioctls. */
static volatile uint64_t spin_sink;

static void *spin_fn(void *arg)
{
	struct worker *w = arg;
	uint64_t x = w->iova;

	pthread_barrier_wait(w->go);
	w->t0 = now_s();
	for (uint64_t i = 0; i < w->len; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	spin_sink = x;
	w->t1 = now_s();
	return NULL;
}

static double spin_ratio(void)
{
	const uint64_t work = 20000000;
	pthread_barrier_t go;
	struct worker w[2] = {{NULL, 1, 2 * work, &go, 0, 0},
			      {NULL, 2, work, &go, 0, 0}};
	pthread_t th[2];
	double one, two;

	pthread_barrier_init(&go, NULL, 2);
	if (pthread_create(&th[0], NULL, spin_fn, &w[0]))
		die("pthread_create");
	pthread_barrier_wait(&go);
	pthread_join(th[0], NULL);
	one = w[0].t1 - w[0].t0;
	pthread_barrier_destroy(&go);

	w[0].len = work;
	pthread_barrier_init(&go, NULL, 3);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, spin_fn, &w[i]))
			die("pthread_create");
	pthread_barrier_wait(&go);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	two = (w[0].t1 > w[1].t1 ? w[0].t1 : w[1].t1) -
	      (w[0].t0 < w[1].t0 ? w[0].t0 : w[1].t0);
	pthread_barrier_destroy(&go);
	return one / two;
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
		w[0] = (struct worker){b0, i0, SZ_64M, &go, 0, 0};
		w[1] = (struct worker){b1, i1, SZ_64M, &go, 0, 0};
		for (int i = 0; i < 2; i++)
			if (pthread_create(&th[i], NULL, worker_fn, &w[i]))
				die("pthread_create");
		pthread_barrier_wait(&go);
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		/*
		 * Timed by the workers: with 3 threads on 2 CPUs this one may
		 * not run again until a worker is done.
		 */
		t = (w[0].t1 > w[1].t1 ? w[0].t1 : w[1].t1) -
		    (w[0].t0 < w[1].t0 ? w[0].t0 : w[1].t0);
		two[r] = 2.0 * SZ_64M / t / GIB;
		pthread_barrier_destroy(&go);
		unmap1(i0, SZ_64M);
		unmap1(i1, SZ_64M);
	}
	print_runs("threads1", one);
	print_runs("threads2", two);
	if (verbose) {
		fprintf(stderr, "nvfio-bench: two/one per run:");
		for (r = 0; r < runs; r++)
			fprintf(stderr, " %.2f", two[r] / one[r]);
		fprintf(stderr, "\n");
		/* How much parallelism the (virtual) CPUs give right now. */
		fprintf(stderr, "nvfio-bench: CPU-only control, two/one:");
		for (r = 0; r < runs; r++)
			fprintf(stderr, " %.2f", spin_ratio());
		fprintf(stderr, "\n");
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

	while ((opt = getopt(argc, argv, "r:c:v")) != -1) {
		if (opt == 'r' && atoi(optarg) > 0 && atoi(optarg) <= 32) {
			runs = atoi(optarg);
		} else if (opt == 'c') {
			cases = optarg;
		} else if (opt == 'v') {
			verbose = true;
		} else {
			fprintf(stderr,
				"usage: %s [-r RUNS(1-32)] [-c CASES] [-v] [BDF]\n",
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
			char name[64];

			snprintf(name, sizeof(name), "%s/%s", kind_name[k],
				 size_name(sizes[s]));
			if (!selected(name))
				continue;
			fprintf(stderr, "nvfio-bench: %s %llu\n", kind_name[k],
				(unsigned long long)sizes[s]);
			bench_throughput(k, sizes[s]);
		}
	for (int k = 0; k < K_NR; k++)
		for (unsigned int s = 0; s < 2; s++) {
			static const uint64_t usizes[] = {SZ_64M, SZ_256M};
			char name[64];

			snprintf(name, sizeof(name), "unfaulted/%s/%s",
				 kind_name[k], size_name(usizes[s]));
			if (!selected(name))
				continue;
			fprintf(stderr, "nvfio-bench: unfaulted %s %llu\n",
				kind_name[k], (unsigned long long)usizes[s]);
			bench_unfaulted(k, usizes[s]);
		}
	if (selected("latency")) {
		fprintf(stderr, "nvfio-bench: latency\n");
		bench_latency();
	}
	if (selected("threads")) {
		fprintf(stderr, "nvfio-bench: threads\n");
		bench_threads();
	}
	vu_dev_close(&d);
	return 0;
}
