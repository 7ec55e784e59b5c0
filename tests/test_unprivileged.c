// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unprivileged users.  VFIO's permission model is the group node's file
 * permissions: whoever may open /dev/vfio/<group> may drive its devices,
 * with no capability at all.  Each test starts as root, gives the node to
 * an unprivileged user (UP_UID/UP_GID) where it needs to, and does the
 * work in a child that dropped every privilege (no supplementary groups,
 * all uids and gids the user's, no capability left: checked).  The parent
 * puts the node's owner and mode back afterwards, whatever happened.
 *
 * The capability checks reachable from the group, container and device
 * fds in mainline (6.12 and 6.1, drivers/vfio and virt/kvm/vfio.c):
 *
 *   CAP_IPC_LOCK   vfio_iommu_type1.c:vfio_dma_do_map() records it for a
 *                  new mapping (dma->lock_cap): without it RLIMIT_MEMLOCK
 *                  bounds the pinned pages; vfio_change_dma_owner() checks
 *                  it again when a VADDR update moves a mapping's charge to
 *                  another process.  Both tested here.
 *   CAP_SYS_RAWIO  only for no-IOMMU groups and containers, -EPERM
 *                  without it (group.c:vfio_group_fops_open(), in
 *                  vfio_main.c on 6.1; container.c:vfio_noiommu_open(),
 *                  vfio_container_attach_group(), vfio_group_use_container()),
 *                  which need CONFIG_VFIO_NOIOMMU: Debian's 6.12 and 6.1
 *                  kernels are built without it, so no test can reach them.
 *
 * Nothing else asks for a capability: config space (vfio_pci_config.c
 * has no capable(); its limits are the "permissive" parameter, the same
 * for everyone), BAR mmap, interrupts, hot reset (ownership is proven
 * with group fds) and the KVM-VFIO device do not.
 *
 *   unpriv_nodes        the nodes as the kernel makes them (vfio 0666,
 *                       groups 0600 root); without the node's permission
 *                       EACCES, with it (as owner or as group, or a fd
 *                       handed over by root) a working group; a read-only
 *                       open is enough and still gives a read-write device
 *   unpriv_edu          end to end as the user: container, group, type1v2,
 *                       a map within the limit, device fd, BAR0 by pread
 *                       and mmap, config space past the header, edu DMA
 *                       with an MSI, an INTx, unmap, close
 *   unpriv_memlock      RLIMIT_MEMLOCK without CAP_IPC_LOCK: -ENOMEM past
 *                       the soft limit, nothing mapped or charged after;
 *                       root maps the same beyond the limit; device
 *                       memory (a BAR mmap) is not charged, limit or not
 *   unpriv_vaddr_owner  a VADDR update from another process moves the
 *                       charge there: bounded by that process's limit
 *                       unless it has CAP_IPC_LOCK
 *   unpriv_hot_reset    a bus reset as the user, with the group's fd
 */
#define _GNU_SOURCE
#include "test_core.h"
#include "type1_util.h"

#include <grp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/pci_regs.h>

/* nobody/nogroup: no process of the guest runs as them. */
#define UP_UID 65534
#define UP_GID 65534
/* A child's own time limit; the parent gives it this plus a margin. */
#define UP_CHILD_S 40
#define XFER 1024u
#define IRQ_MS 3000

/* ---- the nodes: given away, always put back ---- */

struct up_node {
	char path[64];
	uid_t uid;
	gid_t gid;
	mode_t mode;
};

static struct up_node up_nodes[2];
static unsigned int up_nr;
static pid_t up_owner;

/* Async-signal-safe (chown and chmod only): also run from the alarm. */
static void up_restore_nodes(void)
{
	unsigned int i;

	if (getpid() != up_owner)
		return;
	for (i = 0; i < up_nr; i++) {
		/* The node may be gone with its group: nothing to restore. */
		if (chown(up_nodes[i].path, up_nodes[i].uid, up_nodes[i].gid) ||
		    chmod(up_nodes[i].path, up_nodes[i].mode))
			continue;
	}
}

/* Give @path to @uid:@gid with @mode; the first call saves how it was. */
static void up_give(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	struct up_node *n = NULL;
	struct stat st;
	unsigned int i;

	for (i = 0; i < up_nr; i++)
		if (!strcmp(up_nodes[i].path, path))
			n = &up_nodes[i];
	if (!n) {
		if (up_nr == sizeof(up_nodes) / sizeof(up_nodes[0]))
			FAIL("too many nodes given away");
		ASSERT_OK(stat(path, &st));
		n = &up_nodes[up_nr];
		snprintf(n->path, sizeof(n->path), "%s", path);
		n->uid = st.st_uid;
		n->gid = st.st_gid;
		n->mode = st.st_mode & 07777;
		if (!up_owner) {
			up_owner = getpid();
			atexit(up_restore_nodes);
		}
		up_nr++;
	}
	ASSERT_OK(chown(path, uid, gid));
	ASSERT_OK(chmod(path, mode));
}

static void up_on_alarm(int sig)
{
	static const char msg[] = "FAIL: an unprivileged child timed out\n";

	(void)sig;
	up_restore_nodes();
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(2);
}

/* ---- dropping privileges ---- */

/* A hex field of /proc/self/status ("CapEff"). */
static unsigned long long up_status_hex(const char *field)
{
	unsigned long long v = ~0ULL;
	char line[256], fmt[64];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		FAIL("open /proc/self/status: %s", strerror(errno));
	snprintf(fmt, sizeof(fmt), "%s: %%llx", field);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &v) == 1)
			break;
	fclose(f);
	if (v == ~0ULL)
		FAIL("no %s in /proc/self/status", field);
	return v;
}

