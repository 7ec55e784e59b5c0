// SPDX-License-Identifier: GPL-2.0-only
/*
 * Large maps of memory never touched, which is what a VM's RAM is when
 * QEMU maps it at start.  Both modes: the map pins exactly its pages, the
 * device reaches its first, middle and last bytes, and nothing stays
 * locked or pinned after the unmap.  Ours only: the prefault on several
 * CPUs (kernel/iommu_type1/prefault.c) runs for such a map, and not for
 * memory faulted in already, not with nvfio_prefault_workers=0, and not
 * when the pages would not fit RLIMIT_MEMLOCK (the map fails as before,
 * ENOMEM, without faulting the whole range in first).
 */
#include "type1_util.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <linux/pci_regs.h>

/* Above the prefault's 64 MiB floor, below the edu's 256 MiB of IOVA. */
#define BIG (128ULL << 20)
#define XFER 256u

static uint8_t *untouched(void)
{
	uint8_t *p = mmap(NULL, BIG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	return p;
}

static void open_edu(struct vu_dev *d, struct edu *e)
{
	fx_open_edu(d, e, true);
	ASSERT_OK(vu_pci_command_set(d->device,
				     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
}

/* Map @buf (all of BIG), check pins, charge and DMA, unmap, check again. */
static void map_check_unmap(struct vu_dev *d, struct edu *e, uint8_t *buf)
{
	long long pins = t1_pinned_pages();
	long lck = vu_locked_kb();
	uint64_t n;

	ASSERT_OK(t1_map(d->container, buf, T1_IOVA, BIG, T1_RW));
	ASSERT_EQ(pins + (long long)(BIG >> 12), t1_pinned_pages());
	ASSERT_EQ(lck + (long)(BIG >> 10), vu_locked_kb());
	t1_edu_roundtrip(e, T1_IOVA, buf, T1_IOVA + BIG / 2, buf + BIG / 2,
			 XFER, 1);
	t1_edu_roundtrip(e, T1_IOVA + BIG - XFER, buf + BIG - XFER,
			 T1_IOVA + BIG / 2 + XFER, buf + BIG / 2 + XFER, XFER,
			 2);
	ASSERT_OK(t1_unmap(d->container, T1_IOVA, BIG, 0, &n));
	ASSERT_EQ(BIG, n);
	ASSERT_EQ(pins, t1_pinned_pages());
	ASSERT_EQ(lck, vu_locked_kb());
}

TEST(type1_map_untouched)
{
	struct vu_dev d;
	struct edu e;
	uint8_t *buf = untouched();

	open_edu(&d, &e);
	map_check_unmap(&d, &e, buf);
	/* Again, now that every page is there. */
	map_check_unmap(&d, &e, buf);
	edu_fini(&e);
	vu_dev_close(&d);
	munmap(buf, BIG);
}

static char saved_workers[16];

static void restore_workers(void)
{
	if (saved_workers[0])
		vu_write_file(t1_param_path("nvfio_prefault_workers"),
			      saved_workers);
	vu_write_file(T1_PROFILE, "0");
}

static void set_workers(const char *n)
{
	const char *p = t1_param_path("nvfio_prefault_workers");

	if (!saved_workers[0]) {
		if (vu_read_file(p, saved_workers, sizeof(saved_workers)) < 0)
			FAIL("read %s: %s", p, vu_last_error());
		saved_workers[strcspn(saved_workers, "\n")] = 0;
		atexit(restore_workers);
	}
	ASSERT_OK(vu_write_file(p, n));
}

/*
 * In a child without CAP_IPC_LOCK and with 16 MiB of RLIMIT_MEMLOCK: the
 * map fails with ENOMEM, and the pages it faulted in are no more than the
 * pin's own attempt (16 MiB and a batch), not the whole 128 MiB.
 */
static void over_memlock(int container)
{
	struct rlimit rl = {16ULL << 20, 16ULL << 20};
	int status;
	pid_t pid = fork();

	ASSERT_OK(pid);
	if (!pid) {
		uint8_t *buf = untouched();
		long rss = vu_status_kb("VmRSS");
		int r;

		t1_drop_ipc_lock();
		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(10);
		r = t1_map(container, buf, T1_IOVA, BIG, T1_RW);
		if (r != -1 || errno != ENOMEM)
			_exit(11);
		if (vu_status_kb("VmRSS") - rss > (48L << 10))
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		FAIL("over the memlock limit: child status 0x%x (10: setrlimit, "
		     "11: the map did not fail with ENOMEM, 12: it faulted in "
		     "more than 48 MiB)",
		     status);
}

TEST_OURS_ONLY(type1_prefault)
{
	struct vu_dev d;
	struct edu e;
	uint8_t *a = untouched(), *b = untouched();

	/* The workers' own queue, whose CPUs an administrator can confine. */
	ASSERT_OK(access(
		"/sys/devices/virtual/workqueue/nvfio_prefault/cpumask", R_OK));
	open_edu(&d, &e);
	set_workers("3");
	ASSERT_OK(vu_write_file(T1_PROFILE, "1"));
	ASSERT_EQ(0, t1_profile("prefault_calls"));
	/* Never touched: prefaulted (the guest has 2 CPUs: one worker). */
	map_check_unmap(&d, &e, a);
	ASSERT_EQ(1, t1_profile("prefault_calls"));
	/* Every page there already: not again. */
	map_check_unmap(&d, &e, a);
	ASSERT_EQ(1, t1_profile("prefault_calls"));
	/* Over RLIMIT_MEMLOCK: refused before any prefault. */
	over_memlock(d.container);
	ASSERT_EQ(1, t1_profile("prefault_calls"));
	/* Workers off: the map pins by itself, correctly. */
	set_workers("0");
	map_check_unmap(&d, &e, b);
	ASSERT_EQ(1, t1_profile("prefault_calls"));
	edu_fini(&e);
	vu_dev_close(&d);
	munmap(a, BIG);
	munmap(b, BIG);
}
