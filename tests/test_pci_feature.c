// SPDX-License-Identifier: GPL-2.0-only
/*
 * Power management of devices bound to vfio-pci, and VFIO_DEVICE_FEATURE.
 *
 * Idle: a bound device no one has open is runtime suspended (power/control
 * "auto", runtime_status "suspended"; power_state D3hot where it has the
 * PM capability, e.g. the e1000e; the edu has none and stays in D0).  Open,
 * it is "active" in D0.  The user's low power (LOW_POWER_ENTRY, with or
 * without a wakeup eventfd, and LOW_POWER_EXIT) suspends an open device;
 * any ioctl or read/write wakes it for the access, a wakeup eventfd is then
 * signalled and low power ends; BAR mappings fault SIGBUS meanwhile.
 * What QEMU cannot show: the device's real power draw, and PME wakeups
 * (its devices have no PME support).
 *
 * Errnos: mainline's for every feature (the flag rules, argsz, bad
 * eventfds), PCI_VF_TOKEN on a device that is no SR-IOV PF (-ENOTTY), and
 * the features vfio-pci does not have (migration, DMA logging: -ENOTTY).
 */
#include "fixture.h"
#include "test_pci_sigbus.h"
#include "test_pci_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>

static const struct pu_devtype edu_t = {"edu", 0x1234, 0x11e8};
static const struct pu_devtype e1000e_t = {"e1000e", 0x8086, 0x10d3};

#define E1000_STATUS 0x08
/* VFIO_DEVICE_FEATURE_DMA_LOGGING_START (6.2), newer than libc's header */
#define DMA_LOGGING_START 6

/* VFIO_DEVICE_FEATURE with @len bytes of @data after the header. */
static int feature_sz(int device, uint32_t flags, const void *data, size_t len,
		      uint32_t argsz)
{
	uint64_t buf[8] = {0};
	struct vfio_device_feature *f = (void *)buf;

	f->argsz = argsz;
	f->flags = flags;
	if (len)
		memcpy(f->data, data, len);
	return ioctl(device, VFIO_DEVICE_FEATURE, f);
}

static int feature(int device, uint32_t flags, const void *data, size_t len)
{
	return feature_sz(device, flags, data, len,
			  sizeof(struct vfio_device_feature) + len);
}

static int low_power(int device)
{
	return feature(device,
		       VFIO_DEVICE_FEATURE_SET |
			       VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
		       NULL, 0);
}

static int low_power_wakeup(int device, int efd)
{
	struct vfio_device_low_power_entry_with_wakeup e = {
		.wakeup_eventfd = efd,
	};

	return feature(device,
		       VFIO_DEVICE_FEATURE_SET |
			       VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
		       &e, sizeof(e));
}

static int low_power_exit(int device)
{
	return feature(device,
		       VFIO_DEVICE_FEATURE_SET |
			       VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
		       NULL, 0);
}

static void dev_attr(const char *bdf, const char *attr, char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	if (vu_read_file(path, buf, len))
		FAIL("%s", vu_last_error());
}

/* Wait up to 3 s for power/runtime_status to read @want. */
static void expect_runtime(const char *bdf, const char *want, const char *what)
{
	uint64_t t0 = vu_now_ms();
	char buf[32];

	for (;;) {
		dev_attr(bdf, "power/runtime_status", buf, sizeof(buf));
		if (!strcmp(buf, want))
			return;
		if (vu_now_ms() - t0 > 3000)
			break;
		usleep(5000);
	}
	FAIL("%s: %s runtime_status is %s, expected %s", what, bdf, buf, want);
}

/* runtime_status stays @want for 200 ms. */
static void stays_runtime(const char *bdf, const char *want, const char *what)
{
	uint64_t t0 = vu_now_ms();
	char buf[32];

	while (vu_now_ms() - t0 < 200) {
		dev_attr(bdf, "power/runtime_status", buf, sizeof(buf));
		if (strcmp(buf, want))
			FAIL("%s: %s runtime_status is %s, expected it to stay "
			     "%s",
			     what, bdf, buf, want);
		usleep(5000);
	}
}