/*
 * Become UP_UID:UP_GID with no supplementary group and no capability (all
 * three uids change: the kernel clears the permitted, effective and
 * ambient sets), and check that this is so.
 */
static void up_drop(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct c[2];
	uid_t r, e, s;
	gid_t rg, eg, sg;

	ASSERT_OK(setgroups(0, NULL));
	ASSERT_OK(setgid(UP_GID));
	ASSERT_OK(setuid(UP_UID));
	ASSERT_OK(getresuid(&r, &e, &s));
	ASSERT_TRUE(r == UP_UID && e == UP_UID && s == UP_UID);
	ASSERT_OK(getresgid(&rg, &eg, &sg));
	ASSERT_TRUE(rg == UP_GID && eg == UP_GID && sg == UP_GID);
	ASSERT_EQ(0, getgroups(0, NULL));
	ASSERT_OK(syscall(SYS_capget, &h, c));
	ASSERT_TRUE(!c[0].effective && !c[1].effective);
	ASSERT_TRUE(!c[0].permitted && !c[1].permitted);
	ASSERT_EQ(0, up_status_hex("CapEff"));
	ASSERT_EQ(0, up_status_hex("CapPrm"));
	ASSERT_EQ(0, up_status_hex("CapAmb"));
	ASSERT_ERRNO(EPERM, setuid(0));
}

enum up_who {
	UP_ROOT, /* a child that stays root, with every capability */
	UP_USER, /* a child that drops every privilege */
};

/*
 * Run @fn(@arg) in a child as @who, with RLIMIT_MEMLOCK set to @memlock
 * first (if given: as root, so it may exceed root's own), and fail the
 * test if the child fails (its FAIL line is on stderr already).
 */
static void up_run(enum up_who who, const struct rlimit *memlock,
		   void (*fn)(void *), void *arg)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	ASSERT_OK(pid);
	if (!pid) {
		alarm(UP_CHILD_S);
		if (memlock)
			ASSERT_OK(setrlimit(RLIMIT_MEMLOCK, memlock));
		if (who == UP_USER)
			up_drop();
		fn(arg);
		fflush(NULL);
		_exit(0);
	}
	/* Should the child hang, put the nodes back before giving up. */
	signal(SIGALRM, up_on_alarm);
	alarm(UP_CHILD_S + 10);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			FAIL("waitpid: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_SKIP)
		SKIP("the %s child skipped", who == UP_USER ? "user" : "root");
	if (WIFEXITED(st))
		FAIL("the %s child failed (exit status %d)",
		     who == UP_USER ? "user" : "root", WEXITSTATUS(st));
	FAIL("the %s child died of signal %d", who == UP_USER ? "user" : "root",
	     WTERMSIG(st));
}

/* ---- helpers ---- */

static const char *group_path(int id)
{
	static char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%d", id);
	return path;
}

/* Type1's DMA_AVAIL capability: how many more mappings are allowed. */
static uint32_t dma_avail(int c)
{
	struct vfio_iommu_type1_info info = {.argsz = sizeof(info)};
	struct vfio_info_cap_header *h;
	uint32_t off, avail = 0;
	char *buf;

	ASSERT_EQ(0, ioctl(c, VFIO_IOMMU_GET_INFO, &info));
	buf = calloc(1, info.argsz);
	ASSERT_TRUE(buf != NULL);
	((struct vfio_iommu_type1_info *)buf)->argsz = info.argsz;
	ASSERT_EQ(0, ioctl(c, VFIO_IOMMU_GET_INFO, buf));
	for (off = ((struct vfio_iommu_type1_info *)buf)->cap_offset; off;
	     off = h->next) {
		ASSERT_TRUE(off + sizeof(*h) <= info.argsz);
		h = (void *)(buf + off);
		if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)
			avail = ((struct vfio_iommu_type1_info_dma_avail *)h)
					->avail;
	}
	free(buf);
	ASSERT_TRUE(avail > 0);
	return avail;
}

