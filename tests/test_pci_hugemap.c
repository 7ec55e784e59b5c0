// SPDX-License-Identifier: GPL-2.0-only
/*
 * Huge BAR mappings.  The bench's ivshmem-plain has a 1 GiB BAR2 of RAM
 * (bench/run-guest.sh, pu_ivshmem).  On 6.12 vfio-pci maps a BAR with PMD
 * (2 MiB) and PUD (1 GiB) entries where the user address, the offset in
 * the BAR and the BAR's address are aligned to the block and the mapping
 * covers it, and with 4 KiB PTEs elsewhere (mainline's huge_fault;
 * nvfio's kernel/pci/pci_mmap.c).  The kernel does not align the address
 * of such an mmap, so the tests place their mappings themselves
 * (pu_mmap_aligned(), as a user that wants huge entries does).  On 6.1
 * (and kernels without THP, pu_huge_pfnmap()) there are no huge pfn
 * mappings: nvfio maps a page per fault and mainline's vfio-pci the whole
 * VMA at its first fault (io_remap_pfn_range()), so the fault counts are
 * checked on 6.12 only.
 *
 *   pci_hugemap_pattern            a 1 GiB-aligned mapping of the whole
 *                                  BAR is the BAR: what is written through
 *                                  it reads back through pread() and the
 *                                  reverse, all over it and across block
 *                                  boundaries
 *   pci_hugemap_few_faults         (6.12) touching each of its 262144
 *                                  pages takes one fault per 1 GiB (CPUs
 *                                  with 1 GiB pages) or 2 MiB; 2 MiB
 *                                  alignment only: one per 2 MiB
 *   pci_hugemap_unaligned          an mmap at an offset inside the BAR,
 *                                  of a length that is no multiple of
 *                                  2 MiB, is right; (6.12) a 4 KiB fault
 *                                  per page where no block fits, one per
 *                                  2 MiB where one does
 *   pci_hugemap_decode_off_sigbus  decode off zaps it (SIGBUS everywhere,
 *                                  read() -EIO); decode on, it faults back
 *                                  in, (6.12) huge again
 *   pci_hugemap_reset_zaps         VFIO_DEVICE_RESET zaps it: the next
 *                                  access faults in again
 * Revocation of such a mapping: revoke_huge_mapping (test_revoke.c).
 */
#include "fixture.h"
#include "test_pci_sigbus.h"
#include "test_pci_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#define SZ_4K 0x1000ul
#define SZ_2M 0x200000ul
#define SZ_1G 0x40000000ul

/* An unaligned 8-byte access (across a page or block boundary). */
typedef uint64_t u64_unaligned __attribute__((aligned(4)));

struct hm {
	struct vu_dev d;
	struct vfio_region_info ri; /* BAR2 */
	char bdf[VU_BDF_LEN];
	uint8_t *map; /* the test's one mapping of BAR2, or NULL */
	size_t map_len;
};

/*
 * A failing test exits with the device open and mapped, and then the
 * exit handler of pu_claim() unbinds it: on mainline that unbind waits,
 * forever, for the fds and mappings of the very process doing it.  This
 * handler, registered after pu_claim()'s and so run before it, lets go
 * of them first.
 */
static struct hm *hm_live;

static void hm_exit(void)
{
	if (!hm_live)
		return;
	if (hm_live->map)
		munmap(hm_live->map, hm_live->map_len);
	vu_dev_close(&hm_live->d);
	hm_live = NULL;
}

/* The ivshmem on vfio-pci, open, memory decode on. */
static void hm_open(struct hm *h)
{
	memset(h, 0, sizeof(*h));
	h->d.device = h->d.group = h->d.container = -1;
	pu_find(&pu_ivshmem, h->bdf);
	pu_claim(h->bdf);
	atexit(hm_exit);
	hm_live = h;
	if (vu_dev_open(&h->d, h->bdf, VU_STAGE_DEVICE))
		FAIL("opening the ivshmem (%s): %s", h->bdf, vu_last_error());
	ASSERT_OK(vu_region_info(h->d.device, PU_IVSHMEM_BAR, &h->ri));
	ASSERT_TRUE(h->ri.flags & VFIO_REGION_INFO_FLAG_MMAP);
	if (h->ri.size < SZ_1G)
		FAIL("the ivshmem's BAR2 has %llu bytes; the bench gives it 1 GiB",
		     (unsigned long long)h->ri.size);
	pu_command_bits(h->d.device, PCI_COMMAND_MEMORY, true);
}

/* Close before the release: an unbind would wait for the open fd. */
static void hm_close(struct hm *h)
{
	hm_exit();
	pu_release(h->bdf);
}

