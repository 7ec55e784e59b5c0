/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * device.h - one PCI device described for people and for --json: ids,
 * names from pci.ids, driver, persistence.
 */
#ifndef VFIOCTL_DEVICE_H
#define VFIOCTL_DEVICE_H

#include "json.h"
#include "pci.h"

struct devnames {
	char id[16]; /* "8086:100e" */
	char vendor[128], device[160]; /* "" when unknown */
	char class_name[96];
	char label[300]; /* "vendor device" or the id, for tables */
};

void device_names(const struct pdev *d, struct devnames *n);
/* The device's members of the schema's "device" object. */
void device_json(struct json *j, const struct pdev *d);

#endif
