// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every refusal explains itself (ours only): a request refused for a
 * privilege, resource or topology reason fails with mainline's errno and
 * the kernel logs one rate-limited line, "<source>: <operation> refused for
 * <comm>[<pid>]: <cause>; <fix>" (docs/refusals.md).  Each test triggers a
 * refusal, asserts the errno and reads the line from /dev/kmsg.  The
 * errnos are mainline's: the conformance tests named in each comment assert
 * the same refusal in both modes.
 *
 *   refusal_memlock      RLIMIT_MEMLOCK: needed bytes vs the limit, who
 *   refusal_not_viable   SET_CONTAINER / GET_DEVICE_FD on a group with a
 *                        device on a kernel driver: which device, driver
 *   refusal_unsafe_msi   attach without interrupt remapping: the line only
 *                        (the bench has interrupt remapping), through the
 *                        test module
 *   refusal_hot_reset    which function (not on vfio-pci) or which group
 *                        (no fd passed) blocks a hot reset; no bus reset
 *   refusal_entry_limit  dma_entry_limit reached
 *   refusal_group_busy   group file already open: which process has it
 *   refusal_iova         MAP_DMA on a reserved range (which one, whose)
 *                        or outside the aperture; bad arguments get none
 *   refusal_rate_limited a refusal repeated 50 times logs at most 10 lines
 */
#include "test_core.h"
#include "type1_util.h"
#include "../kernel/testing/nvfio_ext_test.h"

#include <inttypes.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* "<comm>[<pid>]" of this process, as the lines name it. */
static const char *who(void)
{
	static char buf[64];
	char comm[32] = "";
	size_t n;

	if (vu_read_file("/proc/self/comm", comm, sizeof(comm)) < 0)
		FAIL("read /proc/self/comm: %s", strerror(errno));
	n = strcspn(comm, "\n");
	comm[n] = 0;
	snprintf(buf, sizeof(buf), "%s[%d]", comm, getpid());
	return buf;
}

static int kmsg_open(void)
{
	int fd = cu_kmsg_open();

	if (fd < 0)
		FAIL("open /dev/kmsg: %s", strerror(errno));
	return fd;
}

/*
 * The next kernel line containing every one of the NULL-terminated
 * @needles (into @line), failing the test if none came.
 */
#define EXPECT_LINE(kmsg, line, ...)                                           \
	expect_line(__LINE__, kmsg, line, (const char *[]){__VA_ARGS__, NULL})

static void expect_line(int at, int kmsg, char line[512],
			const char *const *needles)
{
	if (cu_kmsg_find(kmsg, needles, line, 512)) {
		printf("line %d: %s", at, line);
		return;
	}
	printf("no kernel line with all of:\n");
	for (const char *const *s = needles; *s; s++)
		printf("  '%s'\n", *s);
	FAIL("line %d: the refusal was not explained", at);
}

/* How many kernel lines (from now on in @kmsg) contain all @needles. */
static int count_lines(int kmsg, const char *const *needles)
{
	char line[512];
	int n = 0;

	while (cu_kmsg_find(kmsg, needles, line, sizeof(line)))
		n++;
	return n;
}

/* Conformance: type1_rlimit_memlock, unpriv_memlock (ENOMEM). */
TEST_OURS_ONLY(refusal_memlock)
{
	char line[512], limit[64];
	unsigned long long need;
	struct rlimit rl;
	struct vu_dev d;
	const char *p;
	long long base;
	int kmsg;
	char *b;

	fx_open(&d, VU_STAGE_IOMMU);
	b = vu_alloc_dma_buffer(4 * SZ_64K);
	base = vu_locked_kb() * 1024;
	rl.rlim_cur = rl.rlim_max = base + 2 * SZ_64K;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	t1_drop_ipc_lock();
	snprintf(limit, sizeof(limit), " bytes locked, limit %llu;",
		 (unsigned long long)rl.rlim_cur);

	kmsg = kmsg_open();
	ASSERT_ERRNO(ENOMEM, vu_dma_map(d.container, b, T1_IOVA, 4 * SZ_64K));
	EXPECT_LINE(kmsg, line, "vfio_iommu_type1: DMA pinning refused for ",
		    who(), ": RLIMIT_MEMLOCK exceeded: needs ", limit,
		    "raise the memlock limit", "CAP_IPC_LOCK");
	/* What it needed: more than the limit, at most all of the map. */
	p = strstr(line, "needs ");
	ASSERT_TRUE(p && sscanf(p, "needs %llu", &need) == 1);
	ASSERT_TRUE(need > rl.rlim_cur);
	ASSERT_TRUE(need <= (unsigned long long)base + 4 * SZ_64K);
	close(kmsg);
	vu_dev_close(&d);
}

