// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault-injection sweeps (ours, on a kernel with CONFIG_FAULT_INJECTION:
 * the debug kernel of make check-debug; skipped elsewhere).
 *
 * For one operation at a time - an ioctl of each family, an open, an mmap, a
 * close - the sweep makes the 1st, 2nd, ... Nth fault point the operation
 * reaches fail (a slab allocation through failslab, a page allocation
 * through fail_page_alloc), through this thread's
 * /proc/thread-self/fail-nth, until the operation runs through without
 * reaching the Nth point. After each injected failure:
 *   - the operation either failed with an errno or recovered and succeeded
 *     (then it is undone),
 *   - nothing is left behind: module reference counts, this process's
 *     locked memory and the system's pinned pages are what they were,
 *   - the same operation without injection succeeds (and is undone).
 * Leaked objects are caught by the kmemleak scan the runner does after all
 * tests (bench/guest/run-tests.sh), which fails the whole run.
 *
 * The operations, by family:
 *   - open and close: container, group, device fd; the close of each;
 *   - group: SET_CONTAINER, UNSET_CONTAINER (taking the backend and its
 *     mappings with it), GET_STATUS, GET_DEVICE_FD;
 *   - container and type1: CHECK_EXTENSION, SET_IOMMU, GET_INFO, MAP_DMA
 *     (and its VADDR update), UNMAP_DMA (two mappings at once, ALL, with a
 *     dirty bitmap), DIRTY_PAGES start and get bitmap;
 *   - device: GET_INFO, region and IRQ infos, config and BAR access, BAR
 *     mmap, SET_IRQS (INTx, MSI, REQ eventfds; a trigger; the INTx unmask
 *     eventfd), IOEVENTFD, FEATURE (low power with a wakeup eventfd),
 *     RESET, GET_PCI_HOT_RESET_INFO.
 * Not swept: the KVM-VFIO device's add and delete (kvm.ko's allocations;
 * the vfio_file_* functions it calls in ours allocate nothing).
 *
 * Which allocations count as fault points: those nvfio makes, not every
 * allocation the syscall reaches. Both fault attributes get the stack-trace
 * filter (CONFIG_FAULT_INJECTION_STACKTRACE_FILTER): require-start/end span
 * the text of our three modules and stacktrace-depth is FI_DEPTH, so an
 * allocation is failed only when one of our functions is among its
 * FI_DEPTH innermost frames - our kmalloc/kvmalloc/kasprintf/alloc_pages
 * calls and those of thin helpers we call, not those deep inside the kernel
 * services we call. Unfiltered sweeps (depth 32: anything under our calls)
 * failed only in those services' own error paths, which mainline's vfio
 * reaches through the same calls: a KASAN use-after-free in the ACPI
 * interpreter (pci_enable_device evaluating _PRT), the IOMMU core's WARN in
 * its "nofail" return to the default domain (iommu_group_release_dma_owner)
 * and genirq's WARN removing /proc/irq entries it failed to create
 * (request_irq, then pci_disable_msi). NVFIO_FAULTINJ_DEPTH=<n> runs the
 * sweeps with another depth (1..32) to look at those again.
 */
#include "type1_util.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#define FI_MAX_POINTS 4000
#define FI_BUF_SIZE (16 * SZ_4K)
#define FI_IOVA 0x400000ULL
#define FI_DEPTH 8
#define FI_MAX_DEPTH 32 /* the kernel's MAX_STACK_TRACE_DEPTH */

/* A sweep target: prep (not injected) sets up, op is swept, undo reverts a
 * successful op, cleanup (not injected) undoes prep. Each returns 0 or
 * -errno. A close op (closes) tears down what prep built: only the state
 * after cleanup is compared, and the next prep must work. */
struct fi_op {
	const char *name;
	int (*prep)(void *ctx);
	int (*op)(void *ctx);
	void (*undo)(void *ctx);
	void (*cleanup)(void *ctx);
	bool closes;
};

/* What must come back to its value after every iteration. */
struct fi_state {
	int ref_vfio, ref_type1, ref_pci;
	long vmlck_kb;
	long long pinned;
};

#define FI_OP(n, p, o, u, c)                                                   \
	{                                                                      \
		.name = n, .prep = p, .op = o, .undo = u, .cleanup = c         \
	}
#define FI_CLOSE_OP(n, p, o, u, c)                                             \
	{                                                                      \
		.name = n, .prep = p, .op = o, .undo = u, .cleanup = c,        \
		.closes = true                                                 \
	}

static int fi_fd = -1;

static void fi_debugfs_write(const char *path, const char *val)
{
	if (vu_write_file(path, val) < 0)
		FAIL("cannot write %s to %s: %s", val, path, strerror(errno));
}

