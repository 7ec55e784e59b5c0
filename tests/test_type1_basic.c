// SPDX-License-Identifier: GPL-2.0-only
/*
 * Type1 IOMMU backend: extensions, GET_INFO, MAP/UNMAP argument checking,
 * v1/v2 unmap semantics, the mapping limit, locked-memory accounting and
 * page pins, concurrent map/unmap.  Every test expects mainline's results.
 */
#include "type1_util.h"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>

/* The group attached, then the iommu set: what each extension answers. */
TEST(type1_extensions)
{
	struct vu_dev d;

	fx_open(&d, VU_STAGE_ATTACHED);
	ASSERT_EQ(1,
		  ioctl(d.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	ASSERT_EQ(1,
		  ioctl(d.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(1, ioctl(d.container, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	/* Only a container with the backend set offers these two. */
	ASSERT_EQ(0,
		  ioctl(d.container, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	ASSERT_EQ(0,
		  ioctl(d.container, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(1,
		  ioctl(d.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	ASSERT_EQ(1,
		  ioctl(d.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(1, ioctl(d.container, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	ASSERT_EQ(1,
		  ioctl(d.container, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	/* QEMU's intel-iommu has no snoop control: no enforced coherency. */
	ASSERT_EQ(0,
		  ioctl(d.container, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	ASSERT_EQ(0, ioctl(d.container, VFIO_CHECK_EXTENSION, 12345));
	/* An ioctl type1 does not know. */
	ASSERT_ERRNO(ENOTTY,
		     ioctl(d.container, _IO(VFIO_TYPE, VFIO_BASE + 40)));
	vu_dev_close(&d);
}

struct t1_chain {
	unsigned int ids[8];
	unsigned int n;
	struct vfio_iommu_type1_info_cap_migration mig;
	uint32_t avail;
	uint32_t nr_iovas;
	struct vfio_iova_range iovas[16];
};

/* GET_INFO with a buffer large enough for the chain, parsed. */
static void get_chain(int c, struct vfio_iommu_type1_info *out,
		      struct t1_chain *ch)
{
	struct vfio_iommu_type1_info info = {.argsz = sizeof(info)};
	struct vfio_info_cap_header *h;
	char *buf;
	uint32_t off;

	memset(ch, 0, sizeof(*ch));
	ASSERT_EQ(0, ioctl(c, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_TRUE(info.flags & VFIO_IOMMU_INFO_CAPS);
	ASSERT_TRUE(info.argsz > sizeof(info));
	buf = calloc(1, info.argsz);
	ASSERT_TRUE(buf != NULL);
	((struct vfio_iommu_type1_info *)buf)->argsz = info.argsz;
	ASSERT_EQ(0, ioctl(c, VFIO_IOMMU_GET_INFO, buf));
	*out = *(struct vfio_iommu_type1_info *)buf;
	ASSERT_EQ(sizeof(info), out->cap_offset);
	for (off = out->cap_offset; off; off = h->next) {
		ASSERT_TRUE(off + sizeof(*h) <= out->argsz);
		ASSERT_TRUE(ch->n < 8);
		h = (void *)(buf + off);
		ch->ids[ch->n++] = h->id;
		ASSERT_EQ(1, h->version);
		if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION) {
			memcpy(&ch->mig, h, sizeof(ch->mig));
		} else if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
			ch->avail =
				((struct vfio_iommu_type1_info_dma_avail *)h)
					->avail;
		} else if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			struct vfio_iommu_type1_info_cap_iova_range *r =
				(void *)h;

			ch->nr_iovas = r->nr_iovas;
			ASSERT_TRUE(r->nr_iovas <= 16);
			memcpy(ch->iovas, r->iova_ranges,
			       r->nr_iovas * sizeof(r->iova_ranges[0]));
		}
	}
	free(buf);
}

/* The capability chain: its order, and each capability's contents. */
TEST(type1_info_caps)
{
	struct vfio_iommu_type1_info info;
	struct t1_chain ch;
	struct vu_dev d;
	bool below = false, above = false;
	void *b;

	fx_open(&d, VU_STAGE_IOMMU);
	get_chain(d.container, &info, &ch);
	ASSERT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, info.flags);
	/* 4 KiB smallest; intel-iommu also offers 2 MiB (and maybe 1 GiB). */
	ASSERT_EQ(SZ_4K, info.iova_pgsizes & -info.iova_pgsizes);
	ASSERT_EQ(3, ch.n);
	ASSERT_EQ(VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, ch.ids[0]);
	ASSERT_EQ(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, ch.ids[1]);
	ASSERT_EQ(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, ch.ids[2]);
	ASSERT_EQ(0, ch.mig.flags);
	ASSERT_EQ(SZ_4K, ch.mig.pgsize_bitmap);
	ASSERT_EQ(0x10000000, ch.mig.max_dirty_bitmap_size);
	ASSERT_EQ(65535, ch.avail);
	/* The x86 MSI window is cut out of the usable IOVA space. */
	ASSERT_TRUE(ch.nr_iovas >= 2);
	ASSERT_EQ(0, ch.iovas[0].start);
	for (unsigned int i = 0; i < ch.nr_iovas; i++) {
		fprintf(stderr, "iova [%#llx, %#llx]\n",
			(unsigned long long)ch.iovas[i].start,
			(unsigned long long)ch.iovas[i].end);
		ASSERT_TRUE(ch.iovas[i].end >= ch.iovas[i].start);
		if (ch.iovas[i].end == 0xfedfffff)
			below = true;
		if (ch.iovas[i].start == 0xfef00000)
			above = true;
		ASSERT_TRUE(ch.iovas[i].end < 0xfee00000 ||
			    ch.iovas[i].start > 0xfeefffff);
	}
	ASSERT_TRUE(below && above);

	/* DMA_AVAIL counts mappings. */
	b = vu_alloc_dma_buffer(2 * SZ_64K);
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, SZ_64K));
	ASSERT_OK(vu_dma_map(d.container, (char *)b + SZ_64K, 0x40000000,
			     SZ_64K));
	get_chain(d.container, &info, &ch);
	ASSERT_EQ(65533, ch.avail);
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, SZ_64K, NULL));
	get_chain(d.container, &info, &ch);
	ASSERT_EQ(65534, ch.avail);
	vu_dev_close(&d);
}

/* The argsz protocol: too small to say anything, too small for the chain. */
TEST(type1_info_argsz)
{
	struct {
		struct vfio_iommu_type1_info info;
		char chain[4096];
	} big;
	struct vfio_iommu_type1_info info;
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vu_dev d;
	uint32_t need;

	fx_open(&d, VU_STAGE_IOMMU);
	memset(&info, 0, sizeof(info));
	info.argsz = minsz - 1;
	ASSERT_ERRNO(EINVAL, ioctl(d.container, VFIO_IOMMU_GET_INFO, &info));

	/* argsz covers only up to iova_pgsizes: cap_offset is not written. */
	memset(&info, 0, sizeof(info));
	info.argsz = minsz;
	info.flags = 0xffff0000; /* output only: ignored */
	info.cap_offset = 0xdeadbeef;
	ASSERT_EQ(0, ioctl(d.container, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, info.flags);
	ASSERT_TRUE(info.argsz > sizeof(info));
	ASSERT_EQ(0xdeadbeef, info.cap_offset);
	ASSERT_TRUE(info.iova_pgsizes & SZ_4K);
	need = info.argsz;

	/* The whole struct but no room for the chain: size needed, offset 0. */
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	info.cap_offset = 0xdeadbeef;
	ASSERT_EQ(0, ioctl(d.container, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_EQ(need, info.argsz);
	ASSERT_EQ(0, info.cap_offset);

	memset(&big, 0, sizeof(big));
	big.info.argsz = need - 1;
	ASSERT_EQ(0, ioctl(d.container, VFIO_IOMMU_GET_INFO, &big));
	ASSERT_EQ(need, big.info.argsz);
	ASSERT_EQ(0, big.info.cap_offset);

	/* Enough room: the chain follows the struct; argsz left as given. */
	memset(&big, 0, sizeof(big));
	big.info.argsz = sizeof(big);
	ASSERT_EQ(0, ioctl(d.container, VFIO_IOMMU_GET_INFO, &big));
	ASSERT_EQ(sizeof(big), big.info.argsz);
	ASSERT_EQ(sizeof(big.info), big.info.cap_offset);
	vu_dev_close(&d);
}

/* MAP_DMA argument checking, in mainline's order. */
TEST(type1_map_invalid)
{
	struct vfio_iommu_type1_dma_map map;
	struct vu_dev d;
	char *b;

	fx_open(&d, VU_STAGE_IOMMU);
	b = vu_alloc_dma_buffer(4 * SZ_64K);
	/* Flags: no permission, unknown bits, VADDR with a permission. */
	ASSERT_ERRNO(EINVAL, t1_map(d.container, b, T1_IOVA, SZ_4K, 0));
	ASSERT_ERRNO(EINVAL, t1_map(d.container, b, T1_IOVA, SZ_4K, 0x100));
	ASSERT_ERRNO(EINVAL, t1_map(d.container, b, T1_IOVA, SZ_4K,
				    VFIO_DMA_MAP_FLAG_READ | 0x8));
	ASSERT_ERRNO(EINVAL,
		     t1_map(d.container, b, T1_IOVA, SZ_4K,
			    VFIO_DMA_MAP_FLAG_VADDR | VFIO_DMA_MAP_FLAG_WRITE));
	/* argsz. */
	map = (struct vfio_iommu_type1_dma_map){
		.argsz = offsetofend(struct vfio_iommu_type1_dma_map, size) - 1,
		.flags = T1_RW,
		.vaddr = (uintptr_t)b,
		.iova = T1_IOVA,
		.size = SZ_4K,
	};
	ASSERT_ERRNO(EINVAL, ioctl(d.container, VFIO_IOMMU_MAP_DMA, &map));
	/* Larger argsz is fine (forward compatibility). */
	map.argsz = sizeof(map) + 64;
	ASSERT_EQ(0, ioctl(d.container, VFIO_IOMMU_MAP_DMA, &map));
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, SZ_4K, NULL));
	/* Size and alignment to the smallest IOMMU page (4 KiB). */
	ASSERT_ERRNO(EINVAL, vu_dma_map(d.container, b, T1_IOVA, 0));
	ASSERT_ERRNO(EINVAL, vu_dma_map(d.container, b, T1_IOVA, 0x800));
	ASSERT_ERRNO(EINVAL,
		     vu_dma_map(d.container, b, T1_IOVA + 0x800, SZ_4K));
	ASSERT_ERRNO(EINVAL,
		     vu_dma_map(d.container, b + 0x800, T1_IOVA, SZ_4K));
	/* Wrapping IOVA or vaddr. */
	ASSERT_ERRNO(EINVAL,
		     vu_dma_map(d.container, b, 0xfffffffffffff000ULL, 0x2000));
	ASSERT_ERRNO(EINVAL, t1_map(d.container, (void *)0xfffffffffffff000ULL,
				    T1_IOVA, 0x2000, T1_RW));
	/* Past the aperture, into or across the MSI window. */
	ASSERT_ERRNO(EINVAL, vu_dma_map(d.container, b, 1ULL << 60, SZ_4K));
	ASSERT_ERRNO(EINVAL, vu_dma_map(d.container, b, 0xfee00000, SZ_4K));
	ASSERT_ERRNO(EINVAL, vu_dma_map(d.container, b, 0xfeeff000, SZ_4K));
	ASSERT_ERRNO(EINVAL, vu_dma_map(d.container, b, 0xfedff000, 0x2000));
	/* Right below the window is fine. */
	ASSERT_OK(vu_dma_map(d.container, b, 0xfedff000, SZ_4K));
	ASSERT_OK(vu_dma_map(d.container, b, 0xfef00000, SZ_4K));
	/* Overlap in every way: same, inside, covering, ending inside. */
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA + SZ_64K, SZ_64K));
	ASSERT_ERRNO(EEXIST,
		     vu_dma_map(d.container, b, T1_IOVA + SZ_64K, SZ_64K));
	ASSERT_ERRNO(EEXIST, vu_dma_map(d.container, b,
					T1_IOVA + SZ_64K + SZ_4K, SZ_4K));
	ASSERT_ERRNO(EEXIST, vu_dma_map(d.container, b, T1_IOVA, 4 * SZ_64K));
	ASSERT_ERRNO(EEXIST,
		     vu_dma_map(d.container, b, T1_IOVA, SZ_64K + SZ_4K));
	/* Adjacent is not overlapping. */
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, SZ_64K));
	ASSERT_OK(t1_unmap(d.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	vu_free_dma_buffer(b, 4 * SZ_64K);
	vu_dev_close(&d);
}

/* Bad user memory: nothing mapped, charged or pinned afterwards. */
TEST(type1_map_bad_vaddr)
{
	long long pins = t1_pinned_pages();
	struct vu_dev d;
	char *hole, *two, *ro, *none;
	long base;

	fx_open(&d, VU_STAGE_IOMMU);
	base = vu_locked_kb();
	hole = mmap(NULL, SZ_64K, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(hole != MAP_FAILED);
	munmap(hole, SZ_64K);
	ASSERT_ERRNO(EFAULT, vu_dma_map(d.container, hole, T1_IOVA, SZ_64K));

	/* The first page is fine, the second is gone. */
	two = mmap(NULL, 2 * SZ_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_TRUE(two != MAP_FAILED);
	munmap(two + SZ_4K, SZ_4K);
	ASSERT_ERRNO(EFAULT, vu_dma_map(d.container, two, T1_IOVA, 2 * SZ_4K));
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_EQ(pins, t1_pinned_pages());
	/* The range is free again. */
	ASSERT_OK(vu_dma_map(d.container, two, T1_IOVA, SZ_4K));
	ASSERT_EQ(base + 4, vu_locked_kb());
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, SZ_4K, NULL));

	/* Read-only memory: device-writable refused, device-readable fine. */
	ro = mmap(NULL, SZ_64K, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(ro != MAP_FAILED);
	ASSERT_ERRNO(EFAULT, vu_dma_map(d.container, ro, T1_IOVA, SZ_64K));
	ASSERT_ERRNO(EFAULT, t1_map(d.container, ro, T1_IOVA, SZ_64K,
				    VFIO_DMA_MAP_FLAG_WRITE));
	ASSERT_EQ(0, t1_map(d.container, ro, T1_IOVA, SZ_64K,
			    VFIO_DMA_MAP_FLAG_READ));
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, SZ_64K, NULL));

	/* Inaccessible memory. */
	none = mmap(NULL, SZ_64K, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	ASSERT_TRUE(none != MAP_FAILED);
	ASSERT_ERRNO(EFAULT, t1_map(d.container, none, T1_IOVA, SZ_64K,
				    VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_EQ(pins, t1_pinned_pages());
	vu_dev_close(&d);
}

/* v2 UNMAP: whole mappings only, sizes reported, argument checking. */
TEST(type1_unmap_v2)
{
	struct vu_dev d;
	uint64_t n;
	char *b;

	fx_open(&d, VU_STAGE_IOMMU);
	b = vu_alloc_dma_buffer(4 * SZ_64K);
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, SZ_64K));
	ASSERT_OK(vu_dma_map(d.container, b + SZ_64K, T1_IOVA + 2 * SZ_64K,
			     SZ_64K));
	/* Bisecting at either end. */
	ASSERT_ERRNO(EINVAL,
		     t1_unmap(d.container, T1_IOVA + SZ_4K, SZ_64K, 0, NULL));
	ASSERT_ERRNO(EINVAL, t1_unmap(d.container, T1_IOVA, 2 * SZ_64K + SZ_4K,
				      0, NULL));
	/* Bad arguments. */
	ASSERT_ERRNO(EINVAL, t1_unmap(d.container, T1_IOVA, 0, 0, NULL));
	ASSERT_ERRNO(EINVAL, t1_unmap(d.container, T1_IOVA, 0x800, 0, NULL));
	ASSERT_ERRNO(EINVAL,
		     t1_unmap(d.container, T1_IOVA + 0x800, SZ_4K, 0, NULL));
	ASSERT_ERRNO(EINVAL, t1_unmap(d.container, 0xfffffffffffff000ULL,
				      0x2000, 0, NULL));
	ASSERT_ERRNO(EINVAL,
		     t1_unmap(d.container, T1_IOVA, SZ_64K, 0x80, NULL));
	/* Nothing there: success, size 0 written back. */
	n = 1;
	ASSERT_EQ(0, t1_unmap(d.container, T1_IOVA + SZ_64K, SZ_64K, 0, &n));
	ASSERT_EQ(0, n);
	/* A range holding both mappings and the gap between them. */
	ASSERT_EQ(0, t1_unmap(d.container, 0, 1ULL << 32, 0, &n));
	ASSERT_EQ(2 * SZ_64K, n);
	ASSERT_EQ(0, t1_unmap(d.container, 0, 1ULL << 32, 0, &n));
	ASSERT_EQ(0, n);
	vu_free_dma_buffer(b, 4 * SZ_64K);
	vu_dev_close(&d);
}

/* v1 UNMAP: whole mappings starting in the range, others left alone. */
TEST(type1_unmap_v1)
{
	struct vu_dev d;
	uint64_t n = 1;
	char *b;

	fx_open(&d, VU_STAGE_ATTACHED);
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1_IOMMU));
	b = vu_alloc_dma_buffer(2 * SZ_64K);
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, SZ_64K));
	ASSERT_OK(
		vu_dma_map(d.container, b + SZ_64K, T1_IOVA + SZ_64K, SZ_64K));
	/* Starting inside a mapping: nothing unmapped, success. */
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA + SZ_4K, SZ_4K, &n));
	ASSERT_EQ(0, n);
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA + SZ_4K, 3 * SZ_64K, &n));
	ASSERT_EQ(0, n);
	/* Covering a mapping's first page: all of that mapping. */
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, SZ_4K, &n));
	ASSERT_EQ(SZ_64K, n);
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, 2 * SZ_64K + SZ_4K, &n));
	ASSERT_EQ(SZ_64K, n);
	/* v1 has no dirty tracking. */
	{
		struct vfio_iommu_type1_dirty_bitmap db = {
			.argsz = sizeof(db),
			.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
		};

		ASSERT_ERRNO(EACCES,
			     ioctl(d.container, VFIO_IOMMU_DIRTY_PAGES, &db));
	}
	vu_dev_close(&d);
}

/* VFIO_DMA_UNMAP_FLAG_ALL. */
TEST(type1_unmap_all)
{
	struct vu_dev d;
	uint64_t n = 0;
	char *b;

	fx_open(&d, VU_STAGE_IOMMU);
	b = vu_alloc_dma_buffer(2 * SZ_64K);
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, SZ_64K));
	ASSERT_OK(vu_dma_map(d.container, b + SZ_64K, 0x40000000, SZ_64K));
	ASSERT_ERRNO(EINVAL, t1_unmap(d.container, 0, SZ_4K,
				      VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	ASSERT_ERRNO(EINVAL, t1_unmap(d.container, T1_IOVA, 0,
				      VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	ASSERT_ERRNO(EINVAL,
		     t1_unmap(d.container, 0, 0,
			      VFIO_DMA_UNMAP_FLAG_ALL |
				      VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
			      NULL));
	ASSERT_EQ(0, t1_unmap(d.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &n));
	ASSERT_EQ(2 * SZ_64K, n);
	ASSERT_EQ(0, t1_unmap(d.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &n));
	ASSERT_EQ(0, n);
	vu_dev_close(&d);
}

static char saved_limit[32];

static void restore_limit(void)
{
	FILE *f = fopen(t1_param_path("dma_entry_limit"), "w");

	if (f) {
		fputs(saved_limit, f);
		fclose(f);
	}
}

/* The dma_entry_limit module parameter, read when a container opens. */
TEST(type1_entry_limit)
{
	struct vfio_iommu_type1_info info;
	struct t1_chain ch;
	struct vu_dev d;
	uint64_t n;
	FILE *f;
	char *b;
	int i;

	f = fopen(t1_param_path("dma_entry_limit"), "r+");
	ASSERT_TRUE(f != NULL);
	ASSERT_TRUE(fgets(saved_limit, sizeof(saved_limit), f) != NULL);
	ASSERT_EQ(65535, atoi(saved_limit));
	atexit(restore_limit);
	ASSERT_TRUE(fputs("8\n", f) >= 0);
	ASSERT_EQ(0, fclose(f));

	fx_open(&d, VU_STAGE_IOMMU);
	b = vu_alloc_dma_buffer(SZ_4K);
	for (i = 0; i < 8; i++)
		ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA + i * SZ_64K,
				     SZ_4K));
	/* Overlap is checked before the limit. */
	ASSERT_ERRNO(EEXIST, vu_dma_map(d.container, b, T1_IOVA, SZ_4K));
	ASSERT_ERRNO(ENOSPC,
		     vu_dma_map(d.container, b, T1_IOVA + 8 * SZ_64K, SZ_4K));
	get_chain(d.container, &info, &ch);
	ASSERT_EQ(0, ch.avail);
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, SZ_4K, &n));
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA + 8 * SZ_64K, SZ_4K));
	ASSERT_EQ(0, t1_unmap(d.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &n));
	ASSERT_EQ(8 * SZ_4K, n);
	get_chain(d.container, &info, &ch);
	ASSERT_EQ(8, ch.avail);
	vu_dev_close(&d);
}

