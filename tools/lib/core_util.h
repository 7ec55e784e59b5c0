/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core_util - helpers for the core conformance tests (tests/test_core_*.c):
 * sysfs binding with automatic restore, modules, child processes that
 * block in the kernel, the kernel log.
 *
 * Conventions as in vfio_util.h: -1 with errno set and vu_last_error() on
 * failure.  Every device passed to cu_save_device() and every module loaded
 * by cu_modprobe() is put back at process exit (cu_restore_all(), run by
 * atexit, so also after a failed assertion): open fds are closed first so
 * that no unbind waits for them, then children are reaped, modules this
 * process loaded are unloaded, removed devices rescanned, and each saved
 * device gets its driver_override and driver back.
 */
#ifndef NVFIO_CORE_UTIL_H
#define NVFIO_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CU_PCI "/sys/bus/pci/devices"

int cu_exists(const char *path);

/* Number of devices in IOMMU group `group`, or -1. */
int cu_group_size(int group);
/* A device of `group` with this vendor:device (first one found). */
int cu_find_in_group(int group, uint16_t vendor, uint16_t device, char *bdf,
		     size_t len);
/* A device vendor:device whose IOMMU group holds more (or only: shared=0)
 * than itself. */
int cu_find_device(uint16_t vendor, uint16_t device, int shared, char *bdf,
		   size_t len);

/* Remember bdf's driver and driver_override: restored at exit. */
void cu_save_device(const char *bdf);
/* Unbind from its driver (if any) and clear driver_override. */
int cu_unbind(const char *bdf);
/* driver_override + unbind + drivers_probe, like vu_bind_driver. */
int cu_bind(const char *bdf, const char *driver);
/* Bind through /sys/bus/pci/drivers/<driver>/bind; errno from the write. */
int cu_bind_direct(const char *bdf, const char *driver);
/* Driver name ("" if none); the buffer is static. */
const char *cu_driver(const char *bdf);

int cu_module_loaded(const char *name);
/* modprobe; unloaded again at exit if it was not loaded before. */
int cu_modprobe(const char *name);
/* delete_module(name, O_NONBLOCK): 0 or -1 with errno. */
int cu_delete_module(const char *name);

/* Write s to path from a child process (it may block in the kernel). */
pid_t cu_write_async(const char *path, const char *s);
/* Wait up to timeout_ms: 1 = done (*err = 0 or the write's errno),
 * 0 = still running, -1 = error. */
int cu_wait_child(pid_t pid, int timeout_ms, int *err);

/* /dev/kmsg positioned after the last record. */
int cu_kmsg_open(void);
/* Next record (already written) that contains every string of `needles`
 * (NULL-terminated); copies it to line.  1 found, 0 not. */
int cu_kmsg_find(int fd, const char *const *needles, char *line, size_t len);

/* Put everything back (also runs at exit). */
void cu_restore_all(void);

#endif
