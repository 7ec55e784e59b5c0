// SPDX-License-Identifier: GPL-2.0-only
/*
 * Resets of the PCI bus driver, against mainline's exact results:
 *
 *   pci_reset_device_reset       VFIO_DEVICE_RESET works where the device
 *                                has a reset method (the RESET info flag,
 *                                sysfs reset_method), -EINVAL where not
 *   pci_reset_hot_reset_root_bus devices on the root bus (integrated
 *                                endpoints) have no bus or slot reset:
 *                                both hot-reset ioctls -ENODEV
 *   pci_reset_hot_reset_info     the argsz protocol (-ENOSPC with the
 *                                count) and the affected devices with
 *                                their groups, behind the bench's bridge
 *   pci_reset_hot_reset          the group-fd protocol: every refusal,
 *                                then a bus reset that BAR mmaps survive
 *                                (they are revoked and fault back in)
 *   pci_reset_hot_reset_stale_group a group fd kept across an unbind and
 *                                rebind proves nothing: the group it stood
 *                                for is gone (-EINVAL), the new one works
 *   pci_reset_close_resets_domain a device without a function reset is
 *                                cleaned by a bus reset once nothing on its
 *                                bus is open any more (the next user finds
 *                                reset values, not the last user's)
 *   pci_reset_close_restores     the last close turns bus mastering and
 *                                MSI off and puts the BARs back
 */
#include "test_core.h"
#include "test_pci_sigbus.h"
#include "test_pci_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#define MAX_DEPS 8

union hot_reset_info {
	struct vfio_pci_hot_reset_info h;
	uint8_t b[sizeof(struct vfio_pci_hot_reset_info) +
		  MAX_DEPS * sizeof(struct vfio_pci_dependent_device)];
};

union hot_reset {
	struct vfio_pci_hot_reset h;
	uint8_t b[sizeof(struct vfio_pci_hot_reset) +
		  MAX_DEPS * sizeof(int32_t)];
};

static int hot_reset_info(int device, uint32_t argsz, union hot_reset_info *u)
{
	memset(u, 0, sizeof(*u));
	u->h.argsz = argsz;
	return ioctl(device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, u);
}

/* HOT_RESET with @n group fds; @argsz 0 means the exact size. */
static int hot_reset(int device, uint32_t argsz, uint32_t flags,
		     const int32_t *fds, uint32_t n)
{
	union hot_reset u;

	memset(&u, 0, sizeof(u));
	u.h.argsz = argsz ? argsz : sizeof(u.h) + n * sizeof(int32_t);
	u.h.flags = flags;
	u.h.count = n;
	if (n)
		memcpy(u.h.group_fds, fds, n * sizeof(int32_t));
	return ioctl(device, VFIO_DEVICE_PCI_HOT_RESET, &u);
}

static void parse_bdf(const char *bdf, unsigned int *seg, unsigned int *bus,
		      unsigned int *devfn)
{
	unsigned int dev, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", seg, bus, &dev, &fn) != 4)
		FAIL("bad BDF %s", bdf);
	*devfn = dev << 3 | fn;
}

/* The device's config space as the PCI core reads it from the hardware. */
static void sysfs_config(const char *bdf, uint8_t *buf, size_t len)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), CU_PCI "/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_EQ((long long)len, pread(fd, buf, len, 0));
	close(fd);
}

static bool has_reset_method(const char *bdf)
{
	char path[128], buf[128] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), CU_PCI "/%s/reset_method", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0)
		printf("%s reset_method: %s", bdf, buf);
	return n > 1;
}

