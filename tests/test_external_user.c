// SPDX-License-Identifier: GPL-2.0-only
/*
 * The external-user API (seeds 000/001), driven through the test module
 * nvfio_ext_test.ko (/dev/nvfio_ext_test): an in-kernel user that takes a
 * group from a group fd, asks its IOMMU id and releases it.  Ours only.
 *
 * What an external user holds is observed from outside: the group file
 * (the group cannot be opened again: one opener at a time), the container
 * and its IOMMU backend (the backend module's refcnt; the mappings' pinned
 * pages, charged to our VmLck), and nothing at all after a refusal.
 */
#include "fixture.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../kernel/testing/nvfio_ext_test.h"

#define IOVA 0x100000ULL
#define MAP_SIZE 0x40000ULL /* 256 KiB */

static int ext_get(int ext, int fd)
{
	return ioctl(ext, NVFIO_EXT_GET, &fd);
}

static long locked_kb(void)
{
	long kb = vu_locked_kb();

	if (kb < 0)
		FAIL("%s", vu_last_error());
	return kb;
}

/* Nothing holds the group: it can be opened, and is in no container. */
static void assert_group_free(int group_id)
{
	uint32_t flags;
	int g = vu_open_group(group_id);

	if (g < 0)
		FAIL("group %d cannot be opened: %s", group_id,
		     vu_last_error());
	ASSERT_OK(vu_group_status(g, &flags));
	ASSERT_EQ(0, flags & VFIO_GROUP_FLAGS_CONTAINER_SET);
	close(g);
}

/* Get, read the id, put; the module's own protocol errors. */
TEST_OURS_ONLY(external_get_id_put)
{
	struct vu_dev d;
	int ext;

	REQUIRE_OURS();
	ext = fx_ext_open();
	fx_open(&d, VU_STAGE_IOMMU);
	ASSERT_ERRNO(ENOENT, ioctl(ext, NVFIO_EXT_ID));
	ASSERT_ERRNO(ENOENT, ioctl(ext, NVFIO_EXT_PUT));
	ASSERT_OK(ext_get(ext, d.group));
	ASSERT_EQ(d.group_id, ioctl(ext, NVFIO_EXT_ID));
	ASSERT_ERRNO(EBUSY, ext_get(ext, d.group));
	ASSERT_OK(ioctl(ext, NVFIO_EXT_PUT));
	ASSERT_ERRNO(ENOENT, ioctl(ext, NVFIO_EXT_ID));
	ASSERT_ERRNO(ENOENT, ioctl(ext, NVFIO_EXT_PUT));
	/* Again, with a device open as well. */
	d.device = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(d.device);
	ASSERT_OK(ext_get(ext, d.group));
	ASSERT_EQ(d.group_id, ioctl(ext, NVFIO_EXT_ID));
	ASSERT_OK(ioctl(ext, NVFIO_EXT_PUT));
	vu_dev_close(&d);
	close(ext);
	assert_group_free(d.group_id);
}

/* Files that are not group files: ERR_PTR(-EINVAL); a bad fd: EBADF. */
TEST_OURS_ONLY(external_refuse_not_group)
{
	struct vu_dev d;
	int ext, null, fd;

	REQUIRE_OURS();
	ext = fx_ext_open();
	fx_open(&d, VU_STAGE_DEVICE);
	null = open("/dev/null", O_RDWR);
	ASSERT_OK(null);
	ASSERT_ERRNO(EINVAL, ext_get(ext, null));
	ASSERT_ERRNO(EINVAL, ext_get(ext, d.container));
	ASSERT_ERRNO(EINVAL, ext_get(ext, d.device));
	ASSERT_ERRNO(EINVAL, ext_get(ext, ext));
	ASSERT_ERRNO(EBADF, ext_get(ext, -1));
	fd = dup(null);
	close(fd);
	ASSERT_ERRNO(EBADF, ext_get(ext, fd));
	/* Nothing was taken: no id, and the real group still works. */
	ASSERT_ERRNO(ENOENT, ioctl(ext, NVFIO_EXT_ID));
	ASSERT_OK(ext_get(ext, d.group));
	ASSERT_OK(ioctl(ext, NVFIO_EXT_PUT));
	close(null);
	vu_dev_close(&d);
	close(ext);
	assert_group_free(d.group_id);
}

