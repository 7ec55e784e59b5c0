/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * platform.h - the machine as VFIO sees it: which VFIO stack is loaded,
 * whether there is an IOMMU and interrupt remapping, the kernel command
 * line, type1's allow_unsafe_interrupts.
 */
#ifndef VFIOCTL_PLATFORM_H
#define VFIOCTL_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"

struct platform {
	char stack[16]; /* "nvfio", "mainline" or "none" */
	char version[64]; /* /sys/module/vfio/version, "" if none */
	bool vfio_pci; /* the vfio-pci driver is registered */
	bool type1; /* vfio_iommu_type1 is loaded */
	int niommu; /* entries of /sys/class/iommu */
	int ngroups; /* IOMMU groups */
	char iommu_kind[16]; /* "intel", "amd", "other", "" */
	int ir; /* interrupt remapping on: 1, off: 0, unknown: -1 */
	int ir_hw; /* an IOMMU says it can remap interrupts: 1/0/-1 */
	int unsafe_intr; /* allow_unsafe_interrupts: 1/0, -1 not loaded */
	bool noiommu; /* vfio's enable_unsafe_noiommu_mode is on */
	char cmdline[4096];
};

void platform_read(struct platform *p);
/* The schema's "platform" object. */
void platform_json(struct json *j, const struct platform *p);
/* One line for people: "VFIO: nvfio (nvfio-0.1), vfio-pci loaded; ..." */
const char *platform_line(const struct platform *p, char *buf, size_t len);
/* The value of kernel parameter @key on the command line, or NULL. */
const char *cmdline_param(const struct platform *p, const char *key, char *buf,
			  int len);

#endif
