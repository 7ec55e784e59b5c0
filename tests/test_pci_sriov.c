// SPDX-License-Identifier: GPL-2.0-only
/*
 * SR-IOV through vfio-pci, on the bench's SR-IOV NVMe controller (QEMU's
 * nvme with sriov_max_vfs=2, behind a PCIe root port), each test in both
 * modes, each assertion mainline's answer (vfio_pci_core.c's
 * sriov_configure, bus notifier, match and token checks; iov.c's
 * sriov_numvfs):
 *
 *   pci_sriov_param_off       enable_sriov off (default): sriov_numvfs of
 *                             a PF on vfio-pci is ENOENT, no VF appears;
 *                             the PF still has its VF token feature
 *   pci_sriov_enable_vfs      enable_sriov on, at run time: VFs appear,
 *                             get driver_override vfio-pci and bind to it,
 *                             each in an IOMMU group; the PF stays awake
 *                             while they exist; the parameter is read at
 *                             each write (off: even 0 is ENOENT); a VF on
 *                             another driver is logged; a VF rebound to
 *                             vfio-pci is paired with its PF again
 *   pci_sriov_param_at_load   enable_sriov=1 at load; rmmod with VFs
 *                             enabled removes them
 *   pci_sriov_vf_token        the token: a VF open needs the PF's (EACCES
 *                             without or wrong), whether the PF is open or
 *                             not; the PF user sets it (feature, or its own
 *                             open's vf_token while no VF is open); with a
 *                             VF open the PF needs it too
 *   pci_sriov_disable_vf_open writing 0 waits for the open VF (REQ
 *                             signalled), finishes when it is closed
 *   pci_sriov_unbind_pf_vf_open  unbinding the PF: the same
 *   pci_sriov_pf_stays_d0     the PF user's D3hot is not done while VFs
 *                             exist
 *
 *   pci_sriov_vf_of_other_driver  a VF of a PF on nvme: on vfio-pci it
 *                             needs no token and refuses one
 */
#define _GNU_SOURCE
#include "test_core.h"
#include "test_pci_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#define SYSFS_PCI "/sys/bus/pci/devices"
#define PARAM "/sys/module/vfio_pci/parameters/enable_sriov"
#define NVF 2
#define PMCSR_D0 0 /* the power state field of PCI_PM_CTRL */
#define PMCSR_D3HOT 3

/* Two tokens, as a user would make them (uuidgen). */
#define TOKEN_A "5d6fa3a8-0c8e-4a35-9a8f-7e3b1c2d4e5f"
#define TOKEN_B "c1f0e2d3-b4a5-4968-8776-655443322110"

struct sriov {
	char pf[VU_BDF_LEN];
	char vf[NVF][VU_BDF_LEN];
};

static bool param_saved;
static char reset_pf[VU_BDF_LEN]; /* whose reset methods we turned off */

static void param_restore(void)
{
	if (param_saved)
		vu_write_file(PARAM, "N");
}

static void param_set(bool on)
{
	if (!param_saved) {
		param_saved = true;
		atexit(param_restore);
	}
	ASSERT_OK(vu_write_file(PARAM, on ? "Y" : "N"));
}

static int attr_path(char *path, size_t len, const char *bdf, const char *attr)
{
	return snprintf(path, len, SYSFS_PCI "/%s/%s", bdf, attr);
}

static void attr_read(const char *bdf, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];

	attr_path(path, sizeof(path), bdf, attr);
	if (vu_read_file(path, buf, len))
		FAIL("%s", vu_last_error());
}

static int attr_write(const char *bdf, const char *attr, const char *s)
{
	char path[PATH_MAX];

	attr_path(path, sizeof(path), bdf, attr);
	return vu_write_file(path, s);
}

static long attr_long(const char *bdf, const char *attr)
{
	char buf[32];

	attr_read(bdf, attr, buf, sizeof(buf));
	return strtol(buf, NULL, 0);
}

static bool exists(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), SYSFS_PCI "/%s", bdf);
	return access(path, F_OK) == 0;
}

static const char *driver(const char *bdf)
{
	static char name[64];

	if (vu_driver_name(bdf, name, sizeof(name)))
		FAIL("%s", vu_last_error());
	return name;
}

/*
 * No fd of ours may outlive the test into the restoring unbinds (they
 * would wait for it): registered after the claims, so it runs before.
 */
