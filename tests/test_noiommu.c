// SPDX-License-Identifier: GPL-2.0-only
/*
 * The unsafe no-IOMMU mode (vfio's enable_unsafe_noiommu_mode): devices
 * without an IOMMU group bound to vfio-pci, /dev/vfio/noiommu-<N>, the
 * VFIO_NOIOMMU_IOMMU container, and its safeguards.
 *
 * Debian builds mainline's vfio without CONFIG_VFIO_NOIOMMU, so there is
 * nothing to compare with: these tests are ours-only (but the first, the
 * mode off, which is what Debian's mainline answers) and each says which
 * behaviour of mainline 6.12's vfio built with CONFIG_VFIO_NOIOMMU=y (and
 * 6.1's, where it differs) it follows.
 *
 * Two kinds, run in different boots (bench/guest/run-tests.sh):
 *   core_noiommu_*  the normal boots (vIOMMU on: every device has a real
 *                   IOMMU group): the parameter, the extension, and that a
 *                   device with a real group never goes the no-IOMMU way;
 *   noiommu_*       the ours-noiommu boot (no vIOMMU: no device has an IOMMU
 *                   group), the only boot that runs them; elsewhere they
 *                   skip, saying so.
 *
 * Every test puts the parameter back as it found it and the devices it
 * bound back on their drivers, also after a failure (atexit).
 */
#define _GNU_SOURCE
#include "test_core.h"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/pci_regs.h>

#define MODE_PARAM "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode"
#define TAINT_USER 6 /* bit in /proc/sys/kernel/tainted */
#define E1000_BRIDGED 0x100e /* 82540EM, behind the bench's PCI bridge */

/* ---- the mode parameter, put back at exit ---- */

static char saved_mode[8]; /* "" until saved */

static void mode_restore(void)
{
	if (saved_mode[0] && vu_write_file(MODE_PARAM, saved_mode))
		fprintf(stderr, "cannot put %s back to %s: %s\n", MODE_PARAM,
			saved_mode, strerror(errno));
}

/*
 * Remember the parameter for the restore at exit.  Called before any device
 * is saved (cu_save_device), so the devices are put back first (atexit
 * handlers run in reverse order) and then the mode.
 */
static void mode_save(void)
{
	if (saved_mode[0])
		return;
	if (vu_read_file(MODE_PARAM, saved_mode, sizeof(saved_mode)))
		FAIL("%s: %s (built without the no-IOMMU mode?)", MODE_PARAM,
		     vu_last_error());
	atexit(mode_restore);
}

static bool mode_get(void)
{
	char v[8];

	if (vu_read_file(MODE_PARAM, v, sizeof(v)))
		FAIL("%s", vu_last_error());
	return v[0] == 'Y';
}

static void mode_set(bool on)
{
	mode_save();
	ASSERT_OK(vu_write_file(MODE_PARAM, on ? "Y" : "N"));
	ASSERT_EQ(on, mode_get());
}

/* ---- CAP_SYS_RAWIO in the effective set (root keeps it permitted) ---- */

static void rawio(bool on)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct cap[2];

	if (syscall(SYS_capget, &hdr, cap))
		FAIL("capget: %s", strerror(errno));
	if (on)
		cap[0].effective |= 1u << CAP_SYS_RAWIO;
	else
		cap[0].effective &= ~(1u << CAP_SYS_RAWIO);
	if (syscall(SYS_capset, &hdr, cap))
		FAIL("capset: %s", strerror(errno));
}

/* ---- small helpers ---- */

static bool tainted_user(void)
{
	char v[32];

	if (vu_read_file("/proc/sys/kernel/tainted", v, sizeof(v)))
		FAIL("%s", vu_last_error());
	return strtoull(v, NULL, 10) & (1ull << TAINT_USER);
}

/* How many /dev/vfio/noiommu-* exist. */
static int noiommu_nodes(void)
{
	glob_t g;
	int n;

	if (glob("/dev/vfio/noiommu-*", 0, NULL, &g))
		return 0;
	n = (int)g.gl_pathc;
	globfree(&g);
	return n;
}

