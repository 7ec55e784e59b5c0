// SPDX-License-Identifier: GPL-2.0-only
/* Helpers for the PCI bus driver tests; see test_pci_util.h. */
#define _GNU_SOURCE
#include "test_pci_util.h"
#include "fixture.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#define SYSFS_PCI "/sys/bus/pci/devices"

const struct pu_devtype pu_bench[] = {
	{"edu", 0x1234, 0x11e8},
	{"e1000e", 0x8086, 0x10d3},
	{"nvme", 0x1b36, 0x0010},
	{"virtio-net", 0x1af4, 0x1041},
};
const unsigned int pu_nbench = sizeof(pu_bench) / sizeof(pu_bench[0]);
const struct pu_devtype pu_ivshmem = {"ivshmem", 0x1af4, 0x1110};
const struct pu_devtype pu_vga = {"vga", 0x1234, 0x1111};

void pu_need_vga_support(void)
{
	if (access("/sys/module/vfio_pci/parameters/disable_vga", F_OK))
		SKIP("vfio-pci without VGA support (kernel without "
		     "CONFIG_VFIO_PCI_VGA): no disable_vga, no VGA region");
}

/* Devices claimed by this process, restored at exit. */
struct claimed {
	char bdf[VU_BDF_LEN];
	char driver[64]; /* driver before, "" if none */
	char override[64]; /* driver_override before, "" if none */
	bool active;
};
static struct claimed claims[8];
static bool atexit_set;

const char *pu_mode(void)
{
	const char *m = getenv("NVFIO_MODE");

	return m && m[0] ? m : "ours";
}

void pu_find(const struct pu_devtype *t, char *bdf)
{
	const char *env = getenv("NVFIO_EDU");

	if (!strcmp(t->name, "edu") && env && env[0]) {
		snprintf(bdf, VU_BDF_LEN, "%s", env);
		return;
	}
	if (vu_find_pci_device(t->vendor, t->device, bdf, VU_BDF_LEN))
		SKIP("no %s on this machine", t->name);
}

bool pu_present(const struct pu_devtype *t)
{
	char bdf[VU_BDF_LEN];

	return !strcmp(t->name, "edu") ||
	       !vu_find_pci_device(t->vendor, t->device, bdf, sizeof(bdf));
}

static void restore(struct claimed *c)
{
	char path[PATH_MAX], cur[64];

	if (!c->active)
		return;
	c->active = false;
	vu_driver_name(c->bdf, cur, sizeof(cur));
	if (cur[0] && strcmp(cur, c->driver)) {
		snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver/unbind",
			 c->bdf);
		vu_write_file(path, c->bdf);
	}
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver_override", c->bdf);
	vu_write_file(path, c->override[0] ? c->override : "\n");
	if (c->driver[0]) {
		vu_driver_name(c->bdf, cur, sizeof(cur));
		if (!cur[0]) {
			snprintf(path, sizeof(path),
				 "/sys/bus/pci/drivers/%s/bind", c->driver);
			vu_write_file(path, c->bdf);
		}
	}
}

static void restore_all(void)
{
	for (unsigned int i = 0; i < sizeof(claims) / sizeof(claims[0]); i++)
		restore(&claims[i]);
}

void pu_claim(const char *bdf)
{
	struct claimed *c = NULL;

	for (unsigned int i = 0; i < sizeof(claims) / sizeof(claims[0]); i++)
		if (!claims[i].active) {
			c = &claims[i];
			break;
		}
	if (!c)
		FAIL("too many claimed devices");
	snprintf(c->bdf, sizeof(c->bdf), "%s", bdf);
	if (vu_driver_name(bdf, c->driver, sizeof(c->driver)))
		FAIL("%s", vu_last_error());
	if (!strcmp(c->driver, "vfio-pci"))
		return; /* the bench bound it: nothing to restore */
	vu_driver_override(bdf, c->override, sizeof(c->override));
	c->active = true;
	if (!atexit_set) {
		atexit(restore_all);
		atexit_set = true;
	}
	if (vu_bind_driver(bdf, "vfio-pci"))
		FAIL("binding %s to vfio-pci: %s", bdf, vu_last_error());
}

void pu_release(const char *bdf)
{
	for (unsigned int i = 0; i < sizeof(claims) / sizeof(claims[0]); i++)
		if (claims[i].active && !strcmp(claims[i].bdf, bdf))
			restore(&claims[i]);
}

