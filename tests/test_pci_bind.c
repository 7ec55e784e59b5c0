// SPDX-License-Identifier: GPL-2.0-only
/*
 * Binding the PCI bus driver: vfio-pci takes a device only when asked
 * (driver_override, new_id), never on its own; it refuses what mainline
 * refuses (a bridge); and a device it lets go works again with its own
 * kernel driver (e1000e: netdev up, carrier on).
 *
 * Every test puts the devices back as the bench left them: driverless,
 * no driver_override, no dynamic id, and the kernel drivers it loaded
 * unloaded again (an atexit handler does it after a failure too).
 */
#define _GNU_SOURCE
#include "test_pci_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#define SYSFS_PCI "/sys/bus/pci"
#define VFIO_DRV SYSFS_PCI "/drivers/vfio-pci"

static const struct pu_devtype e1000e = {"e1000e", 0x8086, 0x10d3};

static int dev_wr(const char *bdf, const char *attr, const char *s)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), SYSFS_PCI "/devices/%s/%s", bdf, attr);
	return vu_write_file(path, s);
}

static const char *driver_of(const char *bdf)
{
	static char name[64];

	if (vu_driver_name(bdf, name, sizeof(name)))
		FAIL("%s", vu_last_error());
	return name;
}

/* ---- restore at exit ---- */

static struct {
	char bdf[VU_BDF_LEN];
	char new_id[32]; /* written to vfio-pci's new_id, "" if none */
	bool unload_e1000e; /* we loaded the e1000e module */
	bool active;
} saved;

static void restore(void)
{
	char cur[64];

	if (!saved.active)
		return;
	saved.active = false;
	if (saved.new_id[0])
		vu_write_file(VFIO_DRV "/remove_id", saved.new_id);
	if (!vu_driver_name(saved.bdf, cur, sizeof(cur)) && cur[0])
		dev_wr(saved.bdf, "driver/unbind", saved.bdf);
	dev_wr(saved.bdf, "driver_override", "\n");
	if (saved.unload_e1000e)
		if (system("rmmod e1000e 2>/dev/null")) {
		}
}

/*
 * Take @bdf for a test: it must be driverless (as the bench leaves the
 * NICs); remember to put it back that way.
 */
static void take(const char *bdf)
{
	char ov[64];

	if (driver_of(bdf)[0])
		SKIP("%s is bound to %s, not driverless", bdf, driver_of(bdf));
	vu_driver_override(bdf, ov, sizeof(ov));
	if (ov[0])
		SKIP("%s has driver_override %s", bdf, ov);
	snprintf(saved.bdf, sizeof(saved.bdf), "%s", bdf);
	saved.active = true;
	atexit(restore);
}

/*
 * Loading the driver or probing a device binds nothing unasked; new_id
 * binds matching driverless devices, remove_id stops further matches;
 * driver_override=vfio-pci binds at drivers_probe.
 */
TEST(pci_bind_only_when_asked)
{
	char bdf[VU_BDF_LEN];

	/* with vfio-pci loaded, no NIC or disk of the bench is on it */
	for (unsigned int i = 1; i < pu_nbench; i++) {
		char other[VU_BDF_LEN];

		if (vu_find_pci_device(pu_bench[i].vendor, pu_bench[i].device,
				       other, sizeof(other)))
			continue;
		if (!strcmp(driver_of(other), "vfio-pci"))
			FAIL("%s (%s) bound to vfio-pci unasked", other,
			     pu_bench[i].name);
	}

	pu_find(&e1000e, bdf);
	take(bdf);

	/* a plain probe of a driverless device: vfio-pci does not take it */
	ASSERT_OK(vu_write_file(SYSFS_PCI "/drivers_probe", bdf));
	ASSERT_EQ(0, strlen(driver_of(bdf)));

	/* new_id: the driverless e1000e is bound at once */
	snprintf(saved.new_id, sizeof(saved.new_id), "%04x %04x", e1000e.vendor,
		 e1000e.device);
	ASSERT_OK(vu_write_file(VFIO_DRV "/new_id", saved.new_id));
	ASSERT_TRUE(!strcmp(driver_of(bdf), "vfio-pci"));
	/* the same id again: the PCI core says it exists */
	ASSERT_ERRNO(EEXIST, vu_write_file(VFIO_DRV "/new_id", saved.new_id));
	/* unbind: a probe binds it again while the id is there */
	ASSERT_OK(dev_wr(bdf, "driver/unbind", bdf));
	ASSERT_EQ(0, strlen(driver_of(bdf)));
	ASSERT_OK(vu_write_file(SYSFS_PCI "/drivers_probe", bdf));
	ASSERT_TRUE(!strcmp(driver_of(bdf), "vfio-pci"));
	ASSERT_OK(dev_wr(bdf, "driver/unbind", bdf));
	/* remove_id: no longer matched */
	ASSERT_OK(vu_write_file(VFIO_DRV "/remove_id", saved.new_id));
	ASSERT_ERRNO(ENODEV,
		     vu_write_file(VFIO_DRV "/remove_id", saved.new_id));
	saved.new_id[0] = 0;
	ASSERT_OK(vu_write_file(SYSFS_PCI "/drivers_probe", bdf));
	ASSERT_EQ(0, strlen(driver_of(bdf)));
	/* bind by hand without an override or id: no match */
	ASSERT_ERRNO(ENODEV, vu_write_file(VFIO_DRV "/bind", bdf));
	ASSERT_EQ(0, strlen(driver_of(bdf)));

	/* driver_override: bound at the next probe, or by hand */
	ASSERT_OK(dev_wr(bdf, "driver_override", "vfio-pci"));
	ASSERT_EQ(0, strlen(driver_of(bdf)));
	ASSERT_OK(vu_write_file(SYSFS_PCI "/drivers_probe", bdf));
	ASSERT_TRUE(!strcmp(driver_of(bdf), "vfio-pci"));
	ASSERT_OK(dev_wr(bdf, "driver/unbind", bdf));
	ASSERT_OK(vu_write_file(VFIO_DRV "/bind", bdf));
	ASSERT_TRUE(!strcmp(driver_of(bdf), "vfio-pci"));
	/* bound: a second bind is refused */
	ASSERT_ERRNO(EBUSY, vu_write_file(VFIO_DRV "/bind", bdf));
	ASSERT_OK(dev_wr(bdf, "driver/unbind", bdf));
	/* an override naming another driver: vfio-pci does not match */
	ASSERT_OK(dev_wr(bdf, "driver_override", "nvfio-nosuch"));
	ASSERT_ERRNO(ENODEV, vu_write_file(VFIO_DRV "/bind", bdf));
	ASSERT_EQ(0, strlen(driver_of(bdf)));
	ASSERT_OK(dev_wr(bdf, "driver_override", "\n"));
	restore();
	ASSERT_EQ(0, strlen(driver_of(bdf)));
}

