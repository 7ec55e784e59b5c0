// SPDX-License-Identifier: GPL-2.0-only
/*
 * nvfio's visibility files and trace events (docs/visibility.md), ours
 * only: sysfs nvfio/ under the device (holders, open count, container,
 * interrupts, resets, revoked), debugfs nvfio/containers/<id>/ (groups,
 * backend, mappings, stats), both root-only, and the nvfio:* events in
 * tracefs.  Every value is checked exactly against what the test did.
 */
#define _GNU_SOURCE
#include "fixture.h"
#include "test_pci_util.h"
#include "trace_util.h"
#include "type1_util.h"

#include <dirent.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#define DEBUGFS "/sys/kernel/debug"
#define CONTAINERS DEBUGFS "/nvfio/containers"
#define IRQ_WAIT_MS 3000
#define NOBODY 65534

static const char *dev_path(const char *file)
{
	static char p[256];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/nvfio/%s", fx_bdf(),
		 file);
	return p;
}

/* A file of the device's nvfio/ directory, which must be readable. */
static const char *dev_file(const char *file)
{
	const char *s = tu_slurp(dev_path(file));

	if (!s)
		FAIL("read %s: %s", dev_path(file), strerror(errno));
	return s;
}

#define ASSERT_STR(expected, actual)                                           \
	do {                                                                   \
		const char *_e = (expected), *_a = (actual);                   \
		if (strcmp(_e, _a))                                            \
			FAIL("%s: expected \"%s\", got \"%s\"", #actual, _e,   \
			     _a);                                              \
	} while (0)

static const char *ctr_path(int id, const char *file)
{
	static char p[256];

	snprintf(p, sizeof(p), CONTAINERS "/%d/%s", id, file);
	return p;
}

static const char *ctr_file(int id, const char *file)
{
	const char *s;

	s = tu_slurp(ctr_path(id, file));
	if (!s)
		FAIL("read %s: %s", ctr_path(id, file), strerror(errno));
	return s;
}

static void need_debugfs(void)
{
	struct stat st;

	if (stat(DEBUGFS "/nvfio", &st) &&
	    mount("debugfs", DEBUGFS, "debugfs", 0, NULL) && errno != EBUSY)
		FAIL("mount debugfs: %s", strerror(errno));
	if (stat(CONTAINERS, &st))
		FAIL("%s: %s", CONTAINERS, strerror(errno));
}

/* The device's container id, from sysfs nvfio/container. */
static int container_id(void)
{
	const char *s = dev_file("container");
	char *end;
	long id = strtol(s, &end, 10);

	if (end == s || strcmp(end, "\n"))
		FAIL("nvfio/container is \"%s\", not a number", s);
	return (int)id;
}

static const char *my_comm(void)
{
	static char comm[32];

	if (vu_read_file("/proc/self/comm", comm, sizeof(comm)))
		FAIL("%s", vu_last_error());
	return comm;
}

/* "<pid> <comm>\n" of this process. */
static const char *holder_line(pid_t pid)
{
	static char line[64];

	snprintf(line, sizeof(line), "%d %s\n", pid, my_comm());
	return line;
}

/* The value of "<key> <value>" in a stats file. */
static const char *stat_value(const char *stats, const char *key)
{
	static char v[64];
	const char *p = stats;
	size_t klen = strlen(key);

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ' ') {
			sscanf(p + klen + 1, "%63[^\n]", v);
			return v;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	FAIL("no \"%s\" in stats:\n%s", key, stats);
}

/* ---- holders, open count, container ---- */