/* Does the function have the PM capability (its sysfs config space)? */
static bool has_pm_cap(const char *bdf)
{
	char path[256];
	uint8_t cfg[256];
	unsigned int pos, n = 0;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_EQ(sizeof(cfg), pread(fd, cfg, sizeof(cfg), 0));
	close(fd);
	if (!(cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		return false;
	for (pos = cfg[PCI_CAPABILITY_LIST] & ~3u; pos && n < 48;
	     pos = cfg[pos + 1] & ~3u, n++)
		if (cfg[pos] == PCI_CAP_ID_PM)
			return true;
	return false;
}

/* power_state (D0, D3hot...) is @want; the attribute is there since 5.x */
static void expect_power_state(const char *bdf, const char *want,
			       const char *what)
{
	char buf[32];

	dev_attr(bdf, "power_state", buf, sizeof(buf));
	if (strcmp(buf, want))
		FAIL("%s: %s power_state is %s, expected %s", what, bdf, buf,
		     want);
}

TEST(pci_pm_idle_bound_device)
{
	char bdf[VU_BDF_LEN], buf[32];
	const char *idle_state;
	struct vu_dev d;

	if (!pu_present(&e1000e_t))
		SKIP("no e1000e");
	pu_find(&e1000e_t, bdf);
	pu_claim(bdf);
	idle_state = has_pm_cap(bdf) ? "D3hot" : "D0";

	/* bound, unused: runtime PM allowed, the device suspended */
	dev_attr(bdf, "power/control", buf, sizeof(buf));
	ASSERT_TRUE(!strcmp(buf, "auto"));
	expect_runtime(bdf, "suspended", "bound, closed");
	expect_power_state(bdf, idle_state, "bound, closed");

	/* open: awake, in D0, for as long as it is open */
	pu_open(&e1000e_t, &d);
	expect_runtime(bdf, "active", "open");
	expect_power_state(bdf, "D0", "open");
	stays_runtime(bdf, "active", "open");
	ASSERT_EQ(0x8086, pu_cfg_read(d.device, PCI_VENDOR_ID, 2));

	vu_dev_close(&d);
	expect_runtime(bdf, "suspended", "closed again");
	expect_power_state(bdf, idle_state, "closed again");
	pu_release(bdf);
}

/*
 * disable_idle_d3=1 (read when vfio-pci loads): a bound, closed device is
 * never suspended (runtime PM is still allowed: power/control "auto").
 * The test reloads vfio-pci with it and puts the default back.
 */
TEST(pci_pm_disable_idle_d3)
{
	char bdf[VU_BDF_LEN], buf[32];
	struct vu_dev d;

	if (!pu_present(&e1000e_t))
		SKIP("no e1000e");
	pu_find(&e1000e_t, bdf);
	pu_reload_vfio_pci("disable_idle_d3=1");
	pu_claim(bdf);
	dev_attr(bdf, "power/control", buf, sizeof(buf));
	ASSERT_TRUE(!strcmp(buf, "auto"));
	expect_runtime(bdf, "active", "bound, closed");
	stays_runtime(bdf, "active", "bound, closed");
	expect_power_state(bdf, "D0", "bound, closed");
	pu_open(&e1000e_t, &d);
	vu_dev_close(&d);
	stays_runtime(bdf, "active", "closed again");
	expect_power_state(bdf, "D0", "closed again");
	/* the user's low power still suspends it */
	pu_open(&e1000e_t, &d);
	ASSERT_OK(low_power(d.device));
	expect_runtime(bdf, "suspended", "low power");
	ASSERT_OK(low_power_exit(d.device));
	expect_runtime(bdf, "active", "exit");
	vu_dev_close(&d);
	pu_release(bdf);

	/* the default again: idle devices suspend */
	pu_reload_vfio_pci_default();
	pu_claim(bdf);
	expect_runtime(bdf, "suspended", "default again");
	pu_release(bdf);
}

TEST(pci_pm_idle_edu)
{
	const char *bdf = fx_bdf();
	struct vu_dev d;

	/* the edu has no PM capability: suspended, but in D0 */
	pu_open(&edu_t, &d);
	expect_runtime(bdf, "active", "open");
	ASSERT_TRUE(!has_pm_cap(bdf));
	vu_dev_close(&d);
	expect_runtime(bdf, "suspended", "closed");
	expect_power_state(bdf, "D0", "closed");
}

TEST(pci_feature_low_power)
{
	struct vfio_region_info bar0;
	const char *idle_state;
	volatile uint32_t *mmio;
	struct vu_dev d;
	uint64_t cnt;
	uint32_t v;
	int efd;

	if (!pu_present(&e1000e_t))
		SKIP("no e1000e");
	pu_open(&e1000e_t, &d);
	idle_state = has_pm_cap(d.bdf) ? "D3hot" : "D0";
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	ASSERT_OK(vu_region_info(d.device, VFIO_PCI_BAR0_REGION_INDEX, &bar0));
	mmio = vu_region_mmap(d.device, &bar0);
	ASSERT_TRUE(mmio != NULL);
	ASSERT_EQ(0, ps_read32(mmio + E1000_STATUS / 4, &v));
	expect_runtime(d.bdf, "active", "open");

	/* low power: suspended, mappings refused */
	ASSERT_OK(low_power(d.device));
	expect_runtime(d.bdf, "suspended", "low power");
	expect_power_state(d.bdf, idle_state, "low power");
	ASSERT_EQ(-1, ps_read32(mmio + E1000_STATUS / 4, &v));
	/* a second entry: EINVAL (the ioctl wakes it meanwhile) */
	ASSERT_ERRNO(EINVAL, low_power(d.device));
	expect_runtime(d.bdf, "suspended", "after the second entry");
	/* read(2) wakes it for the access, then it suspends again */
	ASSERT_EQ(0x8086, pu_cfg_read(d.device, PCI_VENDOR_ID, 2));
	expect_runtime(d.bdf, "suspended", "after a config read");
	ASSERT_EQ(-1, ps_read32(mmio + E1000_STATUS / 4, &v));

	/* exit: awake for good, mappings back; exiting again is fine */
	ASSERT_OK(low_power_exit(d.device));
	expect_runtime(d.bdf, "active", "exit");
	expect_power_state(d.bdf, "D0", "exit");
	stays_runtime(d.bdf, "active", "exit");
	ASSERT_OK(low_power_exit(d.device));
	ASSERT_EQ(0, ps_read32(mmio + E1000_STATUS / 4, &v));

	/* with a wakeup eventfd: the next access signals it and ends it */
	efd = vu_eventfd_new();
	ASSERT_OK(efd);
	ASSERT_OK(low_power_wakeup(d.device, efd));
	expect_runtime(d.bdf, "suspended", "low power with wakeup");
	ASSERT_EQ(0, vu_eventfd_wait(efd, 50, &cnt));
	ASSERT_EQ(0x8086, pu_cfg_read(d.device, PCI_VENDOR_ID, 2));
	ASSERT_EQ(1, vu_eventfd_wait(efd, 2000, &cnt));
	ASSERT_EQ(1, cnt);
	expect_runtime(d.bdf, "active", "woken");
	stays_runtime(d.bdf, "active", "woken");
	ASSERT_EQ(0, ps_read32(mmio + E1000_STATUS / 4, &v));
	/* low power is over already: exit has nothing to do */
	ASSERT_OK(low_power_exit(d.device));
	ASSERT_EQ(0, vu_eventfd_wait(efd, 50, &cnt));

	/* closed while in low power: closes normally, then idles */
	ASSERT_OK(low_power_wakeup(d.device, efd));
	expect_runtime(d.bdf, "suspended", "low power before close");
	vu_region_munmap((void *)mmio, &bar0);
	vu_dev_close(&d);
	expect_runtime(d.bdf, "suspended", "closed in low power");
	pu_open(&e1000e_t, &d);
	expect_runtime(d.bdf, "active", "reopened");
	ASSERT_EQ(0x8086, pu_cfg_read(d.device, PCI_VENDOR_ID, 2));
	vu_dev_close(&d);
	close(efd);
}

TEST(pci_feature_errnos)
{
	static const uint32_t pm[] = {
		VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
		VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
		VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
	};
	const uint32_t get = VFIO_DEVICE_FEATURE_GET,
		       set = VFIO_DEVICE_FEATURE_SET,
		       probe = VFIO_DEVICE_FEATURE_PROBE;
	struct vfio_device_low_power_entry_with_wakeup e;
	uint8_t uuid[16] = {1, 2, 3, 4};
	int pipefd[2], bad, efd;
	struct vu_dev d;

	pu_open(&edu_t, &d);
	efd = vu_eventfd_new();
	ASSERT_OK(efd);

	for (unsigned int i = 0; i < 3; i++) {
		/* SET only: probing it is 0, anything with GET EINVAL */
		ASSERT_OK(feature(d.device, probe | set | pm[i], NULL, 0));
		ASSERT_OK(feature(d.device, probe | pm[i], NULL, 0));
		ASSERT_ERRNO(EINVAL,
			     feature(d.device, probe | get | pm[i], NULL, 0));
		ASSERT_ERRNO(
			EINVAL,
			feature(d.device, probe | get | set | pm[i], NULL, 0));
		ASSERT_ERRNO(EINVAL, feature(d.device, get | pm[i], NULL, 0));
		/* neither GET nor SET */
		ASSERT_ERRNO(EINVAL, feature(d.device, pm[i], NULL, 0));
	}

	/* the wakeup entry: its eventfd must be there and be one */
	e.wakeup_eventfd = efd;
	ASSERT_ERRNO(
		EINVAL,
		feature_sz(
			d.device,
			set | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
			&e, sizeof(e),
			sizeof(struct vfio_device_feature) + sizeof(e) - 1));
	ASSERT_ERRNO(EINVAL, low_power_wakeup(d.device, -1));
	ASSERT_ERRNO(EINVAL, low_power_wakeup(d.device, -5));
	ASSERT_OK(pipe(pipefd));
	ASSERT_ERRNO(EINVAL, low_power_wakeup(d.device, pipefd[0]));
	bad = dup(efd);
	ASSERT_OK(bad);
	close(bad);
	ASSERT_ERRNO(EBADF, low_power_wakeup(d.device, bad));
	/* none of them entered low power */
	ASSERT_OK(low_power(d.device));
	ASSERT_ERRNO(EINVAL, low_power_wakeup(d.device, efd));
	ASSERT_OK(low_power_exit(d.device));

	/* VF token: only an SR-IOV PF has one; the edu is none */
	ASSERT_ERRNO(ENOTTY,
		     feature(d.device, set | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
			     uuid, sizeof(uuid)));
	ASSERT_ERRNO(ENOTTY,
		     feature(d.device,
			     probe | set | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
			     NULL, 0));
	ASSERT_ERRNO(ENOTTY,
		     feature(d.device, get | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
			     uuid, sizeof(uuid)));

	/* features vfio-pci does not have */
	ASSERT_ERRNO(ENOTTY,
		     feature_sz(d.device, get | VFIO_DEVICE_FEATURE_MIGRATION,
				NULL, 0,
				sizeof(struct vfio_device_feature) + 8));
	ASSERT_ERRNO(ENOTTY,
		     feature(d.device,
			     probe | set | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
			     NULL, 0));
	ASSERT_ERRNO(ENOTTY, feature(d.device, probe | set | DMA_LOGGING_START,
				     NULL, 0));
	ASSERT_ERRNO(ENOTTY, feature(d.device, probe | get | 0xffff, NULL, 0));

	/* the header, before any feature */
	ASSERT_ERRNO(EINVAL,
		     feature(d.device,
			     get | set | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
			     NULL, 0));
	ASSERT_ERRNO(EINVAL, feature(d.device,
				     (1u << 20) | set |
					     VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
				     NULL, 0));
	ASSERT_ERRNO(EINVAL,
		     feature_sz(d.device,
				set | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL,
				0, 7));
	ASSERT_ERRNO(EFAULT, ioctl(d.device, VFIO_DEVICE_FEATURE, NULL));

	vu_dev_close(&d);
	close(pipefd[0]);
	close(pipefd[1]);
	close(efd);
}