/* Conformance: core_viability_kernel_driver (EPERM, EINVAL). */
TEST_OURS_ONLY(refusal_not_viable)
{
	struct shared_group g;
	char gid[32], nic[128], line[512];
	struct vu_dev d;
	int kmsg;

	sg_setup(&g, true);
	sg_bind_e1000(&g);
	fx_open(&d, VU_STAGE_CONTAINER);
	d.group = open(g.path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(d.group);
	snprintf(gid, sizeof(gid), "vfio: group %d: ", g.id);
	snprintf(
		nic, sizeof(nic),
		": group not viable: a device is bound to a kernel driver: %s (driver e1000); ",
		g.nic);

	kmsg = kmsg_open();
	ASSERT_ERRNO(EPERM,
		     ioctl(d.group, VFIO_GROUP_SET_CONTAINER, &d.container));
	EXPECT_LINE(kmsg, line, gid, "VFIO_GROUP_SET_CONTAINER refused for ",
		    who(), nic, "unbind it, or bind it to vfio-pci");
	/* The edu itself is ours: it is not named as a blocker. */
	ASSERT_TRUE(!strstr(line, g.edu));

	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, g.edu));
	EXPECT_LINE(kmsg, line, gid, "VFIO_GROUP_GET_DEVICE_FD refused for ",
		    who(), nic, "unbind it");
	close(kmsg);
	vu_dev_close(&d);
}

/*
 * The bench's guests have interrupt remapping, so no attach is refused for
 * its lack (and no conformance test can see that EPERM).  What the tests
 * can do: see that the attach works here, and have the test module make
 * the backend log the line it logs on that refusal.
 */
TEST_OURS_ONLY(refusal_unsafe_msi)
{
	char gid[64], line[512];
	struct vu_dev d;
	int ext, kmsg, id;

	fx_open(&d, VU_STAGE_IOMMU); /* attached: MSIs are isolated here */
	id = fx_group_id();
	snprintf(gid, sizeof(gid), "vfio_iommu_type1: group %d: ", id);
	ext = fx_ext_open();
	kmsg = kmsg_open();
	ASSERT_EQ(0, ioctl(ext, NVFIO_EXT_UNSAFE_MSI_LINE, &id));
	EXPECT_LINE(
		kmsg, line, gid, "attach refused for ", who(),
		": no interrupt remapping, the group's MSIs are not isolated; enable interrupt remapping",
		"allow_unsafe_interrupts=1");
	close(kmsg);
	close(ext);
	vu_dev_close(&d);
}

static int hot_reset(int device, const int32_t *fds, uint32_t n)
{
	union {
		struct vfio_pci_hot_reset h;
		uint8_t b[sizeof(struct vfio_pci_hot_reset) +
			  4 * sizeof(int32_t)];
	} u;

	memset(&u, 0, sizeof(u));
	u.h.argsz = sizeof(u.h) + n * sizeof(int32_t);
	u.h.count = n;
	memcpy(u.h.group_fds, fds, n * sizeof(int32_t));
	return ioctl(device, VFIO_DEVICE_PCI_HOT_RESET, &u);
}

/*
 * Conformance: pci_reset_hot_reset (EINVAL for a function not on vfio-pci
 * and for a group not passed), pci_reset_hot_reset_root_bus (ENODEV).
 */
