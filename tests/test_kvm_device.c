// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel KVM-VFIO device (virt/kvm/vfio.c, unmodified) with our VFIO
 * files: kvm.ko finds the vfio_file_* API by name, so every result here must
 * be mainline's, in both modes.  KVM runs nested under TCG (kvm_amd).
 */
#include "fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "test_kvm_util.h"

/* The uAPI aliases of seed 004: the GROUP names are the FILE numbers. */
_Static_assert(KVM_DEV_VFIO_GROUP == KVM_DEV_VFIO_FILE, "alias");
_Static_assert(KVM_DEV_VFIO_GROUP_ADD == KVM_DEV_VFIO_FILE_ADD, "alias");
_Static_assert(KVM_DEV_VFIO_GROUP_DEL == KVM_DEV_VFIO_FILE_DEL, "alias");

/*
 * Work-around for the TCG bench: creating the first VM and destroying the
 * last one flips a static key in the scheduler (KVM's preempt notifiers),
 * and QEMU's multi-threaded TCG occasionally runs the stale int3 of that
 * live patch on the other vCPU ("Oops: int3" in __schedule).  A VM kept
 * alive by a detached process for the rest of the boot makes that happen
 * once instead of at every test.  It holds nothing but the VM.
 */
#define KV_HOLDER_LOCK "/run/nvfio-kvm-holder.lock"

static void kv_keep_a_vm(int kvm)
{
	int lock, p[2], fd;
	pid_t pid;
	char c;

	lock = open(KV_HOLDER_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0)
		return;
	/* The holder keeps the lock for as long as it lives. */
	if (flock(lock, LOCK_EX | LOCK_NB) || pipe(p)) {
		close(lock);
		return;
	}
	pid = fork();
	if (pid == 0) {
		setsid();
		if (fork())
			_exit(0);
		for (fd = 0; fd < 1024; fd++)
			if (fd != lock && fd != kvm && fd != p[1])
				close(fd);
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (ioctl(kvm, KVM_CREATE_VM, 0) >= 0 && write(p[1], "", 1))
			for (;;)
				pause();
		_exit(1);
	}
	close(p[1]);
	if (pid > 0) {
		waitpid(pid, NULL, 0);
		/* One byte: the VM exists; EOF: the holder failed. */
		if (read(p[0], &c, 1) != 1)
			fprintf(stderr, "note: no VM holder (%s)\n",
				KV_HOLDER_LOCK);
	}
	close(p[0]);
	close(lock);
}

void kv_open(struct kv *k)
{
	k->kvm = vu_kvm_open();
	if (k->kvm < 0)
		SKIP("no KVM in this guest: %s", vu_last_error());
	kv_keep_a_vm(k->kvm);
	k->vm = vu_kvm_create_vm(k->kvm);
	if (k->vm < 0)
		FAIL("%s", vu_last_error());
	k->dev = vu_kvm_create_vfio(k->vm);
	if (k->dev < 0)
		FAIL("%s", vu_last_error());
}

void kv_close(struct kv *k)
{
	if (k->dev >= 0)
		close(k->dev);
	if (k->vm >= 0)
		close(k->vm);
	if (k->kvm >= 0)
		close(k->kvm);
	k->dev = k->vm = k->kvm = -1;
}

int kv_add(struct kv *k, int fd)
{
	return vu_kvm_dev_set_fd(k->dev, KVM_DEV_VFIO_FILE,
				 KVM_DEV_VFIO_FILE_ADD, fd);
}

int kv_del(struct kv *k, int fd)
{
	return vu_kvm_dev_set_fd(k->dev, KVM_DEV_VFIO_FILE,
				 KVM_DEV_VFIO_FILE_DEL, fd);
}

/* Only one KVM-VFIO device per VM; the TEST flag creates nothing. */
TEST(kvm_vfio_create_device)
{
	struct kvm_create_device cd = {
		.type = KVM_DEV_TYPE_VFIO,
		.flags = KVM_CREATE_DEVICE_TEST,
	};
	struct kv k;

	kv_open(&k);
	ASSERT_EQ(0, ioctl(k.vm, KVM_CREATE_DEVICE, &cd));
	cd.flags = 0;
	ASSERT_ERRNO(EBUSY, ioctl(k.vm, KVM_CREATE_DEVICE, &cd));
	/* TEST only asks whether the type exists. */
	cd.flags = KVM_CREATE_DEVICE_TEST;
	ASSERT_EQ(0, ioctl(k.vm, KVM_CREATE_DEVICE, &cd));
	kv_close(&k);
}

