// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interrupts of the PCI bus driver with a device that really raises
 * them: the e1000e, whose Interrupt Cause Set register (ICS) makes it
 * signal a cause, routed by IVAR to one MSI-X vector each (RXQ0, RXQ1,
 * TXQ0, TXQ1, OTHER -> vectors 0-4), or to its single MSI vector.
 * The SET_IRQS argument checks are in test_pci_info.c (compared with
 * mainline's byte for byte); these check what arrives on which eventfd.
 */
#include "test_pci_util.h"

#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#define E1000_ICR 0xc0
#define E1000_ICS 0xc8
#define E1000_IMS 0xd0
#define E1000_IMC 0xd8
#define E1000_EIAC 0xdc
#define E1000_IVAR 0xe4

#define NVEC 5
/* the cause routed to vector i by ivar() */
static const uint32_t cause[NVEC] = {0x00100000, 0x00200000, 0x00400000,
				     0x00800000, 0x01000000};

static const struct pu_devtype e1000e = {"e1000e", 0x8086, 0x10d3};

struct nic {
	struct vu_dev d;
	struct vfio_region_info bar0;
	int efd[NVEC];
};

static void reg_wr(struct nic *n, uint32_t reg, uint32_t v)
{
	if (vu_region_write(n->d.device, &n->bar0, reg, &v, 4))
		FAIL("%s", vu_last_error());
}

static uint32_t reg_rd(struct nic *n, uint32_t reg)
{
	uint32_t v;

	if (vu_region_read(n->d.device, &n->bar0, reg, &v, 4))
		FAIL("%s", vu_last_error());
	return v;
}

/* No cause pending or enabled: nothing raised, the device forgets. */
static void quiesce(struct nic *n)
{
	reg_wr(n, E1000_IMC, 0xffffffff);
	reg_rd(n, E1000_ICR); /* clears with IMS 0 */
}

/* Raise @c with only @c enabled. */
static void raise_cause(struct nic *n, uint32_t c)
{
	quiesce(n);
	reg_wr(n, E1000_IMS, c);
	reg_wr(n, E1000_ICS, c);
}

/* Exactly the eventfds in @mask fire (waiting up to 2 s for each). */
static void expect(struct nic *n, unsigned int mask, const char *what)
{
	for (int i = 0; i < NVEC; i++)
		if ((mask & (1u << i)) && !pu_fired(n->efd[i], 2000))
			FAIL("%s: vector %d did not fire", what, i);
	for (int i = 0; i < NVEC; i++)
		if (!(mask & (1u << i)) && pu_fired(n->efd[i], 50))
			FAIL("%s: vector %d fired", what, i);
}

static void nic_open(struct nic *n)
{
	pu_open(&e1000e, &n->d);
	ASSERT_OK(vu_region_info(n->d.device, 0, &n->bar0));
	ASSERT_OK(vu_pci_command_set(n->d.device,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	for (int i = 0; i < NVEC; i++) {
		n->efd[i] = vu_eventfd_new();
		ASSERT_OK(n->efd[i]);
	}
	quiesce(n);
}

static void nic_close(struct nic *n)
{
	quiesce(n);
	for (int i = 0; i < NVEC; i++)
		close(n->efd[i]);
	vu_dev_close(&n->d);
}

static int set_bools(int fd, uint32_t index, uint32_t start, uint32_t count,
		     const uint8_t *b)
{
	uint8_t buf[sizeof(struct vfio_irq_set) + 16];
	struct vfio_irq_set *s = (void *)buf;

	memset(buf, 0, sizeof(buf));
	s->argsz = sizeof(*s) + count;
	s->flags = VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = index;
	s->start = start;
	s->count = count;
	memcpy(s->data, b, count);
	return ioctl(fd, VFIO_DEVICE_SET_IRQS, s);
}

/*
 * MSI-X: a subset of the vectors, then more (dynamically where the
 * index is resizable, else by re-enabling); each cause arrives on its
 * own vector's eventfd; a deassigned vector is quiet; loopback triggers
 * reach the wired vectors only; the index is exclusive; count 0 turns
 * it off.
 */
TEST(pci_irq_msix_e1000e)
{
	struct vfio_irq_info info;
	uint8_t bools[NVEC] = {1, 0, 1, 0, 1};
	int m1 = -1, tmp;
	struct nic n;

	nic_open(&n);
	ASSERT_OK(vu_irq_info(n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, &info));
	printf("MSI-X: count %u flags 0x%x\n", info.count, info.flags);
	ASSERT_EQ(NVEC, info.count);

	/* vectors 0 and 1 first */
	ASSERT_OK(vu_irq_set_eventfds(n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2,
				      n.efd));
	if (info.flags & VFIO_IRQ_INFO_NORESIZE) {
		/* fixed size: the rest cannot be added while enabled */
		ASSERT_ERRNO(EINVAL,
			     vu_irq_set_eventfds(n.d.device,
						 VFIO_PCI_MSIX_IRQ_INDEX, 2, 3,
						 n.efd + 2));
		ASSERT_OK(vu_irq_disable(n.d.device, VFIO_PCI_MSIX_IRQ_INDEX));
		ASSERT_OK(vu_irq_set_eventfds(
			n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 0, NVEC, n.efd));
	} else {
		/* dynamic MSI-X: 3, then 2 and 4 */
		ASSERT_OK(vu_irq_set_eventfds(
			n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 3, 1, n.efd + 3));
		ASSERT_OK(vu_irq_set_eventfds(
			n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 4, 1, n.efd + 4));
		ASSERT_OK(vu_irq_set_eventfds(
			n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 2, 1, n.efd + 2));
	}

	/* route cause i to vector i, auto-clear the causes on delivery */
	reg_wr(&n, E1000_IVAR,
	       0x8 | 0x9 << 4 | 0xa << 8 | 0xb << 12 | 0xc << 16);
	reg_wr(&n, E1000_EIAC, 0x01f00000);
	for (int v = 0; v < NVEC; v++) {
		raise_cause(&n, cause[v]);
		expect(&n, 1u << v, "cause routed to one vector");
	}
	/* two causes at once: two vectors */
	raise_cause(&n, cause[1] | cause[3]);
	expect(&n, 1u << 1 | 1u << 3, "two causes");

	/* deassign vector 2: its cause is not delivered */
	ASSERT_OK(vu_irq_set_eventfds(n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 2, 1,
				      &m1));
	raise_cause(&n, cause[2]);
	expect(&n, 0, "deassigned vector");
	/* rewire it (the device may deliver what it held pending) */
	ASSERT_OK(vu_irq_set_eventfds(n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 2, 1,
				      n.efd + 2));
	pu_fired(n.efd[2], 200);
	raise_cause(&n, cause[2]);
	expect(&n, 1u << 2, "rewired vector");
	/* and move it to another eventfd */
	tmp = vu_eventfd_new();
	ASSERT_OK(tmp);
	ASSERT_OK(vu_irq_set_eventfds(n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 2, 1,
				      &tmp));
	raise_cause(&n, cause[2]);
	ASSERT_TRUE(pu_fired(tmp, 2000));
	expect(&n, 0, "moved vector");
	ASSERT_OK(vu_irq_set_eventfds(n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 2, 1,
				      n.efd + 2));
	close(tmp);
	quiesce(&n);

	/* loopback: bools and none, wired vectors only */
	ASSERT_OK(
		set_bools(n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 0, NVEC, bools));
	expect(&n, 1u << 0 | 1u << 2 | 1u << 4, "DATA_BOOL loopback");
	ASSERT_OK(vu_irq_trigger(n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 1, 2));
	expect(&n, 1u << 1 | 1u << 2, "DATA_NONE loopback");
	ASSERT_OK(vu_irq_set_eventfds(n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 1, 1,
				      &m1));
	ASSERT_OK(vu_irq_trigger(n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 0, NVEC));
	expect(&n, 0x1d, "DATA_NONE with vector 1 deassigned");

	/* one index at a time */
	ASSERT_ERRNO(EINVAL,
		     vu_irq_set_eventfds(n.d.device, VFIO_PCI_MSI_IRQ_INDEX, 0,
					 1, n.efd));
	ASSERT_ERRNO(EINVAL,
		     vu_irq_set_eventfds(n.d.device, VFIO_PCI_INTX_IRQ_INDEX, 0,
					 1, n.efd));
	ASSERT_ERRNO(EINVAL,
		     vu_irq_trigger(n.d.device, VFIO_PCI_MSI_IRQ_INDEX, 0, 0));

	/* off: loopback refused, MSI may be enabled */
	quiesce(&n);
	ASSERT_OK(vu_irq_trigger(n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0));
	ASSERT_ERRNO(EINVAL,
		     vu_irq_trigger(n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1));
	expect(&n, 0, "disabled");
	ASSERT_OK(vu_irq_set_eventfds(n.d.device, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
				      n.efd));
	ASSERT_OK(vu_irq_disable(n.d.device, VFIO_PCI_MSI_IRQ_INDEX));
	/* and MSI-X again, all vectors at once */
	ASSERT_OK(vu_irq_set_eventfds(n.d.device, VFIO_PCI_MSIX_IRQ_INDEX, 0,
				      NVEC, n.efd));
	reg_wr(&n, E1000_IVAR,
	       0x8 | 0x9 << 4 | 0xa << 8 | 0xb << 12 | 0xc << 16);
	raise_cause(&n, cause[4]);
	expect(&n, 1u << 4, "after re-enable");
	quiesce(&n);
	ASSERT_OK(vu_irq_disable(n.d.device, VFIO_PCI_MSIX_IRQ_INDEX));
	nic_close(&n);
}

/* MSI: the e1000e's single vector fires for any enabled cause. */
TEST(pci_irq_msi_e1000e)
{
	struct vfio_irq_info info;
	struct nic n;

	nic_open(&n);
	ASSERT_OK(vu_irq_info(n.d.device, VFIO_PCI_MSI_IRQ_INDEX, &info));
	ASSERT_EQ(1, info.count);
	ASSERT_OK(vu_irq_set_eventfds(n.d.device, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
				      n.efd));
	raise_cause(&n, 0x4 /* LSC */);
	expect(&n, 1, "MSI");
	quiesce(&n);
	raise_cause(&n, cause[0]);
	expect(&n, 1, "MSI again");
	quiesce(&n);
	/* loopback */
	ASSERT_OK(vu_irq_trigger(n.d.device, VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	expect(&n, 1, "MSI loopback");
	ASSERT_OK(vu_irq_disable(n.d.device, VFIO_PCI_MSI_IRQ_INDEX));
	raise_cause(&n, cause[0]);
	expect(&n, 0, "MSI disabled");
	quiesce(&n);
	nic_close(&n);
}