/*
 * The span of our modules' text, from /proc/kallsyms (root sees the
 * addresses): from the lowest text symbol of vfio, vfio_iommu_type1 and
 * vfio_pci (and mainline's vfio_pci_core) to 64 KiB past the highest (the end
 * of its function). Another module's text inside the span is harmless: fail-nth
 * is armed only around our syscalls, where such a frame can only be one we
 * called.
 */
static void fi_our_text(unsigned long *start, unsigned long *end)
{
	static const char *const mods[] = {"[vfio]", "[vfio_iommu_type1]",
					   "[vfio_pci]", "[vfio_pci_core]"};
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], type, name[256], mod[128];
	unsigned long addr, lo = ~0UL, hi = 0;

	if (!f)
		FAIL("cannot open /proc/kallsyms: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %255s %127s", &addr, &type, name,
			   mod) != 4 ||
		    (type != 't' && type != 'T'))
			continue;
		for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
			if (strcmp(mod, mods[i]))
				continue;
			if (addr < lo)
				lo = addr;
			if (addr > hi)
				hi = addr;
		}
	}
	fclose(f);
	if (!hi || lo == ~0UL)
		FAIL("no text symbols of vfio, vfio_iommu_type1 and vfio_pci "
		     "with addresses in /proc/kallsyms (kptr_restrict?)");
	*start = lo;
	*end = hi + 0x10000;
}

/* Filter one fault attribute to allocations under our text (see top). */
static void fi_filter(const char *attr, unsigned long start, unsigned long end,
		      unsigned int depth)
{
	char path[128], val[32];

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/require-start",
		 attr);
	snprintf(val, sizeof(val), "%#lx", start);
	fi_debugfs_write(path, val);
	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/require-end", attr);
	snprintf(val, sizeof(val), "%#lx", end);
	fi_debugfs_write(path, val);
	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/reject-start", attr);
	fi_debugfs_write(path, "0");
	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/reject-end", attr);
	fi_debugfs_write(path, "0");
	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/stacktrace-depth",
		 attr);
	snprintf(val, sizeof(val), "%u", depth);
	fi_debugfs_write(path, val);
}

/* Open this thread's fail-nth and let the two fault attributes fail the
 * allocations VFIO makes (GFP_KERNEL ones sleep, so the defaults would
 * ignore them; order 0 too), filtered to ours (see top). Skips where the
 * kernel has no fault injection or no stack-trace filter. */
static void fi_init(void)
{
	const char *env = getenv("NVFIO_FAULTINJ_DEPTH");
	unsigned int depth = env ? (unsigned int)atoi(env) : FI_DEPTH;
	unsigned long start, end;

	/* Ours-only; mainline's vfio on request, to compare the two. */
	if (harness_mainline() && !getenv("NVFIO_FAULTINJ_MAINLINE"))
		SKIP("ours only (NVFIO_FAULTINJ_MAINLINE=1 sweeps mainline's "
		     "vfio too, for comparison)");
	fi_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (fi_fd < 0)
		SKIP("no /proc/thread-self/fail-nth: kernel without "
		     "CONFIG_FAULT_INJECTION (run make check-debug)");
	if (access("/sys/kernel/debug/failslab", F_OK))
		SKIP("no /sys/kernel/debug/failslab (FAILSLAB, debugfs)");
	fi_debugfs_write("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
	fi_debugfs_write("/sys/kernel/debug/failslab/verbose", "0");
	fi_debugfs_write("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait",
			 "N");
	fi_debugfs_write("/sys/kernel/debug/fail_page_alloc/min-order", "0");
	fi_debugfs_write("/sys/kernel/debug/fail_page_alloc/verbose", "0");
	if (access("/sys/kernel/debug/failslab/stacktrace-depth", F_OK))
		SKIP("no stack-trace filter in failslab "
		     "(CONFIG_FAULT_INJECTION_STACKTRACE_FILTER)");
	if (depth < 1 || depth > FI_MAX_DEPTH)
		FAIL("NVFIO_FAULTINJ_DEPTH=%s: want 1..%d", env, FI_MAX_DEPTH);
	fi_our_text(&start, &end);
	fi_filter("failslab", start, end, depth);
	fi_filter("fail_page_alloc", start, end, depth);
	printf("note: failing allocations with our text (%#lx-%#lx) in their "
	       "%u innermost frames\n",
	       start, end, depth);
}

static void fi_arm(unsigned int nth)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", nth);

	if (pwrite(fi_fd, buf, len, 0) != len)
		FAIL("cannot arm fail-nth=%u: %s", nth, strerror(errno));
}

/* Disarm; returns whether the armed fault was injected (fail-nth read 0). */
static bool fi_disarm(void)
{
	char buf[16] = "";
	ssize_t n = pread(fi_fd, buf, sizeof(buf) - 1, 0);
	bool injected;

	if (n <= 0)
		FAIL("cannot read fail-nth: %s", strerror(errno));
	injected = atoi(buf) == 0;
	fi_arm(0);
	return injected;
}