TEST(pci_reset_device_reset)
{
	for (unsigned int i = 0; i < pu_nbench; i++) {
		struct vfio_device_info info = {.argsz = sizeof(info)};
		const struct pu_devtype *t = &pu_bench[i];
		char bdf[VU_BDF_LEN];
		struct vu_dev d;
		bool resettable;

		if (!pu_present(t))
			continue;
		pu_open(t, &d);
		snprintf(bdf, sizeof(bdf), "%s", d.bdf);
		resettable = has_reset_method(bdf);
		ASSERT_OK(vu_device_info(d.device, &info));
		printf("%s %s: flags 0x%x, reset method %s\n", t->name, bdf,
		       info.flags, resettable ? "yes" : "no");
		ASSERT_EQ(resettable, !!(info.flags & VFIO_DEVICE_FLAGS_RESET));
		if (resettable) {
			ASSERT_EQ(0, ioctl(d.device, VFIO_DEVICE_RESET));
			/* and the device still answers config cycles */
			ASSERT_EQ(t->vendor,
				  pu_cfg_read(d.device, PCI_VENDOR_ID, 2));
		} else {
			ASSERT_ERRNO(EINVAL,
				     ioctl(d.device, VFIO_DEVICE_RESET));
		}
		vu_dev_close(&d);
		pu_release(bdf);
	}
}

TEST(pci_reset_hot_reset_root_bus)
{
	union hot_reset_info u;
	struct vu_dev d;
	int32_t fd;

	fx_open(&d, VU_STAGE_DEVICE);
	fd = d.group;
	ASSERT_ERRNO(EINVAL, hot_reset_info(d.device, 8, &u));
	ASSERT_ERRNO(ENODEV, hot_reset_info(d.device, sizeof(u), &u));
	ASSERT_ERRNO(ENODEV, hot_reset_info(d.device, sizeof(u.h), &u));
	ASSERT_ERRNO(EINVAL, hot_reset(d.device, 8, 0, &fd, 1));
	ASSERT_ERRNO(EINVAL, hot_reset(d.device, 0, 1, &fd, 1));
	/* No fds: refused before the reset lookup, but not on 6.1. */
	ASSERT_ERRNO(fx_kernel_at_least(6, 5) ? EINVAL : ENODEV,
		     hot_reset(d.device, 0, 0, NULL, 0));
	ASSERT_ERRNO(ENODEV, hot_reset(d.device, 0, 0, &fd, 1));
	vu_dev_close(&d);
}

/*
 * Both functions behind the bridge, once each, with their group.  The order
 * is the kernel's walk of the bus's device list, which is not devfn order
 * once a device has been removed and rescanned (the core tests do that), so
 * either order is accepted.
 */
static void check_deps(const struct shared_group *g,
		       const union hot_reset_info *u)
{
	unsigned int seg[2], bus[2], devfn[2], first;

	parse_bdf(g->edu, &seg[0], &bus[0], &devfn[0]);
	parse_bdf(g->nic, &seg[1], &bus[1], &devfn[1]);
	ASSERT_EQ(bus[0], bus[1]);
	ASSERT_EQ(0, u->h.flags);
	ASSERT_EQ(2, u->h.count);
	first = u->h.devices[0].devfn == devfn[0] ? 0 : 1;
	for (unsigned int i = 0; i < 2; i++) {
		unsigned int want = i ? 1 - first : first;

		ASSERT_EQ(g->id, u->h.devices[i].group_id);
		ASSERT_EQ(seg[want], u->h.devices[i].segment);
		ASSERT_EQ(bus[want], u->h.devices[i].bus);
		ASSERT_EQ(devfn[want], u->h.devices[i].devfn);
	}
}