static void close_fds(void)
{
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
}

static void reset_restore(void)
{
	if (reset_pf[0])
		attr_write(reset_pf, "reset_method", "default");
}

/*
 * QEMU 7.2's SR-IOV model loses the VFs at a reset of the PF: the reset
 * removes them but leaves VF Enable set in the PF's SR-IOV control, so
 * the PCI core's restore (which skips a PF whose VF Enable is set) never
 * brings them back, and every VF reads all ones from then on.  vfio-pci,
 * mainline's as ours, resets the PF at its first open and last close; so
 * the PF gets no reset method for the test (reset_method "", as a user can
 * do; "default" again at exit).  Without a function reset, neither stack
 * resets the PF's slot while its VFs, outside its reset domain, exist.
 */
static void pf_no_reset(const char *pf)
{
	if (!vu_sysfs_exists(pf, "reset_method"))
		return; /* no reset method to begin with */
	snprintf(reset_pf, sizeof(reset_pf), "%s", pf);
	atexit(reset_restore);
	ASSERT_OK(attr_write(pf, "reset_method", "\n"));
}

/*
 * The bench's SR-IOV PF: a function with sriov_totalvfs >= NVF,
 * driverless or on vfio-pci, with no VF enabled.
 */
static void pf_find(struct sriov *s)
{
	struct dirent *de;
	DIR *d = opendir(SYSFS_PCI);

	memset(s, 0, sizeof(*s));
	if (!d)
		FAIL("no " SYSFS_PCI);
	while ((de = readdir(d))) {
		const char *drv;

		if (de->d_name[0] == '.' ||
		    vu_sysfs_exists(de->d_name, "sriov_totalvfs") != 1)
			continue;
		if (attr_long(de->d_name, "sriov_totalvfs") < NVF)
			continue;
		drv = driver(de->d_name);
		if (drv[0] && strcmp(drv, "vfio-pci"))
			continue;
		snprintf(s->pf, sizeof(s->pf), "%.31s", de->d_name);
		break;
	}
	closedir(d);
	if (!s->pf[0])
		SKIP("no SR-IOV PF with %d VFs (driverless) on this machine",
		     NVF);
	printf("SR-IOV PF %s, sriov_totalvfs %ld\n", s->pf,
	       attr_long(s->pf, "sriov_totalvfs"));
	ASSERT_EQ(0, attr_long(s->pf, "sriov_numvfs"));
}

/* The PF bound to vfio-pci for the test, with no reset method. */
static void pf_claim(struct sriov *s)
{
	pf_find(s);
	pu_claim(s->pf);
	atexit(close_fds);
	pf_no_reset(s->pf);
	ASSERT_TRUE(!strcmp(driver(s->pf), "vfio-pci"));
}

/* The PF's first @n VFs, from its virtfnN links. */
static void vfs_find_n(struct sriov *s, int n)
{
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX], target[PATH_MAX], link[16];
		ssize_t n;

		snprintf(link, sizeof(link), "virtfn%d", i);
		attr_path(path, sizeof(path), s->pf, link);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			FAIL("readlink %s: %s", path, strerror(errno));
		target[n] = 0;
		snprintf(s->vf[i], sizeof(s->vf[i]), "%.31s",
			 strrchr(target, '/') + 1);
	}
}

static void vfs_find(struct sriov *s)
{
	vfs_find_n(s, NVF);
}

/* sriov_numvfs = NVF (the parameter on), and the VFs found. */
static void vfs_enable(struct sriov *s)
{
	char n[8];

	snprintf(n, sizeof(n), "%d", NVF);
	ASSERT_OK(attr_write(s->pf, "sriov_numvfs", n));
	ASSERT_EQ(NVF, attr_long(s->pf, "sriov_numvfs"));
	vfs_find(s);
	for (int i = 0; i < NVF; i++)
		printf("VF %d: %s, group %d, driver %s\n", i, s->vf[i],
		       vu_iommu_group(s->vf[i]), driver(s->vf[i]));
}

/* Is there a kernel line after @kfd's position containing @a and @b? */
static bool klog(int kfd, const char *a, const char *b)
{
	const char *needles[] = {a, b, NULL};
	char line[512];

	return cu_kmsg_find(kfd, needles, line, sizeof(line)) == 1;
}