static void fi_snapshot(struct fi_state *s)
{
	s->ref_vfio = fx_module_refcnt("vfio");
	s->ref_type1 = fx_module_refcnt("vfio_iommu_type1");
	s->ref_pci = fx_module_refcnt("vfio_pci");
	s->vmlck_kb = vu_locked_kb();
	s->pinned = t1_pinned_pages();
}

static void fi_check(const struct fi_op *o, unsigned int nth,
		     const struct fi_state *want)
{
	struct fi_state now;

	if (o->closes && want->ref_vfio < 0)
		return;
	fi_snapshot(&now);
	if (now.ref_vfio != want->ref_vfio ||
	    now.ref_type1 != want->ref_type1 || now.ref_pci != want->ref_pci ||
	    now.vmlck_kb != want->vmlck_kb || now.pinned != want->pinned)
		FAIL("%s, fault %u: state changed: refcnt vfio %d->%d type1 "
		     "%d->%d vfio_pci %d->%d, VmLck %ld->%ld kB, pinned "
		     "%lld->%lld",
		     o->name, nth, want->ref_vfio, now.ref_vfio,
		     want->ref_type1, now.ref_type1, want->ref_pci, now.ref_pci,
		     want->vmlck_kb, now.vmlck_kb, want->pinned, now.pinned);
}

static void fi_prep(const struct fi_op *o, void *ctx, unsigned int nth)
{
	int r = o->prep ? o->prep(ctx) : 0;

	if (r < 0)
		FAIL("%s, fault %u: setup without injection failed: %s",
		     o->name, nth, vu_errno_name(-r));
}

static void fi_cleanup(const struct fi_op *o, void *ctx)
{
	if (o->cleanup)
		o->cleanup(ctx);
}

/* Sweep one operation; returns the number of fault points it reached. */
static unsigned int fi_sweep(const struct fi_op *o, void *ctx)
{
	struct fi_state base, before;
	unsigned int nth;
	bool injected;
	int r;

	fi_snapshot(&base);
	for (nth = 1; nth <= FI_MAX_POINTS; nth++) {
		fi_prep(o, ctx, nth);
		fi_snapshot(&before);
		if (o->closes)
			before.ref_vfio = -1; /* not compared: see fi_op */
		fi_arm(nth);
		r = o->op(ctx);
		injected = fi_disarm();
		if (!injected) {
			/* The operation reached fewer than nth points: it
			 * ran without injection and must have succeeded. */
			if (r < 0)
				FAIL("%s without injection failed: %s", o->name,
				     vu_errno_name(-r));
			if (o->undo)
				o->undo(ctx);
			fi_check(o, nth, &before);
			fi_cleanup(o, ctx);
			fi_check(o, nth, &base);
			printf("%s: %u fault points, each failed cleanly\n",
			       o->name, nth - 1);
			return nth - 1;
		}
		if (r == 0 && o->undo)
			o->undo(ctx); /* recovered from the failure */
		else if (r != -ENOMEM && r != -ENOSPC && r != -EFAULT &&
			 r != -EAGAIN && r != -EBUSY && r != -EIO && r != 0)
			printf("%s, fault %u: errno %s\n", o->name, nth,
			       vu_errno_name(-r));
		fi_check(o, nth, &before);
		/* The same call, not injected, goes through. */
		r = o->op(ctx);
		if (r < 0)
			FAIL("%s, fault %u: the call without injection then "
			     "failed: %s (state left behind)",
			     o->name, nth, vu_errno_name(-r));
		if (o->undo)
			o->undo(ctx);
		fi_check(o, nth, &before);
		fi_cleanup(o, ctx);
		fi_check(o, nth, &base);
	}
	FAIL("%s: still reaching fault points after %u", o->name,
	     FI_MAX_POINTS);
}

static int neg_errno(long r)
{
	return r < 0 ? -errno : 0;
}

/* ---- the objects the operations work on ---- */

/* Everything an operation needs is looked up before fail-nth is armed
 * (reading sysfs allocates too: the sweep must fail only the operation). */
struct fi_ctx {
	const char *bdf;
	int group_id;
	char group_path[32];
	int container, group, device, newfd;
	void *buf, *map;
	struct vfio_region_info bar0;
	int efd[2];
};

static void fi_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void fi_ctx_init(struct fi_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->container = c->group = c->device = c->newfd = -1;
	c->bdf = fx_bdf();
	c->group_id = fx_group_id();
	snprintf(c->group_path, sizeof(c->group_path), "/dev/vfio/%d",
		 c->group_id);
	c->efd[0] = vu_eventfd_new();
	c->efd[1] = vu_eventfd_new();
	ASSERT_OK(c->efd[0]);
	ASSERT_OK(c->efd[1]);
	c->buf = vu_alloc_dma_buffer(FI_BUF_SIZE);
	ASSERT_TRUE(c->buf);
	memset(c->buf, 0x5a, FI_BUF_SIZE); /* fault the pages in */
}

