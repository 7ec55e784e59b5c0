// SPDX-License-Identifier: GPL-2.0-only
/*
 * Type1 seen from a device (the edu): DMA through every mapped range of
 * every kind of memory, no DMA through unmapped or read-only IOVAs (the
 * guest IOMMU reports a fault), VADDR live update, and several groups in
 * one container.  Also the plain VADDR protocol.
 */
#define _GNU_SOURCE /* memfd_create */
#include "type1_util.h"

#include <sys/mman.h>
#include <linux/pci_regs.h>

#define XFER 256u
/* Edu's DMA mask is 28 bits: every IOVA here is below 256 MiB. */
#define TOP_IOVA (EDU_DMA_LIMIT - SZ_64K)

static void edu_ready(struct vu_dev *d, struct edu *e)
{
	if (edu_init(e, d->device, true))
		FAIL("edu_init: %s", vu_last_error());
	ASSERT_OK(vu_pci_command_set(d->device,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
}

/* Each range: from its first bytes to its last. */
static void check_range(struct edu *e, uint64_t iova, uint8_t *va,
			uint64_t size, unsigned int seed)
{
	t1_edu_roundtrip(e, iova, va, iova + size - XFER, va + size - XFER,
			 XFER, seed);
}

static char saved_huge[32];

static void restore_huge(void)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");

	if (f) {
		fputs(saved_huge, f);
		fclose(f);
	}
}

/* A 2 MiB hugetlb page, reserving one if needed; NULL if impossible. */
static void *hugetlb_2m(void)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r+");
	void *p;

	if (f && fgets(saved_huge, sizeof(saved_huge), f) &&
	    atoi(saved_huge) < 2) {
		atexit(restore_huge);
		rewind(f);
		fputs("2\n", f);
	}
	if (f)
		fclose(f);
	p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, SZ_2M);
	return p;
}