static int check_ext(int container, unsigned long ext)
{
	return ioctl(container, VFIO_CHECK_EXTENSION, ext);
}

static bool has_iommu_group(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), CU_PCI "/%s/iommu_group", bdf);
	return cu_exists(path);
}

/* Wait for a kernel log record holding both strings, or fail. */
static void expect_kmsg(int kmsg, const char *a, const char *b)
{
	const char *need[] = {a, b, NULL};
	char line[512];

	if (!cu_kmsg_find(kmsg, need, line, sizeof(line)))
		FAIL("no kernel message with \"%s\" and \"%s\"", a, b);
	printf("kernel: %s", line);
}

static void expect_no_kmsg(int kmsg, const char *a)
{
	const char *need[] = {a, NULL};
	char line[512];

	if (cu_kmsg_find(kmsg, need, line, sizeof(line)))
		FAIL("unexpected kernel message: %s", line);
}

/* ---- devices without an IOMMU group (the ours-noiommu boot) ---- */

/* A no-IOMMU device bound to vfio-pci. */
struct nd {
	char bdf[VU_BDF_LEN];
	int id; /* its made-up IOMMU group */
	char path[64]; /* /dev/vfio/noiommu-<id> */
};

/*
 * The @nth (from 0) device vendor:device that has no IOMMU group; skips the
 * test where there is none (a guest with the vIOMMU).
 */
static void find_nd(uint16_t vendor, uint16_t device, int nth, char *bdf)
{
	struct dirent *de;
	DIR *dir = opendir(CU_PCI);
	int seen = 0;

	if (!dir)
		FAIL("opendir %s: %s", CU_PCI, strerror(errno));
	while ((de = readdir(dir))) {
		unsigned long v, d;

		if (de->d_name[0] == '.' ||
		    vu_sysfs_read_hex(de->d_name, "vendor", &v) ||
		    vu_sysfs_read_hex(de->d_name, "device", &d) ||
		    v != vendor || d != device || has_iommu_group(de->d_name))
			continue;
		if (seen++ == nth) {
			snprintf(bdf, VU_BDF_LEN, "%.31s", de->d_name);
			closedir(dir);
			return;
		}
	}
	closedir(dir);
	SKIP("no %04x:%04x device #%d without an IOMMU group: needs a guest without the vIOMMU (bench/check.sh's ours-noiommu boot)",
	     vendor, device, nth);
}

/* Point @bdf's driver_override at vfio-pci and bind it by hand. */
static int bind_vfio(const char *bdf)
{
	char path[PATH_MAX];

	cu_save_device(bdf);
	if (cu_unbind(bdf))
		FAIL("unbind %s: %s", bdf, strerror(errno));
	snprintf(path, sizeof(path), CU_PCI "/%s/driver_override", bdf);
	ASSERT_OK(vu_write_file(path, "vfio-pci"));
	return cu_bind_direct(bdf, "vfio-pci");
}

/* Bind @d (found with find_nd) to vfio-pci: the mode must be on. */
static void nd_bind(struct nd *d)
{
	ASSERT_OK(bind_vfio(d->bdf));
	d->id = vu_iommu_group(d->bdf);
	if (d->id < 0)
		FAIL("%s bound but without an IOMMU group: %s", d->bdf,
		     vu_last_error());
	snprintf(d->path, sizeof(d->path), "/dev/vfio/noiommu-%d", d->id);
}

static void nd_edu(struct nd *d, int nth)
{
	find_nd(EDU_VENDOR, EDU_DEVICE, nth, d->bdf);
	nd_bind(d);
}

static int nd_open_group(const struct nd *d)
{
	return open(d->path, O_RDWR | O_CLOEXEC);
}