/* Container, group attached, type1v2 set, device fd: the fixture state. */
static int fi_open_all(void *p)
{
	struct fi_ctx *c = p;

	c->container = vu_open_container();
	c->group = vu_open_group(c->group_id);
	if (c->container < 0 || c->group < 0 ||
	    vu_group_set_container(c->group, c->container) < 0 ||
	    vu_set_iommu(c->container, VFIO_TYPE1v2_IOMMU) < 0)
		return -errno;
	c->device = vu_get_device_fd(c->group, c->bdf);
	if (c->device < 0)
		return -errno;
	if (vu_region_info(c->device, VFIO_PCI_BAR0_REGION_INDEX, &c->bar0))
		return -errno;
	return 0;
}

static void fi_close_all(void *p)
{
	struct fi_ctx *c = p;

	if (c->map && c->map != MAP_FAILED)
		munmap(c->map, c->bar0.size);
	c->map = NULL;
	fi_close(&c->newfd);
	fi_close(&c->device);
	fi_close(&c->group);
	fi_close(&c->container);
}

static void fi_close_new(void *p)
{
	fi_close(&((struct fi_ctx *)p)->newfd);
}

/* ---- open and close paths ---- */

static int op_open_container(void *p)
{
	struct fi_ctx *c = p;

	c->newfd = open("/dev/vfio/vfio", O_RDWR);
	return neg_errno(c->newfd);
}

static int op_open_group(void *p)
{
	struct fi_ctx *c = p;

	c->newfd = open(c->group_path, O_RDWR);
	return neg_errno(c->newfd);
}

static int prep_container_group(void *p)
{
	struct fi_ctx *c = p;

	c->container = vu_open_container();
	c->group = vu_open_group(c->group_id);
	return c->container < 0 || c->group < 0 ? -errno : 0;
}

static int op_set_container(void *p)
{
	struct fi_ctx *c = p;

	return neg_errno(vu_group_set_container(c->group, c->container));
}

static void undo_set_container(void *p)
{
	struct fi_ctx *c = p;

	ioctl(c->group, VFIO_GROUP_UNSET_CONTAINER);
}

static int prep_attached(void *p)
{
	struct fi_ctx *c = p;
	int r = prep_container_group(p);

	if (!r && vu_group_set_container(c->group, c->container) < 0)
		r = -errno;
	return r;
}

static int op_set_iommu(void *p)
{
	struct fi_ctx *c = p;

	return neg_errno(vu_set_iommu(c->container, VFIO_TYPE1v2_IOMMU));
}

/* The backend goes when the last group leaves the container. */
static void undo_set_iommu(void *p)
{
	struct fi_ctx *c = p;

	ioctl(c->group, VFIO_GROUP_UNSET_CONTAINER);
	vu_group_set_container(c->group, c->container);
}

static int op_group_status(void *p)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};

	if (ioctl(((struct fi_ctx *)p)->group, VFIO_GROUP_GET_STATUS, &st) < 0)
		return -errno;
	return st.flags & VFIO_GROUP_FLAGS_VIABLE ? 0 : -EINVAL;
}

/* The last group leaving takes the backend with it (no device fd open:
 * that would make it EBUSY). */
static int op_unset_container(void *p)
{
	return neg_errno(
		ioctl(((struct fi_ctx *)p)->group, VFIO_GROUP_UNSET_CONTAINER));
}

static void undo_unset_container(void *p)
{
	op_set_container(p);
	op_set_iommu(p);
}

static int op_get_device_fd(void *p)
{
	struct fi_ctx *c = p;

	c->newfd = vu_get_device_fd(c->group, c->bdf);
	return neg_errno(c->newfd);
}

static int prep_iommu_set(void *p)
{
	struct fi_ctx *c = p;
	int r = prep_attached(p);

	if (!r && vu_set_iommu(c->container, VFIO_TYPE1v2_IOMMU) < 0)
		r = -errno;
	return r;
}

/* Closing the last device fd, then the group, then the container: the
 * release paths. close() cannot fail, so the sweep's check is that a failed
 * allocation on the way changes nothing the next open sees. */
static int prep_all_and_new_device(void *p)
{
	struct fi_ctx *c = p;
	int r = fi_open_all(p);

	if (r)
		return r;
	fi_close(&c->device); /* newfd is the only device fd */
	c->newfd = vu_get_device_fd(c->group, c->bdf);
	return neg_errno(c->newfd);
}

static int op_close_device(void *p)
{
	fi_close(&((struct fi_ctx *)p)->newfd);
	return 0;
}