/* Pinned pages are charged to locked_vm and refunded on unmap and close. */
TEST(type1_locked_vm)
{
	struct vu_dev d;
	long base;
	uint64_t n;
	char *b;

	fx_open(&d, VU_STAGE_IOMMU);
	b = vu_alloc_dma_buffer(4 * SZ_64K);
	base = vu_locked_kb();
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, 4 * SZ_64K));
	ASSERT_EQ(base + 256, vu_locked_kb());
	/* The same pages mapped twice are charged twice. */
	ASSERT_OK(vu_dma_map(d.container, b, 0x40000000, SZ_64K));
	ASSERT_EQ(base + 320, vu_locked_kb());
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, 4 * SZ_64K, &n));
	ASSERT_EQ(base + 64, vu_locked_kb());
	ASSERT_OK(vu_dma_unmap(d.container, 0x40000000, SZ_64K, &n));
	ASSERT_EQ(base, vu_locked_kb());
	/* Closing with mappings refunds too. */
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, 4 * SZ_64K));
	vu_dev_close(&d);
	ASSERT_EQ(base, vu_locked_kb());
}

/* RLIMIT_MEMLOCK applies without CAP_IPC_LOCK, and only then. */
TEST(type1_rlimit_memlock)
{
	long long pins = t1_pinned_pages();
	struct rlimit rl;
	struct vu_dev d;
	long base;
	char *b;

	fx_open(&d, VU_STAGE_IOMMU);
	b = vu_alloc_dma_buffer(4 * SZ_64K);
	base = vu_locked_kb();
	rl.rlim_cur = rl.rlim_max = base * 1024 + 2 * SZ_64K;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	/* With CAP_IPC_LOCK (root) the limit does not apply. */
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, 4 * SZ_64K));
	ASSERT_EQ(base + 256, vu_locked_kb());
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, 4 * SZ_64K, NULL));

	t1_drop_ipc_lock();
	ASSERT_ERRNO(ENOMEM, vu_dma_map(d.container, b, T1_IOVA, 4 * SZ_64K));
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_EQ(pins, t1_pinned_pages());
	/* Exactly up to the limit is fine, one page more is not. */
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, 2 * SZ_64K));
	ASSERT_ERRNO(ENOMEM, vu_dma_map(d.container, b, 0x40000000, SZ_4K));
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, 2 * SZ_64K, NULL));
	ASSERT_OK(vu_dma_map(d.container, b, 0x40000000, SZ_4K));
	vu_dev_close(&d);
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_EQ(pins, t1_pinned_pages());
}

