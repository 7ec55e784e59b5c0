// SPDX-License-Identifier: GPL-2.0-only
/*
 * Core: object lifetimes.  Container, group and device fds close in any
 * order; the group leaves its container with its last fd; a device that is
 * unbound or removed while open waits for its fds (asking userspace through
 * the REQ eventfd), and goes at once when none is open.
 */
#include "test_core.h"

#include <fcntl.h>

enum { C, G, D1, D2, NFD };
static const char fdname[NFD] = {'C', 'G', '1', '2'};

static void check_open_fds(const int *fd, const char *order, int step)
{
	bool attached = fd[G] >= 0 || fd[D1] >= 0 || fd[D2] >= 0;
	struct vfio_device_info info;

	if (fd[C] >= 0 && core_has_iommu(fd[C]) != attached)
		FAIL("order %s, after %d closes: container %s an IOMMU", order,
		     step, attached ? "lost" : "kept");
	if (fd[G] >= 0 && core_group_flags(fd[G]) != IN_CONTAINER)
		FAIL("order %s, after %d closes: group not in its container",
		     order, step);
	for (int i = D1; i <= D2; i++)
		if (fd[i] >= 0 && vu_device_info(fd[i], &info))
			FAIL("order %s, after %d closes: device fd: %s", order,
			     step, vu_last_error());
}

/* All 24 orders of closing a container, a group and two device fds. */
TEST(core_lifetime_close_orders)
{
	int perm[NFD] = {C, G, D1, D2};
	long base;
	void *buf;
	int n = 0;

	buf = vu_alloc_dma_buffer(2 * 4096);
	ASSERT_TRUE(buf);
	base = vu_locked_kb();
	for (;;) {
		char order[NFD + 1];
		int fd[NFD], group;
		struct vu_dev d;

		for (int i = 0; i < NFD; i++)
			order[i] = fdname[perm[i]];
		order[NFD] = 0;

		fx_open(&d, VU_STAGE_DEVICE);
		fd[C] = d.container;
		fd[G] = d.group;
		fd[D1] = d.device;
		fd[D2] = vu_get_device_fd(d.group, d.bdf);
		ASSERT_OK(fd[D2]);
		ASSERT_OK(vu_dma_map(fd[C], buf, 0x100000, 4096));
		ASSERT_OK(
			vu_dma_map(fd[C], (char *)buf + 4096, 0x300000, 4096));
		ASSERT_EQ(base + 8, vu_locked_kb());

		for (int i = 0; i < NFD; i++) {
			ASSERT_OK(close(fd[perm[i]]));
			fd[perm[i]] = -1;
			check_open_fds(fd, order, i + 1);
		}
		/* Everything is released: mappings unpinned, group free. */
		if (vu_locked_kb() != base)
			FAIL("order %s: VmLck %ld kB, %ld before", order,
			     vu_locked_kb(), base);
		group = vu_open_group(d.group_id);
		if (group < 0)
			FAIL("order %s: %s", order, vu_last_error());
		ASSERT_EQ(VIABLE, core_group_flags(group));
		ASSERT_OK(close(group));
		n++;

		/* Next permutation (lexicographic). */
		int i = NFD - 2, j = NFD - 1, t;

		while (i >= 0 && perm[i] >= perm[i + 1])
			i--;
		if (i < 0)
			break;
		while (perm[j] <= perm[i])
			j--;
		t = perm[i], perm[i] = perm[j], perm[j] = t;
		for (int a = i + 1, b = NFD - 1; a < b; a++, b--)
			t = perm[a], perm[a] = perm[b], perm[b] = t;
	}
	ASSERT_EQ(24, n);
	vu_free_dma_buffer(buf, 2 * 4096);
}

/*
 * Open the shared group's edu through a container with a mapping, and a
 * REQ eventfd on the device; returns the eventfd.
 */