static int op_close_group(void *p)
{
	struct fi_ctx *c = p;

	fi_close(&c->device);
	fi_close(&c->group);
	return 0;
}

static int op_close_container(void *p)
{
	struct fi_ctx *c = p;

	fi_close(&c->device);
	fi_close(&c->group);
	fi_close(&c->container);
	return 0;
}

/* ---- container and type1 ---- */

static int op_check_extension(void *p)
{
	struct fi_ctx *c = p;
	int r = ioctl(c->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU);

	return r == 1 ? 0 : r < 0 ? -errno : -EINVAL;
}

/* A GET_INFO ioctl with room for every capability chain: each of these
 * structures starts with argsz. */
static int info_ioctl(int fd, unsigned long request)
{
	uint32_t buf[1024] = {sizeof(buf)};

	return neg_errno(ioctl(fd, request, buf));
}

static int op_iommu_info(void *p)
{
	return info_ioctl(((struct fi_ctx *)p)->container, VFIO_IOMMU_GET_INFO);
}

static int op_map(void *p)
{
	struct fi_ctx *c = p;

	return neg_errno(
		t1_map(c->container, c->buf, FI_IOVA, FI_BUF_SIZE, T1_RW));
}

static void undo_map(void *p)
{
	struct fi_ctx *c = p;

	t1_unmap(c->container, FI_IOVA, FI_BUF_SIZE, 0, NULL);
}

static int prep_mapped(void *p)
{
	int r = fi_open_all(p);

	return r ? r : op_map(p);
}

/* Two mappings, each half of the buffer (type1 v2 refuses to split one). */
static int map_halves(struct fi_ctx *c)
{
	const uint64_t half = FI_BUF_SIZE / 2;

	if (t1_map(c->container, c->buf, FI_IOVA, half, T1_RW) < 0 ||
	    t1_map(c->container, (char *)c->buf + half, FI_IOVA + half, half,
		   T1_RW) < 0)
		return -errno;
	return 0;
}

static int prep_two_mapped(void *p)
{
	int r = fi_open_all(p);

	return r ? r : map_halves(p);
}

/* One UNMAP_DMA over both mappings. */
static int op_unmap_two(void *p)
{
	struct fi_ctx *c = p;
	uint64_t n = 0;

	if (t1_unmap(c->container, FI_IOVA, FI_BUF_SIZE, 0, &n) < 0)
		return -errno;
	return n == FI_BUF_SIZE ? 0 : -EINVAL;
}

static void undo_unmap_two(void *p)
{
	map_halves(p);
}

