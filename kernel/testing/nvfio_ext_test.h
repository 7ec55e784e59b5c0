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

/*
 * Which kvm does our VFIO file .fd have (a group file: the kvm KVM gave it;
 * a device file: the kvm it took at its first open)?  .vm_fd is a KVM VM fd
 * to compare with, or -1.  Returns NVFIO_EXT_KVM_NONE, _VM (the one of
 * .vm_fd) or _OTHER; -EINVAL if .fd is not one of our VFIO files or .vm_fd
 * not a VM, -EBADF for a bad fd.
 */
struct nvfio_ext_kvm {
	int fd;
	int vm_fd;
};

#define NVFIO_EXT_KVM _IOW('N', 0x43, struct nvfio_ext_kvm)
#define NVFIO_EXT_KVM_NONE 0
#define NVFIO_EXT_KVM_VM 1
#define NVFIO_EXT_KVM_OTHER 2

/*
 * Have the type1 backend log its refusal line for IOMMU group *arg being
 * attached without interrupt remapping (the bench has interrupt remapping,
 * so the refusal itself never happens there).  Returns 0.
 */
#define NVFIO_EXT_UNSAFE_MSI_LINE _IOW('N', 0x44, int)

#endif