static void uuid_bytes(const char *str, uint8_t out[16])
{
	for (int i = 0; i < 16; i++) {
		unsigned int b;

		while (*str == '-')
			str++;
		if (sscanf(str, "%2x", &b) != 1)
			FAIL("bad uuid %s", str);
		out[i] = b;
		str += 2;
	}
}

/* VFIO_DEVICE_FEATURE_PCI_VF_TOKEN with @flags (SET, GET, PROBE). */
static int token_feature(int device, uint32_t flags, const char *token)
{
	uint64_t buf[4] = {0};
	struct vfio_device_feature *f = (void *)buf;

	f->argsz = sizeof(*f) + 16;
	f->flags = flags | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
	if (token)
		uuid_bytes(token, f->data);
	return ioctl(device, VFIO_DEVICE_FEATURE, f);
}

/* GET_DEVICE_FD of @bdf on @group, with " vf_token=@token" if given. */
static int get_fd(int group, const char *bdf, const char *token)
{
	char name[128];

	if (token)
		snprintf(name, sizeof(name), "%s vf_token=%s", bdf, token);
	else
		snprintf(name, sizeof(name), "%s", bdf);
	return ioctl(group, VFIO_GROUP_GET_DEVICE_FD, name);
}

/* Group of @bdf in a container with type1 set, no device fd yet. */
static void group_open(struct vu_dev *d, const char *bdf)
{
	if (vu_dev_open(d, bdf, VU_STAGE_IOMMU))
		FAIL("opening the group of %s: %s", bdf, vu_last_error());
}

/* Wait up to 3 s for power/runtime_status of @bdf to read @want. */
static void expect_runtime(const char *bdf, const char *want)
{
	uint64_t t0 = vu_now_ms();
	char buf[32];

	do {
		attr_read(bdf, "power/runtime_status", buf, sizeof(buf));
		if (!strcmp(buf, want))
			return;
		usleep(10000);
	} while (vu_now_ms() - t0 < 3000);
	FAIL("%s runtime_status is %s, expected %s", bdf, buf, want);
}

/*
 * enable_sriov off, as it loads: sriov_numvfs of the PF fails with
 * ENOENT, the driver's answer (the PCI core's own ENOENT, for a driver
 * without sriov_configure, comes with its line saying so: not here).
 * The PCI core's checks come first: 0 when 0 is enabled is nothing to
 * do, more than sriov_totalvfs is ERANGE.  The PF has the token feature
 * anyway (an SR-IOV capability is what counts), and takes a vf_token at
 * its open while no VF is open.
 */
TEST(pci_sriov_param_off)
{
	char buf[8], over[24];
	struct sriov s;
	struct stat st;
	struct vu_dev d;
	int kfd, fd;

	pf_claim(&s);
	ASSERT_OK(stat(PARAM, &st));
	ASSERT_EQ(0644, st.st_mode & 07777);
	ASSERT_OK(vu_read_file(PARAM, buf, sizeof(buf)));
	ASSERT_TRUE(!strcmp(buf, "N"));

	kfd = cu_kmsg_open();
	ASSERT_OK(kfd);
	ASSERT_ERRNO(ENOENT, attr_write(s.pf, "sriov_numvfs", "1"));
	ASSERT_ERRNO(ENOENT, attr_write(s.pf, "sriov_numvfs", "2"));
	ASSERT_EQ(0, attr_long(s.pf, "sriov_numvfs"));
	ASSERT_EQ(0, vu_sysfs_exists(s.pf, "virtfn0"));
	ASSERT_TRUE(!klog(kfd, "does not support SR-IOV", s.pf));
	ASSERT_OK(attr_write(s.pf, "sriov_numvfs", "0"));
	snprintf(over, sizeof(over), "%ld",
		 attr_long(s.pf, "sriov_totalvfs") + 1);
	ASSERT_ERRNO(ERANGE, attr_write(s.pf, "sriov_numvfs", over));

	group_open(&d, s.pf);
	fd = get_fd(d.group, s.pf, TOKEN_A);
	ASSERT_OK(fd);
	ASSERT_OK(token_feature(
		fd, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET, NULL));
	ASSERT_OK(token_feature(fd, VFIO_DEVICE_FEATURE_SET, TOKEN_B));
	ASSERT_ERRNO(EINVAL, token_feature(fd, VFIO_DEVICE_FEATURE_GET, NULL));
	/* still no VF: sriov_numvfs on an open PF is no different */
	ASSERT_ERRNO(ENOENT, attr_write(s.pf, "sriov_numvfs", "1"));
	close(fd);
	vu_dev_close(&d);
	close(kfd);
}