/*
 * The first driverless bridge (header type 1) on the machine, "" if none:
 * the bench's PCIe-to-PCI bridge, not the root port that pcieport drives.
 */
static void find_bridge(char *bdf)
{
	struct dirent *de;
	DIR *d = opendir(SYSFS_PCI "/devices");

	bdf[0] = 0;
	if (!d)
		FAIL("no %s/devices", SYSFS_PCI);
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		unsigned char hdr;
		int fd;

		if (de->d_name[0] == '.' || driver_of(de->d_name)[0])
			continue;
		snprintf(path, sizeof(path), SYSFS_PCI "/devices/%s/config",
			 de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (pread(fd, &hdr, 1, PCI_HEADER_TYPE) == 1 &&
		    (hdr & 0x7f) == PCI_HEADER_TYPE_BRIDGE) {
			snprintf(bdf, VU_BDF_LEN, "%.31s", de->d_name);
			close(fd);
			break;
		}
		close(fd);
	}
	closedir(d);
}

/*
 * A bridge is refused at probe: driver_override=vfio-pci and a probe
 * leave it without a driver, and a bind by hand fails (EINVAL, the
 * probe's error).
 */
TEST(pci_bind_bridge_refused)
{
	char bdf[VU_BDF_LEN], drv[64];

	find_bridge(bdf);
	if (!bdf[0])
		SKIP("no PCI bridge on this machine");
	snprintf(drv, sizeof(drv), "%s", driver_of(bdf));
	printf("bridge %s, driver '%s'\n", bdf, drv);
	if (drv[0])
		SKIP("bridge %s is bound to %s", bdf, drv);
	take(bdf);
	ASSERT_OK(dev_wr(bdf, "driver_override", "vfio-pci"));
	ASSERT_OK(vu_write_file(SYSFS_PCI "/drivers_probe", bdf));
	ASSERT_EQ(0, strlen(driver_of(bdf)));
	ASSERT_ERRNO(EINVAL, vu_write_file(VFIO_DRV "/bind", bdf));
	ASSERT_EQ(0, strlen(driver_of(bdf)));
	restore();
}

/* The interface name of @bdf's netdev, waiting up to 5 s for it. */
static bool netdev_of(const char *bdf, char *name, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), SYSFS_PCI "/devices/%s/net", bdf);
	for (int i = 0; i < 50; i++) {
		DIR *d = opendir(path);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(name, len, "%.63s", de->d_name);
			closedir(d);
			return true;
		}
		if (d)
			closedir(d);
		usleep(100000);
	}
	return false;
}

/*
 * e1000e through vfio-pci and back: used by a userspace driver (BAR
 * reads, MSI-X on, bus master), closed and unbound, it is probed by
 * e1000e again, whose netdev comes up with carrier.
 */
