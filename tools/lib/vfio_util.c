// SPDX-License-Identifier: GPL-2.0-only
/* vfio_util - small helpers for userspace VFIO drivers and tests. */
#define _GNU_SOURCE
#include "vfio_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>

#define SYSFS_PCI "/sys/bus/pci/devices"

static char last_error[512];

const char *vu_last_error(void)
{
	return last_error;
}

/* Record a message; keeps errno unchanged. Always returns -1. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	n = strlen(last_error);
	snprintf(last_error + n, sizeof(last_error) - n, ": %s (%s)",
		 vu_errno_name(err), strerror(err));
	errno = err;
	return -1;
}

const char *vu_errno_name(int err)
{
	const char *s = err ? strerrorname_np(err) : "0";

	return s ? s : "E?";
}

/* ---- sysfs ---- */

long long vu_file_key(const char *path, const char *key)
{
	char buf[512], *p;
	size_t n = strlen(key);

	if (vu_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, n) && p[n] == ' ')
			return atoll(p + n + 1);
	return -1;
}

int vu_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	buf[0] = 0;
	if (fd < 0)
		return fail("open %s", path);
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return fail("read %s", path);
	}
	close(fd);
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

int vu_write_file(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return fail("open %s", path);
	n = write(fd, s, len);
	if (n < 0 || (size_t)n != len) {
		int err = n < 0 ? errno : EIO;

		close(fd);
		errno = err;
		return fail("write '%s' to %s", s, path);
	}
	close(fd);
	return 0;
}

int vu_sysfs_read_hex(const char *bdf, const char *attr, unsigned long *val)
{
	char path[PATH_MAX], buf[64], *end;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/%s", bdf, attr);
	if (vu_read_file(path, buf, sizeof(buf)))
		return -1;
	errno = 0;
	*val = strtoul(buf, &end, 16);
	if (errno || end == buf) {
		errno = EINVAL;
		return fail("parse '%s' from %s", buf, path);
	}
	return 0;
}

int vu_sysfs_exists(const char *bdf, const char *attr)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/%s", bdf, attr);
	return access(path, F_OK) == 0;
}

int vu_find_pci_device(uint16_t vendor, uint16_t device, char *bdf, size_t len)
{
	DIR *dir = opendir(SYSFS_PCI);
	struct dirent *de;

	if (!dir)
		return fail("opendir " SYSFS_PCI);
	while ((de = readdir(dir))) {
		unsigned long v, d;

		if (de->d_name[0] == '.')
			continue;
		if (vu_sysfs_read_hex(de->d_name, "vendor", &v) ||
		    vu_sysfs_read_hex(de->d_name, "device", &d))
			continue;
		if (v == vendor && d == device) {
			snprintf(bdf, len, "%s", de->d_name);
			closedir(dir);
			return 0;
		}
	}
	closedir(dir);
	errno = ENODEV;
	return fail("no PCI device %04x:%04x in " SYSFS_PCI, vendor, device);
}

int vu_iommu_group(const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX], *base, *end;
	ssize_t n;
	long id;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/iommu_group", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return fail("readlink %s", path);
	target[n] = 0;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	id = strtol(base, &end, 10);
	if (end == base || *end || id < 0 || id > INT_MAX) {
		errno = EINVAL;
		return fail("bad iommu group link %s -> %s", path, target);
	}
	return (int)id;
}

int vu_driver_name(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX], *base;
	ssize_t n;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		if (errno == ENOENT) {
			snprintf(buf, len, "%s", "");
			return 0;
		}
		return fail("readlink %s", path);
	}
	target[n] = 0;
	base = strrchr(target, '/');
	snprintf(buf, len, "%s", base ? base + 1 : target);
	return 0;
}

void vu_driver_override(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver_override", bdf);
	if (vu_read_file(path, buf, len) || !strcmp(buf, "(null)"))
		buf[0] = 0;
}