/*
 * enable_sriov switched on at run time: NVF VFs, each captured for
 * vfio-pci (driver_override, "Captured SR-IOV VF" logged by the PF) and
 * bound to it, in an IOMMU group of its own.  The PF stays active while
 * its VFs exist, though nobody has it open.  A second count while VFs
 * exist is the PCI core's EBUSY.  Switched off again, even removing them
 * is ENOENT (the driver reads the parameter at each write).  A VF bound
 * to another driver is logged by the PF; rebound to vfio-pci it needs the
 * PF's token again.  Unbinding the PF removes the VFs whatever the
 * parameter says.
 */
TEST(pci_sriov_enable_vfs)
{
	char ov[64], line[64];
	struct sriov s;
	struct vu_dev d;
	int kfd;

	pf_claim(&s);
	param_set(true);
	kfd = cu_kmsg_open();
	ASSERT_OK(kfd);
	vfs_enable(&s);
	for (int i = 0; i < NVF; i++) {
		char phys[PATH_MAX], target[PATH_MAX];
		ssize_t n;

		vu_driver_override(s.vf[i], ov, sizeof(ov));
		ASSERT_TRUE(!strcmp(ov, "vfio-pci"));
		ASSERT_TRUE(!strcmp(driver(s.vf[i]), "vfio-pci"));
		ASSERT_TRUE(vu_iommu_group(s.vf[i]) >= 0);
		ASSERT_TRUE(vu_iommu_group(s.vf[i]) != vu_iommu_group(s.pf));
		attr_path(phys, sizeof(phys), s.vf[i], "physfn");
		n = readlink(phys, target, sizeof(target) - 1);
		ASSERT_OK(n);
		target[n] = 0;
		ASSERT_TRUE(!strcmp(strrchr(target, '/') + 1, s.pf));
		if (!klog(kfd, "Captured SR-IOV VF", s.vf[i]))
			FAIL("no 'Captured SR-IOV VF %s driver_override' line",
			     s.vf[i]);
	}
	expect_runtime(s.pf, "active");
	ASSERT_OK(attr_write(s.pf, "sriov_numvfs", "2")); /* as it is */
	ASSERT_ERRNO(EBUSY, attr_write(s.pf, "sriov_numvfs", "1"));
	ASSERT_EQ(NVF, attr_long(s.pf, "sriov_numvfs"));

	/* VF 1 on another driver: the PF says so */
	/* unloaded at exit if we loaded it */
	ASSERT_OK(cu_modprobe("pci_stub"));
	ASSERT_OK(attr_write(s.vf[1], "driver/unbind", s.vf[1]));
	ASSERT_OK(attr_write(s.vf[1], "driver_override", "pci-stub"));
	ASSERT_OK(vu_write_file("/sys/bus/pci/drivers/pci-stub/bind", s.vf[1]));
	ASSERT_TRUE(!strcmp(driver(s.vf[1]), "pci-stub"));
	snprintf(line, sizeof(line), "VF %s bound to driver pci-stub", s.vf[1]);
	if (!klog(kfd, line, "while PF bound to driver vfio-pci"))
		FAIL("no '%s while PF bound to driver vfio-pci' line", line);
	/* back on vfio-pci it is the PF's VF again: the token is needed */
	ASSERT_OK(attr_write(s.vf[1], "driver/unbind", s.vf[1]));
	ASSERT_OK(attr_write(s.vf[1], "driver_override", "vfio-pci"));
	ASSERT_OK(vu_write_file("/sys/bus/pci/drivers/vfio-pci/bind", s.vf[1]));
	group_open(&d, s.vf[1]);
	ASSERT_ERRNO(EACCES, get_fd(d.group, s.vf[1], NULL));
	vu_dev_close(&d);

	/* off: neither enabling nor removing goes through the driver */
	param_set(false);
	ASSERT_ERRNO(ENOENT, attr_write(s.pf, "sriov_numvfs", "0"));
	ASSERT_EQ(NVF, attr_long(s.pf, "sriov_numvfs"));
	ASSERT_TRUE(exists(s.vf[0]));
	param_set(true);
	ASSERT_OK(attr_write(s.pf, "sriov_numvfs", "0"));
	ASSERT_EQ(0, attr_long(s.pf, "sriov_numvfs"));
	for (int i = 0; i < NVF; i++)
		ASSERT_TRUE(!exists(s.vf[i]));
	expect_runtime(s.pf, "suspended");

	/* again, then the PF's unbind takes them away, parameter off */
	vfs_enable(&s);
	param_set(false);
	ASSERT_OK(attr_write(s.pf, "driver/unbind", s.pf));
	for (int i = 0; i < NVF; i++)
		ASSERT_TRUE(!exists(s.vf[i]));
	ASSERT_EQ(0, attr_long(s.pf, "sriov_numvfs"));
	ASSERT_EQ(0, strlen(driver(s.pf)));
	close(kfd);
}

