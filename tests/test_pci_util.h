/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the PCI bus driver tests (tests/test_pci_*.c): the bench's
 * devices by name, binding them to vfio-pci for the duration of a test and
 * putting them back exactly as the bench left them (also when the test
 * fails: an atexit handler restores every device claimed).
 */
#ifndef NVFIO_TEST_PCI_UTIL_H
#define NVFIO_TEST_PCI_UTIL_H

#include "harness.h"

/* A bench device: short name (used in artifact file names) and ids. */
struct pu_devtype {
	const char *name;
	uint16_t vendor, device;
};

/* edu (root bus), e1000e, nvme, virtio-net. */
extern const struct pu_devtype pu_bench[];
extern const unsigned int pu_nbench;

/*
 * The ivshmem-plain behind a root port (bench/run-guest.sh): its BAR2 is
 * 1 GiB of RAM, for huge BAR mappings (test_pci_hugemap.c).  Not in
 * pu_bench[]: the tests that go through every bench device leave it out.
 */
extern const struct pu_devtype pu_ivshmem;
#define PU_IVSHMEM_BAR VFIO_PCI_BAR2_REGION_INDEX

/*
 * QEMU's standard VGA on the root bus (bench/run-guest.sh): class 0x0300,
 * so vfio-pci gives it the VGA region (test_pci_vga.c).  Not in
 * pu_bench[] either.
 */
extern const struct pu_devtype pu_vga;
/*
 * Skip unless the loaded vfio-pci has VGA support (CONFIG_VFIO_PCI_VGA,
 * which Debian's kernels have; without it, ours and mainline's alike have
 * neither the disable_vga parameter nor a VGA region: the debug kernel).
 */
void pu_need_vga_support(void);

/*
 * mmap @len bytes of region @ri from @off (read/write, shared) at an
 * address @skew bytes past a multiple of @align (a power of two), the way
 * a user that wants huge mappings places it (vu_region_mmap_aligned()).
 * Fails the test if it cannot.  munmap(p, @len) unmaps it.
 */
void *pu_mmap_aligned(int device, const struct vfio_region_info *ri,
		      uint64_t off, size_t len, size_t align, size_t skew);

/*
 * Does the running kernel map BARs with huge entries where aligned?  Both
 * stacks do from 6.12 on, in kernels with THP (which is what lets x86
 * map huge pfn entries); 6.1 never does.
 */
bool pu_huge_pfnmap(void);

/* Minor page faults the calling thread has taken so far (getrusage). */
long pu_minflt(void);

/*
 * Find the bench device @t (for edu: the root-bus one, $NVFIO_EDU) and
 * write its BDF to @bdf.  Skips the test if the device is missing.
 */
void pu_find(const struct pu_devtype *t, char *bdf);
/*
 * Is @t on this machine?  The edu always counts: the bench has one, and
 * pu_find()/pu_open() deal with it (and with $NVFIO_EDU).
 */
bool pu_present(const struct pu_devtype *t);

/*
 * Bind @bdf to vfio-pci (driver_override) and remember how it was, so
 * that pu_release()/exit puts back its driver and driver_override.
 * A device already on vfio-pci (the edu) is left alone.
 */
void pu_claim(const char *bdf);
void pu_release(const char *bdf);

/* pu_find + pu_claim + vu_dev_open(VU_STAGE_DEVICE), failing on error. */
void pu_open(const struct pu_devtype *t, struct vu_dev *d);

/* Whole config space through the region; returns its size. */
size_t pu_config_dump(int device, uint8_t *buf, size_t len);

/* Config accessors that fail the test on error. */
uint32_t pu_cfg_read(int device, unsigned int off, unsigned int len);
void pu_cfg_write(int device, unsigned int off, unsigned int len, uint32_t val);
/* Set (@on) or clear @bits in the device's (virtual) command register. */
void pu_command_bits(int device, uint16_t bits, bool on);

/* Offset of standard capability @id (0 if absent), via the region. */
unsigned int pu_find_cap(int device, uint8_t id);

/* Wait up to @ms for eventfd @efd; true if it fired.  Fails the test on
 * error. */
bool pu_fired(int efd, int ms);

/* $NVFIO_MODE, "ours" by default. */
const char *pu_mode(void);

/* Write @len bytes to $NVFIO_OUT/artifacts/<sub>/<mode>/<name>; no-op
 * without NVFIO_OUT.  Fails the test on I/O errors. */
void pu_artifact(const char *sub, const char *name, const void *buf,
		 size_t len);

/*
 * Reload vfio-pci (ours from the build, or mainline's with modprobe) with
 * module parameters @params, e.g. "nointxmask=1"; devices whose
 * driver_override names vfio-pci (the edu) bind again.  The default load
 * comes back with pu_reload_vfio_pci_default() or, whatever happens, at
 * exit.  Fails the test if a step fails.
 */
void pu_reload_vfio_pci(const char *params);
void pu_reload_vfio_pci_default(void);

#endif
