/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * saved.h - what a device had before `vfioctl bind` took it: its driver
 * and driver_override, in /run/vfioctl/<bdf>, so that `vfioctl unbind`
 * gives it back to exactly that driver.  /run is gone at reboot: after one,
 * unbind lets the kernel pick the driver (drivers_probe).
 */
#ifndef VFIOCTL_SAVED_H
#define VFIOCTL_SAVED_H

#include "pci.h"

#define SAVED_DIR "/run/vfioctl"

struct saved {
	char driver[DRV_LEN]; /* "" = none */
	char override[DRV_LEN]; /* "" = none */
};

/* 0, or -1 (errno ENOENT when nothing was saved). */
int saved_read(const char *bdf, struct saved *s);
int saved_write(const char *bdf, const struct saved *s);
void saved_remove(const char *bdf);

#endif