/*
 * enable_sriov=1 given at load works as the run-time switch; unloading
 * vfio-pci with VFs enabled (none open) removes them.
 */
TEST(pci_sriov_param_at_load)
{
	struct sriov s;
	char buf[8];

	pf_claim(&s);
	pu_reload_vfio_pci("enable_sriov=1");
	ASSERT_OK(vu_read_file(PARAM, buf, sizeof(buf)));
	ASSERT_TRUE(!strcmp(buf, "Y"));
	ASSERT_TRUE(!strcmp(driver(s.pf), "vfio-pci")); /* its override */
	vfs_enable(&s);
	for (int i = 0; i < NVF; i++)
		ASSERT_TRUE(!strcmp(driver(s.vf[i]), "vfio-pci"));
	pu_reload_vfio_pci_default();
	for (int i = 0; i < NVF; i++)
		ASSERT_TRUE(!exists(s.vf[i]));
	ASSERT_EQ(0, attr_long(s.pf, "sriov_numvfs"));
	ASSERT_OK(vu_read_file(PARAM, buf, sizeof(buf)));
	ASSERT_TRUE(!strcmp(buf, "N"));
}

/*
 * The VF token.  A VF of a PF on vfio-pci opens only with the PF's token:
 * without one, or with another, EACCES ("VF token required to access
 * device", "Incorrect VF token provided for device").  The token starts
 * random (not all zeros); the PF's user sets it with the feature, or with
 * its own open's vf_token while none of the PF's VFs is open.  While one
 * is, the PF needs the token too.  Whether the PF is open makes no
 * difference.  A malformed or repeated token is EINVAL; a token for a
 * device that is neither PF nor VF is EINVAL ("VF token incorrectly
 * provided, not a PF or VF").
 */
