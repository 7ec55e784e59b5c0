/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * persist.h - `bind --persist`: one udev rule file per device,
 * /etc/udev/rules.d/40-vfioctl-<bdf>.rules.  At boot, when the device is
 * added, the rule checks that it is still the same device (vendor and
 * device id, so a different card in that slot is left alone), sets
 * driver_override to vfio-pci before the host driver's module is loaded
 * (80-drivers.rules), and runs `vfioctl apply <bdf>`, which rebinds it if a
 * driver got it first (one built in or loaded from the initramfs).
 */
#ifndef VFIOCTL_PERSIST_H
#define VFIOCTL_PERSIST_H

#include <stdbool.h>

#include "pci.h"

#define UDEV_RULES_DIR "/etc/udev/rules.d"

/* The rule file of @bdf (malloc'ed, without the sysroot). */
char *persist_path(const char *bdf);
bool persist_has(const char *bdf);
/* Does @d's rule file name @d's vendor and device id? */
bool persist_matches(const struct pdev *d);
/* Write @d's rule; @group_note says which devices were persisted with it. */
int persist_write(const struct pdev *d, const char *group_note);
/* Remove @bdf's rule: 1 removed, 0 there was none, -1 error (errno). */
int persist_remove(const char *bdf);

#endif