/* FILE_ADD/FILE_DEL are there; SET_SPAPR_TCE is not, on x86. */
/*
 * Whether the running kernel's KVM-VFIO device takes device files.  Since
 * 6.6 (vfio_file_is_valid) it takes group and device files; before, as on
 * Debian 12's 6.1, only group files (vfio_file_is_group): a device fd is
 * refused with EINVAL and, never added, deleting it is ENOENT.  The result
 * depends on kvm.ko, not on the VFIO stack: the same in both modes.
 */
bool kv_takes_device_files(void)
{
	return fx_kernel_at_least(6, 6);
}

TEST(kvm_vfio_has_attr)
{
	struct kv k;

	kv_open(&k);
	ASSERT_OK(vu_kvm_dev_has(k.dev, KVM_DEV_VFIO_FILE,
				 KVM_DEV_VFIO_FILE_ADD));
	ASSERT_OK(vu_kvm_dev_has(k.dev, KVM_DEV_VFIO_FILE,
				 KVM_DEV_VFIO_FILE_DEL));
	ASSERT_OK(vu_kvm_dev_has(k.dev, KVM_DEV_VFIO_GROUP,
				 KVM_DEV_VFIO_GROUP_ADD));
	ASSERT_OK(vu_kvm_dev_has(k.dev, KVM_DEV_VFIO_GROUP,
				 KVM_DEV_VFIO_GROUP_DEL));
	ASSERT_ERRNO(ENXIO, vu_kvm_dev_has(k.dev, KVM_DEV_VFIO_FILE,
					   KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE));
	ASSERT_ERRNO(ENXIO, vu_kvm_dev_has(k.dev, KVM_DEV_VFIO_FILE, 0));
	ASSERT_ERRNO(ENXIO, vu_kvm_dev_has(k.dev, KVM_DEV_VFIO_FILE, 4));
	ASSERT_ERRNO(ENXIO, vu_kvm_dev_has(k.dev, 0, KVM_DEV_VFIO_FILE_ADD));
	ASSERT_ERRNO(ENXIO, vu_kvm_dev_has(k.dev, 2, KVM_DEV_VFIO_FILE_ADD));
	kv_close(&k);
}

/* A group fd: add, add again, delete, delete again. */
TEST(kvm_vfio_group_add_del)
{
	struct vu_dev d;
	struct kv k;

	fx_open(&d, VU_STAGE_IOMMU);
	kv_open(&k);
	ASSERT_OK(kv_add(&k, d.group));
	ASSERT_ERRNO(EEXIST, kv_add(&k, d.group));
	ASSERT_OK(kv_del(&k, d.group));
	ASSERT_ERRNO(ENOENT, kv_del(&k, d.group));
	/* And once more, after it was removed. */
	ASSERT_OK(kv_add(&k, d.group));
	ASSERT_OK(kv_del(&k, d.group));
	kv_close(&k);
	vu_dev_close(&d);
}

/* KVM only checks the file type: a group in no container is accepted. */
TEST(kvm_vfio_group_without_container)
{
	struct vu_dev d;
	struct kv k;

	fx_open(&d, VU_STAGE_GROUP);
	kv_open(&k);
	ASSERT_OK(kv_add(&k, d.group));
	ASSERT_OK(kv_del(&k, d.group));
	kv_close(&k);
	vu_dev_close(&d);
}

/* A device fd is a VFIO file too (seed 004), distinct from its group's. */
TEST(kvm_vfio_device_add_del)
{
	struct vu_dev d;
	struct kv k;

	fx_open(&d, VU_STAGE_DEVICE);
	kv_open(&k);
	if (!kv_takes_device_files()) {
		/* Group files only (6.1): a device file is not one. */
		ASSERT_ERRNO(EINVAL, kv_add(&k, d.device));
		ASSERT_OK(kv_add(&k, d.group));
		ASSERT_ERRNO(EINVAL, kv_add(&k, d.device));
		ASSERT_ERRNO(ENOENT, kv_del(&k, d.device));
		ASSERT_OK(kv_del(&k, d.group));
		kv_close(&k);
		vu_dev_close(&d);
		return;
	}
	ASSERT_OK(kv_add(&k, d.device));
	ASSERT_ERRNO(EEXIST, kv_add(&k, d.device));
	ASSERT_OK(kv_add(&k, d.group));
	ASSERT_OK(kv_del(&k, d.device));
	ASSERT_ERRNO(ENOENT, kv_del(&k, d.device));
	ASSERT_OK(kv_del(&k, d.group));
	kv_close(&k);
	vu_dev_close(&d);
}

