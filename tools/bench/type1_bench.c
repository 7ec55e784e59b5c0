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
 *   pin-floor   what pinning alone costs: io_uring fixed-buffer registration
 *               (and unregistration) of a prefaulted 64 MiB 4k-pages
 *               buffer, GiB/s, beside map of the same kind (case "floor");
 *               and, ours only, the same map's time split by type1's
 *               profile (debugfs nvfio/type1_profile, test builds) into
 *               pinning, iommu_map() and the rest (map-floor-*)
 *   latency     of one 4 KiB map+unmap pair (us; median of all pairs)
 *   threads     aggregate map rate (GiB/s) of 1, 2 and 4 threads mapping
 *               4 x 32 MiB (4 KiB pages) in 1 MiB mappings, each thread its
 *               share, and each count's gain over one thread as a fraction
 *               of a CPU-only control's gain split the same way
 *               (bench_threads()); twice: with the pages faulted top-down
 *               (kind 4k-pages, one physical run per page) and bottom-up
 *               (kind 4k-bottom-up: often physically contiguous, so few
 *               IOMMU writes and pinning dominates)
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
#include <linux/io_uring.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"
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

static void die(const char *what)
{
	fprintf(stderr, "nvfio-bench: %s: %s%s%s\n", what, strerror(errno),
		vu_last_error()[0] ? "; " : "", vu_last_error());
	exit(1);
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

/*
 * The floor under map: pinning alone, as io_uring's fixed-buffer
 * registration does it (FOLL_LONGTERM pins charged to RLIMIT_MEMLOCK, no
 * IOMMU), of the same prefaulted 4 KiB-page buffer; iovecs of 1 MiB, as
 * io_uring takes at most 1 GiB per iovec.  Compare with map of 4k-pages.
 */
static void bench_pin_floor(uint64_t size)
{
	struct io_uring_params params = {0};
	double rate[32], urate[32];
	unsigned int nvec = size / SZ_1M;
	struct iovec *iov = calloc(nvec, sizeof(*iov));
	uint8_t *buf = alloc_kind(K_4K, size);
	int ring;

	if (!iov)
		die("calloc");
	ring = syscall(__NR_io_uring_setup, 1, &params);
	if (ring < 0) {
		/* e.g. kernel.io_uring_disabled: no floor, the rest goes on */
		fprintf(stderr,
			"nvfio-bench: io_uring_setup: %s: no pin floor\n",
			strerror(errno));
		free(iov);
		free_kind(buf, size);
		return;
	}
	for (unsigned int i = 0; i < nvec; i++)
		iov[i] = (struct iovec){buf + i * SZ_1M, SZ_1M};
	for (int r = 0; r < runs; r++) {
		double t0 = now_s(), t1;

		if (syscall(__NR_io_uring_register, ring,
			    IORING_REGISTER_BUFFERS, iov, nvec))
			die("IORING_REGISTER_BUFFERS");
		t1 = now_s();
		if (syscall(__NR_io_uring_register, ring,
			    IORING_UNREGISTER_BUFFERS, NULL, 0))
			die("IORING_UNREGISTER_BUFFERS");
		rate[r] = (double)size / (t1 - t0) / GIB;
		urate[r] = (double)size / (now_s() - t1) / GIB;
	}
	print_runs("pin-floor", rate);
	print_runs("unpin-floor", urate);
	printf("pin-floor\t4k-pages\t%llu\t%.3f\tGiB/s\n",
	       (unsigned long long)size, median(rate, runs));
	printf("unpin-floor\t4k-pages\t%llu\t%.3f\tGiB/s\n",
	       (unsigned long long)size, median(urate, runs));
	fflush(stdout);
	close(ring);
	free(iov);
	free_kind(buf, size);
}

#define PROFILE "/sys/kernel/debug/nvfio/type1_profile"

/* Turn our type1's profile on (zeroed) or off; false: not our stack. */
static bool profile_set(bool on)
{
	return !vu_write_file(PROFILE, on ? "1" : "0");
}

/* The profile's sum @key ("pin_ns", "map_calls", ...); -1 if missing. */
static long long profile_get(const char *key)
{
	return vu_file_key(PROFILE, key);
}

/*
 * Ours only (mainline has no such hook): the same maps as map of 4k-pages
 * @size, with type1's profile on, split into the time spent pinning, the
 * time spent in iommu_map(), and the rest; each as the rate map would
 * have if that part were all it did (the floors under map).
 */
static void bench_map_profile(uint64_t size)
{
	double total = 0, pin, iommu;
	int iters = iters_for(size);
	void *buf = alloc_kind(K_4K, size);

	if (!profile_set(true)) {
		fprintf(stderr, "nvfio-bench: no %s: not our stack\n", PROFILE);
		free_kind(buf, size);
		return;
	}
	for (int r = 0; r < runs; r++)
		for (int i = 0; i < iters; i++) {
			double t0 = now_s();

			map1(buf, IOVA_BASE, size);
			total += now_s() - t0;
			unmap1(IOVA_BASE, size);
		}
	profile_set(false);
	pin = profile_get("pin_ns") / 1e9;
	iommu = profile_get("map_ns") / 1e9;
	fprintf(stderr,
		"nvfio-bench: map profile: %.3f s in all, %.3f s pinning (%lld calls), %.3f s in iommu_map (%lld calls)\n",
		total, pin, profile_get("pin_calls"), iommu,
		profile_get("map_calls"));
	size *= (uint64_t)runs * iters;
	if (pin > 0 && iommu > 0) {
		printf("map-floor-pin\t4k-pages\t%llu\t%.3f\tGiB/s\n",
		       (unsigned long long)(size / runs / iters),
		       size / pin / GIB);
		printf("map-floor-iommu\t4k-pages\t%llu\t%.3f\tGiB/s\n",
		       (unsigned long long)(size / runs / iters),
		       size / iommu / GIB);
		printf("map-floor-rest\t4k-pages\t%llu\t%.3f\tGiB/s\n",
		       (unsigned long long)(size / runs / iters),
		       size / (total - pin - iommu) / GIB);
	}
	fflush(stdout);
	free_kind(buf, size / runs / iters);
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

/*
 * Scaling: NBUF buffers of BUF_SIZE (4 KiB pages, faulted top-down) mapped
 * in 1 MiB mappings at disjoint IOVAs into one container, by 1, 2 and 4
 * threads (each maps NBUF / threads of them), and the same split of pure
 * CPU work as a control: the host is shared and TCG's vCPUs are not
 * always parallel, so a thread count's gain is reported as a fraction of
 * what the control gained with as many threads right then.
 */
#define NBUF 4
#define BUF_SIZE (32 * SZ_1M)
#define SPIN_WORK 40000000ULL /* control iterations, split like the maps */

struct worker {
	uint8_t **bufs; /* maps bufs[0 .. nbuf) at iova + i * SZ_256M */
	int nbuf;
	uint64_t iova;
	uint64_t spin; /* control: iterations of CPU work instead */
	pthread_barrier_t *go;
	double t0, t1; /* when it started and finished */
};

static volatile uint64_t spin_sink;

static void *worker_fn(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(w->go);
	w->t0 = now_s();
	if (w->spin) {
		uint64_t x = w->iova;

		for (uint64_t i = 0; i < w->spin; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		spin_sink = x;
	}
	for (int i = 0; i < w->nbuf; i++)
		for (uint64_t off = 0; off < BUF_SIZE; off += SZ_1M)
			map1(w->bufs[i] + off, w->iova + i * SZ_256M + off,
			     SZ_1M);
	w->t1 = now_s();
	return NULL;
}

/*
 * Seconds @nthreads workers take, from the first start to the last finish
 * (timed by the workers: the caller may not run again until one is done);
 * they map @bufs, or with @control spin instead.
 */
static double run_workers(int nthreads, uint8_t **bufs, bool control)
{
	struct worker w[NBUF];
	pthread_t th[NBUF];
	pthread_barrier_t go;
	double first, last;
	int per = NBUF / nthreads;

	pthread_barrier_init(&go, NULL, nthreads + 1);
	for (int i = 0; i < nthreads; i++) {
		w[i] = (struct worker){bufs + i * per,
				       control ? 0 : per,
				       IOVA_BASE + (uint64_t)i * per * SZ_256M,
				       control ? SPIN_WORK / nthreads : 0,
				       &go,
				       0,
				       0};
		if (pthread_create(&th[i], NULL, worker_fn, &w[i]))
			die("pthread_create");
	}
	pthread_barrier_wait(&go);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	first = w[0].t0;
	last = w[0].t1;
	for (int i = 1; i < nthreads; i++) {
		first = w[i].t0 < first ? w[i].t0 : first;
		last = w[i].t1 > last ? w[i].t1 : last;
	}
	if (!control)
		for (int i = 0; i < NBUF; i++)
			unmap1(IOVA_BASE + i * SZ_256M, BUF_SIZE);
	return last - first;
}

/* A 4 KiB-page buffer faulted bottom-up (often physically contiguous). */
static void *alloc_4k_bottom_up(size_t size)
{
	uint8_t *a = alloc_kind_fresh(K_4K, size, true);

	for (size_t off = 0; off < size; off += SZ_4K)
		a[off] = 1;
	return a;
}

static void bench_threads(bool bottom_up)
{
	const char *kind = bottom_up ? "4k-bottom-up" : "4k-pages";
	static const int counts[] = {1, 2, 4};
	enum { NC = sizeof(counts) / sizeof(counts[0]) };
	double rate[NC][32], frac[NC][32];
	uint8_t *bufs[NBUF];
	char what[32];

	for (int i = 0; i < NBUF; i++)
		bufs[i] = bottom_up ? alloc_4k_bottom_up(BUF_SIZE) :
				      alloc_kind(K_4K, BUF_SIZE);
	if (verbose)
		fprintf(stderr,
			"nvfio-bench: threads %s: %ld physically contiguous runs in the first buffer\n",
			kind, phys_runs(bufs[0], BUF_SIZE));
	for (int r = 0; r < runs; r++) {
		double t[NC], ctl[NC];

		for (int c = 0; c < NC; c++) {
			t[c] = run_workers(counts[c], bufs, false);
			ctl[c] = run_workers(counts[c], bufs, true);
			rate[c][r] = (double)NBUF * BUF_SIZE / t[c] / GIB;
			/* gain over one thread / the control's gain */
			frac[c][r] = (t[0] / t[c]) / (ctl[0] / ctl[c]);
		}
	}
	for (int c = 0; c < NC; c++) {
		snprintf(what, sizeof(what), "%s threads%d", kind, counts[c]);
		print_runs(what, rate[c]);
		printf("threads%d\t%s\t%llu\t%.3f\tGiB/s\n", counts[c], kind,
		       (unsigned long long)(NBUF * BUF_SIZE),
		       median(rate[c], runs));
		if (c) {
			snprintf(what, sizeof(what), "%s scaling%d", kind,
				 counts[c]);
			print_runs(what, frac[c]);
			printf("scaling%d\t%s\t%llu\t%.3f\tof control\n",
			       counts[c], kind,
			       (unsigned long long)(NBUF * BUF_SIZE),
			       median(frac[c], runs));
		}
	}
	fflush(stdout);
	for (int i = 0; i < NBUF; i++)
		free_kind(bufs[i], BUF_SIZE);
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
	if (selected("floor")) {
		fprintf(stderr, "nvfio-bench: floor\n");
		bench_pin_floor(SZ_64M);
		bench_map_profile(SZ_64M);
	}
	if (selected("latency")) {
		fprintf(stderr, "nvfio-bench: latency\n");
		bench_latency();
	}
	if (selected("threads")) {
		fprintf(stderr, "nvfio-bench: threads\n");
		bench_threads(false);
		bench_threads(true);
	}
	vu_dev_close(&d);
	return 0;
}
