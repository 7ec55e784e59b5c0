// SPDX-License-Identifier: GPL-2.0-only
/*
 * Removal never hangs (docs/revocation.md): a device whose fds are still
 * open vfio.nvfio_revoke_grace_ms after an unbind began is revoked.
 *
 *   revoke_uncooperative_holder   the holder (BAR mmap, MSI, REQ, DMA
 *                                 mappings) ignores REQ: the unbind returns
 *                                 after the grace; SIGBUS, ENODEV, pinned
 *                                 memory back, modules unload, the device
 *                                 works again on vfio-pci
 *   revoke_cooperative_holder     (both modes) a holder that closes on REQ
 *                                 sees mainline's removal
 *   revoke_grace_zero_waits       0 keeps mainline's wait
 *   revoke_read_in_flight_uffd    a read() parked on a userfaultfd page
 *                                 does not hold the revocation up: one of
 *                                 16 bytes (faulted in before it starts)
 *                                 fails with ENODEV once the page comes,
 *                                 one of 4 (read into a kernel buffer
 *                                 first) returns what it read
 *   revoke_grace_param            the parameter's checks
 *   revoke_shared_group_leaves_container  the group of two devices leaves
 *                                 its container at the revocation
 *   revoke_huge_mapping           a BAR mapping made of huge entries (6.12:
 *                                 PMD/PUD, test_pci_hugemap.c) is zapped
 *                                 all over: SIGBUS
 */
#include "fixture.h"
#include "test_core.h"
#include "test_pci_sigbus.h"
#include "test_pci_util.h"
#include "trace_util.h"
#include "type1_util.h"

#include <fcntl.h>
#include <linux/pci_regs.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define GRACE_PATH "/sys/module/vfio/parameters/nvfio_revoke_grace_ms"
#define UNBIND "/sys/bus/pci/drivers/vfio-pci/unbind"
#define GRACE_MS 2000
#define MARGIN_MS 3000
#define BUF_SIZE 0x10000ULL
#define XFER 1024u
#define EDU_ID 0x00 /* identification register: 0xRRrr00ed */

static char saved_grace[32];
static const char *const revoke_event[] = {"device_revoke"};

static void restore_grace(void)
{
	if (saved_grace[0])
		vu_write_file(GRACE_PATH, saved_grace);
}

/* Set the grace (restored at exit). */
static void set_grace(const char *ms)
{
	if (!saved_grace[0]) {
		if (vu_read_file(GRACE_PATH, saved_grace, sizeof(saved_grace)))
			FAIL("read %s: %s", GRACE_PATH, vu_last_error());
		saved_grace[strcspn(saved_grace, "\n")] = 0;
		atexit(restore_grace);
	}
	ASSERT_OK(vu_write_file(GRACE_PATH, ms));
}

/* Has @bdf an MSI handler ("vfio-msi[N](<bdf>)") in /proc/interrupts? */
static bool msi_requested(const char *bdf)
{
	const char *s = tu_slurp("/proc/interrupts");
	char needle[64];

	if (!s)
		FAIL("read /proc/interrupts: %s", strerror(errno));
	snprintf(needle, sizeof(needle), "](%s)", bdf);
	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) {
		const char *bol = p;

		while (bol > s && bol[-1] != '\n')
			bol--;
		for (const char *q = bol; q < p; q++)
			if (!strncmp(q, "vfio-msi", 8))
				return true;
	}
	return false;
}

static const char *revoked_file(const char *bdf)
{
	static char p[128];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/nvfio/revoked", bdf);
	return p;
}

/* The holder's setup: BAR0 mapped, DMA mapped and tried, MSI, REQ. */
struct holder {
	struct vu_dev d;
	struct edu e;
	uint8_t *buf;
	int msi, req;
};