/* A 2 MiB-aligned buffer the kernel may back with a THP. */
static void *thp_2m(void)
{
	uint8_t *p = mmap(NULL, 2 * SZ_2M, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *a;

	ASSERT_TRUE(p != MAP_FAILED);
	a = (uint8_t *)(((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1));
	madvise(a, SZ_2M, MADV_HUGEPAGE);
	memset(a, 0, SZ_2M);
	return a;
}

/* DMA works through every mapped range: 4 KiB pages, THP, hugetlb. */
TEST(type1_dma_every_range)
{
	long long pins = t1_pinned_pages();
	uint8_t *small, *thp, *huge;
	struct vu_dev d;
	struct edu e;
	uint64_t n;

	fx_open(&d, VU_STAGE_DEVICE);
	edu_ready(&d, &e);
	small = vu_alloc_dma_buffer(SZ_64K);
	thp = thp_2m();
	huge = hugetlb_2m();
	ASSERT_OK(vu_dma_map(d.container, small, T1_IOVA, SZ_64K));
	ASSERT_OK(vu_dma_map(d.container, thp, 0x400000, SZ_2M));
	ASSERT_OK(vu_dma_map(d.container, small, TOP_IOVA, SZ_64K));
	if (huge)
		ASSERT_OK(vu_dma_map(d.container, huge, 0x800000, SZ_2M));
	else
		fprintf(stderr, "no hugetlb page: that range is not tested\n");
	ASSERT_EQ(pins + 16 + 512 + 16 + (huge ? 512 : 0), t1_pinned_pages());

	check_range(&e, T1_IOVA, small, SZ_64K, 1);
	check_range(&e, 0x400000, thp, SZ_2M, 2);
	/* The same pages through a second IOVA. */
	t1_edu_roundtrip(&e, TOP_IOVA, small, T1_IOVA + SZ_4K, small + SZ_4K,
			 XFER, 3);
	if (huge)
		check_range(&e, 0x800000, huge, SZ_2M, 4);
	/* Across mappings: from the THP range into the hugetlb one. */
	if (huge)
		t1_edu_roundtrip(&e, 0x400000 + SZ_2M / 2, thp + SZ_2M / 2,
				 0x800000, huge, XFER, 5);

	ASSERT_EQ(0, t1_unmap(d.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &n));
	ASSERT_EQ(2 * SZ_64K + SZ_2M + (huge ? SZ_2M : 0), n);
	ASSERT_EQ(pins, t1_pinned_pages());
	edu_fini(&e);
	vu_dev_close(&d);
	ASSERT_EQ(pins, t1_pinned_pages());
}

/*
 * No DMA through an IOVA that was unmapped, nor device writes through a
 * read-only mapping: memory stays as it was and the IOMMU reports a fault.
 */
TEST(type1_dma_unmapped_faults)
{
	uint8_t *buf, *ro, *save;
	struct vu_dev d;
	struct edu e;
	int kmsg;

	fx_open(&d, VU_STAGE_DEVICE);
	edu_ready(&d, &e);
	buf = vu_alloc_dma_buffer(SZ_64K);
	save = malloc(XFER);
	ASSERT_OK(vu_dma_map(d.container, buf, T1_IOVA, SZ_64K));
	/* Load the edu's buffer with a pattern, check it works. */
	t1_edu_roundtrip(&e, T1_IOVA, buf, T1_IOVA + SZ_4K, buf + SZ_4K, XFER,
			 7);
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, SZ_64K, NULL));

	/* Device write to the unmapped IOVA. */
	memset(buf, 0xee, SZ_64K);
	kmsg = t1_kmsg_open();
	ASSERT_OK(edu_dma(&e, EDU_BUF_ADDR, T1_IOVA, XFER, true, false));
	for (unsigned int i = 0; i < SZ_64K; i++)
		if (buf[i] != 0xee)
			FAIL("byte %u of the unmapped buffer changed", i);
	ASSERT_TRUE(t1_kmsg_find(kmsg, "DMAR", "fault", 2000));
	close(kmsg);

	/* Device write through a read-only mapping. */
	ro = vu_alloc_dma_buffer(SZ_64K);
	memset(ro, 0x11, SZ_64K);
	memcpy(save, ro, XFER);
	ASSERT_EQ(0, t1_map(d.container, ro, 0x200000, SZ_64K,
			    VFIO_DMA_MAP_FLAG_READ));
	ASSERT_OK(edu_dma(&e, EDU_BUF_ADDR, 0x200000, XFER, true, false));
	ASSERT_MEMEQ(save, ro, XFER);
	/* Reading through it works. */
	ASSERT_OK(vu_dma_map(d.container, buf, T1_IOVA, SZ_64K));
	ASSERT_OK(edu_dma(&e, 0x200000, EDU_BUF_ADDR, XFER, false, false));
	ASSERT_OK(edu_dma(&e, EDU_BUF_ADDR, T1_IOVA, XFER, true, false));
	ASSERT_MEMEQ(save, buf, XFER);
	free(save);
	edu_fini(&e);
	vu_dev_close(&d);
}