static int op_dirty_start(void *p)
{
	return neg_errno(t1_dirty_pages(((struct fi_ctx *)p)->container,
					VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
}

static void undo_dirty_start(void *p)
{
	t1_dirty_pages(((struct fi_ctx *)p)->container,
		       VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP);
}

static int prep_dirty(void *p)
{
	int r = prep_mapped(p);

	return r ? r : op_dirty_start(p);
}

static int op_dirty_bitmap(void *p)
{
	struct fi_ctx *c = p;
	uint64_t bits[1] = {0};

	return neg_errno(t1_dirty_bitmap(c->container, FI_IOVA, FI_BUF_SIZE,
					 SZ_4K, bits, sizeof(bits)));
}

/* UNMAP_DMA that also returns the range's dirty bitmap (tracking on). */
static int op_unmap_dirty(void *p)
{
	struct fi_ctx *c = p;
	uint64_t bits[1] = {0};
	struct {
		struct vfio_iommu_type1_dma_unmap u;
		struct vfio_bitmap b;
	} req = {
		.u =
			{
				.argsz = sizeof(req),
				.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
				.iova = FI_IOVA,
				.size = FI_BUF_SIZE,
			},
		.b =
			{
				.pgsize = SZ_4K,
				.size = sizeof(bits),
				.data = (__u64 *)bits,
			},
	};

	if (ioctl(c->container, VFIO_IOMMU_UNMAP_DMA, &req) < 0)
		return -errno;
	/* Pinned for a device that can write: every page counts as dirty. */
	return bits[0] == (1ULL << (FI_BUF_SIZE / SZ_4K)) - 1 ? 0 : -EINVAL;
}

static void undo_unmap_dirty(void *p)
{
	op_map(p);
}

/* Live update: the mapping's vaddr invalidated, then a new one given. */
static int prep_vaddr_invalid(void *p)
{
	struct fi_ctx *c = p;
	int r = prep_mapped(p);

	if (!r && t1_unmap(c->container, FI_IOVA, FI_BUF_SIZE,
			   VFIO_DMA_UNMAP_FLAG_VADDR, NULL) < 0)
		r = -errno;
	return r;
}

static int op_map_vaddr(void *p)
{
	struct fi_ctx *c = p;
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_VADDR,
		.vaddr = (uintptr_t)c->buf,
		.iova = FI_IOVA,
		.size = FI_BUF_SIZE,
	};

	return neg_errno(ioctl(c->container, VFIO_IOMMU_MAP_DMA, &m));
}

static void undo_map_vaddr(void *p)
{
	struct fi_ctx *c = p;

	t1_unmap(c->container, FI_IOVA, FI_BUF_SIZE, VFIO_DMA_UNMAP_FLAG_VADDR,
		 NULL);
}

static int op_unmap_all(void *p)
{
	struct fi_ctx *c = p;
	uint64_t n = 0;

	if (t1_unmap(c->container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &n) < 0)
		return -errno;
	return n == FI_BUF_SIZE ? 0 : -EINVAL;
}

/* ---- device ---- */

static int op_device_info(void *p)
{
	return info_ioctl(((struct fi_ctx *)p)->device, VFIO_DEVICE_GET_INFO);
}

static int op_region_infos(void *p)
{
	struct fi_ctx *c = p;
	char buf[1024];
	struct vfio_region_info *ri = (void *)buf;

	/* The BARs, the ROM and config space: every PCI device has them
	 * (the VGA region only a VGA device). */
	for (uint32_t i = 0; i <= VFIO_PCI_CONFIG_REGION_INDEX; i++) {
		memset(buf, 0, sizeof(buf));
		ri->argsz = sizeof(buf);
		ri->index = i;
		if (ioctl(c->device, VFIO_DEVICE_GET_REGION_INFO, ri) < 0)
			return -errno;
	}
	return 0;
}

static int op_irq_infos(void *p)
{
	struct fi_ctx *c = p;
	struct vfio_irq_info ii;

	/* The indexes every PCI device answers; ERR is for PCIe devices
	 * only (EINVAL on the conventional edu). */
	static const uint32_t index[] = {
		VFIO_PCI_INTX_IRQ_INDEX,
		VFIO_PCI_MSI_IRQ_INDEX,
		VFIO_PCI_MSIX_IRQ_INDEX,
		VFIO_PCI_REQ_IRQ_INDEX,
	};

	for (size_t i = 0; i < sizeof(index) / sizeof(index[0]); i++)
		if (vu_irq_info(c->device, index[i], &ii) < 0)
			return -errno;
	return 0;
}

static int op_config_rw(void *p)
{
	struct fi_ctx *c = p;
	uint8_t cfg[256];
	uint16_t cmd;

	if (vu_config_read(c->device, 0, cfg, sizeof(cfg)) < 0)
		return -errno;
	memcpy(&cmd, cfg + 4, 2);
	return neg_errno(vu_config_write(c->device, 4, &cmd, 2));
}

static int op_bar_rw(void *p)
{
	struct fi_ctx *c = p;
	uint32_t v;

	if (vu_region_read(c->device, &c->bar0, 0, &v, 4) < 0)
		return -errno;
	return v == 0x010000ed ? 0 : -EIO;
}

static int op_mmap_bar(void *p)
{
	struct fi_ctx *c = p;

	c->map = mmap(NULL, c->bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->device, c->bar0.offset);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		return -errno;
	}
	return 0;
}

static void undo_mmap_bar(void *p)
{
	struct fi_ctx *c = p;

	munmap(c->map, c->bar0.size);
	c->map = NULL;
}

static int set_irq(struct fi_ctx *c, uint32_t index, uint32_t count)
{
	return neg_errno(
		vu_irq_set_eventfds(c->device, index, 0, count, c->efd));
}

static int op_intx(void *p)
{
	return set_irq(p, VFIO_PCI_INTX_IRQ_INDEX, 1);
}

static void undo_intx(void *p)
{
	vu_irq_disable(((struct fi_ctx *)p)->device, VFIO_PCI_INTX_IRQ_INDEX);
}

static int op_msi(void *p)
{
	return set_irq(p, VFIO_PCI_MSI_IRQ_INDEX, 1);
}

static void undo_msi(void *p)
{
	vu_irq_disable(((struct fi_ctx *)p)->device, VFIO_PCI_MSI_IRQ_INDEX);
}

/* REQ: the edu is no PCIe device, so it has no ERR index to set. */
static int op_req(void *p)
{
	return set_irq(p, VFIO_PCI_REQ_IRQ_INDEX, 1);
}

static void undo_req(void *p)
{
	vu_irq_disable(((struct fi_ctx *)p)->device, VFIO_PCI_REQ_IRQ_INDEX);
}

/* INTx with a resample (unmask) eventfd: the virqfd path. */
static int prep_intx(void *p)
{
	int r = fi_open_all(p);

	return r ? r : op_intx(p);
}

