/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio_util - small helpers for userspace VFIO drivers and tests.
 *
 * Conventions: functions returning int return >= 0 on success and -1 on
 * failure with errno set (errno is preserved from the failing call) and a
 * human readable message available from vu_last_error().
 */
#ifndef NVFIO_VFIO_UTIL_H
#define NVFIO_VFIO_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>

#define VU_BDF_LEN 32

/* Last error message recorded by a failing helper ("" if none). */
const char *vu_last_error(void);
/* Symbolic errno name ("EINVAL"), or "E?" for unknown values. */
const char *vu_errno_name(int err);

/* ---- sysfs ---- */
/*
 * Read a small file (a sysfs attribute) into @buf, at most @len - 1 bytes,
 * trailing newlines and spaces stripped.  On failure @buf is "" and -1 is
 * returned with errno set.
 */
int vu_read_file(const char *path, char *buf, size_t len);
/*
 * In the small file @path of "<key> <number>" lines (our type1 profile),
 * the number of @key; -1 if the file cannot be read or has no such key.
 */
long long vu_file_key(const char *path, const char *key);
/* One write(2) of @s to @path: 0, or -1 with errno set (EIO if short). */
int vu_write_file(const char *path, const char *s);
/* Read a hex attribute like "vendor" of a PCI device. */
int vu_sysfs_read_hex(const char *bdf, const char *attr, unsigned long *val);
/* Does /sys/bus/pci/devices/<bdf>/<attr> exist? */
int vu_sysfs_exists(const char *bdf, const char *attr);
/* Find the first PCI device with this vendor/device id. */
int vu_find_pci_device(uint16_t vendor, uint16_t device, char *bdf, size_t len);
/* IOMMU group number of a device, or -1. */
int vu_iommu_group(const char *bdf);
/* Name of the bound driver; "" if none. */
int vu_driver_name(const char *bdf, char *buf, size_t len);
/* driver_override of a device; "" if none ("(null)") or unreadable. */
void vu_driver_override(const char *bdf, char *buf, size_t len);
/* Unbind from the current driver and bind to `driver` via driver_override. */
int vu_bind_driver(const char *bdf, const char *driver);

/* ---- container / group / device ---- */
int vu_open_container(void);
int vu_open_group(int group_id);
int vu_group_status(int group, uint32_t *flags);
int vu_group_set_container(int group, int container);
int vu_set_iommu(int container, unsigned long type);
int vu_get_device_fd(int group, const char *bdf);
int vu_device_info(int device, struct vfio_device_info *info);

/* Everything needed to drive one device through the legacy container. */
struct vu_dev {
	char bdf[VU_BDF_LEN];
	int group_id;
	int container;
	int group;
	int device;
};

/* How far vu_dev_open() goes. */
enum vu_stage {
	VU_STAGE_CONTAINER = 1, /* container opened */
	VU_STAGE_GROUP, /* + group opened */
	VU_STAGE_ATTACHED, /* + group attached to container */
	VU_STAGE_IOMMU, /* + TYPE1v2 iommu set */
	VU_STAGE_DEVICE, /* + device fd */
};

/* Open up to `stage`. All fds are -1 when not opened. */
int vu_dev_open(struct vu_dev *d, const char *bdf, enum vu_stage stage);
void vu_dev_close(struct vu_dev *d);

/* ---- regions ---- */
int vu_region_info(int device, uint32_t index, struct vfio_region_info *ri);
/* Full-length pread/pwrite inside a region (short transfers are errors). */
int vu_region_read(int device, const struct vfio_region_info *ri, uint64_t off,
		   void *buf, size_t len);
int vu_region_write(int device, const struct vfio_region_info *ri, uint64_t off,
		    const void *buf, size_t len);
/* mmap a whole region; NULL on failure. */
void *vu_region_mmap(int device, const struct vfio_region_info *ri);
void vu_region_munmap(void *p, const struct vfio_region_info *ri);
/*
 * mmap @len bytes of region @ri from @off (read/write, shared) at an
 * address @skew bytes past a multiple of @align (a power of two), the way
 * a user that wants huge mappings places it: MAP_FIXED inside a larger
 * reservation.  NULL on failure; munmap(p, @len) unmaps it.
 */
void *vu_region_mmap_aligned(int device, const struct vfio_region_info *ri,
			     uint64_t off, size_t len, size_t align,
			     size_t skew);

/* PCI config space helpers through the config region. */
int vu_config_read(int device, uint64_t off, void *buf, size_t len);
int vu_config_write(int device, uint64_t off, const void *buf, size_t len);
/* Set bits in PCI_COMMAND (e.g. PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER). */
int vu_pci_command_set(int device, uint16_t bits);

/* ---- DMA (type1) ---- */
/* Anonymous page-aligned buffer; NULL on failure. */
void *vu_alloc_dma_buffer(size_t size);
void vu_free_dma_buffer(void *p, size_t size);
int vu_dma_map(int container, void *vaddr, uint64_t iova, uint64_t size);
/* On success *unmapped holds the size the kernel reports as unmapped. */
int vu_dma_unmap(int container, uint64_t iova, uint64_t size,
		 uint64_t *unmapped);

/* ---- interrupts ---- */
int vu_irq_info(int device, uint32_t index, struct vfio_irq_info *info);
/* Attach `count` eventfds to vectors [start, start+count) of `index`. */
int vu_irq_set_eventfds(int device, uint32_t index, uint32_t start,
			uint32_t count, const int *fds);
/* DATA_NONE|ACTION_TRIGGER on vectors [start, start+count) of `index`: a
 * loopback trigger of enabled vectors; count 0 disables the index. */
int vu_irq_trigger(int device, uint32_t index, uint32_t start, uint32_t count);
/* Disable all vectors of `index` (vu_irq_trigger with count 0). */
int vu_irq_disable(int device, uint32_t index);
int vu_eventfd_new(void);
/* Wait for the eventfd: 1 = fired (*count read), 0 = timeout, -1 = error. */
int vu_eventfd_wait(int efd, int timeout_ms, uint64_t *count);

/* Monotonic milliseconds. */
uint64_t vu_now_ms(void);

/* ---- modules and this process ---- */
/* /sys/module/<name>/refcnt; -1 with errno ENOENT if not loaded. */
int vu_module_refcnt(const char *name);
/* A "<field>: N kB" line of /proc/self/status (VmRSS, VmLck...): N. */
long vu_status_kb(const char *field);
/* Locked memory of this process (VmLck of /proc/self/status) in kB. */
long vu_locked_kb(void);

/* ---- KVM and its KVM-VFIO device ---- */
/* Open /dev/kvm, first loading kvm_amd (or kvm_intel) if it is missing. */
int vu_kvm_open(void);
/* KVM_CREATE_VM (default type) on a /dev/kvm fd; returns the VM fd. */
int vu_kvm_create_vm(int kvm);
/* KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO) on a VM fd; returns its fd. */
int vu_kvm_create_vfio(int vm);
/* KVM_SET_DEVICE_ATTR(group, attr) with addr pointing to the int32 fd. */
int vu_kvm_dev_set_fd(int dev, uint32_t group, uint64_t attr, int32_t fd);
/* KVM_HAS_DEVICE_ATTR(group, attr). */
int vu_kvm_dev_has(int dev, uint32_t group, uint64_t attr);

#endif
