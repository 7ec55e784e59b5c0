// SPDX-License-Identifier: GPL-2.0-only
/*
 * nvfio-edu-demo [BDF]: a tiny userspace driver for QEMU's edu device,
 * built on VFIO. It says what it does, step by step, and exits 0 only if
 * every step checked out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "edu.h"
#include "vfio_util.h"

#define IOVA 0x100000ULL
#define BUF_SIZE 0x10000ULL
#define XFER 1024u
#define FACT_N 10
#define FACT_OK 3628800u

static void ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ok(const char *fmt, ...)
{
	va_list ap;

	printf("[ok] ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	printf("[FAIL] ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (vu_last_error()[0])
		printf(" (%s)", vu_last_error());
	putchar('\n');
	exit(1);
}

static const char *flag_names(uint32_t flags)
{
	static char s[128];

	s[0] = 0;
	if (flags & VFIO_DEVICE_FLAGS_PCI)
		strcat(s, "PCI ");
	if (flags & VFIO_DEVICE_FLAGS_RESET)
		strcat(s, "RESET ");
	if (flags & VFIO_DEVICE_FLAGS_CAPS)
		strcat(s, "CAPS ");
	if (s[0])
		s[strlen(s) - 1] = 0;
	return s;
}

int main(int argc, char **argv)
{
	struct vfio_device_info info;
	struct vfio_irq_info irq;
	char bdf[VU_BDF_LEN], drv[64];
	uint64_t unmapped, cnt;
	uint32_t flags, v;
	struct vu_dev d = {.container = -1, .group = -1, .device = -1};
	struct edu e;
	uint8_t *buf;
	int api, efd, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: %s [BDF of the edu device]\n", argv[0]);
		return 2;
	}

	/* 1. Which device? */
	if (argc == 2)
		snprintf(bdf, sizeof(bdf), "%s", argv[1]);
	else if (getenv("NVFIO_EDU") && getenv("NVFIO_EDU")[0])
		snprintf(bdf, sizeof(bdf), "%s", getenv("NVFIO_EDU"));
	else if (vu_find_pci_device(EDU_VENDOR, EDU_DEVICE, bdf, sizeof(bdf)))
		die("looking for an edu device (1234:11e8) in sysfs");
	if (vu_driver_name(bdf, drv, sizeof(drv)))
		die("reading the driver of %s", bdf);
	if (strcmp(drv, "vfio-pci"))
		die("%s is bound to '%s', not vfio-pci (bind it first)", bdf,
		    drv[0] ? drv : "no driver");
	ok("edu device %s is bound to vfio-pci", bdf);

	/* 2. The container. */
	d.container = vu_open_container();
	if (d.container < 0)
		die("opening the VFIO container");
	api = ioctl(d.container, VFIO_GET_API_VERSION);
	if (api != VFIO_API_VERSION)
		die("API version is %d, expected %d", api, VFIO_API_VERSION);
	ok("opened /dev/vfio/vfio, API version %d", api);
	if (ioctl(d.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1)
		die("the container does not support the type1 (v2) IOMMU");
	ok("the container supports the type1 (v2) IOMMU");

	/* 3. The group. */
	d.group_id = vu_iommu_group(bdf);
	if (d.group_id < 0)
		die("finding the IOMMU group of %s", bdf);
	ok("%s is in IOMMU group %d", bdf, d.group_id);
	d.group = vu_open_group(d.group_id);
	if (d.group < 0)
		die("opening the group");
	if (vu_group_status(d.group, &flags))
		die("reading the group status");
	if (!(flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group %d is not viable: a device in it is not bound to a "
		    "VFIO driver",
		    d.group_id);
	ok("opened /dev/vfio/%d; the group is viable", d.group_id);
	if (vu_group_set_container(d.group, d.container))
		die("attaching the group to the container");
	if (vu_group_status(d.group, &flags) ||
	    !(flags & VFIO_GROUP_FLAGS_CONTAINER_SET))
		die("the group does not report its container");
	ok("attached the group to the container");
	if (vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU))
		die("setting the type1 (v2) IOMMU");
	ok("set the container's IOMMU to type1 (v2)");

	/* 4. The device. */
	d.device = vu_get_device_fd(d.group, bdf);
	if (d.device < 0)
		die("getting a device fd for %s", bdf);
	if (vu_device_info(d.device, &info))
		die("reading the device info");
	ok("got the device fd: flags %s, %u regions, %u irq types",
	   flag_names(info.flags), info.num_regions, info.num_irqs);
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI))
		die("the device is not a PCI device");
	if (edu_init(&e, d.device, true))
		die("mapping BAR0");
	ok("BAR0: %llu KiB, mmap'ed into this process",
	   (unsigned long long)e.bar0.size / 1024);
	if (vu_pci_command_set(d.device,
			       PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER))
		die("enabling memory decoding and bus mastering");
	ok("enabled memory decoding and bus mastering in the command register");
	if (edu_read32(&e, EDU_REG_ID, &v) || v != EDU_ID_VALUE)
		die("edu id register reads 0x%08x, expected 0x%08x", v,
		    EDU_ID_VALUE);
	ok("edu id register reads 0x%08x", v);
	if (edu_write32(&e, EDU_REG_LIVENESS, 0x12345678) ||
	    edu_read32(&e, EDU_REG_LIVENESS, &v) || v != ~0x12345678u)
		die("liveness check: wrote 0x12345678, read 0x%08x", v);
	ok("liveness check: wrote 0x12345678, read back 0x%08x", v);

	/* 5. DMA. */
	buf = vu_alloc_dma_buffer(BUF_SIZE);
	if (!buf)
		die("allocating the DMA buffer");
	if (vu_dma_map(d.container, buf, IOVA, BUF_SIZE))
		die("mapping the DMA buffer");
	ok("mapped a %llu KiB buffer at IOVA 0x%llx",
	   (unsigned long long)BUF_SIZE / 1024, (unsigned long long)IOVA);
	for (unsigned i = 0; i < XFER; i++)
		buf[i] = (uint8_t)(i * 13 + 1);
	if (edu_dma(&e, IOVA, EDU_BUF_ADDR, XFER, false, false))
		die("DMA RAM -> edu: %s", strerror(errno));
	if (edu_dma(&e, EDU_BUF_ADDR, IOVA + BUF_SIZE / 2, XFER, true, false))
		die("DMA edu -> RAM: %s", strerror(errno));
	if (memcmp(buf, buf + BUF_SIZE / 2, XFER))
		die("DMA round trip: the pattern came back different");
	ok("DMA round trip: %u bytes RAM -> edu -> RAM at IOVA 0x%llx verified",
	   XFER, (unsigned long long)IOVA);

	/* 6. Factorial and MSI. */
	if (vu_irq_info(d.device, VFIO_PCI_MSI_IRQ_INDEX, &irq) ||
	    irq.count < 1)
		die("the device has no MSI vector");
	efd = vu_eventfd_new();
	if (efd < 0)
		die("creating an eventfd");
	if (vu_irq_set_eventfds(d.device, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd))
		die("routing MSI vector 0 to an eventfd");
	ok("routed MSI vector 0 to an eventfd");
	if (edu_factorial_start(&e, FACT_N, true))
		die("starting the factorial");
	r = vu_eventfd_wait(efd, 3000, &cnt);
	if (r != 1)
		die("no MSI within 3 s after the factorial");
	if (edu_read32(&e, EDU_REG_IRQ_STATUS, &v) || !(v & EDU_IRQ_FACT))
		die("irq status is 0x%x, expected the factorial bit", v);
	if (edu_irq_ack(&e, v))
		die("acknowledging the interrupt");
	if (edu_factorial_wait(&e, &v))
		die("waiting for the factorial");
	if (v != FACT_OK)
		die("%d! = %u, expected %u", FACT_N, v, FACT_OK);
	ok("computed %d! = %u on the device and received its MSI", FACT_N, v);

	/* 7. Clean up. */
	if (vu_irq_disable(d.device, VFIO_PCI_MSI_IRQ_INDEX))
		die("disabling MSI");
	close(efd);
	if (vu_dma_unmap(d.container, IOVA, BUF_SIZE, &unmapped) ||
	    unmapped != BUF_SIZE)
		die("unmapping the DMA buffer");
	vu_free_dma_buffer(buf, BUF_SIZE);
	edu_fini(&e);
	vu_dev_close(&d);
	ok("disabled MSI, unmapped the buffer, closed everything");
	printf("edu demo: all checks passed\n");
	return 0;
}
