// SPDX-License-Identifier: GPL-2.0-only
/*
 * IRQ bypass: every MSI/MSI-X vector wired to an eventfd is an irq bypass
 * producer whose token is that eventfd, so KVM's irqfd on the same eventfd
 * (a consumer) can set up posted interrupts.  The test-only consumer
 * nvfio_bypass_test.ko (kernel/testing, loaded by the bench in modes ours
 * and mainline) stands in for KVM and reports each add_producer (with the
 * producer's irq, which must be the vector's, read from /proc/interrupts)
 * and del_producer.  Whether KVM then posts interrupts needs VT-d posted
 * interrupts or AVIC, which TCG guests do not have: not shown here.
 */
#include "fixture.h"
#include "test_pci_util.h"
#include "../kernel/testing/nvfio_bypass_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const struct pu_devtype edu_t = {"edu", 0x1234, 0x11e8};
static const struct pu_devtype e1000e_t = {"e1000e", 0x8086, 0x10d3};

#define NVEC 5

/* A consumer on eventfd @efd (one per open of the test device). */
static int consumer(int efd)
{
	int fd = open("/dev/nvfio_bypass_test", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		FAIL("open /dev/nvfio_bypass_test (nvfio_bypass_test.ko "
		     "loaded?): %s",
		     strerror(errno));
	ASSERT_OK(ioctl(fd, NVFIO_BYPASS_ADD, &efd));
	return fd;
}

static struct nvfio_bypass_state state(int cons)
{
	struct nvfio_bypass_state st;

	ASSERT_OK(ioctl(cons, NVFIO_BYPASS_STATE, &st));
	return st;
}

/* The Linux irq of vector @vec named @kind ("msi"/"msix") of @bdf. */
static int vector_irq(const char *kind, unsigned int vec, const char *bdf)
{
	char name[96], line[1024];
	FILE *f = fopen("/proc/interrupts", "r");
	int irq = -1;

	if (!f)
		FAIL("/proc/interrupts: %s", strerror(errno));
	snprintf(name, sizeof(name), "vfio-%s[%u](%s)", kind, vec, bdf);
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, name))
			continue;
		irq = atoi(line);
		break;
	}
	fclose(f);
	if (irq <= 0)
		FAIL("no %s in /proc/interrupts", name);
	return irq;
}

static void expect(int cons, unsigned int adds, unsigned int dels, int irq,
		   const char *what)
{
	struct nvfio_bypass_state st = state(cons);

	if (st.adds != adds || st.dels != dels || st.irq != irq)
		FAIL("%s: consumer saw %u adds, %u dels, irq %d; expected %u, "
		     "%u, %d",
		     what, st.adds, st.dels, st.irq, adds, dels, irq);
}