TEST(pci_sriov_vf_token)
{
	const char *zero = "00000000-0000-0000-0000-000000000000";
	struct vu_dev pf, vf, edu;
	struct vfio_irq_info intx;
	char name[160];
	struct sriov s;
	int kfd, pfd, pfd2, vfd, vfd2;

	pf_claim(&s);
	param_set(true);
	vfs_enable(&s);
	kfd = cu_kmsg_open();
	ASSERT_OK(kfd);

	/* PF not open: its random token is required */
	group_open(&vf, s.vf[0]);
	ASSERT_ERRNO(EACCES, get_fd(vf.group, s.vf[0], NULL));
	if (!klog(kfd, "VF token required to access device", s.vf[0]))
		FAIL("no 'VF token required' line for %s", s.vf[0]);
	ASSERT_ERRNO(EACCES, get_fd(vf.group, s.vf[0], zero));
	if (!klog(kfd, "Incorrect VF token provided for device", s.vf[0]))
		FAIL("no 'Incorrect VF token' line for %s", s.vf[0]);
	/* malformed, or twice */
	snprintf(name, sizeof(name), "%s vf_token=%.20s", s.vf[0], TOKEN_A);
	ASSERT_ERRNO(EINVAL, ioctl(vf.group, VFIO_GROUP_GET_DEVICE_FD, name));
	snprintf(name, sizeof(name), "%s vf_token=%s vf_token=%s", s.vf[0],
		 TOKEN_A, TOKEN_A);
	ASSERT_ERRNO(EINVAL, ioctl(vf.group, VFIO_GROUP_GET_DEVICE_FD, name));

	/* the PF's user sets the token: then the VF opens with it only */
	group_open(&pf, s.pf);
	pfd = get_fd(pf.group, s.pf, NULL); /* no VF open: no token needed */
	ASSERT_OK(pfd);
	ASSERT_OK(token_feature(pfd, VFIO_DEVICE_FEATURE_SET, TOKEN_A));
	ASSERT_ERRNO(EACCES, get_fd(vf.group, s.vf[0], NULL));
	ASSERT_ERRNO(EACCES, get_fd(vf.group, s.vf[0], TOKEN_B));
	vfd = get_fd(vf.group, s.vf[0], TOKEN_A);
	ASSERT_OK(vfd);
	/* QEMU's VFs say INTx pin 1, which a VF may not: none offered */
	ASSERT_OK(vu_irq_info(vfd, VFIO_PCI_INTX_IRQ_INDEX, &intx));
	ASSERT_EQ(0, intx.count);
	ASSERT_EQ(0, pu_cfg_read(vfd, PCI_INTERRUPT_PIN, 1));
	if (!klog(kfd, "Hardware bug: VF reports bogus INTx pin 1", s.vf[0]))
		FAIL("no 'VF reports bogus INTx pin' line for %s", s.vf[0]);

	/* a VF is open: the PF too needs the token now */
	ASSERT_ERRNO(EACCES, get_fd(pf.group, s.pf, NULL));
	if (!klog(kfd, "VF token required to access device", s.pf))
		FAIL("no 'VF token required' line for the PF %s", s.pf);
	ASSERT_ERRNO(EACCES, get_fd(pf.group, s.pf, TOKEN_B));
	pfd2 = get_fd(pf.group, s.pf, TOKEN_A);
	ASSERT_OK(pfd2);
	close(pfd2);
	/* a second fd of the open VF: the same rules */
	ASSERT_ERRNO(EACCES, get_fd(vf.group, s.vf[0], NULL));
	vfd2 = get_fd(vf.group, s.vf[0], TOKEN_A);
	ASSERT_OK(vfd2);
	close(vfd2);

	/* PF closed: the VF still needs the token it set */
	close(pfd);
	ASSERT_ERRNO(EACCES, get_fd(vf.group, s.vf[0], NULL));
	vfd2 = get_fd(vf.group, s.vf[0], TOKEN_A);
	ASSERT_OK(vfd2);
	close(vfd2);

	/* no VF open: the PF's open takes the token it is given */
	close(vfd);
	pfd = get_fd(pf.group, s.pf, NULL);
	ASSERT_OK(pfd);
	close(pfd);
	pfd = get_fd(pf.group, s.pf, TOKEN_B);
	ASSERT_OK(pfd);
	ASSERT_ERRNO(EACCES, get_fd(vf.group, s.vf[0], TOKEN_A));
	vfd = get_fd(vf.group, s.vf[0], TOKEN_B);
	ASSERT_OK(vfd);
	/* the VF has no token of its own to set */
	ASSERT_ERRNO(ENOTTY,
		     token_feature(vfd, VFIO_DEVICE_FEATURE_SET, TOKEN_A));
	/* the feature changes it while VFs are open; new opens need it */
	ASSERT_OK(token_feature(pfd, VFIO_DEVICE_FEATURE_SET, TOKEN_A));
	ASSERT_ERRNO(EACCES, get_fd(vf.group, s.vf[0], TOKEN_B));
	vfd2 = get_fd(vf.group, s.vf[0], TOKEN_A);
	ASSERT_OK(vfd2);
	close(vfd2);
	close(vfd);
	close(pfd);
	vu_dev_close(&vf);
	vu_dev_close(&pf);

	/* neither PF nor VF: a token is refused */
	pu_open(&pu_bench[0], &edu);
	snprintf(name, sizeof(name), "%s vf_token=%s", edu.bdf, TOKEN_A);
	ASSERT_ERRNO(EINVAL, ioctl(edu.group, VFIO_GROUP_GET_DEVICE_FD, name));
	if (!klog(kfd, "VF token incorrectly provided, not a PF or VF",
		  edu.bdf))
		FAIL("no 'not a PF or VF' line for %s", edu.bdf);
	vu_dev_close(&edu);
	close(kfd);
}

/*
 * Open VF 0 with the PF's token (set by a PF user who then closes) and
 * its REQ eventfd set; returns the VF fd, @vf holds its group.
 */