/* Every page is pinned once while mapped, and released after. */
TEST(type1_page_pins)
{
	long long pins = t1_pinned_pages();
	struct vu_dev d;
	char *b;

	fx_open(&d, VU_STAGE_IOMMU);
	b = vu_alloc_dma_buffer(4 * SZ_64K);
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, 4 * SZ_64K));
	ASSERT_EQ(pins + 64, t1_pinned_pages());
	ASSERT_OK(vu_dma_map(d.container, b, 0x40000000, SZ_64K));
	ASSERT_EQ(pins + 80, t1_pinned_pages());
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, 4 * SZ_64K, NULL));
	ASSERT_EQ(pins + 16, t1_pinned_pages());
	/* Closing the container releases the rest. */
	vu_dev_close(&d);
	ASSERT_EQ(pins, t1_pinned_pages());
}

struct thr {
	int c;
	uint64_t iova;
	char *b;
	int fails;
	bool racer;
};

static void *thr_fn(void *p)
{
	struct thr *t = p;
	uint64_t n;

	for (int i = 0; i < 200; i++) {
		if (t->racer) {
			vu_dma_map(t->c, t->b, t->iova, 4 * SZ_64K);
			t1_unmap(t->c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &n);
			continue;
		}
		if (vu_dma_map(t->c, t->b, t->iova, 4 * SZ_64K))
			t->fails++;
		if (vu_dma_unmap(t->c, t->iova, 4 * SZ_64K, &n) ||
		    n != 4 * SZ_64K)
			t->fails++;
	}
	return NULL;
}