static int open_shared_edu(struct shared_group *g, struct vu_dev *d, void *buf)
{
	int efd;

	sg_setup(g, true);
	fx_open(d, VU_STAGE_CONTAINER);
	d->group = open(g->path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(d->group);
	ASSERT_OK(vu_group_set_container(d->group, d->container));
	ASSERT_OK(vu_set_iommu(d->container, VFIO_TYPE1v2_IOMMU));
	ASSERT_OK(vu_dma_map(d->container, buf, 0x100000, 4096));
	d->device = vu_get_device_fd(d->group, g->edu);
	ASSERT_OK(d->device);
	efd = vu_eventfd_new();
	ASSERT_OK(efd);
	ASSERT_OK(vu_irq_set_eventfds(d->device, VFIO_PCI_REQ_IRQ_INDEX, 0, 1,
				      &efd));
	return efd;
}

/* After the group's last device left: the group fd is dead, the
 * container deprivileged, the chardev gone. */
static void check_group_gone(struct shared_group *g, struct vu_dev *d,
			     long base)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};

	ASSERT_TRUE(!cu_exists(g->path));
	ASSERT_ERRNO(ENODEV, ioctl(d->group, VFIO_GROUP_GET_STATUS, &st));
	ASSERT_ERRNO(ENODEV,
		     ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container));
	ASSERT_ERRNO(EINVAL, ioctl(d->group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_ERRNO(ENODEV, ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, g->edu));
	ASSERT_TRUE(!core_has_iommu(d->container));
	ASSERT_EQ(base, vu_locked_kb());
}

/* Unbind or remove (`how`) the edu while its device fd is open. */
static void removal_waits(bool remove)
{
	struct shared_group g;
	char path[128];
	struct vu_dev d;
	uint64_t cnt;
	long base;
	void *buf;
	pid_t pid;
	int efd, err = -1;

	buf = vu_alloc_dma_buffer(4096);
	ASSERT_TRUE(buf);
	base = vu_locked_kb();
	efd = open_shared_edu(&g, &d, buf);

	if (remove)
		snprintf(path, sizeof(path), CU_PCI "/%s/remove", g.edu);
	else
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/drivers/vfio-pci/unbind");
	pid = cu_write_async(path, remove ? "1" : g.edu);
	ASSERT_OK(pid);

	/* Userspace is asked to let go of the device... */
	ASSERT_EQ(1, vu_eventfd_wait(efd, 10000, &cnt));
	/* ...and the removal waits for it. */
	ASSERT_EQ(0, cu_wait_child(pid, 500, &err));
	ASSERT_TRUE(cu_exists(g.path));
	ASSERT_EQ(IN_CONTAINER, core_group_flags(d.group));

	ASSERT_OK(close(d.device));
	d.device = -1;
	ASSERT_EQ(1, cu_wait_child(pid, 10000, &err));
	ASSERT_EQ(0, err);
	if (remove) {
		snprintf(path, sizeof(path), CU_PCI "/%s", g.edu);
		ASSERT_TRUE(!cu_exists(path));
	} else {
		ASSERT_EQ(0, strcmp(cu_driver(g.edu), ""));
	}
	check_group_gone(&g, &d, base);
	vu_dev_close(&d);
	close(efd);

	if (remove) {
		/* Bring the device back (unbound) for the tests after us. */
		ASSERT_OK(vu_write_file("/sys/bus/pci/rescan", "1"));
		snprintf(path, sizeof(path), CU_PCI "/%s", g.edu);
		ASSERT_TRUE(cu_exists(path));
	}
	vu_free_dma_buffer(buf, 4096);
}

TEST(core_lifetime_unbind_waits_for_fd)
{
	removal_waits(false);
}

TEST(core_lifetime_remove_waits_for_fd)
{
	removal_waits(true);
}

/* No device fd open: unbind completes at once, even with the group in a
 * container with mappings. */
TEST(core_lifetime_unbind_without_fd)
{
	struct shared_group g;
	struct vu_dev d;
	uint64_t t0;
	long base;
	void *buf;
	pid_t pid;
	int efd, err = -1;

	buf = vu_alloc_dma_buffer(4096);
	ASSERT_TRUE(buf);
	base = vu_locked_kb();
	efd = open_shared_edu(&g, &d, buf);
	ASSERT_OK(close(d.device));
	d.device = -1;

	t0 = vu_now_ms();
	pid = cu_write_async("/sys/bus/pci/drivers/vfio-pci/unbind", g.edu);
	ASSERT_OK(pid);
	ASSERT_EQ(1, cu_wait_child(pid, 5000, &err));
	ASSERT_EQ(0, err);
	ASSERT_TRUE(vu_now_ms() - t0 < 5000);
	ASSERT_EQ(0, strcmp(cu_driver(g.edu), ""));
	check_group_gone(&g, &d, base);
	/* Nobody was asked to release anything. */
	ASSERT_EQ(0, vu_eventfd_wait(efd, 0, NULL));
	vu_dev_close(&d);
	close(efd);
	vu_free_dma_buffer(buf, 4096);
}
