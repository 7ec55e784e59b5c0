// SPDX-License-Identifier: GPL-2.0-only
/*
 * nvfio-vfio-holder BDF [MAP_BYTES]: hold an edu the way a VMM does, for
 * the vfioctl client tests (tests/clients/client_vfioctl_*.sh): a
 * container with type1v2, the group, the device fd, MAP_BYTES (default
 * 2 MiB) of DMA mapping, BAR0 mmapped, MSI with one eventfd, and one
 * interrupt fired and received.  Prints "ready container=<fd> group=<fd>
 * device=<fd>" and holds everything until stdin reaches EOF or a signal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "edu.h"
#include "vfio_util.h"

#define IOVA 0x100000ULL

static void die(const char *what)
{
	fprintf(stderr, "nvfio-vfio-holder: %s: %s (%s)\n", what,
		strerror(errno), vu_last_error());
	exit(1);
}

int main(int argc, char **argv)
{
	unsigned long long size =
		argc > 2 ? strtoull(argv[2], NULL, 0) : 2ULL << 20;
	struct vu_dev d;
	struct edu e;
	uint64_t count;
	void *buf;
	char c;
	int efd;

	if (argc < 2) {
		fprintf(stderr, "usage: nvfio-vfio-holder BDF [MAP_BYTES]\n");
		return 2;
	}
	if (vu_dev_open(&d, argv[1], VU_STAGE_DEVICE))
		die("opening the device");
	buf = vu_alloc_dma_buffer(size);
	if (!buf || vu_dma_map(d.container, buf, IOVA, size))
		die("DMA map");
	if (edu_init(&e, d.device, true))
		die("BAR0 mmap");
	if (vu_pci_command_set(d.device,
			       PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER))
		die("PCI_COMMAND");
	efd = vu_eventfd_new();
	if (efd < 0 ||
	    vu_irq_set_eventfds(d.device, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd))
		die("MSI");
	if (edu_write32(&e, EDU_REG_IRQ_RAISE, 1))
		die("raising an interrupt");
	if (vu_eventfd_wait(efd, EDU_TIMEOUT_MS, &count) != 1)
		die("waiting for the interrupt");
	edu_write32(&e, EDU_REG_IRQ_ACK, 1);
	printf("ready container=%d group=%d device=%d\n", d.container, d.group,
	       d.device);
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	vu_irq_disable(d.device, VFIO_PCI_MSI_IRQ_INDEX);
	edu_fini(&e);
	vu_dev_close(&d);
	return 0;
}
