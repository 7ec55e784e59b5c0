// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_match.c - which VFIO_GROUP_GET_DEVICE_FD strings name our device.
 *
 * The string is the device's PCI name, optionally followed by
 * space-separated options.  The only option mainline knows is
 * "vf_token=<uuid>", the SR-IOV PF/VF trust token, given at most once;
 * whether the device needs it, and whether the one given is right, is
 * pci_sriov.c's to say.  No locking here: the name is immutable.
 */
#include <linux/uuid.h>

#include "nvfio_pci.h"

#define VF_TOKEN_OPT "vf_token="

int nvfio_pci_match(struct nvfio_device *core, const char *buf)
{
	struct pci_dev *pdev = to_pci_dev(core->dev);
	size_t len = strlen(pci_name(pdev));
	bool vf_token = false;
	uuid_t uuid;
	int ret;

	if (strncmp(buf, pci_name(pdev), len))
		return 0;
	buf += len;
	if (*buf && *buf != ' ')
		return 0; /* a longer name, not options */

	while (*buf) {
		if (*buf == ' ') {
			buf++;
			continue;
		}
		if (vf_token ||
		    strncmp(buf, VF_TOKEN_OPT, strlen(VF_TOKEN_OPT)))
			return -EINVAL; /* unknown or repeated option */
		buf += strlen(VF_TOKEN_OPT);
		if (strlen(buf) < UUID_STRING_LEN)
			return -EINVAL;
		ret = uuid_parse(buf, &uuid);
		if (ret)
			return ret;
		vf_token = true;
		buf += UUID_STRING_LEN;
	}

	ret = nvfio_pci_sriov_check_token(to_nvfio_pci(core),
					  vf_token ? &uuid : NULL);
	return ret ? ret : 1;
}
