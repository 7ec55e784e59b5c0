/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the KVM tests (test_kvm_*.c): a VM with its KVM-VFIO device.
 * The helpers live in test_kvm_device.c.
 */
#ifndef NVFIO_TEST_KVM_UTIL_H
#define NVFIO_TEST_KVM_UTIL_H

#include <stdbool.h>
#include <linux/kvm.h>

/* Seed 004's names; the build host's uAPI headers (6.1) predate them. */
#ifndef KVM_DEV_VFIO_FILE
#define KVM_DEV_VFIO_FILE 1
#define KVM_DEV_VFIO_FILE_ADD 1
#define KVM_DEV_VFIO_FILE_DEL 2
#endif

struct kv {
	int kvm; /* /dev/kvm */
	int vm; /* KVM_CREATE_VM */
	int dev; /* its KVM-VFIO device */
};

/* Open /dev/kvm, create a VM and its VFIO device; skip without KVM. */
void kv_open(struct kv *k);
/* Close whatever kv_open opened (the VM goes once nothing else holds it). */
void kv_close(struct kv *k);
/* KVM_DEV_VFIO_FILE_ADD/DEL of fd; 0, or -1 with errno. */
int kv_add(struct kv *k, int fd);
int kv_del(struct kv *k, int fd);
bool kv_takes_device_files(void);

#endif