TEST(pci_reset_hot_reset_info)
{
	const size_t dep = sizeof(struct vfio_pci_dependent_device);
	struct shared_group g;
	union hot_reset_info u;
	struct vu_dev d;

	sg_setup(&g, true);
	if (vu_dev_open(&d, g.edu, VU_STAGE_DEVICE))
		FAIL("open %s: %s", g.edu, vu_last_error());

	ASSERT_ERRNO(EINVAL, hot_reset_info(d.device, sizeof(u.h) - 1, &u));
	/* Too small: -ENOSPC, and the header says how many are needed. */
	ASSERT_ERRNO(ENOSPC, hot_reset_info(d.device, sizeof(u.h), &u));
	ASSERT_EQ(2, u.h.count);
	ASSERT_EQ(0, u.h.flags);
	ASSERT_ERRNO(ENOSPC, hot_reset_info(d.device, sizeof(u.h) + dep, &u));
	ASSERT_EQ(2, u.h.count);
	ASSERT_ERRNO(ENOSPC,
		     hot_reset_info(d.device, sizeof(u.h) + 2 * dep - 1, &u));
	ASSERT_EQ(2, u.h.count);

	/* The e1000 is listed although no driver has it. */
	ASSERT_EQ(0, hot_reset_info(d.device, sizeof(u.h) + 2 * dep, &u));
	check_deps(&g, &u);
	ASSERT_EQ(0, hot_reset_info(d.device, sizeof(u), &u));
	check_deps(&g, &u);
	ASSERT_EQ(0, u.h.devices[2].group_id); /* nothing written beyond */

	/* The same from the e1000's own fd once it is on vfio-pci. */
	ASSERT_OK(cu_bind(g.nic, "vfio-pci"));
	{
		int nic = vu_get_device_fd(d.group, g.nic);

		ASSERT_OK(nic);
		ASSERT_EQ(0, hot_reset_info(nic, sizeof(u), &u));
		check_deps(&g, &u);
		close(nic);
	}
	vu_dev_close(&d);
}

TEST(pci_reset_hot_reset)
{
	struct vfio_region_info ri;
	volatile uint32_t *bar;
	struct shared_group g;
	char path[64];
	int32_t fds[3];
	struct vu_dev d;
	int other, nic;
	uint32_t v = 0;

	sg_setup(&g, true);
	if (vu_dev_open(&d, g.edu, VU_STAGE_DEVICE))
		FAIL("open %s: %s", g.edu, vu_last_error());
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	ASSERT_OK(vu_region_info(d.device, VFIO_PCI_BAR0_REGION_INDEX, &ri));
	bar = vu_region_mmap(d.device, &ri);
	ASSERT_TRUE(bar != NULL);
	ASSERT_EQ(0, ps_read32(bar + EDU_REG_ID / 4, &v));
	ASSERT_EQ(EDU_ID_VALUE, v);

	/* A group fd that is not the one needed: the root-bus edu's. */
	snprintf(path, sizeof(path), "/dev/vfio/%d", fx_group_id());
	other = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(other);

	/* The e1000 has no driver: it is not ours to reset. */
	fds[0] = d.group;
	ASSERT_ERRNO(EINVAL, hot_reset(d.device, 0, 0, fds, 1));
	ASSERT_OK(cu_bind(g.nic, "vfio-pci"));

	/* Argument checks. */
	ASSERT_ERRNO(EINVAL,
		     hot_reset(d.device, sizeof(struct vfio_pci_hot_reset) - 1,
			       0, fds, 1));
	ASSERT_ERRNO(EINVAL, hot_reset(d.device, 0, 1, fds, 1));
	ASSERT_ERRNO(EINVAL, hot_reset(d.device, 0, 0, fds, 0));
	fds[1] = d.group;
	fds[2] = d.group;
	/* more group fds than affected devices */
	ASSERT_ERRNO(EINVAL, hot_reset(d.device, 0, 0, fds, 3));
	fds[0] = -1;
	ASSERT_ERRNO(EBADF, hot_reset(d.device, 0, 0, fds, 1));
	fds[0] = d.group;
	fds[1] = -1;
	ASSERT_ERRNO(EBADF, hot_reset(d.device, 0, 0, fds, 2));
	fds[0] = d.container; /* not a group */
	ASSERT_ERRNO(EINVAL, hot_reset(d.device, 0, 0, fds, 1));
	fds[0] = d.device; /* not a group either */
	ASSERT_ERRNO(EINVAL, hot_reset(d.device, 0, 0, fds, 1));
	fds[0] = other; /* a group, but not the affected devices' */
	ASSERT_ERRNO(EINVAL, hot_reset(d.device, 0, 0, fds, 1));

	/* The right group, alone or with another one. */
	fds[0] = d.group;
	ASSERT_EQ(0, hot_reset(d.device, 0, 0, fds, 1));
	ASSERT_EQ(0, ps_read32(bar + EDU_REG_ID / 4, &v));
	ASSERT_EQ(EDU_ID_VALUE, v);
	fds[0] = other;
	fds[1] = d.group;
	ASSERT_EQ(0, hot_reset(d.device, 0, 0, fds, 2));

	/* With the e1000 open as well, from either device. */
	nic = vu_get_device_fd(d.group, g.nic);
	ASSERT_OK(nic);
	fds[0] = d.group;
	ASSERT_EQ(0, hot_reset(nic, 0, 0, fds, 1));
	ASSERT_EQ(0, hot_reset(d.device, 0, 0, fds, 1));
	close(nic);

	/* The mapping was revoked over each reset and faults back in. */
	ASSERT_EQ(0, ps_write32(bar + EDU_REG_LIVENESS / 4, 0x5a5a1234));
	ASSERT_EQ(0, ps_read32(bar + EDU_REG_LIVENESS / 4, &v));
	ASSERT_EQ(~0x5a5a1234u, v);
	ASSERT_EQ(0, ps_read32(bar + EDU_REG_ID / 4, &v));
	ASSERT_EQ(EDU_ID_VALUE, v);

	vu_region_munmap((void *)bar, &ri);
	close(other);
	vu_dev_close(&d);
}