void pu_open(const struct pu_devtype *t, struct vu_dev *d)
{
	char bdf[VU_BDF_LEN];

	pu_find(t, bdf);
	pu_claim(bdf);
	if (vu_dev_open(d, bdf, VU_STAGE_DEVICE))
		FAIL("opening %s (%s): %s", t->name, bdf, vu_last_error());
}

size_t pu_config_dump(int device, uint8_t *buf, size_t len)
{
	struct vfio_region_info ri;

	if (vu_region_info(device, VFIO_PCI_CONFIG_REGION_INDEX, &ri))
		FAIL("%s", vu_last_error());
	if (ri.size > len)
		FAIL("config region of %llu bytes",
		     (unsigned long long)ri.size);
	/* dword reads, like a guest's config cycles */
	for (size_t off = 0; off < ri.size; off += 4)
		if (vu_region_read(device, &ri, off, buf + off, 4))
			FAIL("%s", vu_last_error());
	return ri.size;
}

uint32_t pu_cfg_read(int device, unsigned int off, unsigned int len)
{
	uint32_t v = 0;

	if (vu_config_read(device, off, &v, len))
		FAIL("%s", vu_last_error());
	return v;
}

void pu_cfg_write(int device, unsigned int off, unsigned int len, uint32_t val)
{
	if (vu_config_write(device, off, &val, len))
		FAIL("%s", vu_last_error());
}

void pu_command_bits(int device, uint16_t bits, bool on)
{
	uint16_t cmd = pu_cfg_read(device, PCI_COMMAND, 2);

	pu_cfg_write(device, PCI_COMMAND, 2, on ? cmd | bits : cmd & ~bits);
}

unsigned int pu_find_cap(int device, uint8_t id)
{
	unsigned int pos, n = 0;

	if (!(pu_cfg_read(device, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = pu_cfg_read(device, PCI_CAPABILITY_LIST, 1) & ~3;
	while (pos && n++ < 48) {
		if (pu_cfg_read(device, pos, 1) == id)
			return pos;
		pos = pu_cfg_read(device, pos + 1, 1) & ~3;
	}
	return 0;
}

void pu_artifact(const char *sub, const char *name, const void *buf, size_t len)
{
	const char *out = getenv("NVFIO_OUT");
	char dir[PATH_MAX], path[PATH_MAX + 64], cmd[PATH_MAX + 16];
	FILE *f;

	if (!out || !out[0])
		return;
	snprintf(dir, sizeof(dir), "%s/artifacts/%s/%s", out, sub, pu_mode());
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
	if (system(cmd))
		FAIL("cannot create %s", dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		FAIL("cannot write %s", path);
}

void *pu_mmap_aligned(int device, const struct vfio_region_info *ri,
		      uint64_t off, size_t len, size_t align, size_t skew)
{
	void *p = vu_region_mmap_aligned(device, ri, off, len, align, skew);

	if (!p)
		FAIL("%s", vu_last_error());
	return p;
}

bool pu_huge_pfnmap(void)
{
	return fx_kernel_at_least(6, 12) &&
	       !access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK);
}

long pu_minflt(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		FAIL("getrusage: %s", strerror(errno));
	return ru.ru_minflt;
}

bool pu_fired(int efd, int ms)
{
	uint64_t n;
	int r = vu_eventfd_wait(efd, ms, &n);

	if (r < 0)
		FAIL("%s", vu_last_error());
	return r == 1;
}

/* ---- reloading vfio-pci with parameters ---- */

static bool reloaded;

static void load_vfio_pci(const char *params)
{
	const char *repo = getenv("NVFIO_REPO");
	char cmd[512];
	struct utsname u;

	if (uname(&u))
		FAIL("uname: %s", strerror(errno));
	if (system("rmmod vfio_pci"))
		FAIL("rmmod vfio_pci failed");
	if (harness_mainline())
		snprintf(cmd, sizeof(cmd), "modprobe vfio_pci %s", params);
	else
		snprintf(cmd, sizeof(cmd),
			 "insmod %s/build/kmod/%s/kernel/pci/vfio-pci.ko %s",
			 repo ? repo : ".", u.release, params);
	if (system(cmd))
		FAIL("%s failed", cmd);
}

static void reload_restore(void)
{
	if (reloaded) {
		reloaded = false;
		load_vfio_pci("");
	}
}

void pu_reload_vfio_pci(const char *params)
{
	static bool registered;

	if (!registered) {
		atexit(reload_restore);
		registered = true;
	}
	reloaded = true;
	load_vfio_pci(params);
}

void pu_reload_vfio_pci_default(void)
{
	reload_restore();
}
