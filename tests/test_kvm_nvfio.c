// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM and our modules (ours only): the kvm pointer reaches the bus driver's
 * open path, goes away with FILE_DEL or the VM, and KVM's references pin our
 * modules exactly while it holds our files.  The kvm a file has is read
 * through the test module (/dev/nvfio_ext_test, NVFIO_EXT_KVM).
 */
#include "fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../kernel/testing/nvfio_ext_test.h"
#include "test_kvm_util.h"

/* Which kvm does VFIO file fd have: NONE, the one of vm_fd, or OTHER. */
static int file_kvm(int ext, int fd, int vm_fd)
{
	struct nvfio_ext_kvm q = {.fd = fd, .vm_fd = vm_fd};
	int ret = ioctl(ext, NVFIO_EXT_KVM, &q);

	if (ret < 0)
		FAIL("NVFIO_EXT_KVM(fd %d, vm %d): %s", fd, vm_fd,
		     strerror(errno));
	return ret;
}

/* A device opened after FILE_ADD sees the VM's kvm in its open path. */
TEST_OURS_ONLY(kvm_nvfio_device_sees_kvm)
{
	struct vu_dev d;
	struct kv k;
	int ext, dev2;

	REQUIRE_OURS();
	ext = fx_ext_open();
	fx_open(&d, VU_STAGE_IOMMU);
	kv_open(&k);
	ASSERT_EQ(NVFIO_EXT_KVM_NONE, file_kvm(ext, d.group, k.vm));
	ASSERT_OK(kv_add(&k, d.group));
	ASSERT_EQ(NVFIO_EXT_KVM_VM, file_kvm(ext, d.group, k.vm));
	d.device = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(d.device);
	ASSERT_EQ(NVFIO_EXT_KVM_VM, file_kvm(ext, d.device, k.vm));
	/* A second fd of the same open device shares it. */
	dev2 = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(dev2);
	ASSERT_EQ(NVFIO_EXT_KVM_VM, file_kvm(ext, dev2, k.vm));
	close(dev2);
	/* Not another VM's. */
	{
		struct kv other;

		kv_open(&other);
		ASSERT_EQ(NVFIO_EXT_KVM_OTHER,
			  file_kvm(ext, d.device, other.vm));
		kv_close(&other);
	}
	ASSERT_OK(kv_del(&k, d.group));
	kv_close(&k);
	vu_dev_close(&d);
	close(ext);
}

/* The kvm is taken at the first open only (as in mainline). */
TEST_OURS_ONLY(kvm_nvfio_device_opened_before_add)
{
	struct vu_dev d;
	struct kv k;
	int ext, dev2;

	REQUIRE_OURS();
	ext = fx_ext_open();
	fx_open(&d, VU_STAGE_DEVICE);
	kv_open(&k);
	ASSERT_OK(kv_add(&k, d.group));
	ASSERT_EQ(NVFIO_EXT_KVM_NONE, file_kvm(ext, d.device, k.vm));
	dev2 = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(dev2);
	ASSERT_EQ(NVFIO_EXT_KVM_NONE, file_kvm(ext, dev2, k.vm));
	close(dev2);
	/*
	 * The device file given to KVM itself changes nothing either (6.1's
	 * KVM takes group files only).
	 */
	if (kv_takes_device_files()) {
		ASSERT_OK(kv_add(&k, d.device));
		ASSERT_EQ(NVFIO_EXT_KVM_NONE, file_kvm(ext, d.device, k.vm));
		ASSERT_OK(kv_del(&k, d.device));
	}
	/* Closed and opened again: now it gets it. */
	close(d.device);
	d.device = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(d.device);
	ASSERT_EQ(NVFIO_EXT_KVM_VM, file_kvm(ext, d.device, k.vm));
	kv_close(&k);
	vu_dev_close(&d);
	close(ext);
}

/*
 * FILE_DEL takes the kvm from the group: devices opened later have none.
 * A device open across the FILE_DEL keeps its reference until it closes.
 */
TEST_OURS_ONLY(kvm_nvfio_del_drops_kvm)
{
	struct vu_dev d;
	struct kv k;
	int ext;

	REQUIRE_OURS();
	ext = fx_ext_open();
	fx_open(&d, VU_STAGE_IOMMU);
	kv_open(&k);
	ASSERT_OK(kv_add(&k, d.group));
	d.device = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(d.device);
	ASSERT_OK(kv_del(&k, d.group));
	ASSERT_EQ(NVFIO_EXT_KVM_NONE, file_kvm(ext, d.group, k.vm));
	ASSERT_EQ(NVFIO_EXT_KVM_VM, file_kvm(ext, d.device, k.vm));
	close(d.device);
	d.device = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(d.device);
	ASSERT_EQ(NVFIO_EXT_KVM_NONE, file_kvm(ext, d.device, k.vm));
	kv_close(&k);
	vu_dev_close(&d);
	close(ext);
}

