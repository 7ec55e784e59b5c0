/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pciids.h - names from the pci.ids database, when it is installed
 * (Debian: package pci.ids, /usr/share/misc/pci.ids).
 */
#ifndef VFIOCTL_PCIIDS_H
#define VFIOCTL_PCIIDS_H

#include <stddef.h>

/*
 * Vendor and device names into @vname/@dname; "" where the database is
 * missing or does not know the id.
 */
void pciids_names(unsigned int vendor, unsigned int device, char *vname,
		  size_t vlen, char *dname, size_t dlen);
/* The name of a 24-bit class code (subclass name, else class name). */
void pciids_class(unsigned int class, char *buf, size_t len);
/* The database file in use, or NULL if none was found. */
const char *pciids_file(void);

#endif
