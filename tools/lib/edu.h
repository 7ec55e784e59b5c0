/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * edu - QEMU's educational PCI device (1234:11e8), driven through VFIO.
 */
#ifndef NVFIO_EDU_H
#define NVFIO_EDU_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/vfio.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8

/* BAR0 register map */
#define EDU_REG_ID 0x00 /* 0x010000ed */
#define EDU_REG_LIVENESS 0x04 /* reads back ~value written */
#define EDU_REG_FACTORIAL 0x08
#define EDU_REG_STATUS 0x20
#define EDU_REG_IRQ_STATUS 0x24
#define EDU_REG_IRQ_RAISE 0x60
#define EDU_REG_IRQ_ACK 0x64
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_COUNT 0x90
#define EDU_REG_DMA_CMD 0x98

#define EDU_ID_VALUE 0x010000ed

#define EDU_STATUS_COMPUTING 0x01
#define EDU_STATUS_IRQFACT 0x80

#define EDU_IRQ_FACT 0x001 /* irq status bit raised by factorial */
#define EDU_IRQ_DMA 0x100 /* irq status bit raised by DMA */

#define EDU_DMA_START 0x1
#define EDU_DMA_TO_RAM 0x2 /* direction: device buffer -> RAM */
#define EDU_DMA_IRQ 0x4

/* Device-internal DMA buffer; stay short of its end (QEMU 7.2 bug). */
#define EDU_BUF_ADDR 0x40000
#define EDU_BUF_SIZE 0x1000
/* edu's DMA mask is 28 bits: IOVAs must be below this. */
#define EDU_DMA_LIMIT (1ULL << 28)

#define EDU_TIMEOUT_MS 5000

struct edu {
	int device; /* VFIO device fd */
	struct vfio_region_info bar0;
	volatile uint32_t *mmio; /* non-NULL: use mmap, else pread/pwrite */
};

/* Look up BAR0; map it if use_mmap. */
int edu_init(struct edu *e, int device, bool use_mmap);
void edu_fini(struct edu *e);

int edu_read32(struct edu *e, uint32_t reg, uint32_t *val);
int edu_write32(struct edu *e, uint32_t reg, uint32_t val);

/* Compute n! on the device, polling for completion (irq: ask for FACT irq). */
int edu_factorial(struct edu *e, uint32_t n, bool irq, uint32_t *result);
/* Start a factorial without waiting. */
int edu_factorial_start(struct edu *e, uint32_t n, bool irq);
/* Wait until the status register's computing bit clears. */
int edu_factorial_wait(struct edu *e, uint32_t *result);

/* DMA `count` bytes; to_ram selects device->RAM. Polls until done. */
int edu_dma(struct edu *e, uint64_t src, uint64_t dst, uint32_t count,
	    bool to_ram, bool irq);
int edu_dma_start(struct edu *e, uint64_t src, uint64_t dst, uint32_t count,
		  bool to_ram, bool irq);
int edu_dma_wait(struct edu *e);

/* Acknowledge interrupt status bits. */
int edu_irq_ack(struct edu *e, uint32_t bits);

#endif
