// SPDX-License-Identifier: GPL-2.0-only
/* End-to-end with the edu device: factorial, DMA through the IOMMU, MSI. */
#include "fixture.h"

#include <stdlib.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#define IOVA 0x100000ULL
#define BUF_SIZE 0x10000ULL
#define XFER 1024u
#define IRQ_WAIT_MS 3000

static void fill_pattern(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 8));
}

TEST(edu_factorial)
{
	struct vu_dev d;
	struct edu e;
	uint32_t r;

	fx_open_edu(&d, &e, false);
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	ASSERT_OK(edu_factorial(&e, 10, false, &r));
	ASSERT_EQ(3628800, r);
	ASSERT_OK(edu_factorial(&e, 5, false, &r));
	ASSERT_EQ(120, r);
	vu_dev_close(&d);
}

/* Pattern RAM -> edu buffer -> another part of RAM, through IOVAs. */
static void dma_roundtrip(bool use_mmap)
{
	struct vu_dev d;
	struct edu e;
	uint64_t unmapped = 0;
	uint8_t *buf;

	fx_open_edu(&d, &e, use_mmap);
	ASSERT_OK(vu_pci_command_set(d.device,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	buf = vu_alloc_dma_buffer(BUF_SIZE);
	ASSERT_TRUE(buf != NULL);
	fill_pattern(buf, XFER, use_mmap ? 0x5a : 0x33);
	ASSERT_OK(vu_dma_map(d.container, buf, IOVA, BUF_SIZE));

	ASSERT_OK(edu_dma(&e, IOVA, EDU_BUF_ADDR, XFER, false, false));
	ASSERT_OK(edu_dma(&e, EDU_BUF_ADDR, IOVA + BUF_SIZE / 2, XFER, true,
			  false));
	ASSERT_MEMEQ(buf, buf + BUF_SIZE / 2, XFER);

	ASSERT_OK(vu_dma_unmap(d.container, IOVA, BUF_SIZE, &unmapped));
	ASSERT_EQ(BUF_SIZE, unmapped);
	edu_fini(&e);
	vu_free_dma_buffer(buf, BUF_SIZE);
	vu_dev_close(&d);
}

TEST(edu_dma_roundtrip)
{
	dma_roundtrip(false);
}

TEST(edu_dma_roundtrip_mmap)
{
	dma_roundtrip(true);
}

/* MSI through an eventfd. Returns the eventfd; MSI is enabled. */
static int msi_setup(struct vu_dev *d, struct edu *e)
{
	uint64_t cnt;
	uint32_t v;
	int efd;

	fx_open_edu(d, e, false);
	ASSERT_OK(vu_pci_command_set(d->device,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	efd = vu_eventfd_new();
	ASSERT_OK(efd);
	ASSERT_OK(vu_irq_set_eventfds(d->device, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
				      &efd));
	/* Clear anything stale; nothing must be pending. */
	ASSERT_OK(edu_read32(e, EDU_REG_IRQ_STATUS, &v));
	ASSERT_OK(edu_irq_ack(e, v));
	(void)vu_eventfd_wait(efd, 0, &cnt);
	ASSERT_OK(edu_read32(e, EDU_REG_IRQ_STATUS, &v));
	ASSERT_EQ(0, v);
	return efd;
}

static void msi_expect(struct edu *e, int efd, uint32_t bits)
{
	uint64_t cnt = 0;
	uint32_t v;

	ASSERT_EQ(1, vu_eventfd_wait(efd, IRQ_WAIT_MS, &cnt));
	ASSERT_TRUE(cnt >= 1);
	ASSERT_OK(edu_read32(e, EDU_REG_IRQ_STATUS, &v));
	ASSERT_EQ(bits, v & bits);
	ASSERT_OK(edu_irq_ack(e, bits));
	ASSERT_OK(edu_read32(e, EDU_REG_IRQ_STATUS, &v));
	ASSERT_EQ(0, v & bits);
}

static void msi_teardown(struct vu_dev *d, int efd)
{
	ASSERT_OK(vu_irq_disable(d->device, VFIO_PCI_MSI_IRQ_INDEX));
	ASSERT_OK(close(efd));
	vu_dev_close(d);
}

/* Software-raised interrupt (write to 0x60). */
TEST(edu_msi)
{
	struct vu_dev d;
	struct edu e;
	int efd = msi_setup(&d, &e);

	ASSERT_OK(edu_write32(&e, EDU_REG_IRQ_RAISE, 0x10));
	msi_expect(&e, efd, 0x10);
	/* A second one arrives too. */
	ASSERT_OK(edu_write32(&e, EDU_REG_IRQ_RAISE, 0x20));
	msi_expect(&e, efd, 0x20);
	msi_teardown(&d, efd);
}

/* No interrupt without a trigger: the eventfd stays quiet. */
TEST(edu_msi_quiet)
{
	struct vu_dev d;
	struct edu e;
	uint64_t cnt;
	int efd = msi_setup(&d, &e);

	ASSERT_EQ(0, vu_eventfd_wait(efd, 300, &cnt));
	msi_teardown(&d, efd);
}

TEST(edu_msi_factorial)
{
	struct vu_dev d;
	struct edu e;
	uint32_t r;
	int efd = msi_setup(&d, &e);

	ASSERT_OK(edu_factorial_start(&e, 10, true));
	msi_expect(&e, efd, EDU_IRQ_FACT);
	ASSERT_OK(edu_factorial_wait(&e, &r));
	ASSERT_EQ(3628800, r);
	ASSERT_OK(edu_write32(&e, EDU_REG_STATUS, 0));
	msi_teardown(&d, efd);
}

TEST(edu_msi_dma)
{
	struct vu_dev d;
	struct edu e;
	uint8_t *buf;
	int efd = msi_setup(&d, &e);

	buf = vu_alloc_dma_buffer(BUF_SIZE);
	ASSERT_TRUE(buf != NULL);
	fill_pattern(buf, XFER, 0x71);
	ASSERT_OK(vu_dma_map(d.container, buf, IOVA, BUF_SIZE));
	ASSERT_OK(edu_dma_start(&e, IOVA, EDU_BUF_ADDR, XFER, false, true));
	msi_expect(&e, efd, EDU_IRQ_DMA);
	ASSERT_OK(edu_dma_wait(&e));
	ASSERT_OK(edu_dma_start(&e, EDU_BUF_ADDR, IOVA + BUF_SIZE / 2, XFER,
				true, true));
	msi_expect(&e, efd, EDU_IRQ_DMA);
	ASSERT_OK(edu_dma_wait(&e));
	ASSERT_MEMEQ(buf, buf + BUF_SIZE / 2, XFER);
	ASSERT_OK(vu_dma_unmap(d.container, IOVA, BUF_SIZE, NULL));
	vu_free_dma_buffer(buf, BUF_SIZE);
	msi_teardown(&d, efd);
}