static int intx_unmask_fd(int device, int fd)
{
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} set = {
		.s =
			{
				.argsz = sizeof(set),
				.flags = VFIO_IRQ_SET_ACTION_UNMASK |
					 VFIO_IRQ_SET_DATA_EVENTFD,
				.index = VFIO_PCI_INTX_IRQ_INDEX,
				.count = 1,
			},
		.fd = fd,
	};

	return neg_errno(ioctl(device, VFIO_DEVICE_SET_IRQS, &set));
}

static int op_intx_unmask_fd(void *p)
{
	struct fi_ctx *c = p;

	return intx_unmask_fd(c->device, c->efd[1]);
}

static void undo_intx_unmask_fd(void *p)
{
	intx_unmask_fd(((struct fi_ctx *)p)->device, -1);
}

/* A software trigger of MSI vector 0 (DATA_NONE). */
static int prep_msi(void *p)
{
	int r = fi_open_all(p);

	return r ? r : op_msi(p);
}

static int op_msi_trigger(void *p)
{
	struct fi_ctx *c = p;

	return neg_errno(
		vu_irq_trigger(c->device, VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
}

/* Register (fd >= 0) or remove (-1) an ioeventfd on the edu's liveness
 * check register. */
static int liveness_ioeventfd(struct fi_ctx *c, int fd)
{
	struct vfio_device_ioeventfd req = {
		.argsz = sizeof(req),
		.flags = VFIO_DEVICE_IOEVENTFD_32,
		.offset = c->bar0.offset + EDU_REG_LIVENESS,
		.data = 0x12345678,
		.fd = fd,
	};

	return neg_errno(ioctl(c->device, VFIO_DEVICE_IOEVENTFD, &req));
}

static int op_ioeventfd(void *p)
{
	struct fi_ctx *c = p;

	return liveness_ioeventfd(c, c->efd[0]);
}

static void undo_ioeventfd(void *p)
{
	liveness_ioeventfd(p, -1);
}

/* DEVICE_FEATURE: low power with a wakeup eventfd (the edu has no PM
 * capability, so it stays in D0, but the eventfd is registered). */
static int low_power_feature(int device, uint32_t feature, int efd)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_low_power_entry_with_wakeup e;
	} req = {
		.f =
			{
				.argsz = sizeof(req),
				.flags = VFIO_DEVICE_FEATURE_SET | feature,
			},
		.e = {.wakeup_eventfd = efd},
	};

	if (feature != VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP)
		req.f.argsz = sizeof(req.f);
	return neg_errno(ioctl(device, VFIO_DEVICE_FEATURE, &req));
}

static int op_low_power_wakeup(void *p)
{
	struct fi_ctx *c = p;

	return low_power_feature(
		c->device, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
		c->efd[0]);
}

static void undo_low_power(void *p)
{
	low_power_feature(((struct fi_ctx *)p)->device,
			  VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, -1);
}

/* Reset where the device has one (the edu, on QEMU 7.2: PM reset). */
static int op_reset(void *p)
{
	struct fi_ctx *c = p;
	struct vfio_device_info info = {.argsz = sizeof(info)};

	if (ioctl(c->device, VFIO_DEVICE_GET_INFO, &info) < 0)
		return -errno;
	if (!(info.flags & VFIO_DEVICE_FLAGS_RESET))
		return 0;
	return neg_errno(ioctl(c->device, VFIO_DEVICE_RESET));
}

static int op_hot_reset_info(void *p)
{
	struct fi_ctx *c = p;
	char buf[4096];
	struct vfio_pci_hot_reset_info *hi = (void *)buf;

	memset(buf, 0, sizeof(buf));
	hi->argsz = sizeof(buf);
	if (ioctl(c->device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, hi) == 0)
		return 0;
	/* A root-bus device has no bus to reset: not this sweep's concern. */
	return errno == ENODEV ? 0 : -errno;
}

static void fi_run(const struct fi_op *ops, size_t n)
{
	struct fi_ctx c;
	unsigned int points = 0;

	fi_init();
	fi_ctx_init(&c);
	for (size_t i = 0; i < n; i++)
		points += fi_sweep(&ops[i], &c);
	/* A sweep that never injected tested nothing: the filter is wrong. */
	if (!points)
		FAIL("no operation reached a fault point: is the filter "
		     "(our text, depth) right?");
	printf("note: %zu operations, %u fault points, every one failed "
	       "cleanly\n",
	       n, points);
}