/*
 * KVM lets go of its files when its KVM-VFIO device is released (its fd
 * closed; at the latest when the VM goes): the group's kvm goes then.  An
 * open device holds a kvm reference of its own, and the VM outlives all
 * its fds until that device closes.
 */
TEST_OURS_ONLY(kvm_nvfio_vm_release_drops_kvm)
{
	int ext, kvm_ref0, kvm_ref1;
	struct vu_dev d;
	struct kv k;

	REQUIRE_OURS();
	ext = fx_ext_open();
	fx_open(&d, VU_STAGE_IOMMU);

	/* No device open: closing the VM's fds destroys it. */
	kv_open(&k);
	ASSERT_OK(kv_add(&k, d.group));
	kv_close(&k);
	ASSERT_EQ(NVFIO_EXT_KVM_NONE, file_kvm(ext, d.group, -1));
	d.device = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(d.device);
	ASSERT_EQ(NVFIO_EXT_KVM_NONE, file_kvm(ext, d.device, -1));
	close(d.device);

	/* A device holds the kvm (and a reference on kvm.ko while it does). */
	kv_open(&k);
	kvm_ref0 = fx_module_refcnt("kvm");
	ASSERT_OK(kv_add(&k, d.group));
	d.device = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(d.device);
	ASSERT_EQ(kvm_ref0 + 1, fx_module_refcnt("kvm"));
	/* The KVM-VFIO device goes: the group's kvm with it, not the device's.
	 */
	close(k.dev);
	k.dev = -1;
	ASSERT_EQ(NVFIO_EXT_KVM_NONE, file_kvm(ext, d.group, k.vm));
	ASSERT_EQ(NVFIO_EXT_KVM_VM, file_kvm(ext, d.device, k.vm));
	/* The VM fd goes: the VM lives on through the device. */
	kv_close(&k);
	ASSERT_EQ(NVFIO_EXT_KVM_OTHER, file_kvm(ext, d.device, -1));
	kvm_ref1 = fx_module_refcnt("kvm");
	/* Its last reference goes with the device, and kvm.ko's with it. */
	close(d.device);
	d.device = -1;
	ASSERT_EQ(kvm_ref1 - 1, fx_module_refcnt("kvm"));
	vu_dev_close(&d);
	close(ext);
}

/* delete_module(2) without O_TRUNC: what rmmod does. */
static int try_rmmod(const char *mod)
{
	return (int)syscall(SYS_delete_module, mod, O_NONBLOCK);
}

/*
 * While KVM holds our group file (and the group holds its kvm), vfio.ko is
 * pinned; once the VM is gone, the references are back where they were.
 */
TEST_OURS_ONLY(kvm_nvfio_pins_modules)
{
	struct vu_dev d;
	struct kv k;
	int core0;

	REQUIRE_OURS();
	fx_open(&d, VU_STAGE_CONTAINER);
	kv_open(&k);
	core0 = fx_module_refcnt("vfio");

	d.group = vu_open_group(d.group_id);
	ASSERT_OK(d.group);
	ASSERT_TRUE(fx_module_refcnt("vfio") > core0);
	ASSERT_OK(kv_add(&k, d.group));
	close(d.group);
	d.group = -1;
	/* Our group fd is closed, but KVM's reference keeps the file. */
	ASSERT_TRUE(fx_module_refcnt("vfio") > core0);
	ASSERT_ERRNO(EWOULDBLOCK, try_rmmod("vfio"));

	kv_close(&k);
	/* The VM released the group file and the group's kvm. */
	ASSERT_EQ(core0, fx_module_refcnt("vfio"));
	vu_dev_close(&d);
}

/* A device file held by KVM pins vfio.ko as well. */
TEST_OURS_ONLY(kvm_nvfio_device_file_pins_core)
{
	struct vu_dev d;
	struct kv k;
	int core0;

	REQUIRE_OURS();
	if (!kv_takes_device_files())
		SKIP("this kernel's KVM takes group files only (before 6.6)");
	fx_open(&d, VU_STAGE_DEVICE);
	kv_open(&k);
	core0 = fx_module_refcnt("vfio");
	ASSERT_OK(kv_add(&k, d.device));
	close(d.device);
	d.device = -1;
	ASSERT_EQ(core0, fx_module_refcnt("vfio"));
	/* The device is still open (KVM holds it): its group stays busy. */
	ASSERT_ERRNO(EBUSY, ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	kv_close(&k);
	ASSERT_EQ(core0 - 1, fx_module_refcnt("vfio"));
	ASSERT_OK(ioctl(d.group, VFIO_GROUP_UNSET_CONTAINER));
	vu_dev_close(&d);
}
