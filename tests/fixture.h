/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared setup for tests: the edu device and its VFIO objects. */
#ifndef NVFIO_FIXTURE_H
#define NVFIO_FIXTURE_H

#include "harness.h"
#include "edu.h"

/* BDF of the edu device: $NVFIO_EDU, else the first 1234:11e8 in sysfs.
 * Fails the test if there is none or it is not bound to vfio-pci. */
const char *fx_bdf(void);
/* Its IOMMU group number. */
int fx_group_id(void);
/* Open the edu device up to `stage`, failing the test on any error. */
void fx_open(struct vu_dev *d, enum vu_stage stage);
/* fx_open(VU_STAGE_DEVICE) + edu_init(). */
void fx_open_edu(struct vu_dev *d, struct edu *e, bool use_mmap);
/* Open /dev/nvfio_ext_test (the external-user test module), failing the
 * test if it cannot. */
int fx_ext_open(void);
/* /sys/module/<mod>/refcnt, failing the test if it cannot be read. */
int fx_module_refcnt(const char *mod);
/*
 * Whether the running kernel is at least major.minor (uname).  Only for
 * the few results where mainline's VFIO or KVM on 6.1 differs from later
 * kernels: every such use says what differs.
 */
bool fx_kernel_at_least(unsigned int major, unsigned int minor);

#endif