TEST(faultinj_open_close)
{
	static const struct fi_op ops[] = {
		FI_OP("open /dev/vfio/vfio", NULL, op_open_container,
		      fi_close_new, NULL),
		FI_OP("open group", NULL, op_open_group, fi_close_new, NULL),
		FI_OP("GROUP_SET_CONTAINER", prep_container_group,
		      op_set_container, undo_set_container, fi_close_all),
		FI_OP("SET_IOMMU", prep_attached, op_set_iommu, undo_set_iommu,
		      fi_close_all),
		FI_OP("GROUP_GET_STATUS", fi_open_all, op_group_status, NULL,
		      fi_close_all),
		FI_OP("GROUP_UNSET_CONTAINER", prep_iommu_set,
		      op_unset_container, undo_unset_container, fi_close_all),
		FI_CLOSE_OP("close group", fi_open_all, op_close_group, NULL,
			    fi_close_all),
		FI_CLOSE_OP("close container", fi_open_all, op_close_container,
			    NULL, fi_close_all),
	};

	fi_run(ops, sizeof(ops) / sizeof(ops[0]));
}

/*
 * Opening the device enables it (pci_enable_device: ACPI interrupt
 * routing allocates hundreds of times on q35) and closing resets it: each
 * iteration takes seconds on the debug kernel, hence a test of its own.
 */
TEST(faultinj_device_open_close)
{
	static const struct fi_op ops[] = {
		FI_OP("GROUP_GET_DEVICE_FD", prep_iommu_set, op_get_device_fd,
		      fi_close_new, fi_close_all),
		FI_CLOSE_OP("close device", prep_all_and_new_device,
			    op_close_device, NULL, fi_close_all),
	};

	fi_run(ops, sizeof(ops) / sizeof(ops[0]));
}

TEST(faultinj_type1)
{
	static const struct fi_op ops[] = {
		FI_OP("CHECK_EXTENSION", fi_open_all, op_check_extension, NULL,
		      fi_close_all),
		FI_OP("IOMMU_GET_INFO", fi_open_all, op_iommu_info, NULL,
		      fi_close_all),
		FI_OP("MAP_DMA", fi_open_all, op_map, undo_map, fi_close_all),
		FI_OP("UNMAP_DMA (two mappings)", prep_two_mapped, op_unmap_two,
		      undo_unmap_two, fi_close_all),
		FI_OP("DIRTY_PAGES start", prep_mapped, op_dirty_start,
		      undo_dirty_start, fi_close_all),
		FI_OP("DIRTY_PAGES get bitmap", prep_dirty, op_dirty_bitmap,
		      NULL, fi_close_all),
		FI_OP("UNMAP_DMA with dirty bitmap", prep_dirty, op_unmap_dirty,
		      undo_unmap_dirty, fi_close_all),
		FI_OP("MAP_DMA VADDR update", prep_vaddr_invalid, op_map_vaddr,
		      undo_map_vaddr, fi_close_all),
		FI_OP("UNMAP_DMA ALL", prep_two_mapped, op_unmap_all,
		      undo_unmap_two, fi_close_all),
	};

	fi_run(ops, sizeof(ops) / sizeof(ops[0]));
}

TEST(faultinj_device)
{
	static const struct fi_op ops[] = {
		FI_OP("DEVICE_GET_INFO", fi_open_all, op_device_info, NULL,
		      fi_close_all),
		FI_OP("GET_REGION_INFO", fi_open_all, op_region_infos, NULL,
		      fi_close_all),
		FI_OP("GET_IRQ_INFO", fi_open_all, op_irq_infos, NULL,
		      fi_close_all),
		FI_OP("config read/write", fi_open_all, op_config_rw, NULL,
		      fi_close_all),
		FI_OP("BAR0 read", fi_open_all, op_bar_rw, NULL, fi_close_all),
		FI_OP("mmap BAR0", fi_open_all, op_mmap_bar, undo_mmap_bar,
		      fi_close_all),
		FI_OP("SET_IRQS INTx", fi_open_all, op_intx, undo_intx,
		      fi_close_all),
		FI_OP("SET_IRQS MSI", fi_open_all, op_msi, undo_msi,
		      fi_close_all),
		FI_OP("SET_IRQS REQ", fi_open_all, op_req, undo_req,
		      fi_close_all),
		FI_OP("SET_IRQS INTx unmask eventfd", prep_intx,
		      op_intx_unmask_fd, undo_intx_unmask_fd, fi_close_all),
		FI_OP("SET_IRQS MSI trigger", prep_msi, op_msi_trigger, NULL,
		      fi_close_all),
		FI_OP("DEVICE_IOEVENTFD", fi_open_all, op_ioeventfd,
		      undo_ioeventfd, fi_close_all),
		FI_OP("DEVICE_FEATURE low power with wakeup", fi_open_all,
		      op_low_power_wakeup, undo_low_power, fi_close_all),
		FI_OP("DEVICE_RESET", fi_open_all, op_reset, NULL,
		      fi_close_all),
		FI_OP("GET_PCI_HOT_RESET_INFO", fi_open_all, op_hot_reset_info,
		      NULL, fi_close_all),
	};

	fi_run(ops, sizeof(ops) / sizeof(ops[0]));
}