int vu_bind_driver(const char *bdf, const char *driver)
{
	char path[PATH_MAX], cur[256];

	if (vu_driver_name(bdf, cur, sizeof(cur)))
		return -1;
	if (!strcmp(cur, driver))
		return 0;
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver_override", bdf);
	if (vu_write_file(path, driver))
		return -1;
	if (cur[0]) {
		snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver/unbind",
			 bdf);
		if (vu_write_file(path, bdf))
			return -1;
	}
	if (vu_write_file("/sys/bus/pci/drivers_probe", bdf))
		return -1;
	if (vu_driver_name(bdf, cur, sizeof(cur)))
		return -1;
	if (strcmp(cur, driver)) {
		errno = ENODEV;
		return fail("%s: bound to '%s' instead of '%s'", bdf, cur,
			    driver);
	}
	return 0;
}

/* ---- container / group / device ---- */

int vu_open_container(void)
{
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return fail("open /dev/vfio/vfio");
	return fd;
}

int vu_open_group(int group_id)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group_id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("open %s", path);
	return fd;
}

int vu_group_status(int group, uint32_t *flags)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};

	if (ioctl(group, VFIO_GROUP_GET_STATUS, &st))
		return fail("VFIO_GROUP_GET_STATUS");
	*flags = st.flags;
	return 0;
}

int vu_group_set_container(int group, int container)
{
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		return fail("VFIO_GROUP_SET_CONTAINER");
	return 0;
}

int vu_set_iommu(int container, unsigned long type)
{
	if (ioctl(container, VFIO_SET_IOMMU, type))
		return fail("VFIO_SET_IOMMU(%lu)", type);
	return 0;
}

int vu_get_device_fd(int group, const char *bdf)
{
	int fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);

	if (fd < 0)
		return fail("VFIO_GROUP_GET_DEVICE_FD(%s)", bdf);
	return fd;
}

int vu_device_info(int device, struct vfio_device_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	if (ioctl(device, VFIO_DEVICE_GET_INFO, info))
		return fail("VFIO_DEVICE_GET_INFO");
	return 0;
}

void vu_dev_close(struct vu_dev *d)
{
	if (d->device >= 0)
		close(d->device);
	if (d->group >= 0)
		close(d->group);
	if (d->container >= 0)
		close(d->container);
	d->device = d->group = d->container = -1;
}

int vu_dev_open(struct vu_dev *d, const char *bdf, enum vu_stage stage)
{
	int err;

	memset(d, 0, sizeof(*d));
	d->container = d->group = d->device = -1;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	d->group_id = vu_iommu_group(bdf);
	if (d->group_id < 0)
		return -1;
	d->container = vu_open_container();
	if (d->container < 0)
		goto err;
	if (stage < VU_STAGE_GROUP)
		return 0;
	d->group = vu_open_group(d->group_id);
	if (d->group < 0)
		goto err;
	if (stage < VU_STAGE_ATTACHED)
		return 0;
	if (vu_group_set_container(d->group, d->container))
		goto err;
	if (stage < VU_STAGE_IOMMU)
		return 0;
	if (vu_set_iommu(d->container, VFIO_TYPE1v2_IOMMU))
		goto err;
	if (stage < VU_STAGE_DEVICE)
		return 0;
	d->device = vu_get_device_fd(d->group, bdf);
	if (d->device < 0)
		goto err;
	return 0;
err:
	err = errno;
	vu_dev_close(d);
	errno = err;
	return -1;
}

/* ---- regions ---- */

int vu_region_info(int device, uint32_t index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, ri))
		return fail("VFIO_DEVICE_GET_REGION_INFO(%u)", index);
	return 0;
}

int vu_region_read(int device, const struct vfio_region_info *ri, uint64_t off,
		   void *buf, size_t len)
{
	ssize_t n = pread(device, buf, len, (off_t)(ri->offset + off));

	if (n < 0)
		return fail("pread region %u +0x%llx len %zu", ri->index,
			    (unsigned long long)off, len);
	if ((size_t)n != len) {
		errno = EIO;
		return fail("short pread region %u +0x%llx: %zd of %zu",
			    ri->index, (unsigned long long)off, n, len);
	}
	return 0;
}