/* The legacy GROUP names still work, for group and device fds alike. */
TEST(kvm_vfio_group_aliases)
{
	struct vu_dev d;
	struct kv k;

	fx_open(&d, VU_STAGE_DEVICE);
	kv_open(&k);
	ASSERT_OK(vu_kvm_dev_set_fd(k.dev, KVM_DEV_VFIO_GROUP,
				    KVM_DEV_VFIO_GROUP_ADD, d.group));
	ASSERT_ERRNO(EEXIST,
		     vu_kvm_dev_set_fd(k.dev, KVM_DEV_VFIO_GROUP,
				       KVM_DEV_VFIO_GROUP_ADD, d.group));
	if (kv_takes_device_files()) {
		ASSERT_OK(vu_kvm_dev_set_fd(k.dev, KVM_DEV_VFIO_GROUP,
					    KVM_DEV_VFIO_GROUP_ADD, d.device));
	} else {
		/* Group files only (6.1). */
		ASSERT_ERRNO(EINVAL, vu_kvm_dev_set_fd(
					     k.dev, KVM_DEV_VFIO_GROUP,
					     KVM_DEV_VFIO_GROUP_ADD, d.device));
	}
	ASSERT_OK(vu_kvm_dev_set_fd(k.dev, KVM_DEV_VFIO_GROUP,
				    KVM_DEV_VFIO_GROUP_DEL, d.group));
	if (kv_takes_device_files())
		ASSERT_OK(vu_kvm_dev_set_fd(k.dev, KVM_DEV_VFIO_GROUP,
					    KVM_DEV_VFIO_GROUP_DEL, d.device));
	else
		ASSERT_ERRNO(ENOENT, vu_kvm_dev_set_fd(
					     k.dev, KVM_DEV_VFIO_GROUP,
					     KVM_DEV_VFIO_GROUP_DEL, d.device));
	ASSERT_ERRNO(ENOENT,
		     vu_kvm_dev_set_fd(k.dev, KVM_DEV_VFIO_GROUP,
				       KVM_DEV_VFIO_GROUP_DEL, d.group));
	kv_close(&k);
	vu_dev_close(&d);
}

/* Deleting a VFIO file that was never added. */
TEST(kvm_vfio_del_never_added)
{
	struct vu_dev d;
	struct kv k;

	fx_open(&d, VU_STAGE_DEVICE);
	kv_open(&k);
	ASSERT_ERRNO(ENOENT, kv_del(&k, d.group));
	ASSERT_ERRNO(ENOENT, kv_del(&k, d.device));
	/* The other one added does not make this one known. */
	ASSERT_OK(kv_add(&k, d.group));
	ASSERT_ERRNO(ENOENT, kv_del(&k, d.device));
	ASSERT_OK(kv_del(&k, d.group));
	kv_close(&k);
	vu_dev_close(&d);
}

/* Files that are not VFIO group or device files. */
TEST(kvm_vfio_not_vfio_fd)
{
	struct vu_dev d;
	struct kv k;
	int null;

	fx_open(&d, VU_STAGE_IOMMU);
	kv_open(&k);
	null = open("/dev/null", O_RDWR);
	ASSERT_OK(null);
	ASSERT_ERRNO(EINVAL, kv_add(&k, null));
	/* The container is VFIO's, but not a file KVM can track. */
	ASSERT_ERRNO(EINVAL, kv_add(&k, d.container));
	ASSERT_ERRNO(EINVAL, kv_add(&k, k.vm));
	ASSERT_ERRNO(EINVAL, kv_add(&k, k.dev));
	/* Deleting them: valid fds, but not in the list. */
	ASSERT_ERRNO(ENOENT, kv_del(&k, null));
	ASSERT_ERRNO(ENOENT, kv_del(&k, d.container));
	close(null);
	kv_close(&k);
	vu_dev_close(&d);
}

/* Bad fds and a bad pointer. */
TEST(kvm_vfio_bad_fd)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = KVM_DEV_VFIO_FILE_ADD,
		.addr = 8, /* unmapped */
	};
	struct kv k;
	int fd;

	kv_open(&k);
	ASSERT_ERRNO(EBADF, kv_add(&k, -1));
	ASSERT_ERRNO(EBADF, kv_del(&k, -1));
	fd = open("/dev/null", O_RDWR);
	ASSERT_OK(fd);
	close(fd);
	ASSERT_ERRNO(EBADF, kv_add(&k, fd));
	ASSERT_ERRNO(EBADF, kv_del(&k, fd));
	ASSERT_ERRNO(EFAULT, ioctl(k.dev, KVM_SET_DEVICE_ATTR, &a));
	a.attr = KVM_DEV_VFIO_FILE_DEL;
	ASSERT_ERRNO(EFAULT, ioctl(k.dev, KVM_SET_DEVICE_ATTR, &a));
	kv_close(&k);
}

