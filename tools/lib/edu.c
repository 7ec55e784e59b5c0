// SPDX-License-Identifier: GPL-2.0-only
/* edu - QEMU's educational PCI device, driven through VFIO. */
#define _GNU_SOURCE
#include "edu.h"
#include "vfio_util.h"

#include <errno.h>
#include <string.h>
#include <time.h>

int edu_init(struct edu *e, int device, bool use_mmap)
{
	memset(e, 0, sizeof(*e));
	e->device = device;
	if (vu_region_info(device, VFIO_PCI_BAR0_REGION_INDEX, &e->bar0))
		return -1;
	if (use_mmap) {
		e->mmio = vu_region_mmap(device, &e->bar0);
		if (!e->mmio)
			return -1;
	}
	return 0;
}

void edu_fini(struct edu *e)
{
	if (e->mmio)
		vu_region_munmap((void *)e->mmio, &e->bar0);
	e->mmio = NULL;
}

int edu_read32(struct edu *e, uint32_t reg, uint32_t *val)
{
	if (e->mmio) {
		*val = e->mmio[reg / 4];
		return 0;
	}
	return vu_region_read(e->device, &e->bar0, reg, val, sizeof(*val));
}

int edu_write32(struct edu *e, uint32_t reg, uint32_t val)
{
	if (e->mmio) {
		e->mmio[reg / 4] = val;
		__sync_synchronize();
		return 0;
	}
	return vu_region_write(e->device, &e->bar0, reg, &val, sizeof(val));
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Poll `reg` until (value & mask) == 0 or timeout. */
static int wait_clear(struct edu *e, uint32_t reg, uint32_t mask)
{
	uint64_t deadline = vu_now_ms() + EDU_TIMEOUT_MS;
	uint32_t v;

	for (;;) {
		if (edu_read32(e, reg, &v))
			return -1;
		if (!(v & mask))
			return 0;
		if (vu_now_ms() > deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		sleep_ms(1);
	}
}

int edu_factorial_start(struct edu *e, uint32_t n, bool irq)
{
	if (edu_write32(e, EDU_REG_STATUS, irq ? EDU_STATUS_IRQFACT : 0))
		return -1;
	return edu_write32(e, EDU_REG_FACTORIAL, n);
}

int edu_factorial_wait(struct edu *e, uint32_t *result)
{
	if (wait_clear(e, EDU_REG_STATUS, EDU_STATUS_COMPUTING))
		return -1;
	return edu_read32(e, EDU_REG_FACTORIAL, result);
}

int edu_factorial(struct edu *e, uint32_t n, bool irq, uint32_t *result)
{
	if (edu_factorial_start(e, n, irq))
		return -1;
	return edu_factorial_wait(e, result);
}

int edu_dma_start(struct edu *e, uint64_t src, uint64_t dst, uint32_t count,
		  bool to_ram, bool irq)
{
	uint32_t cmd = EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0) |
		       (irq ? EDU_DMA_IRQ : 0);

	/* 32-bit writes zero-extend into edu's 64-bit DMA registers. */
	if (src >> 32 || dst >> 32) {
		errno = EINVAL;
		return -1;
	}
	if (edu_write32(e, EDU_REG_DMA_SRC, (uint32_t)src) ||
	    edu_write32(e, EDU_REG_DMA_DST, (uint32_t)dst) ||
	    edu_write32(e, EDU_REG_DMA_COUNT, count))
		return -1;
	return edu_write32(e, EDU_REG_DMA_CMD, cmd);
}

int edu_dma_wait(struct edu *e)
{
	return wait_clear(e, EDU_REG_DMA_CMD, EDU_DMA_START);
}

int edu_dma(struct edu *e, uint64_t src, uint64_t dst, uint32_t count,
	    bool to_ram, bool irq)
{
	if (edu_dma_start(e, src, dst, count, to_ram, irq))
		return -1;
	return edu_dma_wait(e);
}

int edu_irq_ack(struct edu *e, uint32_t bits)
{
	return edu_write32(e, EDU_REG_IRQ_ACK, bits);
}