/*
 * Ownership is proven with group objects, not group numbers: after every
 * device of the group was unbound and bound again, /dev/vfio/<id> is a new
 * group (which another user could own), and a fd of the old one is refused.
 */
TEST(pci_reset_hot_reset_stale_group)
{
	struct shared_group g;
	struct vu_dev d;
	int32_t fds[1];
	int stale;

	sg_setup(&g, true);
	ASSERT_OK(cu_bind(g.nic, "vfio-pci"));
	stale = open(g.path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(stale);

	/* The group goes away under the open fd, and comes back anew. */
	ASSERT_OK(cu_unbind(g.edu));
	ASSERT_OK(cu_unbind(g.nic));
	ASSERT_OK(cu_bind(g.edu, "vfio-pci"));
	ASSERT_OK(cu_bind(g.nic, "vfio-pci"));

	if (vu_dev_open(&d, g.edu, VU_STAGE_DEVICE))
		FAIL("open %s: %s", g.edu, vu_last_error());
	fds[0] = stale;
	ASSERT_ERRNO(EINVAL, hot_reset(d.device, 0, 0, fds, 1));
	fds[0] = d.group;
	ASSERT_EQ(0, hot_reset(d.device, 0, 0, fds, 1));

	close(stale);
	vu_dev_close(&d);
}

#define E1000_RDBAL0 0x2800 /* receive descriptor base, low; resets to 0 */

/* Open the e1000 and read (and write, if @val) its RDBAL0 register. */
static uint32_t e1000_rdbal(const char *bdf, const uint32_t *val)
{
	struct vfio_region_info ri;
	struct vu_dev d;
	uint32_t v;

	if (vu_dev_open(&d, bdf, VU_STAGE_DEVICE))
		FAIL("open %s: %s", bdf, vu_last_error());
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	ASSERT_OK(vu_region_info(d.device, VFIO_PCI_BAR0_REGION_INDEX, &ri));
	if (val)
		ASSERT_OK(vu_region_write(d.device, &ri, E1000_RDBAL0, val, 4));
	ASSERT_OK(vu_region_read(d.device, &ri, E1000_RDBAL0, &v, 4));
	vu_dev_close(&d);
	return v;
}

/*
 * The e1000 behind the bench's bridge has no function reset.  Its last
 * close marks it dirty; with the edu on the same bus bound to vfio-pci and
 * closed, nothing of the bus is in use, so the bus is reset and the next
 * user does not find what the last one left.
 */
TEST(pci_reset_close_resets_domain)
{
	uint32_t dirty = 0x12345000;
	struct shared_group g;

	sg_setup(&g, true);
	ASSERT_OK(cu_bind(g.nic, "vfio-pci"));
	ASSERT_EQ(dirty, e1000_rdbal(g.nic, &dirty));
	ASSERT_EQ(0, e1000_rdbal(g.nic, NULL));
}

/* MSI enable bit in raw config space, or -1 without MSI. */
static int msi_enabled(const uint8_t *cfg)
{
	unsigned int pos = cfg[PCI_CAPABILITY_LIST] & ~3, n = 0;

	while (pos && n++ < 48) {
		if (cfg[pos] == PCI_CAP_ID_MSI)
			return !!(cfg[pos + PCI_MSI_FLAGS] &
				  PCI_MSI_FLAGS_ENABLE);
		pos = cfg[pos + 1] & ~3;
	}
	return -1;
}

/*
 * The last close: bus mastering off, interrupts torn down (MSI disabled),
 * the function reset if it can be, and the BARs as they were before open.
 */
TEST(pci_reset_close_restores)
{
	for (unsigned int i = 0; i < 2; i++) {
		const struct pu_devtype *t = &pu_bench[i]; /* edu, e1000e */
		struct vfio_irq_info irq = {.argsz = sizeof(irq)};
		uint8_t before[256], open_cfg[256], after[256];
		char bdf[VU_BDF_LEN];
		struct vu_dev d;
		int efd;

		pu_find(t, bdf);
		pu_claim(bdf);
		sysfs_config(bdf, before, sizeof(before));
		if (vu_dev_open(&d, bdf, VU_STAGE_DEVICE))
			FAIL("open %s: %s", bdf, vu_last_error());
		ASSERT_OK(vu_pci_command_set(
			d.device, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
		ASSERT_OK(vu_irq_info(d.device, VFIO_PCI_MSI_IRQ_INDEX, &irq));
		efd = -1;
		if (irq.count) {
			efd = vu_eventfd_new();
			ASSERT_OK(efd);
			ASSERT_OK(vu_irq_set_eventfds(
				d.device, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd));
		}
		sysfs_config(bdf, open_cfg, sizeof(open_cfg));
		ASSERT_TRUE(open_cfg[PCI_COMMAND] & PCI_COMMAND_MASTER);
		if (irq.count)
			ASSERT_EQ(1, msi_enabled(open_cfg));
		if (!strcmp(t->name, "e1000e")) {
			struct vfio_device_info info = {.argsz = sizeof(info)};

			ASSERT_OK(vu_device_info(d.device, &info));
			if (info.flags & VFIO_DEVICE_FLAGS_RESET)
				ASSERT_EQ(0,
					  ioctl(d.device, VFIO_DEVICE_RESET));
		}
		vu_dev_close(&d);
		if (efd >= 0)
			close(efd);

		sysfs_config(bdf, after, sizeof(after));
		printf("%s %s: command 0x%02x%02x before open, 0x%02x%02x after close\n",
		       t->name, bdf, before[PCI_COMMAND + 1],
		       before[PCI_COMMAND], after[PCI_COMMAND + 1],
		       after[PCI_COMMAND]);
		ASSERT_EQ(0, after[PCI_COMMAND] & PCI_COMMAND_MASTER);
		ASSERT_MEMEQ(before + PCI_COMMAND, after + PCI_COMMAND, 2);
		if (irq.count)
			ASSERT_EQ(0, msi_enabled(after));
		ASSERT_MEMEQ(before + PCI_BASE_ADDRESS_0,
			     after + PCI_BASE_ADDRESS_0,
			     PCI_CARDBUS_CIS - PCI_BASE_ADDRESS_0);
		ASSERT_MEMEQ(before + PCI_ROM_ADDRESS, after + PCI_ROM_ADDRESS,
			     4);
		ASSERT_EQ(before[PCI_INTERRUPT_LINE],
			  after[PCI_INTERRUPT_LINE]);
		pu_release(bdf);
	}
}