TEST_OURS_ONLY(visibility_holders)
{
	int sync[2], done[2], id, dev2;
	char expect[128], c;
	struct vu_dev d;
	struct stat st;
	pid_t child;
	int status;

	REQUIRE_OURS();
	need_debugfs();
	ASSERT_STR("0\n", dev_file("open_count"));
	ASSERT_STR("", dev_file("holders"));
	ASSERT_STR("none\n", dev_file("container"));
	ASSERT_STR("0\n", dev_file("revoked"));

	fx_open(&d, VU_STAGE_DEVICE);
	ASSERT_STR("1\n", dev_file("open_count"));
	ASSERT_STR(holder_line(getpid()), dev_file("holders"));
	id = container_id();
	ASSERT_TRUE(id >= 0);
	snprintf(expect, sizeof(expect), "%d\n", d.group_id);
	ASSERT_STR(expect, ctr_file(id, "groups"));
	ASSERT_STR("nvfio-iommu-type1\n", ctr_file(id, "backend"));
	ASSERT_STR("", ctr_file(id, "mappings"));

	/* A second fd of the same process: counted, listed once. */
	dev2 = vu_get_device_fd(d.group, d.bdf);
	ASSERT_OK(dev2);
	ASSERT_STR("2\n", dev_file("open_count"));
	ASSERT_STR(holder_line(getpid()), dev_file("holders"));

	/* A child that opens its own fd through the inherited group fd. */
	ASSERT_OK(pipe(sync));
	ASSERT_OK(pipe(done));
	fflush(NULL);
	child = fork();
	ASSERT_OK(child);
	if (!child) {
		int fd;

		/* EOF on @done if the parent dies: never outlive it. */
		close(done[1]);
		close(sync[0]);
		fd = vu_get_device_fd(d.group, d.bdf);

		if (fd < 0 || write(sync[1], "x", 1) != 1)
			_exit(1);
		/* Hold it until the parent has looked. */
		if (read(done[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(1, read(sync[0], &c, 1));
	ASSERT_STR("3\n", dev_file("open_count"));
	/* (holder_line() returns one static buffer) */
	snprintf(expect, sizeof(expect), "%s", holder_line(getpid()));
	strcat(expect, holder_line(child));
	ASSERT_STR(expect, dev_file("holders"));
	ASSERT_EQ(1, write(done[1], "x", 1));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_STR("2\n", dev_file("open_count"));
	ASSERT_STR(holder_line(getpid()), dev_file("holders"));

	ASSERT_OK(close(dev2));
	ASSERT_STR("1\n", dev_file("open_count"));
	vu_dev_close(&d);
	ASSERT_STR("0\n", dev_file("open_count"));
	ASSERT_STR("", dev_file("holders"));
	ASSERT_STR("none\n", dev_file("container"));
	/* The container is gone with its last fd and group: so is its dir. */
	snprintf(expect, sizeof(expect), CONTAINERS "/%d", id);
	ASSERT_ERRNO(ENOENT, stat(expect, &st));
}

/* Containers without a backend that have a directory: only ours here. */
static int count_unset(void)
{
	DIR *dir = opendir(CONTAINERS);
	struct dirent *e;
	int n = 0;

	if (!dir)
		FAIL("%s: %s", CONTAINERS, strerror(errno));
	while ((e = readdir(dir))) {
		const char *s;

		if (e->d_name[0] == '.')
			continue;
		s = ctr_file(atoi(e->d_name), "backend");
		if (!strcmp(s, "none\n")) {
			ASSERT_STR("", ctr_file(atoi(e->d_name), "mappings"));
			ASSERT_STR("", ctr_file(atoi(e->d_name), "groups"));
			n++;
		}
	}
	closedir(dir);
	return n;
}

/* A container's directory lives from its open to its last reference. */
TEST_OURS_ONLY(visibility_container_lifetime)
{
	char path[128];
	struct vu_dev d;
	struct stat st;
	int id;

	REQUIRE_OURS();
	need_debugfs();
	fx_open(&d, VU_STAGE_DEVICE);
	id = container_id();
	/* The container fd closed, the group still holds the container. */
	ASSERT_OK(close(d.container));
	d.container = -1;
	ASSERT_EQ(id, container_id());
	ASSERT_STR("nvfio-iommu-type1\n", ctr_file(id, "backend"));
	ASSERT_OK(close(d.device));
	d.device = -1;
	ASSERT_OK(close(d.group));
	d.group = -1;
	snprintf(path, sizeof(path), CONTAINERS "/%d", id);
	ASSERT_ERRNO(ENOENT, stat(path, &st));
	ASSERT_STR("none\n", dev_file("container"));

	/* An unused container has a directory, no backend, no mapping. */
	ASSERT_EQ(0, count_unset());
	d.container = vu_open_container();
	ASSERT_OK(d.container);
	ASSERT_EQ(1, count_unset());
	ASSERT_OK(close(d.container));
	ASSERT_EQ(0, count_unset());
}

/* ---- DMA mappings and stats ---- */

TEST_OURS_ONLY(visibility_mappings)
{
	const char *stats;
	char expect[256];
	struct vu_dev d;
	uint8_t *buf;
	int id;

	REQUIRE_OURS();
	need_debugfs();
	fx_open(&d, VU_STAGE_DEVICE);
	id = container_id();
	buf = vu_alloc_dma_buffer(SZ_64K + 2 * SZ_4K);
	ASSERT_TRUE(buf != NULL);
	memset(buf, 1, SZ_64K + 2 * SZ_4K); /* populated */
	ASSERT_OK(t1_map(d.container, buf, T1_IOVA, SZ_64K, T1_RW));
	ASSERT_OK(t1_map(d.container, buf + SZ_64K, 0x200000, SZ_4K,
			 VFIO_DMA_MAP_FLAG_READ));
	ASSERT_OK(t1_map(d.container, buf + SZ_64K + SZ_4K, 0x300000, SZ_4K,
			 VFIO_DMA_MAP_FLAG_WRITE));
	ASSERT_STR("0x100000 0x10000 rw\n"
		   "0x200000 0x1000 r\n"
		   "0x300000 0x1000 w\n",
		   ctr_file(id, "mappings"));

	stats = ctr_file(id, "stats");
	ASSERT_STR("3", stat_value(stats, "mappings"));
	ASSERT_STR("0", stat_value(stats, "busy_mappings"));
	ASSERT_STR("18", stat_value(stats, "pinned_pages"));
	ASSERT_STR("18", stat_value(stats, "locked_pages"));
	ASSERT_STR("off", stat_value(stats, "dirty_tracking"));
	snprintf(expect, sizeof(expect), "%d %s 18", getpid(), my_comm());
	ASSERT_STR(expect, stat_value(stats, "charged"));

	ASSERT_OK(
		t1_dirty_pages(d.container, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	ASSERT_STR("on", stat_value(ctr_file(id, "stats"), "dirty_tracking"));
	ASSERT_OK(
		t1_dirty_pages(d.container, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	ASSERT_STR("off", stat_value(ctr_file(id, "stats"), "dirty_tracking"));

	/* VADDR invalidation shows; the pages stay pinned. */
	ASSERT_OK(t1_unmap(d.container, 0x200000, SZ_4K,
			   VFIO_DMA_UNMAP_FLAG_VADDR, NULL));
	ASSERT_STR("0x100000 0x10000 rw\n"
		   "0x200000 0x1000 r,novaddr\n"
		   "0x300000 0x1000 w\n",
		   ctr_file(id, "mappings"));
	ASSERT_STR("18", stat_value(ctr_file(id, "stats"), "pinned_pages"));
	ASSERT_OK(t1_map(d.container, buf + SZ_64K, 0x200000, SZ_4K,
			 VFIO_DMA_MAP_FLAG_VADDR));

	ASSERT_OK(t1_unmap(d.container, T1_IOVA, SZ_64K, 0, NULL));
	ASSERT_STR("0x200000 0x1000 r\n"
		   "0x300000 0x1000 w\n",
		   ctr_file(id, "mappings"));
	stats = ctr_file(id, "stats");
	ASSERT_STR("2", stat_value(stats, "mappings"));
	ASSERT_STR("2", stat_value(stats, "pinned_pages"));
	ASSERT_STR("2", stat_value(stats, "locked_pages"));

	ASSERT_OK(t1_unmap(d.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	ASSERT_STR("", ctr_file(id, "mappings"));
	stats = ctr_file(id, "stats");
	ASSERT_STR("0", stat_value(stats, "mappings"));
	ASSERT_STR("0", stat_value(stats, "pinned_pages"));
	ASSERT_TRUE(!strstr(stats, "charged"));
	vu_free_dma_buffer(buf, SZ_64K + 2 * SZ_4K);
	vu_dev_close(&d);
}

/* ---- interrupts and resets ---- */

static void raise_and_wait(struct edu *e, int efd, uint32_t bit)
{
	uint64_t cnt = 0;

	ASSERT_OK(edu_write32(e, EDU_REG_IRQ_RAISE, bit));
	ASSERT_EQ(1, vu_eventfd_wait(efd, IRQ_WAIT_MS, &cnt));
	ASSERT_OK(edu_irq_ack(e, bit));
}

TEST_OURS_ONLY(visibility_irq_counts)
{
	struct vu_dev d;
	struct edu e;
	uint64_t cnt;
	int efd;

	REQUIRE_OURS();
	fx_open_edu(&d, &e, false);
	ASSERT_OK(vu_pci_command_set(d.device,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	ASSERT_STR("none\n", dev_file("irq_mode"));
	ASSERT_STR("", dev_file("irq_counts"));
	efd = vu_eventfd_new();
	ASSERT_OK(efd);
	ASSERT_OK(vu_irq_set_eventfds(d.device, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
				      &efd));
	ASSERT_STR("msi\n", dev_file("irq_mode"));
	ASSERT_STR("0 0\n", dev_file("irq_counts"));
	raise_and_wait(&e, efd, 0x10);
	ASSERT_STR("0 1\n", dev_file("irq_counts"));
	raise_and_wait(&e, efd, 0x20);
	ASSERT_STR("0 2\n", dev_file("irq_counts"));
	/* A loopback trigger from userspace is no interrupt of the device. */
	ASSERT_OK(vu_irq_trigger(d.device, VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	ASSERT_EQ(1, vu_eventfd_wait(efd, IRQ_WAIT_MS, &cnt));
	ASSERT_STR("0 2\n", dev_file("irq_counts"));

	ASSERT_OK(vu_irq_disable(d.device, VFIO_PCI_MSI_IRQ_INDEX));
	ASSERT_STR("none\n", dev_file("irq_mode"));
	ASSERT_STR("", dev_file("irq_counts"));
	ASSERT_OK(close(efd));
	edu_fini(&e);
	vu_dev_close(&d);
}

/* ---- root only ---- */

static const char *const dev_files[] = {
	"open_count", "holders",    "container",   "revoked",
	"irq_mode",   "irq_counts", "reset_count",
};
static const char *const ctr_files[] = {"groups", "backend", "mappings",
					"stats"};

TEST_OURS_ONLY(visibility_root_only)
{
	struct vu_dev d;
	struct stat st;
	pid_t child;
	int status, id;
	size_t i;

	REQUIRE_OURS();
	need_debugfs();
	fx_open(&d, VU_STAGE_DEVICE);
	id = container_id();
	for (i = 0; i < sizeof(dev_files) / sizeof(*dev_files); i++) {
		ASSERT_OK(stat(dev_path(dev_files[i]), &st));
		if ((st.st_mode & 07777) != 0400 || st.st_uid || st.st_gid)
			FAIL("%s: mode %o uid %d gid %d, expected 0400 root",
			     dev_path(dev_files[i]), st.st_mode & 07777,
			     st.st_uid, st.st_gid);
	}
	for (i = 0; i < sizeof(ctr_files) / sizeof(*ctr_files); i++) {
		ASSERT_OK(stat(ctr_path(id, ctr_files[i]), &st));
		if ((st.st_mode & 07777) != 0400 || st.st_uid)
			FAIL("%s: mode %o uid %d, expected 0400 root",
			     ctr_path(id, ctr_files[i]), st.st_mode & 07777,
			     st.st_uid);
	}

	fflush(NULL);
	child = fork();
	ASSERT_OK(child);
	if (!child) {
		ASSERT_OK(setgroups(0, NULL));
		ASSERT_OK(setgid(NOBODY));
		ASSERT_OK(setuid(NOBODY));
		ASSERT_ERRNO(EPERM, setuid(0));
		for (i = 0; i < sizeof(dev_files) / sizeof(*dev_files); i++)
			ASSERT_ERRNO(EACCES,
				     open(dev_path(dev_files[i]), O_RDONLY));
		for (i = 0; i < sizeof(ctr_files) / sizeof(*ctr_files); i++)
			ASSERT_ERRNO(EACCES, open(ctr_path(id, ctr_files[i]),
						  O_RDONLY));
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		FAIL("the unprivileged child failed (status 0x%x)", status);
	vu_dev_close(&d);
}

/* ---- unbind ---- */

static void rebind_edu(void)
{
	vu_bind_driver(fx_bdf(), "vfio-pci");
}

TEST_OURS_ONLY(visibility_unbind)
{
	char path[256];
	struct stat st;

	REQUIRE_OURS();
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/nvfio", fx_bdf());
	ASSERT_OK(stat(path, &st));
	atexit(rebind_edu);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind",
		 fx_bdf());
	ASSERT_OK(vu_write_file(path, fx_bdf()));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/nvfio", fx_bdf());
	ASSERT_ERRNO(ENOENT, stat(path, &st));
	ASSERT_OK(vu_bind_driver(fx_bdf(), "vfio-pci"));
	ASSERT_OK(stat(path, &st));
	ASSERT_STR("0\n", dev_file("open_count"));
}

/* ---- trace events ---- */

static const char *const events[] = {
	"device_open", "device_close", "dma_map",      "dma_unmap",
	"set_irqs",    "irq_trigger",  "device_reset", "device_revoke",
};

/* reset_count of @bdf. */
static long reset_count(const char *bdf)
{
	char p[256];
	const char *s;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/nvfio/reset_count",
		 bdf);
	s = tu_slurp(p);
	if (!s)
		FAIL("read %s: %s", p, strerror(errno));
	return strtol(s, NULL, 10);
}

/*
 * Resets, counted and traced, on the first bench device with a function
 * reset (the edu has none under QEMU).
 */
TEST_OURS_ONLY(visibility_reset_count)
{
	for (unsigned int i = 0; i < pu_nbench; i++) {
		struct vfio_device_info info = {.argsz = sizeof(info)};
		char bdf[VU_BDF_LEN], l[192];
		long before;
		struct vu_dev d;
		const char *trace;

		REQUIRE_OURS();
		if (!pu_present(&pu_bench[i]))
			continue;
		pu_open(&pu_bench[i], &d);
		snprintf(bdf, sizeof(bdf), "%s", d.bdf);
		ASSERT_OK(vu_device_info(d.device, &info));
		if (!(info.flags & VFIO_DEVICE_FLAGS_RESET)) {
			vu_dev_close(&d);
			pu_release(bdf);
			continue;
		}
		tu_trace_start("test", events,
			       sizeof(events) / sizeof(*events));
		before = reset_count(bdf);
		/* The open reset it (the function reset works). */
		ASSERT_TRUE(before >= 1);
		ASSERT_EQ(0, ioctl(d.device, VFIO_DEVICE_RESET));
		ASSERT_EQ(before + 1, reset_count(bdf));
		ASSERT_EQ(0, ioctl(d.device, VFIO_DEVICE_RESET));
		ASSERT_EQ(before + 2, reset_count(bdf));
		/* The last close resets it too. */
		vu_dev_close(&d);
		ASSERT_EQ(before + 3, reset_count(bdf));

		trace = tu_trace_read();
		snprintf(l, sizeof(l), "device_reset: dev=%s how=ioctl", bdf);
		tu_trace_expect(trace, l);
		snprintf(l, sizeof(l), "device_reset: dev=%s how=close", bdf);
		tu_trace_expect(trace, l);
		tu_trace_stop();
		pu_release(bdf);
		return;
	}
	SKIP("no bench device with a function reset");
}

TEST_OURS_ONLY(visibility_trace_events)
{
	const char *bdf = fx_bdf(), *trace;
	struct vfio_device_info info;
	char l[192];
	struct vu_dev d;
	struct edu e;
	uint8_t *buf;
	int efd;

	REQUIRE_OURS();
	tu_trace_start("test", events, sizeof(events) / sizeof(*events));
	fx_open_edu(&d, &e, false);
	ASSERT_OK(vu_pci_command_set(d.device,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	buf = vu_alloc_dma_buffer(SZ_64K);
	ASSERT_TRUE(buf != NULL);
	ASSERT_OK(t1_map(d.container, buf, T1_IOVA, SZ_64K, T1_RW));
	efd = vu_eventfd_new();
	ASSERT_OK(efd);
	ASSERT_OK(vu_irq_set_eventfds(d.device, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
				      &efd));
	raise_and_wait(&e, efd, 0x10);
	ASSERT_OK(vu_device_info(d.device, &info));
	if (info.flags & VFIO_DEVICE_FLAGS_RESET)
		ASSERT_EQ(0, ioctl(d.device, VFIO_DEVICE_RESET));
	ASSERT_OK(vu_irq_disable(d.device, VFIO_PCI_MSI_IRQ_INDEX));
	ASSERT_OK(t1_unmap(d.container, T1_IOVA, SZ_64K, 0, NULL));
	edu_fini(&e);
	vu_dev_close(&d);
	vu_free_dma_buffer(buf, SZ_64K);

	trace = tu_trace_read();
	snprintf(l, sizeof(l), "device_open: dev=%s open_count=1", bdf);
	tu_trace_expect(trace, l);
	tu_trace_expect(trace, "dma_map: iova=0x100000 size=0x10000 pages=16");
	snprintf(l, sizeof(l),
		 "set_irqs: dev=%s index=1 start=0 count=1 flags=0x24 ret=0",
		 bdf);
	tu_trace_expect(trace, l);
	snprintf(l, sizeof(l), "irq_trigger: dev=%s index=1 vector=0", bdf);
	tu_trace_expect(trace, l);
	if (info.flags & VFIO_DEVICE_FLAGS_RESET) {
		snprintf(l, sizeof(l), "device_reset: dev=%s how=ioctl", bdf);
		tu_trace_expect(trace, l);
	}
	snprintf(l, sizeof(l),
		 "set_irqs: dev=%s index=1 start=0 count=0 flags=0x21 ret=0",
		 bdf);
	tu_trace_expect(trace, l);
	tu_trace_expect(trace,
			"dma_unmap: iova=0x100000 size=0x10000 pages=16");
	snprintf(l, sizeof(l), "device_close: dev=%s open_count=0", bdf);
	tu_trace_expect(trace, l);
	/* The events come from this process (the irq from the device). */
	snprintf(l, sizeof(l), "-%d ", getpid());
	tu_trace_expect(trace, l);
	tu_trace_stop();
}
