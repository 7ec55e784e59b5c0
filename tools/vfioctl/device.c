// SPDX-License-Identifier: GPL-2.0-only
/*
 * device.c - describe one device.
 */
#include <stdio.h>
#include <string.h>

#include "device.h"
#include "persist.h"
#include "pciids.h"
#include "vfioctl.h"

void device_names(const struct pdev *d, struct devnames *n)
{
	snprintf(n->id, sizeof(n->id), "%04x:%04x", d->vendor, d->device);
	pciids_names(d->vendor, d->device, n->vendor, sizeof(n->vendor),
		     n->device, sizeof(n->device));
	pciids_class(d->class, n->class_name, sizeof(n->class_name));
	if (!n->class_name[0])
		snprintf(n->class_name, sizeof(n->class_name), "class %06x",
			 d->class);
	if (n->vendor[0] && n->device[0])
		snprintf(n->label, sizeof(n->label), "%s %s", n->vendor,
			 n->device);
	else if (n->vendor[0])
		snprintf(n->label, sizeof(n->label), "%s device %04x",
			 n->vendor, d->device);
	else
		snprintf(n->label, sizeof(n->label), "%s", n->id);
}

void device_json(struct json *j, const struct pdev *d)
{
	struct devnames n;
	char buf[16];

	device_names(d, &n);
	json_str(j, "bdf", d->bdf);
	snprintf(buf, sizeof(buf), "%04x", d->vendor);
	json_str(j, "vendor_id", buf);
	snprintf(buf, sizeof(buf), "%04x", d->device);
	json_str(j, "device_id", buf);
	snprintf(buf, sizeof(buf), "%06x", d->class);
	json_str(j, "class", buf);
	json_stre(j, "vendor_name", n.vendor);
	json_stre(j, "device_name", n.device);
	json_stre(j, "class_name",
		  strncmp(n.class_name, "class ", 6) ? n.class_name : "");
	json_stre(j, "driver", d->driver);
	json_stre(j, "driver_override", d->override);
	if (d->group >= 0)
		json_int(j, "iommu_group", d->group);
	else
		json_null(j, "iommu_group");
	json_bool(j, "bridge", d->bridge);
	json_bool(j, "persistent", persist_has(d->bdf));
}