TEST_OURS_ONLY(refusal_hot_reset)
{
	char src[64], hits[96], group[64], fix[64], line[512];
	struct shared_group g;
	struct vu_dev d, root;
	int32_t fd;
	int kmsg;

	sg_setup(&g, true);
	if (vu_dev_open(&d, g.edu, VU_STAGE_DEVICE))
		FAIL("open %s: %s", g.edu, vu_last_error());
	snprintf(src, sizeof(src), "vfio-pci %s: ", g.edu);
	kmsg = kmsg_open();

	/* The e1000 has no driver: not ours to reset. */
	fd = d.group;
	ASSERT_ERRNO(EINVAL, hot_reset(d.device, &fd, 1));
	snprintf(hits, sizeof(hits), ": the reset hits %s, ", g.nic);
	EXPECT_LINE(
		kmsg, line, src, "VFIO_DEVICE_PCI_HOT_RESET refused for ",
		who(), hits,
		"which is not bound to vfio-pci (driver none); bind it to vfio-pci");

	/* On vfio-pci, but the user passes another group's fd. */
	ASSERT_OK(cu_bind(g.nic, "vfio-pci"));
	fx_open(&root, VU_STAGE_DEVICE);
	fd = root.group;
	ASSERT_ERRNO(EINVAL, hot_reset(d.device, &fd, 1));
	snprintf(group, sizeof(group),
		 " of group %d, and no group fd passed is that group's; ",
		 g.id);
	snprintf(fix, sizeof(fix), "pass a fd of /dev/vfio/%d too", g.id);
	EXPECT_LINE(kmsg, line, src, "VFIO_DEVICE_PCI_HOT_RESET refused for ",
		    who(), ": the reset hits ", group, fix);

	/* The root-bus edu has neither a slot nor a bus reset. */
	snprintf(src, sizeof(src), "vfio-pci %s: ", root.bdf);
	ASSERT_ERRNO(ENODEV, hot_reset(root.device, &fd, 1));
	EXPECT_LINE(kmsg, line, src, "VFIO_DEVICE_PCI_HOT_RESET refused for ",
		    who(), ": neither its slot nor its bus can be reset",
		    "use VFIO_DEVICE_RESET instead");

	/* The right group: no refusal, no line. */
	fd = d.group;
	ASSERT_EQ(0, hot_reset(d.device, &fd, 1));
	ASSERT_EQ(0, count_lines(kmsg,
				 (const char *[]){"VFIO_DEVICE_PCI_HOT_RESET",
						  NULL}));
	close(kmsg);
	vu_dev_close(&root);
	vu_dev_close(&d);
}

static char saved_limit[32];

static void restore_limit(void)
{
	vu_write_file(t1_param_path("dma_entry_limit"), saved_limit);
}

/* Conformance: type1_entry_limit (ENOSPC). */
TEST_OURS_ONLY(refusal_entry_limit)
{
	char line[512];
	struct vu_dev d;
	int kmsg;
	char *b;

	ASSERT_OK(vu_read_file(t1_param_path("dma_entry_limit"), saved_limit,
			       sizeof(saved_limit)));
	atexit(restore_limit);
	ASSERT_OK(vu_write_file(t1_param_path("dma_entry_limit"), "2"));
	fx_open(&d, VU_STAGE_IOMMU);
	restore_limit(); /* read at open: this container keeps 2 */
	b = vu_alloc_dma_buffer(SZ_4K);
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, SZ_4K));
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA + SZ_64K, SZ_4K));

	kmsg = kmsg_open();
	ASSERT_ERRNO(ENOSPC,
		     vu_dma_map(d.container, b, T1_IOVA + 2 * SZ_64K, SZ_4K));
	EXPECT_LINE(
		kmsg, line, "vfio_iommu_type1: VFIO_IOMMU_MAP_DMA refused for ",
		who(),
		": the container holds 2 mappings, its dma_entry_limit; unmap some, or raise vfio_iommu_type1.dma_entry_limit");
	close(kmsg);
	vu_dev_close(&d);
	vu_free_dma_buffer(b, SZ_4K);
}