static void run_threads(int c, bool racers)
{
	struct thr t[4];
	pthread_t th[4];
	int i;

	for (i = 0; i < 4; i++) {
		t[i] = (struct thr){c, T1_IOVA + i * 0x1000000ULL,
				    vu_alloc_dma_buffer(4 * SZ_64K), 0,
				    racers && i >= 2};
		ASSERT_EQ(0, pthread_create(&th[i], NULL, thr_fn, &t[i]));
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	if (!racers)
		for (i = 0; i < 4; i++)
			ASSERT_EQ(0, t[i].fails);
}

/* Four threads on disjoint ranges, then two of them racing UNMAP_ALL. */
TEST(type1_threads)
{
	long long pins = t1_pinned_pages();
	struct vu_dev d;
	long base;
	uint64_t n;

	fx_open(&d, VU_STAGE_IOMMU);
	base = vu_locked_kb();
	run_threads(d.container, false);
	ASSERT_EQ(0, t1_unmap(d.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &n));
	ASSERT_EQ(0, n);
	/* UNMAP_ALL racing maps: no crash, nothing leaked. */
	run_threads(d.container, true);
	ASSERT_EQ(0, t1_unmap(d.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &n));
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_EQ(pins, t1_pinned_pages());
	vu_dev_close(&d);
}

/*
 * The bench's profile of map (kernel/iommu_type1/profile.c, test builds):
 * turned on it counts each pin batch and each iommu_map() with the time
 * they took; turned off it counts nothing more.
 */
TEST_OURS_ONLY(type1_profile)
{
	struct vu_dev d;
	uint64_t n;
	char *b;

	fx_open(&d, VU_STAGE_IOMMU);
	b = vu_alloc_dma_buffer(SZ_2M);
	ASSERT_OK(vu_write_file(T1_PROFILE, "1"));
	ASSERT_EQ(0, t1_profile("pin_calls"));
	ASSERT_EQ(0, t1_profile("map_calls"));
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, SZ_2M));
	ASSERT_OK(vu_write_file(T1_PROFILE, "0"));
	if (t1_profile("pin_calls") < 1 || t1_profile("pin_ns") <= 0 ||
	    t1_profile("map_calls") < 1 || t1_profile("map_ns") <= 0)
		FAIL("a 2 MiB map left pin %lld calls %lld ns, map %lld calls %lld ns",
		     t1_profile("pin_calls"), t1_profile("pin_ns"),
		     t1_profile("map_calls"), t1_profile("map_ns"));
	n = t1_profile("map_calls");
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, SZ_2M, NULL));
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, SZ_2M));
	ASSERT_EQ((long long)n, t1_profile("map_calls"));
	ASSERT_ERRNO(EINVAL, vu_write_file(T1_PROFILE, "maybe"));
	vu_dev_close(&d);
	vu_free_dma_buffer(b, SZ_2M);
}