int vu_region_write(int device, const struct vfio_region_info *ri, uint64_t off,
		    const void *buf, size_t len)
{
	ssize_t n = pwrite(device, buf, len, (off_t)(ri->offset + off));

	if (n < 0)
		return fail("pwrite region %u +0x%llx len %zu", ri->index,
			    (unsigned long long)off, len);
	if ((size_t)n != len) {
		errno = EIO;
		return fail("short pwrite region %u +0x%llx: %zd of %zu",
			    ri->index, (unsigned long long)off, n, len);
	}
	return 0;
}

void *vu_region_mmap(int device, const struct vfio_region_info *ri)
{
	void *p = mmap(NULL, ri->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       device, (off_t)ri->offset);

	if (p == MAP_FAILED) {
		fail("mmap region %u size 0x%llx", ri->index,
		     (unsigned long long)ri->size);
		return NULL;
	}
	return p;
}

void vu_region_munmap(void *p, const struct vfio_region_info *ri)
{
	if (p)
		munmap(p, ri->size);
}

void *vu_region_mmap_aligned(int device, const struct vfio_region_info *ri,
			     uint64_t off, size_t len, size_t align,
			     size_t skew)
{
	size_t span = len + align + skew;
	uintptr_t base, at;
	void *res, *p;

	/* A reservation big enough for any placement, then MAP_FIXED in it. */
	res = mmap(NULL, span, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED) {
		fail("reserving %zu bytes", span);
		return NULL;
	}
	base = (uintptr_t)res;
	at = ((base + align - 1) & ~(uintptr_t)(align - 1)) + skew;
	p = mmap((void *)at, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, device, (off_t)(ri->offset + off));
	if (p == MAP_FAILED) {
		int err = errno;

		munmap(res, span);
		errno = err;
		fail("mmap of region %u at 0x%llx, %zu bytes", ri->index,
		     (unsigned long long)off, len);
		return NULL;
	}
	/* The rest of the reservation goes. */
	if (at > base)
		munmap(res, at - base);
	if (base + span > at + len)
		munmap((void *)(at + len), base + span - (at + len));
	return p;
}

int vu_config_read(int device, uint64_t off, void *buf, size_t len)
{
	struct vfio_region_info ri;

	if (vu_region_info(device, VFIO_PCI_CONFIG_REGION_INDEX, &ri))
		return -1;
	return vu_region_read(device, &ri, off, buf, len);
}

int vu_config_write(int device, uint64_t off, const void *buf, size_t len)
{
	struct vfio_region_info ri;

	if (vu_region_info(device, VFIO_PCI_CONFIG_REGION_INDEX, &ri))
		return -1;
	return vu_region_write(device, &ri, off, buf, len);
}

int vu_pci_command_set(int device, uint16_t bits)
{
	uint16_t cmd;

	if (vu_config_read(device, PCI_COMMAND, &cmd, sizeof(cmd)))
		return -1;
	cmd |= bits;
	if (vu_config_write(device, PCI_COMMAND, &cmd, sizeof(cmd)))
		return -1;
	if (vu_config_read(device, PCI_COMMAND, &cmd, sizeof(cmd)))
		return -1;
	if ((cmd & bits) != bits) {
		errno = EIO;
		return fail("PCI_COMMAND 0x%04x lacks bits 0x%04x", cmd, bits);
	}
	return 0;
}

/* ---- DMA ---- */

void *vu_alloc_dma_buffer(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fail("mmap anonymous %zu bytes", size);
		return NULL;
	}
	memset(p, 0, size);
	return p;
}