/* Conformance: group_open_twice, core_group_open_once (EBUSY). */
TEST_OURS_ONLY(refusal_group_busy)
{
	char path[64], gid[64], holder[64], line[512];
	int ready[2], hold[2], kmsg, status;
	pid_t pid;
	char c;

	snprintf(path, sizeof(path), "/dev/vfio/%d", fx_group_id());
	ASSERT_OK(pipe(ready));
	ASSERT_OK(pipe(hold));
	pid = fork();
	ASSERT_OK(pid);
	if (!pid) {
		/* Open the group under another name and keep it open. */
		int g;

		close(ready[0]);
		close(hold[1]);
		prctl(PR_SET_NAME, "grp-holder");
		g = open(path, O_RDWR | O_CLOEXEC);
		c = g < 0 ? 'n' : 'y';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		/* Until the parent closes its end (or exits). */
		while (read(hold[0], &c, 1) > 0)
			;
		_exit(g < 0);
	}
	close(ready[1]);
	close(hold[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ('y', c);

	kmsg = kmsg_open();
	ASSERT_ERRNO(EBUSY, open(path, O_RDWR | O_CLOEXEC));
	snprintf(gid, sizeof(gid), "vfio: group %d: open refused for ",
		 fx_group_id());
	snprintf(holder, sizeof(holder), ": already open by grp-holder[%d] ",
		 pid);
	EXPECT_LINE(kmsg, line, gid, who(), holder, "close it there");

	close(hold[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Closed there: the group opens here, and says nothing. */
	status = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(status);
	close(status);
	ASSERT_EQ(0, count_lines(kmsg,
				 (const char *[]){"open refused for ", NULL}));
	close(kmsg);
}

/* Conformance: type1_map_invalid (EINVAL). */
TEST_OURS_ONLY(refusal_iova)
{
	char msi[128], line[512];
	struct vu_dev d;
	int kmsg;
	char *b;

	fx_open(&d, VU_STAGE_IOMMU);
	b = vu_alloc_dma_buffer(SZ_64K);
	kmsg = kmsg_open();

	ASSERT_ERRNO(EINVAL, vu_dma_map(d.container, b, 0xfedff000, 0x2000));
	snprintf(
		msi, sizeof(msi),
		": IOVA 0xfedff000-0xfee00fff overlaps reserved range 0xfee00000-0xfeefffff (msi) of IOMMU group %d; ",
		fx_group_id());
	EXPECT_LINE(kmsg, line,
		    "vfio_iommu_type1: VFIO_IOMMU_MAP_DMA refused for ", who(),
		    msi, "map within one usable range (VFIO_IOMMU_GET_INFO");

	ASSERT_ERRNO(EINVAL, vu_dma_map(d.container, b, 1ULL << 60, SZ_4K));
	EXPECT_LINE(
		kmsg, line, "vfio_iommu_type1: VFIO_IOMMU_MAP_DMA refused for ",
		who(),
		": IOVA 0x1000000000000000-0x1000000000000fff outside the IOMMU aperture 0x0-0x");

	/* Bad arguments are not refusals: the next line is the MSI one. */
	ASSERT_ERRNO(EINVAL, vu_dma_map(d.container, b, T1_IOVA, 0x800));
	ASSERT_ERRNO(EINVAL, vu_dma_map(d.container, b, 0xfee00000, SZ_4K));
	EXPECT_LINE(kmsg, line, "VFIO_IOMMU_MAP_DMA refused for ", who());
	ASSERT_TRUE(strstr(line, "IOVA 0xfee00000-0xfee00fff overlaps"));
	close(kmsg);
	vu_dev_close(&d);
	vu_free_dma_buffer(b, SZ_64K);
}

/*
 * The same refusal 50 times in a row: every one fails with its errno, the
 * log gets at least one line and at most the kernel's burst (10 per 5 s).
 * Last in this file, and it waits out the window at the end so that the
 * tests after it find the rate limit fresh.
 */
TEST_OURS_ONLY(refusal_rate_limited)
{
	const char *needles[] = {"VFIO_IOMMU_MAP_DMA refused for ", who(),
				 "reserved range 0xfee00000-0xfeefffff", NULL};
	struct vu_dev d;
	int kmsg, n;
	char *b;

	fx_open(&d, VU_STAGE_IOMMU);
	b = vu_alloc_dma_buffer(SZ_4K);
	kmsg = kmsg_open();
	for (int i = 0; i < 50; i++)
		ASSERT_ERRNO(EINVAL,
			     vu_dma_map(d.container, b, 0xfee00000, SZ_4K));
	n = count_lines(kmsg, needles);
	printf("50 refusals, %d lines\n", n);
	ASSERT_TRUE(n >= 1);
	ASSERT_TRUE(n <= 10);
	close(kmsg);
	vu_dev_close(&d);
	vu_free_dma_buffer(b, SZ_4K);
	usleep(5500 * 1000);
}