/* The edu's ID register through the region, by pread. */
static uint32_t bar0_id(int device)
{
	struct vfio_region_info ri;
	uint32_t v = 0;

	ASSERT_OK(vu_region_info(device, VFIO_PCI_BAR0_REGION_INDEX, &ri));
	ASSERT_OK(vu_region_read(device, &ri, EDU_REG_ID, &v, 4));
	return v;
}

/* ---- unpriv_nodes ---- */

/* Without the node's permission: EACCES (VFS, before vfio's open runs). */
static void nodes_denied(void *arg)
{
	const char *path = arg;
	int c;

	ASSERT_ERRNO(EACCES, open(path, O_RDWR | O_CLOEXEC));
	ASSERT_ERRNO(EACCES, open(path, O_RDONLY | O_CLOEXEC));
	ASSERT_ERRNO(EACCES, open(path, O_WRONLY | O_CLOEXEC));
	/* The container node is everyone's, and a container works. */
	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_OK(c);
	ASSERT_EQ(VFIO_API_VERSION, ioctl(c, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	ASSERT_OK(close(c));
}

/*
 * With it: the group opens, once (group.c:vfio_group_fops_open(), in
 * vfio_main.c on 6.1: -EBUSY while it is open).
 */
static void nodes_allowed(void *arg)
{
	const char *path = arg;
	uint32_t flags = 0;
	int g;

	g = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(g);
	ASSERT_ERRNO(EBUSY, open(path, O_RDWR | O_CLOEXEC));
	ASSERT_OK(vu_group_status(g, &flags));
	ASSERT_TRUE(flags & VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_OK(close(g));
}

/*
 * Read permission is enough: vfio looks at no access mode, and the device
 * file is always read-write (group.c:vfio_device_open_file(), on 6.1
 * vfio_main.c:vfio_device_open(), opens it O_RDWR with FMODE_PREAD and
 * FMODE_PWRITE).
 */
static void nodes_read_only(void *arg)
{
	const char *path = arg;
	struct vfio_region_info ri;
	uint32_t v = 0x12345678;
	int c, g, dev;

	ASSERT_ERRNO(EACCES, open(path, O_RDWR | O_CLOEXEC));
	c = open("/dev/vfio/vfio", O_RDONLY | O_CLOEXEC);
	ASSERT_OK(c);
	g = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_OK(g);
	ASSERT_OK(vu_group_set_container(g, c));
	ASSERT_OK(vu_set_iommu(c, VFIO_TYPE1v2_IOMMU));
	dev = vu_get_device_fd(g, fx_bdf());
	ASSERT_OK(dev);
	ASSERT_EQ(O_RDWR, fcntl(dev, F_GETFL) & O_ACCMODE);
	ASSERT_OK(vu_pci_command_set(dev, PCI_COMMAND_MEMORY));
	ASSERT_OK(vu_region_info(dev, VFIO_PCI_BAR0_REGION_INDEX, &ri));
	ASSERT_OK(vu_region_write(dev, &ri, EDU_REG_LIVENESS, &v, 4));
	ASSERT_OK(vu_region_read(dev, &ri, EDU_REG_LIVENESS, &v, 4));
	ASSERT_EQ(~0x12345678u, v);
	ASSERT_OK(close(dev));
	ASSERT_OK(close(g));
	ASSERT_OK(close(c));
}

/* A group fd root opened: the node's permissions only matter at open. */
static void nodes_handed_over(void *arg)
{
	int g = *(int *)arg, c, dev;

	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_OK(c);
	ASSERT_OK(vu_group_set_container(g, c));
	ASSERT_OK(vu_set_iommu(c, VFIO_TYPE1v2_IOMMU));
	dev = vu_get_device_fd(g, fx_bdf());
	ASSERT_OK(dev);
	ASSERT_OK(vu_pci_command_set(dev, PCI_COMMAND_MEMORY));
	ASSERT_EQ(EDU_ID_VALUE, bar0_id(dev));
	ASSERT_OK(close(dev));
	ASSERT_OK(ioctl(g, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_OK(close(c));
}

static void check_node(const char *path, unsigned int maj, unsigned int min,
		       mode_t mode)
{
	struct stat st;

	ASSERT_OK(stat(path, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	if (maj)
		ASSERT_EQ(maj, major(st.st_rdev));
	if (min)
		ASSERT_EQ(min, minor(st.st_rdev));
	ASSERT_EQ(mode, st.st_mode & 07777);
	ASSERT_EQ(0, st.st_uid);
	ASSERT_EQ(0, st.st_gid);
}

TEST(unpriv_nodes)
{
	const char *path = group_path(fx_group_id());
	int g;

	/*
	 * As the kernel creates them: the container node is the misc device
	 * 10:196 for everyone (container.c: vfio_dev's mode S_IRUGO|S_IWUGO),
	 * a group node root's alone (group.c:vfio_devnode(), vfio_main.c on
	 * 6.1, sets no mode: devtmpfs's 0600).
	 */
	check_node("/dev/vfio/vfio", 10, 196, 0666);
	check_node(path, 0, 0, 0600);

	up_run(UP_USER, NULL, nodes_denied, (void *)path);
	/* The user owns it. */
	up_give(path, UP_UID, UP_GID, 0600);
	up_run(UP_USER, NULL, nodes_allowed, (void *)path);
	/* The user's group may use it (a udev rule's GROUP= and MODE=). */
	up_give(path, 0, UP_GID, 0660);
	up_run(UP_USER, NULL, nodes_allowed, (void *)path);
	up_give(path, 0, UP_GID, 0600);
	up_run(UP_USER, NULL, nodes_denied, (void *)path);
	up_give(path, UP_UID, UP_GID, 0400);
	up_run(UP_USER, NULL, nodes_read_only, (void *)path);

	/* Root opens the group and hands the fd over (as libvirt does). */
	up_restore_nodes();
	check_node(path, 0, 0, 0600);
	g = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(g);
	up_run(UP_USER, NULL, nodes_handed_over, &g);
	ASSERT_OK(close(g));
	/* Root's again. */
	check_node(path, 0, 0, 0600);
}

/* ---- unpriv_edu ---- */

#define E2E_IOVA 0x100000ULL
#define E2E_SIZE SZ_64K

/* Wait for @efd; true if it fired. */
static bool fired(int efd, int ms)
{
	uint64_t cnt = 0;
	int r = vu_eventfd_wait(efd, ms, &cnt);

	ASSERT_OK(r);
	return r == 1 && cnt >= 1;
}

static void edu_child(void *arg)
{
	const char *path = arg;
	struct vfio_device_info di = {.argsz = sizeof(di)};
	struct vfio_region_info ri;
	volatile uint32_t *mmio;
	uint32_t flags = 0, v = 0, one = 1;
	uint16_t vendor = 0, device = 0;
	uint8_t pos = 0, id = 0, hdr[2];
	uint64_t n = 0;
	int c, g, dev, efd;
	bool msi = false;
	struct edu e;
	uint8_t *buf;
	long base;

	base = vu_locked_kb();
	ASSERT_OK(base);
	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_OK(c);
	ASSERT_EQ(VFIO_API_VERSION, ioctl(c, VFIO_GET_API_VERSION));
	g = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(g);
	ASSERT_OK(vu_group_status(g, &flags));
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, flags);
	ASSERT_OK(vu_group_set_container(g, c));
	ASSERT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	ASSERT_OK(vu_set_iommu(c, VFIO_TYPE1v2_IOMMU));

	/* A mapping within RLIMIT_MEMLOCK, charged to us. */
	buf = vu_alloc_dma_buffer(E2E_SIZE);
	ASSERT_TRUE(buf != NULL);
	ASSERT_OK(vu_dma_map(c, buf, E2E_IOVA, E2E_SIZE));
	ASSERT_EQ(base + E2E_SIZE / 1024, vu_locked_kb());

	dev = vu_get_device_fd(g, fx_bdf());
	ASSERT_OK(dev);
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_GET_INFO, &di));
	ASSERT_TRUE(di.flags & VFIO_DEVICE_FLAGS_PCI);
	ASSERT_TRUE(di.num_regions > VFIO_PCI_CONFIG_REGION_INDEX);

	/*
	 * Config space, also past the 64-byte header that sysfs shows only
	 * to CAP_SYS_ADMIN: the capability list leads to the MSI capability.
	 */
	ASSERT_OK(vu_config_read(dev, PCI_VENDOR_ID, &vendor, 2));
	ASSERT_OK(vu_config_read(dev, PCI_DEVICE_ID, &device, 2));
	ASSERT_EQ(EDU_VENDOR, vendor);
	ASSERT_EQ(EDU_DEVICE, device);
	ASSERT_OK(vu_config_read(dev, PCI_CAPABILITY_LIST, &pos, 1));
	for (int i = 0; pos && i < 48; i++) {
		ASSERT_TRUE(pos >= 0x40);
		ASSERT_OK(vu_config_read(dev, pos, hdr, 2));
		id = hdr[0];
		if (id == PCI_CAP_ID_MSI) {
			msi = true;
			break;
		}
		pos = hdr[1];
	}
	ASSERT_TRUE(msi);
	ASSERT_OK(vu_pci_command_set(dev,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));

	/* BAR0 by region read, then by mmap. */
	ASSERT_OK(vu_region_info(dev, VFIO_PCI_BAR0_REGION_INDEX, &ri));
	ASSERT_OK(vu_region_read(dev, &ri, EDU_REG_ID, &v, 4));
	ASSERT_EQ(EDU_ID_VALUE, v);
	mmio = vu_region_mmap(dev, &ri);
	ASSERT_TRUE(mmio != NULL);
	ASSERT_EQ(EDU_ID_VALUE, mmio[EDU_REG_ID / 4]);
	mmio[EDU_REG_LIVENESS / 4] = 0xa5a5f00d;
	ASSERT_EQ(~0xa5a5f00du, mmio[EDU_REG_LIVENESS / 4]);
	vu_region_munmap((void *)mmio, &ri);

	/* DMA both ways, each completion signalled by MSI. */
	ASSERT_OK(edu_init(&e, dev, true));
	efd = vu_eventfd_new();
	ASSERT_OK(efd);
	ASSERT_OK(vu_irq_set_eventfds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd));
	ASSERT_OK(edu_read32(&e, EDU_REG_IRQ_STATUS, &v));
	ASSERT_OK(edu_irq_ack(&e, v));
	(void)fired(efd, 0);
	t1_fill(buf, XFER, 0x3c);
	memset(buf + E2E_SIZE / 2, 0, XFER);
	ASSERT_OK(edu_dma_start(&e, E2E_IOVA, EDU_BUF_ADDR, XFER, false, true));
	ASSERT_TRUE(fired(efd, IRQ_MS));
	ASSERT_OK(edu_dma_wait(&e));
	ASSERT_OK(edu_irq_ack(&e, EDU_IRQ_DMA));
	ASSERT_OK(edu_dma_start(&e, EDU_BUF_ADDR, E2E_IOVA + E2E_SIZE / 2, XFER,
				true, true));
	ASSERT_TRUE(fired(efd, IRQ_MS));
	ASSERT_OK(edu_dma_wait(&e));
	ASSERT_OK(edu_irq_ack(&e, EDU_IRQ_DMA));
	ASSERT_MEMEQ(buf, buf + E2E_SIZE / 2, XFER);
	ASSERT_OK(vu_irq_disable(dev, VFIO_PCI_MSI_IRQ_INDEX));

	/* An INTx (MSI off now): signalled, then masked until unmasked. */
	ASSERT_OK(
		vu_irq_set_eventfds(dev, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &efd));
	ASSERT_OK(edu_write32(&e, EDU_REG_IRQ_RAISE, one));
	ASSERT_TRUE(fired(efd, IRQ_MS));
	ASSERT_OK(edu_irq_ack(&e, one));
	{
		struct vfio_irq_set u = {
			.argsz = sizeof(u),
			.flags = VFIO_IRQ_SET_DATA_NONE |
				 VFIO_IRQ_SET_ACTION_UNMASK,
			.index = VFIO_PCI_INTX_IRQ_INDEX,
			.count = 1,
		};

		ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_SET_IRQS, &u));
	}
	ASSERT_OK(vu_irq_disable(dev, VFIO_PCI_INTX_IRQ_INDEX));
	ASSERT_OK(close(efd));
	edu_fini(&e);

	/* Unmapped: uncharged. */
	ASSERT_OK(vu_dma_unmap(c, E2E_IOVA, E2E_SIZE, &n));
	ASSERT_EQ(E2E_SIZE, n);
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_OK(close(dev));
	ASSERT_OK(close(g));
	ASSERT_OK(close(c));
	vu_free_dma_buffer(buf, E2E_SIZE);
}

TEST(unpriv_edu)
{
	const char *path = group_path(fx_group_id());
	/* Room for the one mapping and whatever the child has locked. */
	const struct rlimit lim = {.rlim_cur = 8 << 20, .rlim_max = 8 << 20};

	up_give(path, UP_UID, UP_GID, 0600);
	up_run(UP_USER, &lim, edu_child, (void *)path);
	up_restore_nodes();
	check_node(path, 0, 0, 0600);
}

/* ---- unpriv_memlock ---- */

#define ML_LIMIT (2 * SZ_64K)
#define ML_HARD (16 * SZ_64K)
#define ML_BIG (4 * SZ_64K)
#define ML_OTHER 0x40000000ULL

static void set_soft(rlim_t soft)
{
	struct rlimit rl;

	ASSERT_OK(getrlimit(RLIMIT_MEMLOCK, &rl));
	rl.rlim_cur = soft;
	ASSERT_OK(setrlimit(RLIMIT_MEMLOCK, &rl));
}

/*
 * The device's container with type1 set, a buffer of ML_BIG, and the soft
 * limit at ML_LIMIT above what the process has locked; returns that (kB).
 */
static long memlock_setup(struct vu_dev *d, char **b)
{
	long base;

	fx_open(d, VU_STAGE_IOMMU);
	*b = vu_alloc_dma_buffer(ML_BIG);
	ASSERT_TRUE(*b != NULL);
	base = vu_locked_kb();
	ASSERT_OK(base);
	set_soft(base * 1024 + ML_LIMIT);
	return base;
}

/*
 * Without CAP_IPC_LOCK the pinned pages count against the soft limit, as
 * it is at map time (vfio_iommu_type1.c:vfio_pin_pages_remote() -ENOMEM
 * once locked_vm would pass it; vfio_pin_map_dma() then removes the
 * whole mapping, so nothing stays mapped or charged).
 */
static void memlock_child(void *arg)
{
	struct rlimit rl;
	struct vu_dev d;
	uint32_t avail;
	uint64_t n = 1;
	long base;
	char *b;

	(void)arg;
	base = memlock_setup(&d, &b);
	avail = dma_avail(d.container);

	ASSERT_ERRNO(ENOMEM, vu_dma_map(d.container, b, T1_IOVA, ML_BIG));
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_EQ(avail, dma_avail(d.container));
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, ML_BIG, &n));
	ASSERT_EQ(0, n);
	/* Up to the limit exactly, at the same IOVA; not a page more. */
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, ML_LIMIT));
	ASSERT_EQ(base + ML_LIMIT / 1024, vu_locked_kb());
	ASSERT_ERRNO(ENOMEM, vu_dma_map(d.container, b, ML_OTHER, SZ_4K));
	ASSERT_EQ(base + ML_LIMIT / 1024, vu_locked_kb());
	ASSERT_EQ(avail - 1, dma_avail(d.container));
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, ML_LIMIT, &n));
	ASSERT_EQ(ML_LIMIT, n);
	ASSERT_EQ(base, vu_locked_kb());

	/* The soft limit raised (up to the hard one, no privilege needed). */
	set_soft(base * 1024 + ML_BIG);
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, ML_BIG));
	ASSERT_EQ(base + ML_BIG / 1024, vu_locked_kb());
	/* Lowered below what is locked: that stays, nothing more fits. */
	set_soft(0);
	ASSERT_ERRNO(ENOMEM, vu_dma_map(d.container, b, ML_OTHER, SZ_4K));
	ASSERT_EQ(base + ML_BIG / 1024, vu_locked_kb());
	/* The hard limit needs CAP_SYS_RESOURCE to go up. */
	ASSERT_OK(getrlimit(RLIMIT_MEMLOCK, &rl));
	rl.rlim_max += SZ_4K;
	ASSERT_ERRNO(EPERM, setrlimit(RLIMIT_MEMLOCK, &rl));
	vu_dev_close(&d);
	ASSERT_EQ(base, vu_locked_kb());
}