/* pu_mmap_aligned() of BAR2, the test's one mapping at a time. */
static uint8_t *hm_map(struct hm *h, uint64_t off, size_t len, size_t align,
		       size_t skew)
{
	if (h->map)
		FAIL("one mapping at a time");
	h->map = pu_mmap_aligned(h->d.device, &h->ri, off, len, align, skew);
	h->map_len = len;
	return h->map;
}

static void hm_unmap(struct hm *h)
{
	ASSERT_OK(munmap(h->map, h->map_len));
	h->map = NULL;
}

/* The whole BAR at a 1 GiB-aligned address (PUD- and PMD-mappable). */
static uint8_t *hm_map_all(struct hm *h)
{
	return hm_map(h, 0, h->ri.size, SZ_1G, 0);
}

/*
 * The memory outlives the tests of a boot: a pattern of this run's own,
 * distinct for every page, so that what an earlier test (or a wrong
 * mapping) left behind never matches.
 */
static uint32_t seed;

static void seed_init(void)
{
	seed = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
}

static uint32_t pat(uint64_t page)
{
	return (uint32_t)page * 0x9e3779b1u ^ seed;
}

/* A word of page @page that depends on the page (and on @salt). */
static uint64_t word(uint64_t page, unsigned int salt)
{
	return page * SZ_4K + ((page * 37 + salt * 101) % 1024) * 4;
}

static uint32_t rd32(const uint8_t *p, uint64_t off)
{
	return *(const volatile uint32_t *)(p + off);
}

static void wr32(uint8_t *p, uint64_t off, uint32_t v)
{
	*(volatile uint32_t *)(p + off) = v;
}

static uint32_t region_rd32(struct hm *h, uint64_t off)
{
	uint32_t v;

	if (pread(h->d.device, &v, 4, h->ri.offset + off) != 4)
		FAIL("pread of BAR2 at 0x%llx: %s", (unsigned long long)off,
		     strerror(errno));
	return v;
}

static void region_wr32(struct hm *h, uint64_t off, uint32_t v)
{
	if (pwrite(h->d.device, &v, 4, h->ri.offset + off) != 4)
		FAIL("pwrite of BAR2 at 0x%llx: %s", (unsigned long long)off,
		     strerror(errno));
}

/* Faults taken reading one word of each 4 KiB page of [p, p + len). */
static long touch_faults(const uint8_t *p, size_t len)
{
	long before = pu_minflt();

	for (size_t off = 0; off < len; off += SZ_4K)
		(void)rd32(p, off);
	return pu_minflt() - before;
}

/* Can the CPU map 1 GiB pages (so the kernel maps PUD blocks)? */
static bool cpu_gbpages(void)
{
	char line[4096];
	bool yes = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		FAIL("/proc/cpuinfo: %s", strerror(errno));
	while (!yes && fgets(line, sizeof(line), f))
		yes = !strncmp(line, "flags", 5) && strstr(line, " pdpe1gb");
	fclose(f);
	return yes;
}

static void require_huge_pfnmap(void)
{
	if (!pu_huge_pfnmap())
		SKIP("no huge pfn mappings (before 6.12, or no THP): on 6.1 "
		     "nvfio takes a fault per 4 KiB page, mainline's vfio-pci "
		     "one per mmap (io_remap_pfn_range() of the whole VMA)");
}

/* Samples: every 13th page from @first, and the first and last page. */
static bool sampled(uint64_t page, uint64_t n, unsigned int first)
{
	return page % 13 == first || page == 0 || page == n - 1;
}

/*
 * @len bytes of the BAR from @off mapped at @bar: each sampled page
 * written through the mapping reads back through pread(), and the
 * reverse (other samples, other words).
 */
static void check_pattern(struct hm *h, uint8_t *bar, uint64_t off, size_t len)
{
	uint64_t n = len / SZ_4K, first = off / SZ_4K;

	for (uint64_t i = 0; i < n; i++)
		if (sampled(i, n, 0))
			wr32(bar, word(i, 0), pat(first + i));
	for (uint64_t i = 0; i < n; i++) {
		uint32_t v;

		if (!sampled(i, n, 0))
			continue;
		v = region_rd32(h, off + word(i, 0));
		if (v != pat(first + i))
			FAIL("page %llu of the mapping (BAR2 0x%llx): wrote "
			     "0x%08x through it, pread() gives 0x%08x",
			     (unsigned long long)i,
			     (unsigned long long)(off + word(i, 0)),
			     pat(first + i), v);
	}
	for (uint64_t i = 0; i < n; i++)
		if (sampled(i, n, 6))
			region_wr32(h, off + word(i, 1), ~pat(first + i));
	for (uint64_t i = 0; i < n; i++) {
		uint32_t v;

		if (!sampled(i, n, 6))
			continue;
		v = rd32(bar, word(i, 1));
		if (v != ~pat(first + i))
			FAIL("page %llu of the mapping (BAR2 0x%llx): wrote "
			     "0x%08x with pwrite(), the mapping gives 0x%08x",
			     (unsigned long long)i,
			     (unsigned long long)(off + word(i, 1)),
			     ~pat(first + i), v);
	}
}

