/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * nvfio_bypass_test.h - ioctls of /dev/nvfio_bypass_test, a test module that
 * registers an irq bypass consumer (what KVM's irqfd is) on an eventfd, so
 * the tests can see which producer (a vfio-pci MSI/MSI-X vector) connects
 * to it.  It uses only the irqbypass manager, never vfio, so it loads next
 * to mainline's stack as well as ours.  Shared by the module and the tests.
 */
#ifndef NVFIO_BYPASS_TEST_H
#define NVFIO_BYPASS_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * Register this file's consumer on the eventfd *arg (its token: the
 * eventfd context, as KVM's irqfd uses).  One consumer per open file:
 * -EBUSY if registered already, or the manager's errno (-EBUSY if another
 * consumer has the token).
 */
#define NVFIO_BYPASS_ADD _IOW('N', 0x50, int)
/* Unregister it (-ENOENT if none); the state below is kept. */
#define NVFIO_BYPASS_DEL _IO('N', 0x51)

/* What the consumer saw since NVFIO_BYPASS_ADD. */
struct nvfio_bypass_state {
	__u32 adds; /* add_producer calls */
	__u32 dels; /* del_producer calls */
	__s32 irq; /* the connected producer's irq, -1 while none */
	__s32 last_irq; /* the irq of the last producer connected, or -1 */
};

#define NVFIO_BYPASS_STATE _IOR('N', 0x52, struct nvfio_bypass_state)

#endif