/* With CAP_IPC_LOCK the limit does not apply (dma->lock_cap). */
static void memlock_root_child(void *arg)
{
	struct vu_dev d;
	long base;
	char *b;

	(void)arg;
	base = memlock_setup(&d, &b);
	ASSERT_OK(vu_dma_map(d.container, b, T1_IOVA, ML_BIG));
	ASSERT_EQ(base + ML_BIG / 1024, vu_locked_kb());
	/* Even with the soft limit at 0, and more on top. */
	set_soft(0);
	ASSERT_OK(vu_dma_map(d.container, b, ML_OTHER, SZ_4K));
	ASSERT_EQ(base + (ML_BIG + SZ_4K) / 1024, vu_locked_kb());
	vu_dev_close(&d);
	ASSERT_EQ(base, vu_locked_kb());
}

/*
 * Device memory is not charged, so no limit applies to it: a BAR mmap
 * (VM_PFNMAP) maps with the soft limit at 0 (vfio_iommu_type1.c:
 * vfio_pin_pages_remote() checks the limit only for pages that are not
 * is_invalid_reserved_pfn()).
 */
static void memlock_pfnmap_child(void *arg)
{
	struct vfio_region_info bar;
	struct vu_dev d;
	uint64_t n = 0;
	long base;
	void *mm;
	char *b;

	(void)arg;
	fx_open(&d, VU_STAGE_DEVICE);
	ASSERT_OK(vu_region_info(d.device, VFIO_PCI_BAR0_REGION_INDEX, &bar));
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	mm = vu_region_mmap(d.device, &bar);
	ASSERT_TRUE(mm != NULL);
	b = vu_alloc_dma_buffer(SZ_4K);
	ASSERT_TRUE(b != NULL);
	base = vu_locked_kb();
	ASSERT_OK(base);
	set_soft(0);
	ASSERT_ERRNO(ENOMEM, vu_dma_map(d.container, b, ML_OTHER, SZ_4K));
	ASSERT_OK(vu_dma_map(d.container, mm, T1_IOVA, bar.size));
	ASSERT_EQ(base, vu_locked_kb());
	ASSERT_OK(vu_dma_unmap(d.container, T1_IOVA, bar.size, &n));
	ASSERT_EQ(bar.size, n);
	vu_region_munmap(mm, &bar);
	vu_dev_close(&d);
	ASSERT_EQ(base, vu_locked_kb());
}