TEST(pci_hugemap_pattern)
{
	struct hm h;
	uint8_t *bar;

	hm_open(&h);
	seed_init();
	bar = hm_map_all(&h);
	check_pattern(&h, bar, 0, h.ri.size);

	/* 8 bytes across every 2 MiB block boundary, and the last 8. */
	for (uint64_t b = SZ_2M; b <= h.ri.size; b += SZ_2M) {
		uint64_t at = b < h.ri.size ? b - 4 : b - 8;
		uint64_t v = (uint64_t)pat(b) << 32 | ~pat(b), got = 0;

		*(volatile u64_unaligned *)(bar + at) = v;
		if (pread(h.d.device, &got, 8, h.ri.offset + at) != 8)
			FAIL("pread at 0x%llx: %s", (unsigned long long)at,
			     strerror(errno));
		if (got != v)
			FAIL("8 bytes at BAR2 0x%llx: wrote 0x%016llx through "
			     "the mapping, pread() gives 0x%016llx",
			     (unsigned long long)at, (unsigned long long)v,
			     (unsigned long long)got);
	}
	hm_unmap(&h);
	hm_close(&h);
}

TEST(pci_hugemap_few_faults)
{
	size_t pages, small = 64 * SZ_2M;
	bool pud = cpu_gbpages();
	long f, max;
	struct hm h;
	uint8_t *bar;

	require_huge_pfnmap();
	hm_open(&h);
	pages = h.ri.size / SZ_4K;
	bar = hm_map_all(&h);
	f = touch_faults(bar, h.ri.size);
	/* A 1 GiB block per fault, or 2 MiB without 1 GiB pages. */
	max = pud ? (long)(h.ri.size / SZ_1G) : (long)(h.ri.size / SZ_2M);
	printf("note: %ld faults for %zu pages of a 1 GiB-aligned mapping "
	       "(CPU %s 1 GiB pages)\n",
	       f, pages, pud ? "with" : "without");
	if (f < 1 || f > max + 4)
		FAIL("%ld faults touching %zu pages of a 1 GiB-aligned mapping; "
		     "huge mappings take at most %ld",
		     f, pages, max);
	hm_unmap(&h);

	/*
	 * 2 MiB-aligned but not 1 GiB: 64 blocks of 2 MiB, a fault each
	 * (a 1 GiB entry cannot fit).
	 */
	bar = hm_map(&h, 0, small, SZ_1G, SZ_2M);
	f = touch_faults(bar, small);
	printf("note: %ld faults for the %zu pages of 128 MiB at 2 MiB "
	       "alignment\n",
	       f, small / SZ_4K);
	if (f < 64 || f > 64 + 4)
		FAIL("%ld faults touching 128 MiB mapped at 2 MiB alignment; "
		     "expected one per 2 MiB (64)",
		     f);
	hm_unmap(&h);
	hm_close(&h);
}

/*
 * Two mappings the huge fault must get right by falling back:
 *  - 12 KiB into the BAR, 3 MiB + 20 KiB long, at a 2 MiB-aligned
 *    address: no block has its BAR address aligned, every page its own
 *    fault;
 *  - 2 MiB into the BAR, 5 MiB + 4 KiB long, 2 MiB-aligned: two 2 MiB
 *    blocks, then 257 pages that no block covers.
 */
TEST(pci_hugemap_unaligned)
{
	static const struct {
		uint64_t off;
		size_t len;
		long faults; /* 6.12 */
	} maps[] = {
		{3 * SZ_4K, 3 * (SZ_2M / 2) + 5 * SZ_4K, 773},
		{SZ_2M, 5 * (SZ_2M / 2) + SZ_4K, 2 + 257},
	};
	bool huge = pu_huge_pfnmap();
	struct hm h;

	hm_open(&h);
	seed_init();
	for (unsigned int m = 0; m < 2; m++) {
		uint8_t *bar = hm_map(&h, maps[m].off, maps[m].len, SZ_2M, 0);
		long f = touch_faults(bar, maps[m].len);

		printf("note: %ld faults for the %zu pages at BAR2 0x%llx\n", f,
		       maps[m].len / SZ_4K, (unsigned long long)maps[m].off);
		if (huge && (f < maps[m].faults || f > maps[m].faults + 4))
			FAIL("%ld faults touching the %zu pages mapped from BAR2 "
			     "0x%llx; expected %ld",
			     f, maps[m].len / SZ_4K,
			     (unsigned long long)maps[m].off, maps[m].faults);
		check_pattern(&h, bar, maps[m].off, maps[m].len);
		hm_unmap(&h);
	}
	hm_close(&h);
}

