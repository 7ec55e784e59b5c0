// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ERR interrupt index (AER error reporting), against mainline:
 *
 *   pci_err_irq_info    GET_IRQ_INFO of VFIO_PCI_ERR_IRQ_INDEX: one
 *                       eventfd (EVENTFD|NORESIZE) on PCI Express
 *                       functions, -EINVAL on conventional PCI ones (edu)
 *   pci_err_set_irqs    SET_IRQS on the index: an eventfd, its loopback
 *                       trigger (DATA_NONE/DATA_BOOL fire it), fd -1 and
 *                       DATA_NONE count 0 tear it down; the argument
 *                       checks; -EINVAL on a non-Express function
 *
 * The bench cannot raise a real AER error: aer_inject needs a root port
 * above the device and every bench device sits on the root bus.  The
 * driver's error_detected callback signals this same eventfd.
 */
#include "fixture.h"
#include "test_pci_util.h"

#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#define ERR VFIO_PCI_ERR_IRQ_INDEX

/* SET_IRQS on the ERR index with @n bytes of data. */
static int set_err(int device, uint32_t flags, uint32_t start, uint32_t count,
		   const void *data, size_t n)
{
	union {
		struct vfio_irq_set s;
		uint8_t b[sizeof(struct vfio_irq_set) + 16];
	} u;

	memset(&u, 0, sizeof(u));
	u.s.argsz = sizeof(u.s) + n;
	u.s.flags = flags;
	u.s.index = ERR;
	u.s.start = start;
	u.s.count = count;
	if (n)
		memcpy(u.s.data, data, n);
	return ioctl(device, VFIO_DEVICE_SET_IRQS, &u);
}

#define TRIG VFIO_IRQ_SET_ACTION_TRIGGER
#define EFD (VFIO_IRQ_SET_DATA_EVENTFD | TRIG)
#define NONE (VFIO_IRQ_SET_DATA_NONE | TRIG)
#define BOOL (VFIO_IRQ_SET_DATA_BOOL | TRIG)

TEST(pci_err_irq_info)
{
	for (unsigned int i = 0; i < pu_nbench; i++) {
		const struct pu_devtype *t = &pu_bench[i];
		struct vfio_irq_info info = {.argsz = sizeof(info)};
		char bdf[VU_BDF_LEN];
		struct vu_dev d;
		bool pcie;

		if (!pu_present(t))
			continue;
		pu_open(t, &d);
		snprintf(bdf, sizeof(bdf), "%s", d.bdf);
		pcie = pu_find_cap(d.device, PCI_CAP_ID_EXP) != 0;
		info.index = ERR;
		printf("%s %s: %s\n", t->name, bdf,
		       pcie ? "PCI Express" : "conventional PCI");
		if (pcie) {
			ASSERT_EQ(0, ioctl(d.device, VFIO_DEVICE_GET_IRQ_INFO,
					   &info));
			ASSERT_EQ(ERR, info.index);
			ASSERT_EQ(1, info.count);
			ASSERT_EQ(VFIO_IRQ_INFO_EVENTFD |
					  VFIO_IRQ_INFO_NORESIZE,
				  info.flags);
		} else {
			ASSERT_ERRNO(EINVAL,
				     ioctl(d.device, VFIO_DEVICE_GET_IRQ_INFO,
					   &info));
		}
		vu_dev_close(&d);
		pu_release(bdf);
	}
}

TEST(pci_err_set_irqs)
{
	const struct pu_devtype *t = NULL;
	char bdf[VU_BDF_LEN];
	struct vu_dev d;
	uint64_t n = 0;
	int32_t fd, two[2];
	uint8_t b;
	int efd;

	/* Conventional PCI: no ERR index at all. */
	fx_open(&d, VU_STAGE_DEVICE);
	efd = vu_eventfd_new();
	ASSERT_OK(efd);
	fd = efd;
	ASSERT_ERRNO(EINVAL, set_err(d.device, EFD, 0, 1, &fd, 4));
	vu_dev_close(&d);

	for (unsigned int i = 1; i < pu_nbench && !t; i++)
		if (!vu_find_pci_device(pu_bench[i].vendor, pu_bench[i].device,
					bdf, sizeof(bdf)))
			t = &pu_bench[i];
	if (!t)
		SKIP("no PCI Express device on the bench");
	pu_open(t, &d);

	/* Loopback without an eventfd: nothing to fire. */
	ASSERT_ERRNO(EINVAL, set_err(d.device, NONE, 0, 1, NULL, 0));
	/* Out of range. */
	ASSERT_ERRNO(EINVAL, set_err(d.device, EFD, 1, 1, &fd, 4));
	two[0] = two[1] = efd;
	ASSERT_ERRNO(EINVAL, set_err(d.device, EFD, 0, 2, two, 8));
	/* Only the trigger action. */
	ASSERT_ERRNO(ENOTTY,
		     set_err(d.device,
			     VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK,
			     0, 1, NULL, 0));
	ASSERT_ERRNO(ENOTTY, set_err(d.device,
				     VFIO_IRQ_SET_DATA_NONE |
					     VFIO_IRQ_SET_ACTION_UNMASK,
				     0, 1, NULL, 0));
	/* A fd that is no eventfd. */
	fd = d.container;
	ASSERT_ERRNO(EINVAL, set_err(d.device, EFD, 0, 1, &fd, 4));

	fd = efd;
	ASSERT_EQ(0, set_err(d.device, EFD, 0, 1, &fd, 4));
	ASSERT_EQ(0, vu_eventfd_wait(efd, 0, &n));
	/* DATA_NONE and DATA_BOOL (true) fire it, DATA_BOOL false does not. */
	ASSERT_EQ(0, set_err(d.device, NONE, 0, 1, NULL, 0));
	ASSERT_EQ(1, vu_eventfd_wait(efd, 1000, &n));
	ASSERT_EQ(1, n);
	b = 1;
	ASSERT_EQ(0, set_err(d.device, BOOL, 0, 1, &b, 1));
	ASSERT_EQ(1, vu_eventfd_wait(efd, 1000, &n));
	b = 0;
	ASSERT_EQ(0, set_err(d.device, BOOL, 0, 1, &b, 1));
	ASSERT_EQ(0, vu_eventfd_wait(efd, 100, &n));

	/* fd -1 tears it down: the loopback has nothing left to fire. */
	fd = -1;
	ASSERT_EQ(0, set_err(d.device, EFD, 0, 1, &fd, 4));
	ASSERT_ERRNO(EINVAL, set_err(d.device, NONE, 0, 1, NULL, 0));
	/* Again, then DATA_NONE with count 0 tears it down as well. */
	fd = efd;
	ASSERT_EQ(0, set_err(d.device, EFD, 0, 1, &fd, 4));
	ASSERT_EQ(0, set_err(d.device, NONE, 0, 0, NULL, 0));
	ASSERT_ERRNO(EINVAL, set_err(d.device, NONE, 0, 1, NULL, 0));
	ASSERT_EQ(0, vu_eventfd_wait(efd, 100, &n));

	/* Left set at close: closing must drop it cleanly. */
	ASSERT_EQ(0, set_err(d.device, EFD, 0, 1, &fd, 4));
	vu_dev_close(&d);
	close(efd);
	pu_release(bdf);
}