TEST(unpriv_memlock)
{
	const char *path = group_path(fx_group_id());
	const struct rlimit lim = {.rlim_cur = ML_HARD, .rlim_max = ML_HARD};

	up_run(UP_ROOT, &lim, memlock_root_child, NULL);
	up_give(path, UP_UID, UP_GID, 0600);
	up_run(UP_USER, &lim, memlock_child, NULL);
	up_run(UP_USER, &lim, memlock_pfnmap_child, NULL);
	up_restore_nodes();
	check_node(path, 0, 0, 0600);
}

/* ---- unpriv_vaddr_owner ---- */

struct vaddr_ctx {
	struct vu_dev d;
	struct edu e;
	uint8_t *mem; /* MAP_SHARED: the same pages in every child */
};

/*
 * A process with CAP_IPC_LOCK takes the mapping over although its limit
 * is 0 (vfio_iommu_type1.c:vfio_change_dma_owner(): capable() of the new
 * owner, mm_lock_acct() with it).
 */
static void vaddr_root_child(void *arg)
{
	struct vaddr_ctx *x = arg;
	long base = vu_locked_kb();

	ASSERT_OK(base);
	ASSERT_EQ(0, t1_map(x->d.container, x->mem, T1_IOVA, SZ_64K,
			    VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_EQ(base + 64, vu_locked_kb());
}

/*
 * Without it the charge must fit the new owner's limit: -ENOMEM from
 * vfio_change_dma_owner() (mm_lock_acct() -> __account_locked_vm()), the
 * vaddr stays invalid; with room, the charge moves here and the device
 * reaches our view of the pages.
 */
static void vaddr_user_child(void *arg)
{
	struct vaddr_ctx *x = arg;
	long base = vu_locked_kb();

	ASSERT_OK(base);
	set_soft(base * 1024 + SZ_64K / 2);
	ASSERT_ERRNO(ENOMEM, t1_map(x->d.container, x->mem, T1_IOVA, SZ_64K,
				    VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_EQ(base, vu_locked_kb());
	set_soft(base * 1024 + SZ_64K);
	ASSERT_EQ(0, t1_map(x->d.container, x->mem, T1_IOVA, SZ_64K,
			    VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_EQ(base + 64, vu_locked_kb());
	/* Valid again: a second update is refused. */
	ASSERT_ERRNO(EINVAL, t1_map(x->d.container, x->mem, T1_IOVA, SZ_64K,
				    VFIO_DMA_MAP_FLAG_VADDR));
	t1_edu_roundtrip(&x->e, T1_IOVA, x->mem, T1_IOVA + SZ_64K / 2,
			 x->mem + SZ_64K / 2, XFER, 0x42);
}

TEST(unpriv_vaddr_owner)
{
	const struct rlimit zero = {.rlim_cur = 0, .rlim_max = 0};
	const struct rlimit lim = {.rlim_cur = ML_HARD, .rlim_max = ML_HARD};
	struct vaddr_ctx x;
	uint64_t n = 0;
	long base;
	int fd;

	/* Root maps; the children only need the inherited container fd. */
	fx_open(&x.d, VU_STAGE_DEVICE);
	if (edu_init(&x.e, x.d.device, false))
		FAIL("edu_init: %s", vu_last_error());
	ASSERT_OK(vu_pci_command_set(x.d.device,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	fd = memfd_create("unpriv-vaddr", MFD_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_OK(ftruncate(fd, SZ_64K));
	x.mem = mmap(NULL, SZ_64K, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(x.mem != MAP_FAILED);
	base = vu_locked_kb();
	ASSERT_OK(vu_dma_map(x.d.container, x.mem, T1_IOVA, SZ_64K));
	ASSERT_EQ(base + 64, vu_locked_kb());

	ASSERT_EQ(0, t1_unmap(x.d.container, T1_IOVA, SZ_64K,
			      VFIO_DMA_UNMAP_FLAG_VADDR, NULL));
	up_run(UP_ROOT, &zero, vaddr_root_child, &x);
	/* The charge went with the mapping. */
	ASSERT_EQ(base, vu_locked_kb());

	ASSERT_EQ(0, t1_unmap(x.d.container, T1_IOVA, SZ_64K,
			      VFIO_DMA_UNMAP_FLAG_VADDR, NULL));
	up_run(UP_USER, &lim, vaddr_user_child, &x);
	ASSERT_EQ(base, vu_locked_kb());

	/* Still pinned and mapped for the device; removed as usual. */
	t1_edu_roundtrip(&x.e, T1_IOVA + SZ_4K, x.mem + SZ_4K,
			 T1_IOVA + 2 * SZ_4K, x.mem + 2 * SZ_4K, XFER, 0x43);
	ASSERT_OK(vu_dma_unmap(x.d.container, T1_IOVA, SZ_64K, &n));
	ASSERT_EQ(SZ_64K, n);
	ASSERT_EQ(base, vu_locked_kb());
	edu_fini(&x.e);
	vu_dev_close(&x.d);
	munmap(x.mem, SZ_64K);
	close(fd);
}

/* ---- unpriv_hot_reset ---- */

union hr_info {
	struct vfio_pci_hot_reset_info h;
	uint8_t b[sizeof(struct vfio_pci_hot_reset_info) +
		  4 * sizeof(struct vfio_pci_dependent_device)];
};

union hr_reset {
	struct vfio_pci_hot_reset h;
	uint8_t b[sizeof(struct vfio_pci_hot_reset) + sizeof(int32_t)];
};

/*
 * The bus behind the bench's bridge: both its functions are in one group,
 * which is all the proof of ownership a bus reset needs
 * (vfio_pci_core.c:vfio_pci_ioctl_pci_hot_reset() takes group fds, asks
 * for no capability).
 */
static void hot_reset_child(void *arg)
{
	struct shared_group *sg = arg;
	union hr_info info;
	union hr_reset r;
	struct vu_dev d;

	if (vu_dev_open(&d, sg->edu, VU_STAGE_DEVICE))
		FAIL("open %s: %s", sg->edu, vu_last_error());
	memset(&info, 0, sizeof(info));
	info.h.argsz = sizeof(info);
	ASSERT_EQ(0,
		  ioctl(d.device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info));
	ASSERT_EQ(2, info.h.count);
	ASSERT_EQ(sg->id, info.h.devices[0].group_id);
	ASSERT_EQ(sg->id, info.h.devices[1].group_id);

	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	memset(&r, 0, sizeof(r));
	r.h.argsz = sizeof(r);
	r.h.count = 1;
	r.h.group_fds[0] = d.group;
	ASSERT_EQ(0, ioctl(d.device, VFIO_DEVICE_PCI_HOT_RESET, &r));
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	ASSERT_EQ(EDU_ID_VALUE, bar0_id(d.device));
	vu_dev_close(&d);
}

TEST(unpriv_hot_reset)
{
	struct shared_group sg;

	sg_setup(&sg, true);
	if (cu_bind(sg.nic, "vfio-pci"))
		FAIL("bind %s to vfio-pci: %s", sg.nic, vu_last_error());
	check_node(sg.path, 0, 0, 0600);
	up_give(sg.path, UP_UID, UP_GID, 0600);
	up_run(UP_USER, NULL, hot_reset_child, &sg);
	up_restore_nodes();
	check_node(sg.path, 0, 0, 0600);
}
