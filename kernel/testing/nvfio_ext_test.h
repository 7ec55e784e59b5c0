/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * nvfio_ext_test.h - ioctls of /dev/nvfio_ext_test, a test module that acts
 * as an in-kernel external user of a VFIO group (the way KVM does), so the
 * tests can drive the external-user API from userspace.  Shared by the
 * module and the tests.
 */
#ifndef NVFIO_EXT_TEST_H
#define NVFIO_EXT_TEST_H

#include <linux/ioctl.h>

/* Take the group behind the group fd *arg; returns 0 or -errno of the get. */
#define NVFIO_EXT_GET _IOW('N', 0x40, int)
/* Return the IOMMU group id of the group held (-ENOENT if none). */
#define NVFIO_EXT_ID _IO('N', 0x41)
/* Release the group held (-ENOENT if none). */
#define NVFIO_EXT_PUT _IO('N', 0x42)

#endif