static int vf_open_req(struct sriov *s, struct vu_dev *vf, int *req)
{
	struct vu_dev pf;
	int pfd, vfd;

	group_open(&pf, s->pf);
	pfd = get_fd(pf.group, s->pf, NULL);
	ASSERT_OK(pfd);
	ASSERT_OK(token_feature(pfd, VFIO_DEVICE_FEATURE_SET, TOKEN_A));
	close(pfd);
	vu_dev_close(&pf);
	group_open(vf, s->vf[0]);
	vfd = get_fd(vf->group, s->vf[0], TOKEN_A);
	ASSERT_OK(vfd);
	*req = vu_eventfd_new();
	ASSERT_OK(*req);
	ASSERT_OK(vu_irq_set_eventfds(vfd, VFIO_PCI_REQ_IRQ_INDEX, 0, 1, req));
	return vfd;
}

/*
 * The write of @what to @path (sriov_numvfs 0, or the PF's unbind) waits
 * while VF 0 is open: the VF's REQ eventfd is signalled, the VFs stay;
 * once the VF is closed the write completes and the VFs are gone.
 */
static void waits_for_vf(struct sriov *s, const char *path, const char *what)
{
	struct vu_dev vf;
	int vfd, req, err;
	pid_t pid;

	vfd = vf_open_req(s, &vf, &req);
	pid = cu_write_async(path, what);
	ASSERT_OK(pid);
	ASSERT_TRUE(pu_fired(req, 5000));
	ASSERT_EQ(0, cu_wait_child(pid, 1500, &err)); /* still waiting */
	/* (its driver link is gone already: the driver core's unbind) */
	ASSERT_TRUE(exists(s->vf[0]));
	close(vfd);
	close(req);
	vu_dev_close(&vf);
	ASSERT_EQ(1, cu_wait_child(pid, 20000, &err));
	ASSERT_EQ(0, err);
	for (int i = 0; i < NVF; i++)
		ASSERT_TRUE(!exists(s->vf[i]));
	ASSERT_EQ(0, attr_long(s->pf, "sriov_numvfs"));
}

/* sriov_numvfs 0 with a VF open: waits for its user, who is asked. */
TEST(pci_sriov_disable_vf_open)
{
	char path[PATH_MAX];
	struct sriov s;

	pf_claim(&s);
	param_set(true);
	vfs_enable(&s);
	attr_path(path, sizeof(path), s.pf, "sriov_numvfs");
	waits_for_vf(&s, path, "0");
	ASSERT_TRUE(!strcmp(driver(s.pf), "vfio-pci"));
}

/* The PF's unbind with a VF open: the same wait, then the PF is free. */
TEST(pci_sriov_unbind_pf_vf_open)
{
	struct sriov s;

	pf_claim(&s);
	param_set(true);
	vfs_enable(&s);
	waits_for_vf(&s, "/sys/bus/pci/drivers/vfio-pci/unbind", s.pf);
	ASSERT_EQ(0, strlen(driver(s.pf)));
}

/*
 * A PF with VFs stays in D0: the user's D3hot through the PM capability
 * is not done (mainline's vfio_pci_set_power_state() refuses it while
 * SR-IOV is active); with the VFs gone, it is.
 */
TEST(pci_sriov_pf_stays_d0)
{
	unsigned int pm;
	struct sriov s;
	struct vu_dev pf;
	char st[16];
	int pfd;

	pf_claim(&s);
	param_set(true);
	group_open(&pf, s.pf);
	pfd = get_fd(pf.group, s.pf, NULL);
	ASSERT_OK(pfd);
	pm = pu_find_cap(pfd, PCI_CAP_ID_PM);
	if (!pm)
		SKIP("%s has no PM capability", s.pf);
	vfs_enable(&s); /* with the PF open: its user's VFs */
	pu_cfg_write(pfd, pm + PCI_PM_CTRL, 2, PMCSR_D3HOT);
	attr_read(s.pf, "power_state", st, sizeof(st));
	ASSERT_TRUE(!strcmp(st, "D0"));
	pu_cfg_write(pfd, pm + PCI_PM_CTRL, 2, PMCSR_D0);
	ASSERT_OK(attr_write(s.pf, "sriov_numvfs", "0"));
	pu_cfg_write(pfd, pm + PCI_PM_CTRL, 2, PMCSR_D3HOT);
	attr_read(s.pf, "power_state", st, sizeof(st));
	ASSERT_TRUE(!strcmp(st, "D3hot"));
	pu_cfg_write(pfd, pm + PCI_PM_CTRL, 2, PMCSR_D0);
	attr_read(s.pf, "power_state", st, sizeof(st));
	ASSERT_TRUE(!strcmp(st, "D0"));
	close(pfd);
	vu_dev_close(&pf);
}