/* Words in the first and last blocks, at 2 MiB boundaries and inside. */
static const uint64_t probes[] = {
	0, SZ_2M - 4, SZ_2M, 256 * SZ_2M + 3 * SZ_4K + 8, SZ_1G - 4,
};
#define NPROBES (sizeof(probes) / sizeof(probes[0]))

static void write_probes(uint8_t *bar)
{
	for (unsigned int i = 0; i < NPROBES; i++)
		wr32(bar, probes[i], pat(probes[i] / SZ_4K + i));
}

/* Each probe reads back what write_probes() wrote, faulting it in. */
static void check_probes(uint8_t *bar)
{
	for (unsigned int i = 0; i < NPROBES; i++) {
		uint32_t v = 0;

		if (ps_read32((volatile uint32_t *)(bar + probes[i]), &v))
			FAIL("SIGBUS reading BAR2 0x%llx through the mapping",
			     (unsigned long long)probes[i]);
		if (v != pat(probes[i] / SZ_4K + i))
			FAIL("BAR2 0x%llx: 0x%08x, wrote 0x%08x",
			     (unsigned long long)probes[i], v,
			     pat(probes[i] / SZ_4K + i));
	}
}

/* Faults taken by check_probes(). */
static long probe_faults(uint8_t *bar)
{
	long before = pu_minflt();

	check_probes(bar);
	return pu_minflt() - before;
}

/* (6.12) Touching the whole BAR takes a fault per 2 MiB at most. */
static void check_still_huge(struct hm *h, uint8_t *bar, const char *when)
{
	long f;

	if (!pu_huge_pfnmap())
		return;
	f = touch_faults(bar, h->ri.size);
	printf("note: %ld faults for the whole BAR %s\n", f, when);
	if (f > (long)(h->ri.size / SZ_2M) + 4)
		FAIL("%ld faults touching the whole BAR %s: not huge", f, when);
}

TEST(pci_hugemap_decode_off_sigbus)
{
	struct hm h;
	uint8_t *bar;
	uint32_t v;

	hm_open(&h);
	seed_init();
	bar = hm_map_all(&h);
	write_probes(bar);
	check_still_huge(&h, bar, "before decode off");

	pu_command_bits(h.d.device, PCI_COMMAND_MEMORY, false);
	for (unsigned int i = 0; i < NPROBES; i++) {
		volatile uint32_t *p = (volatile uint32_t *)(bar + probes[i]);

		if (ps_read32(p, &v) != -1 || ps_write32(p, ~0u) != -1)
			FAIL("BAR2 0x%llx: no SIGBUS with decode off",
			     (unsigned long long)probes[i]);
	}
	ASSERT_ERRNO(EIO, pread(h.d.device, &v, 4, h.ri.offset + SZ_2M));

	pu_command_bits(h.d.device, PCI_COMMAND_MEMORY, true);
	/* Faulted back in, the writes above never happened. */
	ASSERT_TRUE(probe_faults(bar) >= 1);
	check_still_huge(&h, bar, "after decode on");
	hm_unmap(&h);
	hm_close(&h);
}

TEST(pci_hugemap_reset_zaps)
{
	struct vfio_device_info info = {.argsz = sizeof(info)};
	struct hm h;
	uint8_t *bar;

	hm_open(&h);
	ASSERT_OK(vu_device_info(h.d.device, &info));
	if (!(info.flags & VFIO_DEVICE_FLAGS_RESET))
		SKIP("the ivshmem (%s) has no reset (the bench puts it alone "
		     "behind a root port for a bus reset)",
		     h.bdf);
	seed_init();
	bar = hm_map_all(&h);
	write_probes(bar);
	check_still_huge(&h, bar, "before the reset");
	/*
	 * Mapped: reading again takes no fault (after a first read, which
	 * may fault in the SIGBUS catcher's own pages).
	 */
	check_probes(bar);
	ASSERT_EQ(0, probe_faults(bar));

	ASSERT_EQ(0, ioctl(h.d.device, VFIO_DEVICE_RESET));
	/* Zapped: the first access faults in again; the memory is the same. */
	ASSERT_TRUE(probe_faults(bar) >= 1);
	check_still_huge(&h, bar, "after the reset");
	ASSERT_EQ(0, probe_faults(bar));
	hm_unmap(&h);
	hm_close(&h);
}