TEST(pci_bypass_msix_vectors)
{
	int efd[NVEC], cons[NVEC], irq[NVEC], efd2, cons2;
	struct vu_dev d;

	if (!pu_present(&e1000e_t))
		SKIP("no e1000e");
	pu_open(&e1000e_t, &d);
	for (int i = 0; i < NVEC; i++) {
		efd[i] = vu_eventfd_new();
		ASSERT_OK(efd[i]);
	}
	/* consumers first for vectors 0-2: connected when the vector is */
	for (int i = 0; i < 3; i++) {
		cons[i] = consumer(efd[i]);
		expect(cons[i], 0, 0, -1, "before MSI-X");
	}
	ASSERT_OK(vu_irq_set_eventfds(d.device, VFIO_PCI_MSIX_IRQ_INDEX, 0,
				      NVEC, efd));
	for (int i = 0; i < NVEC; i++)
		irq[i] = vector_irq("msix", i, d.bdf);
	for (int i = 0; i < 3; i++)
		expect(cons[i], 1, 0, irq[i], "vector wired");
	/* consumers after: connected at once to the existing producer */
	for (int i = 3; i < NVEC; i++) {
		cons[i] = consumer(efd[i]);
		expect(cons[i], 1, 0, irq[i], "consumer after the vector");
	}
	/* all distinct vectors */
	for (int i = 1; i < NVEC; i++)
		ASSERT_TRUE(irq[i] != irq[i - 1]);

	/* vector 1 moves to another eventfd: the old token loses it */
	efd2 = vu_eventfd_new();
	ASSERT_OK(efd2);
	cons2 = consumer(efd2);
	ASSERT_OK(vu_irq_set_eventfds(d.device, VFIO_PCI_MSIX_IRQ_INDEX, 1, 1,
				      &efd2));
	expect(cons[1], 1, 1, -1, "vector 1 moved away");
	expect(cons2, 1, 0, irq[1], "vector 1 moved here");

	/* one vector unwired (fd -1): its producer goes */
	{
		int none = -1;

		ASSERT_OK(vu_irq_set_eventfds(d.device, VFIO_PCI_MSIX_IRQ_INDEX,
					      3, 1, &none));
	}
	expect(cons[3], 1, 1, -1, "vector 3 unwired");

	/* MSI-X disabled: every producer goes */
	ASSERT_OK(vu_irq_disable(d.device, VFIO_PCI_MSIX_IRQ_INDEX));
	expect(cons[0], 1, 1, -1, "disabled");
	expect(cons[2], 1, 1, -1, "disabled");
	expect(cons[4], 1, 1, -1, "disabled");
	expect(cons2, 1, 1, -1, "disabled");
	expect(cons[3], 1, 1, -1, "disabled");

	/* wired again, then the device closed with it enabled */
	ASSERT_OK(vu_irq_set_eventfds(d.device, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1,
				      efd));
	expect(cons[0], 2, 1, vector_irq("msix", 0, d.bdf), "rewired");
	vu_dev_close(&d);
	expect(cons[0], 2, 2, -1, "device closed");

	for (int i = 0; i < NVEC; i++) {
		ASSERT_OK(ioctl(cons[i], NVFIO_BYPASS_DEL));
		close(cons[i]);
		close(efd[i]);
	}
	close(cons2);
	close(efd2);
}

TEST(pci_bypass_msi_edu)
{
	struct vu_dev d;
	int efd, cons, other, irq;

	pu_open(&edu_t, &d);
	efd = vu_eventfd_new();
	ASSERT_OK(efd);
	cons = consumer(efd);
	ASSERT_OK(vu_irq_set_eventfds(d.device, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
				      &efd));
	irq = vector_irq("msi", 0, d.bdf);
	expect(cons, 1, 0, irq, "MSI wired");

	/* a second consumer on the same token is the manager's EBUSY */
	other = open("/dev/nvfio_bypass_test", O_RDWR | O_CLOEXEC);
	ASSERT_OK(other);
	ASSERT_ERRNO(EBUSY, ioctl(other, NVFIO_BYPASS_ADD, &efd));
	close(other);

	/* the consumer leaves first (KVM's irqfd closed): del_producer */
	ASSERT_OK(ioctl(cons, NVFIO_BYPASS_DEL));
	expect(cons, 1, 1, -1, "consumer gone");
	/* and comes back while the vector is still wired */
	ASSERT_OK(ioctl(cons, NVFIO_BYPASS_ADD, &efd));
	expect(cons, 1, 0, irq, "consumer back");

	ASSERT_OK(vu_irq_disable(d.device, VFIO_PCI_MSI_IRQ_INDEX));
	expect(cons, 1, 1, -1, "MSI disabled");
	/* INTx is no producer */
	ASSERT_OK(vu_irq_set_eventfds(d.device, VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
				      &efd));
	expect(cons, 1, 1, -1, "INTx wired");
	ASSERT_OK(vu_irq_disable(d.device, VFIO_PCI_INTX_IRQ_INDEX));
	vu_dev_close(&d);
	close(cons);
	close(efd);
}