void vu_free_dma_buffer(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

int vu_dma_map(int container, void *vaddr, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		return fail("VFIO_IOMMU_MAP_DMA iova 0x%llx size 0x%llx",
			    (unsigned long long)iova, (unsigned long long)size);
	return 0;
}

int vu_dma_unmap(int container, uint64_t iova, uint64_t size,
		 uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return fail("VFIO_IOMMU_UNMAP_DMA iova 0x%llx size 0x%llx",
			    (unsigned long long)iova, (unsigned long long)size);
	if (unmapped)
		*unmapped = unmap.size;
	return 0;
}

/* ---- interrupts ---- */

int vu_irq_info(int device, uint32_t index, struct vfio_irq_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	if (ioctl(device, VFIO_DEVICE_GET_IRQ_INFO, info))
		return fail("VFIO_DEVICE_GET_IRQ_INFO(%u)", index);
	return 0;
}

int vu_irq_set_eventfds(int device, uint32_t index, uint32_t start,
			uint32_t count, const int *fds)
{
	size_t sz = sizeof(struct vfio_irq_set) + count * sizeof(int32_t);
	struct vfio_irq_set *set = calloc(1, sz);
	int ret;

	if (!set)
		return fail("calloc");
	set->argsz = sz;
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->start = start;
	set->count = count;
	for (uint32_t i = 0; i < count; i++)
		((int32_t *)set->data)[i] = fds[i];
	ret = ioctl(device, VFIO_DEVICE_SET_IRQS, set);
	free(set);
	if (ret)
		return fail("VFIO_DEVICE_SET_IRQS(index %u, %u eventfds)",
			    index, count);
	return 0;
}

int vu_irq_trigger(int device, uint32_t index, uint32_t start, uint32_t count)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = index,
		.start = start,
		.count = count,
	};

	if (ioctl(device, VFIO_DEVICE_SET_IRQS, &set))
		return fail("VFIO_DEVICE_SET_IRQS(index %u, DATA_NONE %u+%u)",
			    index, start, count);
	return 0;
}

int vu_irq_disable(int device, uint32_t index)
{
	return vu_irq_trigger(device, index, 0, 0);
}

int vu_eventfd_new(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		return fail("eventfd");
	return fd;
}

int vu_eventfd_wait(int efd, int timeout_ms, uint64_t *count)
{
	struct pollfd pfd = {.fd = efd, .events = POLLIN};
	uint64_t v;
	int n;

	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return fail("poll eventfd");
	if (n == 0)
		return 0;
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return fail("read eventfd");
	if (count)
		*count = v;
	return 1;
}

uint64_t vu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- modules and this process ---- */

int vu_module_refcnt(const char *name)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	if (vu_read_file(path, buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

long vu_status_kb(const char *field)
{
	size_t n = strlen(field);
	char line[256];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return fail("open /proc/self/status");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':' &&
		    sscanf(line + n + 1, "%ld kB", &kb) == 1)
			break;
	fclose(f);
	if (kb < 0) {
		errno = ENOENT;
		return fail("no %s in /proc/self/status", field);
	}
	return kb;
}

long vu_locked_kb(void)
{
	return vu_status_kb("VmLck");
}

/* ---- KVM and its KVM-VFIO device ---- */

int vu_kvm_open(void)
{
	int fd;

	if (access("/dev/kvm", F_OK) &&
	    system("modprobe -q kvm_amd 2>/dev/null || "
		   "modprobe -q kvm_intel 2>/dev/null") == -1)
		return fail("running modprobe");
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("open /dev/kvm (no kvm_amd/kvm_intel?)");
	return fd;
}

int vu_kvm_create_vm(int kvm)
{
	int fd = ioctl(kvm, KVM_CREATE_VM, 0);

	return fd < 0 ? fail("KVM_CREATE_VM") : fd;
}

int vu_kvm_create_vfio(int vm)
{
	struct kvm_create_device cd = {.type = KVM_DEV_TYPE_VFIO};

	if (ioctl(vm, KVM_CREATE_DEVICE, &cd))
		return fail("KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO)");
	return cd.fd;
}

int vu_kvm_dev_set_fd(int dev, uint32_t group, uint64_t attr, int32_t fd)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uint64_t)(uintptr_t)&fd,
	};

	if (ioctl(dev, KVM_SET_DEVICE_ATTR, &a))
		return fail("KVM_SET_DEVICE_ATTR(%u, %llu, fd %d)", group,
			    (unsigned long long)attr, fd);
	return 0;
}

int vu_kvm_dev_has(int dev, uint32_t group, uint64_t attr)
{
	struct kvm_device_attr a = {.group = group, .attr = attr};

	if (ioctl(dev, KVM_HAS_DEVICE_ATTR, &a))
		return fail("KVM_HAS_DEVICE_ATTR(%u, %llu)", group,
			    (unsigned long long)attr);
	return 0;
}