/* The VADDR protocol, without a device. */
TEST(type1_vaddr_protocol)
{
	struct vu_dev d;
	uint64_t n = 0;
	char *b, *b2;

	fx_open(&d, VU_STAGE_IOMMU);
	b = vu_alloc_dma_buffer(2 * SZ_64K);
	b2 = vu_alloc_dma_buffer(2 * SZ_64K);
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, SZ_64K));
	ASSERT_OK(
		vu_dma_map(d.container, b + SZ_64K, T1_IOVA + SZ_64K, SZ_64K));
	/* Only valid ones can be given a new vaddr. */
	ASSERT_ERRNO(EINVAL, t1_map(d.container, b2, T1_IOVA, SZ_64K,
				    VFIO_DMA_MAP_FLAG_VADDR));
	/* v2 refuses to bisect here too. */
	ASSERT_ERRNO(EINVAL, t1_unmap(d.container, T1_IOVA, SZ_4K,
				      VFIO_DMA_UNMAP_FLAG_VADDR, &n));
	ASSERT_EQ(0, t1_unmap(d.container, T1_IOVA, 2 * SZ_64K,
			      VFIO_DMA_UNMAP_FLAG_VADDR, &n));
	ASSERT_EQ(2 * SZ_64K, n);
	/* All or nothing: one already invalid fails the whole request. */
	ASSERT_ERRNO(EINVAL, t1_unmap(d.container, T1_IOVA, 2 * SZ_64K,
				      VFIO_DMA_UNMAP_FLAG_VADDR, &n));
	/* Still mapped: the range is taken. */
	ASSERT_ERRNO(EEXIST, vu_dma_map(d.container, b2, T1_IOVA, SZ_64K));
	ASSERT_ERRNO(ENOENT, t1_map(d.container, b2, 0x40000000, SZ_64K,
				    VFIO_DMA_MAP_FLAG_VADDR));
	/* Exactly the mapping's range. */
	ASSERT_ERRNO(EINVAL, t1_map(d.container, b2, T1_IOVA, SZ_4K,
				    VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_ERRNO(EINVAL, t1_map(d.container, b2, T1_IOVA, 2 * SZ_64K,
				    VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_EQ(0, t1_map(d.container, b2, T1_IOVA, SZ_64K,
			    VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_ERRNO(EINVAL, t1_map(d.container, b2, T1_IOVA, SZ_64K,
				    VFIO_DMA_MAP_FLAG_VADDR));
	/* The second is still invalid: ALL|VADDR fails, ALL unmaps both. */
	ASSERT_ERRNO(EINVAL, t1_unmap(d.container, 0, 0,
				      VFIO_DMA_UNMAP_FLAG_ALL |
					      VFIO_DMA_UNMAP_FLAG_VADDR,
				      &n));
	ASSERT_EQ(0, t1_map(d.container, b2 + SZ_64K, T1_IOVA + SZ_64K, SZ_64K,
			    VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_EQ(0,
		  t1_unmap(d.container, 0, 0,
			   VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR,
			   &n));
	ASSERT_EQ(2 * SZ_64K, n);
	ASSERT_EQ(0, t1_unmap(d.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &n));
	ASSERT_EQ(2 * SZ_64K, n);
	vu_dev_close(&d);
}

/*
 * Live update: the vaddr goes away, the device keeps using the pages, and
 * the mapping is re-pointed at a new view of the same memory.
 */
TEST(type1_vaddr_live_update)
{
	long long pins = t1_pinned_pages();
	uint8_t *old, *new;
	struct vu_dev d;
	struct edu e;
	long base;
	int fd;

	fx_open(&d, VU_STAGE_DEVICE);
	edu_ready(&d, &e);
	fd = memfd_create("type1-vaddr", 0);
	ASSERT_OK(fd);
	ASSERT_OK(ftruncate(fd, SZ_64K));
	old = mmap(NULL, SZ_64K, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	new = mmap(NULL, SZ_64K, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(old != MAP_FAILED && new != MAP_FAILED);
	memset(old, 0, SZ_64K);
	base = vu_locked_kb();
	ASSERT_OK(vu_dma_map(d.container, old, T1_IOVA, SZ_64K));
	ASSERT_EQ(base + 64, vu_locked_kb());

	ASSERT_EQ(0, t1_unmap(d.container, T1_IOVA, SZ_64K,
			      VFIO_DMA_UNMAP_FLAG_VADDR, NULL));
	ASSERT_OK(munmap(old, SZ_64K));
	/* The device still reaches the pages: seen through the new view. */
	t1_edu_roundtrip(&e, T1_IOVA, new, T1_IOVA + SZ_64K / 2,
			 new + SZ_64K / 2, XFER, 9);
	ASSERT_EQ(pins + 16, t1_pinned_pages());
	ASSERT_EQ(base + 64, vu_locked_kb());

	ASSERT_EQ(0, t1_map(d.container, new, T1_IOVA, SZ_64K,
			    VFIO_DMA_MAP_FLAG_VADDR));
	t1_edu_roundtrip(&e, T1_IOVA + SZ_4K, new + SZ_4K, T1_IOVA + 2 * SZ_4K,
			 new + 2 * SZ_4K, XFER, 10);
	ASSERT_EQ(base + 64, vu_locked_kb());
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, SZ_64K, NULL));
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_EQ(pins, t1_pinned_pages());
	edu_fini(&e);
	vu_dev_close(&d);
}

/* Open the group of @bdf and attach it to @container. */
static int attach(const char *bdf, int container)
{
	int g = vu_open_group(vu_iommu_group(bdf));

	ASSERT_OK(g);
	ASSERT_OK(vu_group_set_container(g, container));
	return g;
}

/*
 * Two groups in one container: a group joining after the mappings were
 * made sees them; the other leaving keeps them; the last one leaving
 * unpins and refunds everything.
 */
TEST(type1_groups_share_mappings)
{
	long long pins = t1_pinned_pages();
	const char *other = t1_second_device();
	struct vu_dev d;
	struct edu e;
	uint8_t *b;
	long base;
	int c, g2;

	c = vu_open_container();
	ASSERT_OK(c);
	g2 = attach(other, c);
	ASSERT_OK(vu_set_iommu(c, VFIO_TYPE1v2_IOMMU));
	b = vu_alloc_dma_buffer(SZ_64K);
	base = vu_locked_kb();
	ASSERT_OK(vu_dma_map(c, b, T1_IOVA, SZ_64K));
	ASSERT_EQ(pins + 16, t1_pinned_pages());

	/* The edu's group joins the populated container. */
	memset(&d, 0, sizeof(d));
	snprintf(d.bdf, sizeof(d.bdf), "%s", fx_bdf());
	d.container = -1;
	d.group = attach(fx_bdf(), c);
	d.device = vu_get_device_fd(d.group, fx_bdf());
	ASSERT_OK(d.device);
	edu_ready(&d, &e);
	t1_edu_roundtrip(&e, T1_IOVA, b, T1_IOVA + SZ_4K, b + SZ_4K, XFER, 11);
	/* Joining pinned nothing more. */
	ASSERT_EQ(pins + 16, t1_pinned_pages());
	ASSERT_EQ(base + 64, vu_locked_kb());

	/* A mapping made now reaches both. */
	ASSERT_OK(vu_dma_map(c, b, 0x200000, SZ_4K));
	t1_edu_roundtrip(&e, 0x200000, b, T1_IOVA + 2 * SZ_4K, b + 2 * SZ_4K,
			 XFER, 12);

	/* The other group leaves: the edu keeps its mappings. */
	ASSERT_OK(ioctl(g2, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_OK(close(g2));
	t1_edu_roundtrip(&e, T1_IOVA + SZ_64K / 2, b + SZ_64K / 2, 0x200000, b,
			 XFER, 13);
	ASSERT_EQ(pins + 17, t1_pinned_pages());

	/* The last group leaves: everything is unpinned and refunded. */
	edu_fini(&e);
	ASSERT_OK(close(d.device));
	ASSERT_OK(ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_EQ(pins, t1_pinned_pages());
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_OK(close(d.group));
	ASSERT_OK(close(c));
}

/* While a vaddr is invalid, no group may join (joining could pin). */
TEST(type1_groups_vaddr_blocks_attach)
{
	const char *other = t1_second_device();
	struct vu_dev d;
	uint8_t *b;
	int g2;

	fx_open(&d, VU_STAGE_IOMMU);
	b = vu_alloc_dma_buffer(SZ_64K);
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, SZ_64K));
	ASSERT_EQ(0, t1_unmap(d.container, T1_IOVA, SZ_64K,
			      VFIO_DMA_UNMAP_FLAG_VADDR, NULL));
	g2 = vu_open_group(vu_iommu_group(other));
	ASSERT_OK(g2);
	ASSERT_ERRNO(EBUSY, ioctl(g2, VFIO_GROUP_SET_CONTAINER, &d.container));
	ASSERT_EQ(0, t1_map(d.container, b, T1_IOVA, SZ_64K,
			    VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_OK(vu_group_set_container(g2, d.container));
	ASSERT_OK(ioctl(g2, VFIO_GROUP_UNSET_CONTAINER));
	close(g2);
	vu_dev_close(&d);
}