static void holder_open(struct holder *h)
{
	fx_open_edu(&h->d, &h->e, true);
	/*
	 * The unbinding child (cu_write_async forks) must not inherit the
	 * mapping: its VMA would hold the device file, and the unbind would
	 * wait for the very process that does it.
	 */
	ASSERT_OK(madvise((void *)h->e.mmio, h->e.bar0.size, MADV_DONTFORK));
	ASSERT_OK(vu_pci_command_set(h->d.device,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	h->buf = vu_alloc_dma_buffer(BUF_SIZE);
	ASSERT_TRUE(h->buf != NULL);
	ASSERT_OK(t1_map(h->d.container, h->buf, T1_IOVA, BUF_SIZE, T1_RW));
	t1_edu_roundtrip(&h->e, T1_IOVA, h->buf, T1_IOVA + BUF_SIZE / 2,
			 h->buf + BUF_SIZE / 2, XFER, 7);
	h->msi = vu_eventfd_new();
	ASSERT_OK(h->msi);
	ASSERT_OK(vu_irq_set_eventfds(h->d.device, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
				      &h->msi));
	h->req = vu_eventfd_new();
	ASSERT_OK(h->req);
	ASSERT_OK(vu_irq_set_eventfds(h->d.device, VFIO_PCI_REQ_IRQ_INDEX, 0, 1,
				      &h->req));
}

/* After the removal: back on vfio-pci, DMA works again. */
static void rebind_and_use(const char *bdf)
{
	struct vu_dev d;
	struct edu e;
	uint8_t *buf;

	/* A reload of vfio-pci may have bound it (driver_override). */
	if (strcmp(cu_driver(bdf), "vfio-pci") && cu_bind(bdf, "vfio-pci"))
		FAIL("bind %s to vfio-pci: %s", bdf, vu_last_error());
	fx_open_edu(&d, &e, true);
	ASSERT_OK(vu_pci_command_set(d.device,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	buf = vu_alloc_dma_buffer(BUF_SIZE);
	ASSERT_TRUE(buf != NULL);
	ASSERT_OK(t1_map(d.container, buf, T1_IOVA, BUF_SIZE, T1_RW));
	t1_edu_roundtrip(&e, T1_IOVA, buf, T1_IOVA + BUF_SIZE / 2,
			 buf + BUF_SIZE / 2, XFER, 11);
	ASSERT_OK(t1_unmap(d.container, T1_IOVA, BUF_SIZE, 0, NULL));
	edu_fini(&e);
	vu_dev_close(&d);
	vu_free_dma_buffer(buf, BUF_SIZE);
}

TEST_OURS_ONLY(revoke_uncooperative_holder)
{
	const char *bdf = fx_bdf();
	const char *const needles[] = {"device revoked", "nvfio-tests", NULL};
	struct vfio_device_info info = {.argsz = sizeof(info)};
	int held_vfio, base_pci, kmsg, err = -1;
	long long base_pinned;
	struct holder h;
	uint64_t t0, took;
	char line[512], rb[8];
	uint32_t v;
	long base_kb;
	pid_t pid;
	void *p;

	REQUIRE_OURS();
	cu_save_device(bdf);
	set_grace("2000");
	base_kb = vu_locked_kb();
	base_pinned = t1_pinned_pages();
	base_pci = fx_module_refcnt("vfio_pci");

	holder_open(&h);
	ASSERT_TRUE(vu_locked_kb() > base_kb);
	ASSERT_TRUE(t1_pinned_pages() > base_pinned);
	ASSERT_TRUE(msi_requested(bdf));
	ASSERT_OK(vu_read_file(revoked_file(bdf), rb, sizeof(rb)));
	ASSERT_EQ(0, strcmp(rb, "0"));
	tu_trace_start("revoke", revoke_event, 1);
	kmsg = cu_kmsg_open();
	ASSERT_OK(kmsg);

	t0 = vu_now_ms();
	pid = cu_write_async(UNBIND, bdf);
	ASSERT_OK(pid);
	/* Asked, and ignored: within the grace the device still works. */
	ASSERT_TRUE(pu_fired(h.req, 1000));
	ASSERT_EQ(0, cu_wait_child(pid, GRACE_MS / 2, &err));
	ASSERT_OK(edu_read32(&h.e, EDU_ID, &v));
	ASSERT_EQ(0xed, v & 0xff);
	ASSERT_OK(vu_device_info(h.d.device, &info));

	/* The unbind returns after the grace plus a margin at most. */
	ASSERT_EQ(1, cu_wait_child(pid, GRACE_MS + MARGIN_MS, &err));
	took = vu_now_ms() - t0;
	ASSERT_EQ(0, err);
	if (took < GRACE_MS - 100 || took > GRACE_MS + MARGIN_MS)
		FAIL("unbind took %llu ms (grace %d ms)",
		     (unsigned long long)took, GRACE_MS);
	ASSERT_EQ(0, strcmp(cu_driver(bdf), ""));

	/* The mapping faults SIGBUS, reads and writes alike. */
	ASSERT_EQ(-1, ps_read32(h.e.mmio + EDU_ID / 4, &v));
	ASSERT_EQ(-1, ps_write32(h.e.mmio + 1, 0x12345678));
	/* Every operation on the fd: ENODEV. */
	ASSERT_ERRNO(ENODEV, ioctl(h.d.device, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_ERRNO(ENODEV, ioctl(h.d.device, VFIO_DEVICE_RESET));
	ASSERT_ERRNO(ENODEV,
		     vu_irq_disable(h.d.device, VFIO_PCI_MSI_IRQ_INDEX));
	ASSERT_ERRNO(ENODEV, pread(h.d.device, &v, 4, h.e.bar0.offset));
	ASSERT_ERRNO(ENODEV, pwrite(h.d.device, &v, 4, h.e.bar0.offset + 4));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, h.d.device,
		 h.e.bar0.offset);
	ASSERT_TRUE(p == MAP_FAILED);
	ASSERT_EQ(ENODEV, errno);
	/* The interrupts are gone, and so are the device's module references.
	 */
	ASSERT_TRUE(!msi_requested(bdf));
	ASSERT_EQ(base_pci, fx_module_refcnt("vfio_pci"));
	/* The group went with its device (its only one on vfio-pci). */
	ASSERT_ERRNO(ENODEV, ioctl(h.d.group, VFIO_GROUP_GET_DEVICE_FD, bdf));
	ASSERT_TRUE(!core_has_iommu(h.d.container));

	/* Said once, naming the holder, and traced. */
	if (cu_kmsg_find(kmsg, needles, line, sizeof(line)) != 1)
		FAIL("no kernel log line with \"device revoked\" naming us");
	if (!strstr(line, "2000 ms"))
		FAIL("the log line does not give the grace: %s", line);
	snprintf(line, sizeof(line), "device_revoke: dev=%s", bdf);
	if (!strstr(tu_trace_read(), line))
		FAIL("no \"%s\" in the trace", line);
	tu_trace_stop();

	/*
	 * The fds close; the revoked device fd's release gives back its
	 * reference on vfio, and the inode's pseudo filesystem mount's too
	 * if no other device is registered (the group's own went with the
	 * unbind, so the count before the test is no yardstick); pinned and
	 * locked memory is back.
	 */
	edu_fini(&h.e);
	held_vfio = fx_module_refcnt("vfio");
	ASSERT_OK(close(h.d.device));
	h.d.device = -1;
	ASSERT_TRUE(fx_module_refcnt("vfio") < held_vfio);
	vu_dev_close(&h.d);
	close(h.msi);
	close(h.req);
	close(kmsg);
	ASSERT_EQ(base_kb, vu_locked_kb());
	ASSERT_EQ(base_pinned, t1_pinned_pages());
	vu_free_dma_buffer(h.buf, BUF_SIZE);

	/* vfio-pci unloads and loads again; the device works on it. */
	pu_reload_vfio_pci("");
	rebind_and_use(bdf);
}

/* Both modes: a holder that lets go when asked sees mainline's removal. */
TEST(revoke_cooperative_holder)
{
	const char *bdf = fx_bdf();
	const char *const needles[] = {"device revoked", NULL};
	int err = -1, kmsg = -1;
	long long base_pinned;
	struct holder h;
	char line[512];
	long base_kb;
	uint64_t t0;
	pid_t pid;

	cu_save_device(bdf);
	if (!harness_mainline()) {
		set_grace("2000");
		kmsg = cu_kmsg_open();
		ASSERT_OK(kmsg);
	}
	base_kb = vu_locked_kb();
	base_pinned = t1_pinned_pages();
	holder_open(&h);

	t0 = vu_now_ms();
	pid = cu_write_async(UNBIND, bdf);
	ASSERT_OK(pid);
	ASSERT_TRUE(pu_fired(h.req, 1000));
	ASSERT_EQ(0, cu_wait_child(pid, 200, &err));
	/* Until it lets go the device is the user's. */
	ASSERT_OK(vu_irq_disable(h.d.device, VFIO_PCI_MSI_IRQ_INDEX));
	edu_fini(&h.e);
	ASSERT_OK(close(h.d.device));
	h.d.device = -1;
	ASSERT_EQ(1, cu_wait_child(pid, 1500, &err));
	ASSERT_EQ(0, err);
	ASSERT_TRUE(vu_now_ms() - t0 < GRACE_MS);
	ASSERT_EQ(0, strcmp(cu_driver(bdf), ""));
	ASSERT_TRUE(!core_has_iommu(h.d.container));
	ASSERT_EQ(base_kb, vu_locked_kb());
	ASSERT_EQ(base_pinned, t1_pinned_pages());
	vu_dev_close(&h.d);
	close(h.msi);
	close(h.req);
	vu_free_dma_buffer(h.buf, BUF_SIZE);
	if (kmsg >= 0) {
		/* Nothing was revoked. */
		ASSERT_EQ(0, cu_kmsg_find(kmsg, needles, line, sizeof(line)));
		close(kmsg);
	}
	rebind_and_use(bdf);
}

/* 0: mainline's wait, however long; the holder's close ends it. */
TEST_OURS_ONLY(revoke_grace_zero_waits)
{
	const char *bdf = fx_bdf();
	const char *const needles[] = {"device revoked", NULL};
	struct vfio_device_info info = {.argsz = sizeof(info)};
	int err = -1, kmsg;
	struct holder h;
	char line[512];
	uint32_t v;
	pid_t pid;

	REQUIRE_OURS();
	cu_save_device(bdf);
	set_grace("0");
	holder_open(&h);
	kmsg = cu_kmsg_open();
	ASSERT_OK(kmsg);

	pid = cu_write_async(UNBIND, bdf);
	ASSERT_OK(pid);
	ASSERT_TRUE(pu_fired(h.req, 1000));
	/* Twice the short grace of the other tests, and more: still waiting. */
	ASSERT_EQ(0, cu_wait_child(pid, 2 * GRACE_MS + 1000, &err));
	ASSERT_OK(vu_device_info(h.d.device, &info));
	ASSERT_OK(edu_read32(&h.e, EDU_ID, &v));
	ASSERT_EQ(0xed, v & 0xff);
	ASSERT_TRUE(msi_requested(bdf));

	edu_fini(&h.e);
	ASSERT_OK(close(h.d.device));
	h.d.device = -1;
	ASSERT_EQ(1, cu_wait_child(pid, 5000, &err));
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, cu_kmsg_find(kmsg, needles, line, sizeof(line)));
	close(kmsg);
	vu_dev_close(&h.d);
	close(h.msi);
	close(h.req);
	vu_free_dma_buffer(h.buf, BUF_SIZE);
	rebind_and_use(bdf);
}

/*
 * The ivshmem's 1 GiB BAR2 mapped at a 1 GiB-aligned address, so of huge
 * entries on 6.12 (test_pci_hugemap.c), the holder ignoring REQ: after
 * the grace every word of it faults SIGBUS, reads and writes alike.
 */
TEST_OURS_ONLY(revoke_huge_mapping)
{
	static const uint64_t probes[] = {
		0, 0x200000 - 4, 0x200000, 0x20003008, 0x40000000 - 4,
	};
	struct vfio_region_info ri;
	char bdf[VU_BDF_LEN];
	struct vu_dev d;
	int err = -1;
	uint8_t *bar;
	uint32_t v;
	pid_t pid;
	long f;

	REQUIRE_OURS();
	pu_find(&pu_ivshmem, bdf);
	pu_claim(bdf);
	set_grace("2000");
	if (vu_dev_open(&d, bdf, VU_STAGE_DEVICE))
		FAIL("opening the ivshmem (%s): %s", bdf, vu_last_error());
	ASSERT_OK(vu_region_info(d.device, PU_IVSHMEM_BAR, &ri));
	ASSERT_TRUE(ri.size >= 0x40000000);
	pu_command_bits(d.device, PCI_COMMAND_MEMORY, true);
	bar = pu_mmap_aligned(d.device, &ri, 0, ri.size, 0x40000000, 0);
	/* Not for the unbinding child (see holder_open()). */
	ASSERT_OK(madvise(bar, ri.size, MADV_DONTFORK));
	for (unsigned int i = 0; i < 5; i++)
		ASSERT_EQ(0, ps_write32((volatile uint32_t *)(bar + probes[i]),
					i));
	if (pu_huge_pfnmap()) {
		/* Huge: a fault per 2 MiB at most (ru_minflt). */
		f = pu_minflt();
		for (uint64_t off = 0; off < ri.size; off += 4096)
			(void)*(volatile uint32_t *)(bar + off);
		f = pu_minflt() - f;
		if (f > (long)(ri.size >> 21) + 4)
			FAIL("%ld faults touching the BAR: not huge", f);
	}

	pid = cu_write_async(UNBIND, bdf);
	ASSERT_OK(pid);
	ASSERT_EQ(1, cu_wait_child(pid, GRACE_MS + MARGIN_MS, &err));
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, strcmp(cu_driver(bdf), ""));
	for (unsigned int i = 0; i < 5; i++) {
		volatile uint32_t *p = (volatile uint32_t *)(bar + probes[i]);

		if (ps_read32(p, &v) != -1 || ps_write32(p, ~0u) != -1)
			FAIL("BAR2 0x%llx: no SIGBUS after the revocation",
			     (unsigned long long)probes[i]);
	}
	ASSERT_ERRNO(ENODEV, pread(d.device, &v, 4, ri.offset));
	munmap(bar, ri.size);
	vu_dev_close(&d);
}

struct uffd_read {
	int device;
	uint64_t offset;
	void *buf;
	size_t len;
	ssize_t ret;
	int err;
	volatile int done;
};

static void *uffd_reader(void *arg)
{
	struct uffd_read *r = arg;

	r->ret = pread(r->device, r->buf, r->len, r->offset);
	r->err = errno;
	r->done = 1;
	return NULL;
}

/*
 * A read() of @len bytes whose buffer is a page a userfaultfd serves, not
 * served yet, is waiting when the unbind comes: the revocation does not
 * wait for it, as the core touches the buffer outside the gate
 * (kernel/core/device.c).  A read of more than NVFIO_RW_BOUNCE (8) bytes
 * faults the buffer in before it enters the gate: once the page is served
 * it fails with ENODEV and writes nothing.  A smaller one reads the
 * device into a kernel buffer first and waits in the copy out: once the
 * page is served it returns what it read, from before the revocation.
 */
static void read_in_flight_uffd(size_t len)
{
	const char *bdf = fx_bdf();
	struct uffdio_api api = {.api = UFFD_API};
	struct uffdio_register reg = {.mode = UFFDIO_REGISTER_MODE_MISSING};
	struct uffdio_copy copy = {.mode = 0};
	struct uffd_msg msg;
	struct uffd_read r = {0};
	struct pollfd pfd;
	struct holder h;
	pthread_t th;
	int uffd, err = -1;
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t t0;
	void *area, *src;
	pid_t pid;

	REQUIRE_OURS();
	cu_save_device(bdf);
	set_grace("2000");
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		SKIP("userfaultfd: %s", strerror(errno));
	ASSERT_OK(ioctl(uffd, UFFDIO_API, &api));
	area = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(area != MAP_FAILED);
	reg.range.start = (uintptr_t)area;
	reg.range.len = pg;
	ASSERT_OK(ioctl(uffd, UFFDIO_REGISTER, &reg));

	holder_open(&h);
	r.device = h.d.device;
	r.offset = h.e.bar0.offset + EDU_ID;
	r.buf = area;
	r.len = len;
	ASSERT_EQ(0, pthread_create(&th, NULL, uffd_reader, &r));
	/* The read is parked on the missing page. */
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ((ssize_t)sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	ASSERT_TRUE(!r.done);

	t0 = vu_now_ms();
	pid = cu_write_async(UNBIND, bdf);
	ASSERT_OK(pid);
	ASSERT_EQ(1, cu_wait_child(pid, GRACE_MS + MARGIN_MS, &err));
	ASSERT_EQ(0, err);
	ASSERT_TRUE(vu_now_ms() - t0 <= GRACE_MS + MARGIN_MS);
	ASSERT_EQ(0, strcmp(cu_driver(bdf), ""));
	/* Still parked: the revocation did not wait for it. */
	ASSERT_TRUE(!r.done);

	/* Serve the page: the read goes on, into a revoked device. */
	src = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(src != MAP_FAILED);
	memset(src, 0x5a, pg);
	copy.dst = (uintptr_t)area;
	copy.src = (uintptr_t)src;
	copy.len = pg;
	ASSERT_OK(ioctl(uffd, UFFDIO_COPY, &copy));
	ASSERT_EQ(0, pthread_join(th, NULL));
	if (len > 8) {
		ASSERT_EQ(-1, r.ret);
		ASSERT_EQ(ENODEV, r.err);
		/* The read wrote nothing into the buffer. */
		ASSERT_EQ(0x5a, ((uint8_t *)area)[0]);
	} else {
		ASSERT_EQ((ssize_t)len, r.ret);
		/* The edu's identification register, 0xRRrr00ed */
		ASSERT_EQ(0xed, ((uint8_t *)area)[0]);
		ASSERT_EQ(0x5a, ((uint8_t *)area)[len]);
	}

	edu_fini(&h.e);
	vu_dev_close(&h.d);
	close(h.msi);
	close(h.req);
	close(uffd);
	vu_free_dma_buffer(h.buf, BUF_SIZE);
	rebind_and_use(bdf);
}

TEST_OURS_ONLY(revoke_read_in_flight_uffd)
{
	read_in_flight_uffd(16);
	read_in_flight_uffd(4);
}

TEST_OURS_ONLY(revoke_grace_param)
{
	static const char *const bad[] = {"abc",	"-1",  "86400001",
					  "4294967296", "1.5", "2000ms"};
	struct stat st;
	char v[32];

	REQUIRE_OURS();
	ASSERT_OK(stat(GRACE_PATH, &st));
	ASSERT_EQ(0644, st.st_mode & 0777);
	set_grace("30000"); /* saves what was there */
	/* The default, which every test that changes it puts back. */
	ASSERT_EQ(0, strcmp(saved_grace, "30000"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ASSERT_ERRNO(EINVAL, vu_write_file(GRACE_PATH, bad[i]));
		ASSERT_OK(vu_read_file(GRACE_PATH, v, sizeof(v)));
		ASSERT_EQ(0, strcmp(v, "30000"));
	}
	ASSERT_OK(vu_write_file(GRACE_PATH, "86400000"));
	ASSERT_OK(vu_read_file(GRACE_PATH, v, sizeof(v)));
	ASSERT_EQ(0, strcmp(v, "86400000"));
	ASSERT_OK(vu_write_file(GRACE_PATH, "0"));
	ASSERT_OK(vu_read_file(GRACE_PATH, v, sizeof(v)));
	ASSERT_EQ(0, strcmp(v, "0"));
}

/*
 * A group of two devices on vfio-pci, one of them held and revoked: the
 * group stays (its other device is registered) but leaves its container
 * at the revocation, so the DMA mappings are gone (and unpinned) while
 * the revoked fd is still open.  The group fd stays usable.
 */
TEST_OURS_ONLY(revoke_shared_group_leaves_container)
{
	struct shared_group g;
	struct vu_dev d;
	long base_kb;
	void *buf;
	pid_t pid;
	int req, err = -1, nic;

	REQUIRE_OURS();
	set_grace("2000");
	sg_setup(&g, true);
	if (cu_bind(g.nic, "vfio-pci"))
		FAIL("bind %s to vfio-pci: %s", g.nic, vu_last_error());
	buf = vu_alloc_dma_buffer(BUF_SIZE);
	ASSERT_TRUE(buf != NULL);
	base_kb = vu_locked_kb();

	fx_open(&d, VU_STAGE_CONTAINER);
	d.group = open(g.path, O_RDWR | O_CLOEXEC);
	ASSERT_OK(d.group);
	ASSERT_OK(vu_group_set_container(d.group, d.container));
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	ASSERT_OK(t1_map(d.container, buf, T1_IOVA, BUF_SIZE, T1_RW));
	ASSERT_TRUE(vu_locked_kb() > base_kb);
	d.device = vu_get_device_fd(d.group, g.edu);
	ASSERT_OK(d.device);
	req = vu_eventfd_new();
	ASSERT_OK(req);
	ASSERT_OK(vu_irq_set_eventfds(d.device, VFIO_PCI_REQ_IRQ_INDEX, 0, 1,
				      &req));

	pid = cu_write_async(UNBIND, g.edu);
	ASSERT_OK(pid);
	ASSERT_TRUE(pu_fired(req, 1000));
	ASSERT_EQ(1, cu_wait_child(pid, GRACE_MS + MARGIN_MS, &err));
	ASSERT_EQ(0, err);

	/* The fd is still open, but the DMA mappings are gone already. */
	ASSERT_EQ(base_kb, vu_locked_kb());
	ASSERT_TRUE(!core_has_iommu(d.container));
	ASSERT_EQ(VIABLE, core_group_flags(d.group));
	ASSERT_ERRNO(ENODEV, ioctl(d.device, VFIO_DEVICE_RESET));
	ASSERT_ERRNO(ENODEV, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, g.edu));
	ASSERT_OK(close(d.device));
	d.device = -1;

	/* The group fd goes on: back into the container, its other device. */
	ASSERT_ERRNO(EINVAL, ioctl(d.group, VFIO_GROUP_GET_DEVICE_FD, g.nic));
	ASSERT_OK(vu_group_set_container(d.group, d.container));
	ASSERT_OK(vu_set_iommu(d.container, VFIO_TYPE1v2_IOMMU));
	nic = vu_get_device_fd(d.group, g.nic);
	ASSERT_OK(nic);
	ASSERT_OK(close(nic));
	vu_dev_close(&d);
	close(req);
	vu_free_dma_buffer(buf, BUF_SIZE);
}