/* A group in no container: refused, and nothing is held afterwards. */
TEST_OURS_ONLY(external_refuse_no_container)
{
	struct vu_dev d;
	int ext, core0;

	REQUIRE_OURS();
	ext = fx_ext_open();
	fx_open(&d, VU_STAGE_GROUP);
	core0 = fx_module_refcnt("vfio");
	ASSERT_ERRNO(EINVAL, ext_get(ext, d.group));
	ASSERT_ERRNO(ENOENT, ioctl(ext, NVFIO_EXT_ID));
	ASSERT_EQ(core0, fx_module_refcnt("vfio"));
	/* Had the refusal kept the group file, this open would be EBUSY. */
	close(d.group);
	d.group = -1;
	assert_group_free(d.group_id);
	/* Also after the group was in a container and left it. */
	d.group = vu_open_group(d.group_id);
	ASSERT_OK(d.group);
	ASSERT_OK(vu_group_set_container(d.group, d.container));
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	ASSERT_OK(ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_ERRNO(EINVAL, ext_get(ext, d.group));
	vu_dev_close(&d);
	close(ext);
	assert_group_free(d.group_id);
}

/* In a container without an IOMMU backend: refused, nothing held. */
TEST_OURS_ONLY(external_refuse_no_iommu)
{
	struct vu_dev d;
	int ext;

	REQUIRE_OURS();
	ext = fx_ext_open();
	fx_open(&d, VU_STAGE_ATTACHED);
	ASSERT_ERRNO(EINVAL, ext_get(ext, d.group));
	ASSERT_ERRNO(ENOENT, ioctl(ext, NVFIO_EXT_ID));
	/* A leaked container user would make this EBUSY. */
	ASSERT_OK(ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	/* Once the IOMMU is set, the same group is accepted. */
	ASSERT_OK(vu_group_set_container(d.group, d.container));
	ASSERT_ERRNO(EINVAL, ext_get(ext, d.group));
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	ASSERT_OK(ext_get(ext, d.group));
	ASSERT_OK(ioctl(ext, NVFIO_EXT_PUT));
	ASSERT_OK(ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	vu_dev_close(&d);
	close(ext);
	assert_group_free(d.group_id);
}

/* While held, the container cannot be taken from the group. */
TEST_OURS_ONLY(external_blocks_unset_container)
{
	struct vu_dev d;
	int ext;

	REQUIRE_OURS();
	ext = fx_ext_open();
	fx_open(&d, VU_STAGE_IOMMU);
	ASSERT_OK(ext_get(ext, d.group));
	ASSERT_ERRNO(EBUSY, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_OK(ioctl(ext, NVFIO_EXT_PUT));
	ASSERT_OK(ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	vu_dev_close(&d);
	close(ext);
}

/*
 * Userspace closes every fd while the external user holds the group: the
 * group, its container and the IOMMU setup survive (the backend stays
 * pinned, the mapping's pages stay pinned and charged), and the id can
 * still be read.  The put releases all of it.
 */
TEST_OURS_ONLY(external_survives_close)
{
	long lck0, lck1;
	struct vu_dev d;
	int ext, type1;
	void *buf;

	REQUIRE_OURS();
	ext = fx_ext_open();
	fx_open(&d, VU_STAGE_DEVICE);
	buf = vu_alloc_dma_buffer(MAP_SIZE);
	ASSERT_TRUE(buf != NULL);
	lck0 = locked_kb();
	ASSERT_OK(vu_dma_map(d.container, buf, IOVA, MAP_SIZE));
	lck1 = locked_kb();
	ASSERT_EQ(lck0 + (long)(MAP_SIZE >> 10), lck1);
	type1 = fx_module_refcnt("vfio_iommu_type1");

	ASSERT_OK(ext_get(ext, d.group));
	vu_dev_close(&d);

	ASSERT_EQ(d.group_id, ioctl(ext, NVFIO_EXT_ID));
	ASSERT_EQ(type1, fx_module_refcnt("vfio_iommu_type1"));
	ASSERT_EQ(lck1, locked_kb());
	/* The group file is still open (in the kernel): one opener only. */
	ASSERT_ERRNO(EBUSY, vu_open_group(d.group_id));

	ASSERT_OK(ioctl(ext, NVFIO_EXT_PUT));
	/* The group left the container, which dropped its backend. */
	ASSERT_EQ(type1 - 1, fx_module_refcnt("vfio_iommu_type1"));
	ASSERT_EQ(lck0, locked_kb());
	assert_group_free(d.group_id);
	vu_free_dma_buffer(buf, MAP_SIZE);
	close(ext);
}

/* Closing the test module's fd puts a group still held. */
TEST_OURS_ONLY(external_put_on_release)
{
	struct vu_dev d;
	int ext;

	REQUIRE_OURS();
	ext = fx_ext_open();
	fx_open(&d, VU_STAGE_IOMMU);
	ASSERT_OK(ext_get(ext, d.group));
	vu_dev_close(&d);
	ASSERT_ERRNO(EBUSY, vu_open_group(d.group_id));
	close(ext);
	assert_group_free(d.group_id);
}

/* Two external users of one group: it lasts until both have put it. */
TEST_OURS_ONLY(external_two_users)
{
	int ext1, ext2, type1;
	struct vu_dev d;

	REQUIRE_OURS();
	ext1 = fx_ext_open();
	ext2 = fx_ext_open();
	fx_open(&d, VU_STAGE_IOMMU);
	type1 = fx_module_refcnt("vfio_iommu_type1");
	ASSERT_OK(ext_get(ext1, d.group));
	ASSERT_OK(ext_get(ext2, d.group));
	ASSERT_EQ(d.group_id, ioctl(ext2, NVFIO_EXT_ID));
	vu_dev_close(&d);
	ASSERT_OK(ioctl(ext1, NVFIO_EXT_PUT));
	ASSERT_ERRNO(EBUSY, vu_open_group(d.group_id));
	ASSERT_EQ(type1, fx_module_refcnt("vfio_iommu_type1"));
	ASSERT_EQ(d.group_id, ioctl(ext2, NVFIO_EXT_ID));
	ASSERT_OK(ioctl(ext2, NVFIO_EXT_PUT));
	ASSERT_EQ(type1 - 1, fx_module_refcnt("vfio_iommu_type1"));
	assert_group_free(d.group_id);
	close(ext1);
	close(ext2);
}
