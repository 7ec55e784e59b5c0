/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the type1 conformance tests (tests/test_type1_*.c):
 * raw MAP/UNMAP with flags, locked-memory and page-pin counters, dropping
 * CAP_IPC_LOCK, binding a second device to vfio-pci for multi-group tests
 * and watching the kernel log for IOMMU faults.
 */
#ifndef NVFIO_TYPE1_UTIL_H
#define NVFIO_TYPE1_UTIL_H

#include "fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define T1_IOVA 0x100000ULL
#define SZ_4K 0x1000ULL
#define SZ_64K 0x10000ULL
#define SZ_2M 0x200000ULL
#define T1_RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

static inline int t1_map(int c, void *va, uint64_t iova, uint64_t size,
			 uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = flags,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = size,
	};

	return ioctl(c, VFIO_IOMMU_MAP_DMA, &m);
}

/* *out (if given) receives the size field written back (or left). */
static inline int t1_unmap(int c, uint64_t iova, uint64_t size, uint32_t flags,
			   uint64_t *out)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	int r = ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u);

	if (out)
		*out = u.size;
	return r;
}

/*
 * Pages pinned system-wide right now (FOLL_PIN acquired minus released),
 * after folding the per-CPU counters.  Only the test pins in the guest.
 */
static inline long long t1_pinned_pages(void)
{
	long long acq = -1, rel = -1, v;
	char name[64];
	FILE *f;
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1", 1) < 0) { /* folds even on -EINVAL */
		}
		close(fd);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		FAIL("cannot open /proc/vmstat");
	while (fscanf(f, "%63s %lld", name, &v) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired"))
			acq = v;
		else if (!strcmp(name, "nr_foll_pin_released"))
			rel = v;
	}
	fclose(f);
	if (acq < 0 || rel < 0)
		FAIL("no nr_foll_pin_* in /proc/vmstat");
	return acq - rel;
}

/* VFIO_IOMMU_DIRTY_PAGES with @flags alone (START, STOP). */
static inline int t1_dirty_pages(int c, uint32_t flags)
{
	struct vfio_iommu_type1_dirty_bitmap db = {
		.argsz = sizeof(db),
		.flags = flags,
	};

	return ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &db);
}

struct t1_get_bitmap {
	struct vfio_iommu_type1_dirty_bitmap db;
	struct vfio_iommu_type1_dirty_bitmap_get range;
};

/* VFIO_IOMMU_DIRTY_PAGES GET_BITMAP of [@iova, @iova + @size) in @pgsize
 * pages into @bits (@bits_size bytes). */
static inline int t1_dirty_bitmap(int c, uint64_t iova, uint64_t size,
				  uint64_t pgsize, uint64_t *bits,
				  uint64_t bits_size)
{
	struct t1_get_bitmap g = {
		.db =
			{
				.argsz = sizeof(g),
				.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
			},
		.range =
			{
				.iova = iova,
				.size = size,
				.bitmap =
					{
						.pgsize = pgsize,
						.size = bits_size,
						.data = (__u64 *)bits,
					},
			},
	};

	return ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &g);
}

/*
 * The edu copies @len bytes from RAM at @src_iova into its buffer and back
 * to RAM at @dst_iova; checked through the process's view of both (@src,
 * @dst), which the DMA must have used.
 */
void t1_edu_roundtrip(struct edu *e, uint64_t src_iova, uint8_t *src,
		      uint64_t dst_iova, uint8_t *dst, uint32_t len,
		      unsigned int seed);

/* Drop CAP_IPC_LOCK from the effective set (RLIMIT_MEMLOCK then applies). */
void t1_drop_ipc_lock(void);

/* The module parameter file of the loaded type1 backend. */
const char *t1_param_path(const char *param);

/*
 * A second device, alone in its IOMMU group, bound to vfio-pci for the
 * rest of the test (restored at exit).  Returns its BDF; skips if none.
 */
const char *t1_second_device(void);

/* Our type1's profile of map (test builds; kernel/iommu_type1/profile.c). */
#define T1_PROFILE "/sys/kernel/debug/nvfio/type1_profile"
/* Its sum @key ("pin_calls", "prefault_ns", ...); -1 if there is none. */
long long t1_profile(const char *key);

/* Start watching the kernel log; t1_kmsg_find() reads what came since. */
int t1_kmsg_open(void);
/* Whether a line containing all of @a and @b appeared within @ms. */
bool t1_kmsg_find(int fd, const char *a, const char *b, int ms);

/* Fill with a pattern derived from @seed. */
static inline void t1_fill(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + seed + (i >> 9));
}

#endif