/* Group fd, container fd with the group attached and VFIO_NOIOMMU_IOMMU. */
static void nd_setup(const struct nd *d, int *group, int *container)
{
	*group = nd_open_group(d);
	ASSERT_OK(*group);
	*container = vu_open_container();
	ASSERT_OK(*container);
	ASSERT_OK(ioctl(*group, VFIO_GROUP_SET_CONTAINER, container));
	ASSERT_OK(ioctl(*container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
}

static uint16_t cfg_vendor(int device)
{
	uint16_t v = 0;

	ASSERT_OK(vu_config_read(device, PCI_VENDOR_ID, &v, sizeof(v)));
	return v;
}

/*
 * Mode off: what Debian's mainline (built without CONFIG_VFIO_NOIOMMU)
 * answers, and what ours answers with the mode off - container.c:
 * vfio_noiommu_ioctl() claims VFIO_NOIOMMU_IOMMU only while vfio_noiommu
 * is set, and without a backend claiming it VFIO_SET_IOMMU fails with
 * -ENODEV (vfio_ioctl_set_iommu()).  Both stacks; the container is usable
 * afterwards.
 */
TEST(core_noiommu_extension_mode_off)
{
	struct vu_dev d;
	int c;

	if (cu_exists(MODE_PARAM))
		mode_set(false);
	else if (!harness_mainline())
		FAIL("no %s in our vfio", MODE_PARAM);
	c = vu_open_container();
	ASSERT_OK(c);
	ASSERT_EQ(0, check_ext(c, VFIO_NOIOMMU_IOMMU));
	ASSERT_OK(close(c));

	fx_open(&d, VU_STAGE_ATTACHED);
	ASSERT_EQ(0, check_ext(d.container, VFIO_NOIOMMU_IOMMU));
	ASSERT_ERRNO(ENODEV,
		     ioctl(d.container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	ASSERT_OK(ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, check_ext(d.container, VFIO_NOIOMMU_IOMMU));
	vu_dev_close(&d);
}

/*
 * The parameter: vfio_main.c's module_param_named(enable_unsafe_noiommu_mode,
 * vfio_noiommu, bool, S_IRUGO | S_IWUSR) (6.1: container.c): there, off
 * by default, root may switch it at run time, a bool parser's refusal
 * (-EINVAL) leaves it as it was.  DPDK reads it (Y/N) to pick its IOVA mode.
 */
TEST_OURS_ONLY(core_noiommu_param)
{
	struct stat st;

	ASSERT_OK(stat(MODE_PARAM, &st));
	ASSERT_EQ(0644, st.st_mode & 07777);
	/* Nobody switched it on in this boot without switching it back. */
	ASSERT_EQ(false, mode_get());
	mode_save();
	ASSERT_OK(vu_write_file(MODE_PARAM, "Y"));
	ASSERT_EQ(true, mode_get());
	ASSERT_ERRNO(EINVAL, vu_write_file(MODE_PARAM, "maybe"));
	ASSERT_EQ(true, mode_get());
	ASSERT_OK(vu_write_file(MODE_PARAM, "0"));
	ASSERT_EQ(false, mode_get());
	ASSERT_OK(vu_write_file(MODE_PARAM, "1"));
	ASSERT_EQ(true, mode_get());
	ASSERT_OK(vu_write_file(MODE_PARAM, "N"));
	ASSERT_EQ(false, mode_get());
}

/*
 * Mode on, real IOMMU groups: container.c's vfio_container_ioctl_check_
 * extension() polls every backend while a container has no groups (the
 * no-IOMMU backend says 1), but only those its groups may use once it has
 * some (vfio_iommu_driver_allowed(): a container of real groups never the
 * no-IOMMU backend), and VFIO_SET_IOMMU skips the others: -ENODEV.
 */
TEST_OURS_ONLY(core_noiommu_extension_mode_on)
{
	struct vu_dev d;
	int c;

	mode_set(true);
	c = vu_open_container();
	ASSERT_OK(c);
	ASSERT_EQ(1, check_ext(c, VFIO_NOIOMMU_IOMMU));
	ASSERT_EQ(1, check_ext(c, VFIO_TYPE1v2_IOMMU));

	fx_open(&d, VU_STAGE_ATTACHED);
	ASSERT_EQ(0, check_ext(d.container, VFIO_NOIOMMU_IOMMU));
	ASSERT_EQ(1, check_ext(d.container, VFIO_TYPE1v2_IOMMU));
	ASSERT_ERRNO(ENODEV,
		     ioctl(d.container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	/* Refused without a trace: type1 is still to be had. */
	ASSERT_EQ(IN_CONTAINER, core_group_flags(d.group));
	ASSERT_OK(ioctl(d.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, check_ext(d.container, VFIO_NOIOMMU_IOMMU));
	vu_dev_close(&d);

	mode_set(false);
	ASSERT_EQ(0, check_ext(c, VFIO_NOIOMMU_IOMMU));
	ASSERT_OK(close(c));
}

/*
 * A device with a real IOMMU group never becomes a no-IOMMU one, mode on or
 * not: group.c's vfio_group_find_or_alloc() makes a no-IOMMU group only
 * when iommu_group_get() finds none.  The e1000e, bound with the mode on,
 * gets /dev/vfio/<its group>, no taint, no warning, and type1 works.
 */
TEST_OURS_ONLY(core_noiommu_real_group_stays)
{
	bool was_tainted = tainted_user();
	char bdf[VU_BDF_LEN], path[64];
	int kmsg, id;
	struct vu_dev d;

	if (cu_find_device(PCI_VENDOR_INTEL, E1000E_DEVICE, 0, bdf,
			   sizeof(bdf)))
		FAIL("no e1000e alone in its IOMMU group");
	id = vu_iommu_group(bdf);
	ASSERT_OK(id);
	mode_set(true);
	kmsg = cu_kmsg_open();
	ASSERT_OK(kmsg);
	cu_save_device(bdf);
	ASSERT_OK(cu_bind(bdf, "vfio-pci"));

	ASSERT_EQ(id, vu_iommu_group(bdf));
	snprintf(path, sizeof(path), "/dev/vfio/%d", id);
	ASSERT_TRUE(cu_exists(path));
	ASSERT_EQ(0, noiommu_nodes());
	expect_no_kmsg(kmsg, "vfio-noiommu");
	ASSERT_EQ(was_tainted, tainted_user());

	ASSERT_OK(vu_dev_open(&d, bdf, VU_STAGE_DEVICE));
	ASSERT_EQ(PCI_VENDOR_INTEL, cfg_vendor(d.device));
	vu_dev_close(&d);
	/* The fixture's edu too. */
	fx_open(&d, VU_STAGE_DEVICE);
	vu_dev_close(&d);
	expect_no_kmsg(kmsg, "vfio-noiommu");
}

/*
 * Mode off, no IOMMU: group.c's vfio_group_find_or_alloc() returns -EINVAL
 * for a device without an IOMMU group, so vfio-pci's probe fails: the bind
 * is refused with EINVAL, no group appears, and the container claims no
 * VFIO_NOIOMMU_IOMMU.
 */
TEST_OURS_ONLY(noiommu_mode_off_refused)
{
	char bdf[VU_BDF_LEN];
	int kmsg, kmsg2, c;

	find_nd(EDU_VENDOR, EDU_DEVICE, 0, bdf);
	mode_set(false);
	kmsg = cu_kmsg_open();
	ASSERT_OK(kmsg);
	kmsg2 = cu_kmsg_open();
	ASSERT_OK(kmsg2);
	ASSERT_ERRNO(EINVAL, bind_vfio(bdf));
	ASSERT_EQ(0, strlen(cu_driver(bdf)));
	ASSERT_TRUE(!has_iommu_group(bdf));
	ASSERT_EQ(0, noiommu_nodes());
	/* Ours says why, and what would help. */
	expect_kmsg(kmsg, bdf, "enable_unsafe_noiommu_mode");
	expect_no_kmsg(kmsg2, "taint");

	c = vu_open_container();
	ASSERT_OK(c);
	ASSERT_EQ(0, check_ext(c, VFIO_NOIOMMU_IOMMU));
	ASSERT_OK(close(c));
}

/*
 * Mode on: the device gets a made-up IOMMU group named vfio-noiommu
 * (group.c: vfio_noiommu_group_alloc()) and /dev/vfio/noiommu-<id>
 * (vfio_create_group()'s name), the kernel is tainted with a warning
 * (vfio_group_find_or_alloc()), the group is viable, takes only the
 * no-IOMMU backend (container.c: vfio_iommu_driver_allowed()), and each
 * device fd is logged (vfio_device_open_file()).  The device works.  Its
 * unbind with the group fd open takes the group away (the fd then answers
 * -ENODEV, vfio_group_ioctl_get_status()) and the made-up IOMMU group with
 * it (vfio_device_remove_group()); a new bind makes a new one.
 */
TEST_OURS_ONLY(noiommu_group_lifecycle)
{
	char plain[64], name[64], gdir[PATH_MAX], comm[32];
	int kmsg, g, c, dev, g2;
	struct nd d;
	struct edu e;
	uint32_t v;

	find_nd(EDU_VENDOR, EDU_DEVICE, 0, d.bdf);
	mode_set(true);
	kmsg = cu_kmsg_open();
	ASSERT_OK(kmsg);
	nd_bind(&d);
	ASSERT_EQ(0, strcmp(cu_driver(d.bdf), "vfio-pci"));

	ASSERT_TRUE(cu_exists(d.path));
	snprintf(plain, sizeof(plain), "/dev/vfio/%d", d.id);
	ASSERT_TRUE(!cu_exists(plain));
	snprintf(gdir, sizeof(gdir), "/sys/kernel/iommu_groups/%d/name", d.id);
	ASSERT_OK(vu_read_file(gdir, name, sizeof(name)));
	ASSERT_EQ(0, strcmp(name, "vfio-noiommu"));
	*strrchr(gdir, '/') = 0;
	ASSERT_EQ(1, cu_group_size(d.id));
	expect_kmsg(kmsg, d.bdf,
		    "Adding kernel taint for vfio-noiommu group on device");
	ASSERT_TRUE(tainted_user());

	g = nd_open_group(&d);
	ASSERT_OK(g);
	ASSERT_EQ(VIABLE, core_group_flags(g));
	c = vu_open_container();
	ASSERT_OK(c);
	ASSERT_OK(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_EQ(IN_CONTAINER, core_group_flags(g));
	/* Only the no-IOMMU backend for a container of no-IOMMU groups. */
	ASSERT_EQ(1, check_ext(c, VFIO_NOIOMMU_IOMMU));
	ASSERT_EQ(0, check_ext(c, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, check_ext(c, VFIO_TYPE1_IOMMU));
	ASSERT_ERRNO(ENODEV, ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	/* No device fd before the backend is set. */
	ASSERT_ERRNO(EINVAL, ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d.bdf));
	ASSERT_OK(ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	ASSERT_ERRNO(EINVAL, ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	ASSERT_EQ(1, check_ext(c, VFIO_NOIOMMU_IOMMU));

	dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d.bdf);
	ASSERT_OK(dev);
	ASSERT_OK(vu_read_file("/proc/self/comm", comm, sizeof(comm)));
	expect_kmsg(kmsg, "vfio-noiommu device opened by user (", comm);
	ASSERT_EQ(EDU_VENDOR, cfg_vendor(dev));
	if (edu_init(&e, dev, true))
		FAIL("edu_init: %s", vu_last_error());
	ASSERT_OK(edu_read32(&e, EDU_REG_ID, &v));
	ASSERT_EQ(EDU_ID_VALUE, v);
	ASSERT_OK(edu_write32(&e, EDU_REG_LIVENESS, 0x12345678));
	ASSERT_OK(edu_read32(&e, EDU_REG_LIVENESS, &v));
	ASSERT_EQ(~0x12345678u, v);
	edu_fini(&e);
	ASSERT_OK(close(dev));

	/* Unbind with the group fd open and in the container. */
	ASSERT_OK(cu_unbind(d.bdf));
	ASSERT_TRUE(!cu_exists(d.path));
	ASSERT_TRUE(!has_iommu_group(d.bdf));
	ASSERT_TRUE(!cu_exists(gdir));
	{
		struct vfio_group_status st = {.argsz = sizeof(st)};

		ASSERT_ERRNO(ENODEV, ioctl(g, VFIO_GROUP_GET_STATUS, &st));
	}
	ASSERT_ERRNO(ENODEV, ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d.bdf));

	/* A new bind: a new group, usable while the dead fd stays open. */
	nd_bind(&d);
	ASSERT_TRUE(cu_exists(d.path));
	g2 = nd_open_group(&d);
	ASSERT_OK(g2);
	ASSERT_EQ(VIABLE, core_group_flags(g2));
	ASSERT_OK(close(g2));
	ASSERT_OK(close(g));
	ASSERT_OK(close(c));
}

/*
 * Each device without an IOMMU group is a group of its own (group.c:
 * vfio_noiommu_group_alloc() per device): the edu and the e1000 behind the
 * bench's PCI bridge, one group under the vIOMMU, are two here.  No-IOMMU
 * groups share a container (container.c: only real and no-IOMMU groups
 * cannot mix) and both devices open in it.
 */
TEST_OURS_ONLY(noiommu_group_per_device)
{
	struct nd a, b;
	int ga, gb, c, da, db;

	/* The edu on the e1000's bus (behind the bridge), not the other. */
	find_nd(PCI_VENDOR_INTEL, E1000_BRIDGED, 0, b.bdf);
	find_nd(EDU_VENDOR, EDU_DEVICE, 0, a.bdf);
	if (strncmp(a.bdf, b.bdf, strlen("0000:00:")))
		find_nd(EDU_VENDOR, EDU_DEVICE, 1, a.bdf);
	ASSERT_EQ(0, strncmp(a.bdf, b.bdf, strlen("0000:00:")));
	mode_set(true);
	nd_bind(&a);
	nd_bind(&b);
	ASSERT_TRUE(a.id != b.id);
	ASSERT_EQ(1, cu_group_size(a.id));
	ASSERT_EQ(1, cu_group_size(b.id));

	nd_setup(&a, &ga, &c);
	gb = nd_open_group(&b);
	ASSERT_OK(gb);
	ASSERT_OK(ioctl(gb, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_EQ(IN_CONTAINER, core_group_flags(gb));
	da = ioctl(ga, VFIO_GROUP_GET_DEVICE_FD, a.bdf);
	ASSERT_OK(da);
	db = ioctl(gb, VFIO_GROUP_GET_DEVICE_FD, b.bdf);
	ASSERT_OK(db);
	/* A device only through its own group. */
	ASSERT_ERRNO(ENODEV, ioctl(ga, VFIO_GROUP_GET_DEVICE_FD, b.bdf));
	ASSERT_EQ(EDU_VENDOR, cfg_vendor(da));
	ASSERT_EQ(PCI_VENDOR_INTEL, cfg_vendor(db));
	ASSERT_OK(close(da));
	ASSERT_OK(close(db));
	/* The first group leaves; the container keeps its backend. */
	ASSERT_OK(ioctl(ga, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_EQ(1, check_ext(c, VFIO_NOIOMMU_IOMMU));
	db = ioctl(gb, VFIO_GROUP_GET_DEVICE_FD, b.bdf);
	ASSERT_OK(db);
	ASSERT_OK(close(db));
	ASSERT_OK(close(ga));
	ASSERT_OK(close(gb));
	ASSERT_OK(close(c));
}

/*
 * A no-IOMMU container maps nothing: container.c's vfio_noiommu_ioctl()
 * answers every ioctl but VFIO_CHECK_EXTENSION with -ENOTTY (before
 * VFIO_SET_IOMMU, vfio_fops_unl_ioctl() says -EINVAL), and nothing is
 * pinned.
 */
TEST_OURS_ONLY(noiommu_map_refused)
{
	struct vfio_iommu_type1_dma_unmap unmap = {.argsz = sizeof(unmap)};
	struct vfio_iommu_type1_info info = {.argsz = sizeof(info)};
	struct vfio_iommu_type1_dma_map map = {.argsz = sizeof(map)};
	struct vfio_iommu_type1_dirty_bitmap dirty = {.argsz = sizeof(dirty)};
	size_t sz = 1 << 20;
	long locked;
	int g, c, dev;
	struct nd d;
	void *buf;

	mode_set(true);
	nd_edu(&d, 0);
	buf = vu_alloc_dma_buffer(sz);
	ASSERT_TRUE(buf);
	map.vaddr = (uintptr_t)buf;
	map.iova = 0x100000;
	map.size = sz;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	unmap.iova = map.iova;
	unmap.size = sz;
	dirty.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
	locked = vu_locked_kb();

	g = nd_open_group(&d);
	ASSERT_OK(g);
	c = vu_open_container();
	ASSERT_OK(c);
	ASSERT_OK(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_ERRNO(EINVAL, ioctl(c, VFIO_IOMMU_MAP_DMA, &map));
	ASSERT_OK(ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d.bdf);
	ASSERT_OK(dev);

	ASSERT_ERRNO(ENOTTY, ioctl(c, VFIO_IOMMU_MAP_DMA, &map));
	ASSERT_ERRNO(ENOTTY, ioctl(c, VFIO_IOMMU_UNMAP_DMA, &unmap));
	ASSERT_ERRNO(ENOTTY, ioctl(c, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_ERRNO(ENOTTY, ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &dirty));
	ASSERT_EQ(0, check_ext(c, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, check_ext(c, VFIO_DMA_CC_IOMMU));
	ASSERT_EQ(0, check_ext(c, VFIO_UNMAP_ALL));
	ASSERT_EQ(1, check_ext(c, VFIO_NOIOMMU_IOMMU));
	ASSERT_EQ(locked, vu_locked_kb());
	/* Nothing changed: the device still works. */
	ASSERT_EQ(EDU_VENDOR, cfg_vendor(dev));
	ASSERT_OK(close(dev));
	ASSERT_OK(close(g));
	ASSERT_OK(close(c));
	vu_free_dma_buffer(buf, sz);
}

/*
 * Without CAP_SYS_RAWIO every step is refused with EPERM and changes
 * nothing: opening the group (group.c: vfio_group_fops_open(), before its
 * one-open-at-a-time EBUSY), attaching it (container.c:
 * vfio_container_attach_group()), choosing the backend (vfio_noiommu_open())
 * and opening the device (vfio_group_use_container() at the device's first
 * open).  6.12 checks a device only at its first open, so a second fd of an
 * open device is granted; 6.1 checks every open (vfio_device_assign_
 * container()): EPERM there.
 */
TEST_OURS_ONLY(noiommu_rawio_refused)
{
	int g, c, dev, dev2;
	struct nd d;

	mode_set(true);
	nd_edu(&d, 0);

	rawio(false);
	ASSERT_ERRNO(EPERM, nd_open_group(&d));
	rawio(true);
	g = nd_open_group(&d);
	ASSERT_OK(g);
	rawio(false);
	/* EPERM comes first, not EBUSY. */
	ASSERT_ERRNO(EPERM, nd_open_group(&d));
	ASSERT_EQ(VIABLE, core_group_flags(g));

	c = vu_open_container();
	ASSERT_OK(c);
	ASSERT_ERRNO(EPERM, ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_EQ(VIABLE, core_group_flags(g));
	rawio(true);
	ASSERT_OK(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));

	rawio(false);
	ASSERT_ERRNO(EPERM, ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	/* No backend set: no device, the backend still to be chosen. */
	ASSERT_ERRNO(EINVAL, ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d.bdf));
	rawio(true);
	ASSERT_ERRNO(EINVAL, ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d.bdf));
	ASSERT_OK(ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));

	rawio(false);
	ASSERT_ERRNO(EPERM, ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d.bdf));
	/* Nothing is held: the group may leave its container. */
	ASSERT_OK(ioctl(g, VFIO_GROUP_UNSET_CONTAINER));
	rawio(true);
	ASSERT_OK(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_OK(ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d.bdf);
	ASSERT_OK(dev);

	rawio(false);
	if (fx_kernel_at_least(6, 2)) {
		dev2 = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d.bdf);
		ASSERT_OK(dev2);
		ASSERT_OK(close(dev2));
	} else {
		ASSERT_ERRNO(EPERM, ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d.bdf));
	}
	/* An open device fd keeps working without the capability. */
	ASSERT_EQ(EDU_VENDOR, cfg_vendor(dev));
	ASSERT_OK(close(dev));
	ASSERT_ERRNO(EPERM, ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d.bdf));
	rawio(true);
	ASSERT_OK(close(g));
	ASSERT_OK(close(c));
}

/*
 * The mode switched off while a no-IOMMU group is in use takes nothing
 * away: mainline reads vfio_noiommu only to make a new group (group.c:
 * vfio_group_find_or_alloc()) and in the backend's VFIO_CHECK_EXTENSION
 * (container.c: vfio_noiommu_ioctl()), which VFIO_SET_IOMMU asks first.  So
 * the open device keeps working and more fds of it open, the container
 * stops claiming the extension, a container that had not chosen its
 * backend yet cannot (-ENODEV, and so no device fd: -EINVAL), no new
 * IOMMU-less device is taken, and the group lasts until its device is
 * unbound.  Switched on again, the backend is to be had again.
 */
TEST_OURS_ONLY(noiommu_mode_off_while_open)
{
	int g, c, c2, dev, dev2;
	struct nd d, other;

	find_nd(EDU_VENDOR, EDU_DEVICE, 1, other.bdf);
	mode_set(true);
	nd_edu(&d, 0);
	nd_setup(&d, &g, &c);
	dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d.bdf);
	ASSERT_OK(dev);

	mode_set(false);
	ASSERT_EQ(EDU_VENDOR, cfg_vendor(dev));
	ASSERT_EQ(0, check_ext(c, VFIO_NOIOMMU_IOMMU));
	dev2 = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d.bdf);
	ASSERT_OK(dev2);
	ASSERT_OK(close(dev2));
	ASSERT_TRUE(cu_exists(d.path));
	ASSERT_EQ(IN_CONTAINER, core_group_flags(g));
	ASSERT_ERRNO(EINVAL, bind_vfio(other.bdf));
	ASSERT_TRUE(!has_iommu_group(other.bdf));

	/* A new container for the group: no backend while the mode is off. */
	ASSERT_OK(close(dev));
	ASSERT_OK(ioctl(g, VFIO_GROUP_UNSET_CONTAINER));
	c2 = vu_open_container();
	ASSERT_OK(c2);
	ASSERT_EQ(0, check_ext(c2, VFIO_NOIOMMU_IOMMU));
	ASSERT_OK(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c2));
	ASSERT_ERRNO(ENODEV, ioctl(c2, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	ASSERT_ERRNO(EINVAL, ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d.bdf));

	mode_set(true);
	ASSERT_OK(ioctl(c2, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d.bdf);
	ASSERT_OK(dev);
	ASSERT_OK(close(dev));
	ASSERT_OK(close(g));
	ASSERT_OK(close(c));
	ASSERT_OK(close(c2));

	/* Off again: the group goes with its device, and comes back no more. */
	mode_set(false);
	ASSERT_OK(cu_unbind(d.bdf));
	ASSERT_TRUE(!cu_exists(d.path));
	ASSERT_ERRNO(EINVAL, bind_vfio(d.bdf));
	ASSERT_EQ(0, noiommu_nodes());
}