static char autoprobe_pf[VU_BDF_LEN];

static void autoprobe_restore(void)
{
	if (autoprobe_pf[0])
		attr_write(autoprobe_pf, "sriov_drivers_autoprobe", "1");
}

/*
 * A VF whose PF is on another driver (nvme: its sriov_configure is the
 * PCI core's simple one) is not captured; bound to vfio-pci by hand it
 * opens without a token, and one given is EINVAL ("VF token incorrectly
 * provided, PF not bound to vfio-pci").  nvme is kept off the bench's
 * other NVMe controller (driver_override) and unloaded at exit if it was
 * not loaded; the PF does not probe its VFs (sriov_drivers_autoprobe 0).
 */
TEST(pci_sriov_vf_of_other_driver)
{
	char other[VU_BDF_LEN] = "", ov[64];
	struct sriov s;
	struct vu_dev vf;
	int kfd, fd;

	pf_find(&s);
	if (strlen(driver(s.pf)))
		SKIP("%s is on %s", s.pf, driver(s.pf));
	cu_save_device(s.pf);
	if (!vu_find_pci_device(0x1b36, 0x0010, other, sizeof(other))) {
		cu_save_device(other);
		ASSERT_OK(attr_write(other, "driver_override", "nvfio-none"));
	}
	atexit(close_fds);
	ASSERT_OK(attr_write(s.pf, "driver_override", "nvme"));
	if (cu_modprobe("nvme"))
		SKIP("no nvme module");
	if (strcmp(driver(s.pf), "nvme"))
		ASSERT_OK(vu_write_file("/sys/bus/pci/drivers_probe", s.pf));
	ASSERT_TRUE(!strcmp(driver(s.pf), "nvme"));
	if (other[0] && !strcmp(driver(other), "nvme"))
		FAIL("nvme took %s", other);

	snprintf(autoprobe_pf, sizeof(autoprobe_pf), "%s", s.pf);
	atexit(autoprobe_restore);
	ASSERT_OK(attr_write(s.pf, "sriov_drivers_autoprobe", "0"));
	ASSERT_OK(attr_write(s.pf, "sriov_numvfs", "1"));
	ASSERT_EQ(1, attr_long(s.pf, "sriov_numvfs"));
	vfs_find_n(&s, 1);
	vu_driver_override(s.vf[0], ov, sizeof(ov));
	ASSERT_EQ(0, strlen(ov)); /* not captured */
	ASSERT_EQ(0, strlen(driver(s.vf[0])));
	ASSERT_OK(attr_write(s.vf[0], "driver_override", "vfio-pci"));
	ASSERT_OK(vu_write_file("/sys/bus/pci/drivers_probe", s.vf[0]));
	ASSERT_TRUE(!strcmp(driver(s.vf[0]), "vfio-pci"));

	kfd = cu_kmsg_open();
	ASSERT_OK(kfd);
	group_open(&vf, s.vf[0]);
	ASSERT_ERRNO(EINVAL, get_fd(vf.group, s.vf[0], TOKEN_A));
	if (!klog(kfd,
		  "VF token incorrectly provided, PF not bound to vfio-pci",
		  s.vf[0]))
		FAIL("no 'PF not bound to vfio-pci' line for %s", s.vf[0]);
	fd = get_fd(vf.group, s.vf[0], NULL);
	ASSERT_OK(fd);
	close(fd);
	vu_dev_close(&vf);
	close(kfd);

	/* put it all back: the VF off vfio-pci, then gone, the PF free */
	ASSERT_OK(attr_write(s.vf[0], "driver/unbind", s.vf[0]));
	ASSERT_OK(attr_write(s.pf, "sriov_numvfs", "0"));
	ASSERT_TRUE(!exists(s.vf[0]));
	ASSERT_OK(attr_write(s.pf, "sriov_drivers_autoprobe", "1"));
	ASSERT_OK(attr_write(s.pf, "driver/unbind", s.pf));
	ASSERT_OK(attr_write(s.pf, "driver_override", "\n"));
}