/* SET_SPAPR_TCE is SPAPR only: x86 says ENXIO, like any unknown attr. */
TEST(kvm_vfio_spapr_tce)
{
	struct kvm_vfio_spapr_tce tce = {.groupfd = -1, .tablefd = -1};
	struct kvm_device_attr a = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE,
	};
	struct vu_dev d;
	struct kv k;

	fx_open(&d, VU_STAGE_IOMMU);
	kv_open(&k);
	ASSERT_OK(kv_add(&k, d.group));
	tce.groupfd = d.group;
	a.addr = (uint64_t)(uintptr_t)&tce;
	ASSERT_ERRNO(ENXIO, ioctl(k.dev, KVM_SET_DEVICE_ATTR, &a));
	a.attr = 0;
	ASSERT_ERRNO(ENXIO, ioctl(k.dev, KVM_SET_DEVICE_ATTR, &a));
	a.attr = KVM_DEV_VFIO_FILE_ADD;
	a.group = 2;
	ASSERT_ERRNO(ENXIO, ioctl(k.dev, KVM_SET_DEVICE_ATTR, &a));
	ASSERT_OK(kv_del(&k, d.group));
	kv_close(&k);
	vu_dev_close(&d);
}

/*
 * KVM holds the group file: closing ours does not release the group (it
 * cannot be opened again: one opener at a time) until KVM lets go, by
 * FILE_DEL or by the VM going away.
 */
TEST(kvm_vfio_holds_group_file)
{
	struct vu_dev d;
	uint32_t flags;
	struct kv k;
	int dup_fd, g;

	fx_open(&d, VU_STAGE_ATTACHED);
	kv_open(&k);

	/* Released by FILE_DEL (through a dup: the same file). */
	ASSERT_OK(kv_add(&k, d.group));
	dup_fd = dup(d.group);
	ASSERT_OK(dup_fd);
	close(d.group);
	ASSERT_ERRNO(EBUSY, vu_open_group(d.group_id));
	ASSERT_OK(kv_del(&k, dup_fd));
	close(dup_fd);
	d.group = vu_open_group(d.group_id);
	ASSERT_OK(d.group);

	/* Released by closing the VM. */
	ASSERT_OK(kv_add(&k, d.group));
	close(d.group);
	d.group = -1;
	ASSERT_ERRNO(EBUSY, vu_open_group(d.group_id));
	kv_close(&k);
	g = vu_open_group(d.group_id);
	ASSERT_OK(g);
	/* KVM's release of the group file detached it from the container. */
	ASSERT_OK(vu_group_status(g, &flags));
	ASSERT_EQ(0, flags & VFIO_GROUP_FLAGS_CONTAINER_SET);
	close(g);
	vu_dev_close(&d);
}

/* A device opened after FILE_ADD works, and survives the VM's fds. */
TEST(kvm_vfio_device_open_after_add)
{
	struct vu_dev d;
	struct edu e;
	struct kv k;
	uint32_t v;

	fx_open(&d, VU_STAGE_IOMMU);
	kv_open(&k);
	ASSERT_OK(kv_add(&k, d.group));
	d.device = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(d.device);
	ASSERT_OK(edu_init(&e, d.device, false));
	ASSERT_OK(edu_read32(&e, EDU_REG_ID, &v));
	ASSERT_EQ(EDU_ID_VALUE, v);

	/* The VM's fds go; the device (which may hold the kvm) still works. */
	kv_close(&k);
	ASSERT_OK(edu_read32(&e, EDU_REG_ID, &v));
	ASSERT_EQ(EDU_ID_VALUE, v);
	edu_fini(&e);
	vu_dev_close(&d);

	/* Everything let go: the group opens again. */
	fx_open(&d, VU_STAGE_DEVICE);
	vu_dev_close(&d);
}

/* Two VMs may track the same group; each keeps its own list. */
TEST(kvm_vfio_two_vms)
{
	struct vu_dev d;
	struct kv a, b;

	fx_open(&d, VU_STAGE_IOMMU);
	kv_open(&a);
	kv_open(&b);
	ASSERT_OK(kv_add(&a, d.group));
	ASSERT_OK(kv_add(&b, d.group));
	ASSERT_ERRNO(EEXIST, kv_add(&b, d.group));
	ASSERT_OK(kv_del(&a, d.group));
	ASSERT_ERRNO(ENOENT, kv_del(&a, d.group));
	d.device = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(d.device);
	kv_close(&a);
	kv_close(&b);
	vu_dev_close(&d);
	fx_open(&d, VU_STAGE_GROUP);
	vu_dev_close(&d);
}