TEST(pci_bind_e1000e_roundtrip)
{
	char bdf[VU_BDF_LEN], ifname[64], path[PATH_MAX], buf[64], cmd[256];
	struct vfio_region_info bar0;
	struct vu_dev d;
	uint32_t status = 0;
	int efd;
	bool up = false;

	pu_find(&e1000e, bdf);
	take(bdf);
	saved.unload_e1000e = access("/sys/module/e1000e", F_OK) != 0;

	/* use it through vfio-pci */
	ASSERT_OK(dev_wr(bdf, "driver_override", "vfio-pci"));
	ASSERT_OK(vu_write_file(SYSFS_PCI "/drivers_probe", bdf));
	ASSERT_TRUE(!strcmp(driver_of(bdf), "vfio-pci"));
	if (vu_dev_open(&d, bdf, VU_STAGE_DEVICE))
		FAIL("opening %s: %s", bdf, vu_last_error());
	ASSERT_OK(vu_region_info(d.device, VFIO_PCI_BAR0_REGION_INDEX, &bar0));
	ASSERT_OK(vu_pci_command_set(d.device,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	ASSERT_OK(
		vu_region_read(d.device, &bar0, 0x8 /* STATUS */, &status, 4));
	printf("e1000e STATUS 0x%08x under vfio-pci\n", status);
	efd = vu_eventfd_new();
	ASSERT_OK(efd);
	ASSERT_OK(vu_irq_set_eventfds(d.device, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1,
				      &efd));
	ASSERT_OK(vu_irq_disable(d.device, VFIO_PCI_MSIX_IRQ_INDEX));
	close(efd);
	vu_dev_close(&d);

	/* give it back */
	ASSERT_OK(dev_wr(bdf, "driver/unbind", bdf));
	ASSERT_OK(dev_wr(bdf, "driver_override", "\n"));
	ASSERT_EQ(0, strlen(driver_of(bdf)));

	if (saved.unload_e1000e)
		ASSERT_EQ(0, system("modprobe e1000e"));
	if (!driver_of(bdf)[0]) /* modprobe binds it when it loads */
		ASSERT_OK(vu_write_file(SYSFS_PCI "/drivers/e1000e/bind", bdf));
	ASSERT_TRUE(!strcmp(driver_of(bdf), "e1000e"));
	if (!netdev_of(bdf, ifname, sizeof(ifname)))
		FAIL("e1000e bound to %s but no netdev appeared", bdf);
	snprintf(cmd, sizeof(cmd), "ip link set %s up", ifname);
	ASSERT_EQ(0, system(cmd));
	for (int i = 0; i < 100 && !up; i++) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/operstate",
			 ifname);
		vu_read_file(path, buf, sizeof(buf));
		up = !strcmp(buf, "up");
		snprintf(path, sizeof(path), "/sys/class/net/%s/carrier",
			 ifname);
		vu_read_file(path, buf, sizeof(buf));
		up = up && !strcmp(buf, "1");
		if (!up)
			usleep(100000);
	}
	snprintf(cmd, sizeof(cmd), "ip link show %s", ifname);
	if (system(cmd)) {
	}
	ASSERT_TRUE(up);
	snprintf(cmd, sizeof(cmd), "ip link set %s down", ifname);
	ASSERT_EQ(0, system(cmd));
	restore();
	ASSERT_EQ(0, strlen(driver_of(bdf)));
}

/*
 * The module parameters that configs in /etc/modprobe.d name: the denylist
 * switch (read-only, off by default) and no others that mainline lacks.
 * The denylisted devices themselves (QAT, DSA/IAX) cannot be emulated by
 * the bench's QEMU.
 */
TEST(pci_bind_module_params)
{
	const char *p = "/sys/module/vfio_pci/parameters/disable_denylist";
	char buf[16];
	struct stat st;

	ASSERT_OK(stat(p, &st));
	ASSERT_EQ(0444, st.st_mode & 07777);
	ASSERT_OK(vu_read_file(p, buf, sizeof(buf)));
	ASSERT_TRUE(strcmp(buf, "N") == 0);
	/* ids= is write-once at load (mode 0): no sysfs file. */
	ASSERT_ERRNO(ENOENT, stat("/sys/module/vfio_pci/parameters/ids", &st));
	/*
	 * nointxmask and disable_idle_d3: writable, off by default (both
	 * take effect at load only; see test_pci_feature.c for idle D3).
	 */
	p = "/sys/module/vfio_pci/parameters/nointxmask";
	ASSERT_OK(stat(p, &st));
	ASSERT_EQ(0644, st.st_mode & 07777);
	ASSERT_OK(vu_read_file(p, buf, sizeof(buf)));
	ASSERT_TRUE(strcmp(buf, "N") == 0);
	p = "/sys/module/vfio_pci/parameters/disable_idle_d3";
	ASSERT_OK(stat(p, &st));
	ASSERT_EQ(0644, st.st_mode & 07777);
	ASSERT_OK(vu_read_file(p, buf, sizeof(buf)));
	ASSERT_TRUE(strcmp(buf, "N") == 0);
}
