// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device, region and interrupt description of the PCI bus driver, and the
 * SET_IRQS argument checks.
 *
 * pci_info_dump writes, per bench device, a text record of everything the
 * description ioctls return (GET_INFO, GET_REGION_INFO of every index with
 * its capability chain, GET_IRQ_INFO of every index) and the result
 * (0 or errno) of a fixed list of VFIO_DEVICE_SET_IRQS calls, good and bad,
 * to $NVFIO_OUT/artifacts/info/<mode>/<device>.txt; bench/check.sh diffs
 * ours against mainline's ("pci-info-compare").
 */
#include "fixture.h"
#include "test_pci_util.h"
#include "edu.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/pci_regs.h>

struct rec {
	char buf[32768];
	size_t len;
};

__attribute__((format(printf, 2, 3))) static void put(struct rec *r,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r->len += vsnprintf(r->buf + r->len, sizeof(r->buf) - r->len, fmt, ap);
	va_end(ap);
	if (r->len >= sizeof(r->buf))
		FAIL("record overflow");
}

static const char *res(int ret)
{
	static char s[32];

	if (ret >= 0)
		snprintf(s, sizeof(s), "ok");
	else
		snprintf(s, sizeof(s), "%s", vu_errno_name(errno));
	return s;
}

static void dump_caps(struct rec *r, const uint8_t *base, uint32_t off,
		      uint32_t argsz)
{
	for (int n = 0; off && n < 16; n++) {
		const struct vfio_info_cap_header *h =
			(const void *)(base + off);

		if (off + sizeof(*h) > argsz) {
			put(r, "  cap at %u beyond argsz\n", off);
			return;
		}
		put(r, "  cap id %u version %u", h->id, h->version);
		if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
			const struct vfio_region_info_cap_sparse_mmap *s =
				(const void *)h;

			for (uint32_t i = 0; i < s->nr_areas; i++)
				put(r, " [0x%llx+0x%llx]",
				    (unsigned long long)s->areas[i].offset,
				    (unsigned long long)s->areas[i].size);
		} else if (h->id == VFIO_REGION_INFO_CAP_TYPE) {
			const struct vfio_region_info_cap_type *t =
				(const void *)h;

			put(r, " type %u subtype %u", t->type, t->subtype);
		}
		put(r, "\n");
		off = h->next;
	}
}

static void dump_regions(struct rec *r, int fd, uint32_t num)
{
	for (uint32_t i = 0; i < num + 2; i++) {
		union {
			struct vfio_region_info ri;
			uint8_t raw[1024];
		} u;
		int ret;

		/* first with the bare structure: argsz protocol */
		memset(&u, 0, sizeof(u));
		u.ri.argsz = sizeof(u.ri);
		u.ri.index = i;
		ret = ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &u.ri);
		put(r, "region %u: %s", i, res(ret));
		if (ret) {
			put(r, "\n");
			continue;
		}
		put(r, " flags 0x%x size 0x%llx offset 0x%llx argsz %u\n",
		    u.ri.flags, (unsigned long long)u.ri.size,
		    (unsigned long long)u.ri.offset, u.ri.argsz);
		if (!(u.ri.flags & VFIO_REGION_INFO_FLAG_CAPS))
			continue;
		memset(&u, 0, sizeof(u));
		u.ri.argsz = sizeof(u);
		u.ri.index = i;
		ret = ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &u.ri);
		put(r, "  full: %s argsz %u cap_offset %u\n", res(ret),
		    u.ri.argsz, u.ri.cap_offset);
		if (!ret)
			dump_caps(r, u.raw, u.ri.cap_offset, sizeof(u));
	}
}

static int set_irqs(int fd, uint32_t flags, uint32_t index, uint32_t start,
		    uint32_t count, const void *data, size_t dlen)
{
	uint8_t buf[sizeof(struct vfio_irq_set) + 256];
	struct vfio_irq_set *s = (void *)buf;

	memset(buf, 0, sizeof(buf));
	s->argsz = sizeof(*s) + dlen;
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	if (dlen)
		memcpy(s->data, data, dlen);
	return ioctl(fd, VFIO_DEVICE_SET_IRQS, s);
}

#define T_ (VFIO_IRQ_SET_ACTION_TRIGGER)
#define M_ (VFIO_IRQ_SET_ACTION_MASK)
#define U_ (VFIO_IRQ_SET_ACTION_UNMASK)
#define DN (VFIO_IRQ_SET_DATA_NONE)
#define DB (VFIO_IRQ_SET_DATA_BOOL)
#define DE (VFIO_IRQ_SET_DATA_EVENTFD)

static void dump_set_irqs(struct rec *r, int fd, uint32_t index)
{
	int32_t fds[4], m1[4] = {-1, -1, -1, -1};
	uint8_t ones[4] = {1, 1, 1, 1};
	static const struct {
		uint32_t flags, start, count;
		int data; /* 0 none, 1 bools, 2 eventfds, 3 -1s */
	} calls[] = {
		/* malformed */
		{0, 0, 1, 0},
		{DN | DB | T_, 0, 1, 1},
		{DN | T_ | M_, 0, 1, 0},
		{DN | T_ | 0x100, 0, 1, 0},
		{DN | T_, 0, 1000, 0},
		{DN | T_, 1000, 1, 0},
		{DN | T_, 0xffffffff, 2, 0},
		/* before anything is enabled */
		{DN | T_, 0, 1, 0},
		{DB | T_, 0, 1, 1},
		{DN | M_, 0, 1, 0},
		{DN | U_, 0, 1, 0},
		{DE | M_, 0, 1, 2},
		{DN | T_, 0, 0, 0},
		/* enable vector 0, trigger, mask/unmask */
		{DE | T_, 0, 1, 2},
		{DN | T_, 0, 1, 0},
		{DB | T_, 0, 1, 1},
		{DN | M_, 0, 1, 0},
		{DB | M_, 0, 1, 1},
		{DN | U_, 0, 1, 0},
		{DB | U_, 0, 1, 1},
		{DE | U_, 0, 1, 2},
		{DE | U_, 0, 1, 3},
		{DE | M_, 0, 1, 2},
		{DN | T_, 1, 1, 0},
		/* more vectors, deassign, disable */
		{DE | T_, 0, 2, 2},
		{DE | T_, 1, 1, 3},
		{DE | T_, 0, 1, 3},
		{DB | T_, 0, 2, 1},
		{DE | T_, 0, 0, 2},
		{DN | T_, 0, 0, 0},
		{DN | T_, 0, 0, 0},
		{DE | T_, 0, 1, 3},
		{DN | T_, 0, 0, 0},
	};

	for (int i = 0; i < 4; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		const void *data = NULL;
		size_t dlen = 0;
		int ret;

		switch (calls[i].data) {
		case 1:
			data = ones;
			dlen = calls[i].count < 4 ? calls[i].count : 4;
			break;
		case 2:
			data = fds;
			dlen = 4 * (calls[i].count < 4 ? calls[i].count : 4);
			break;
		case 3:
			data = m1;
			dlen = 4 * (calls[i].count < 4 ? calls[i].count : 4);
			break;
		}
		ret = set_irqs(fd, calls[i].flags, index, calls[i].start,
			       calls[i].count, data, dlen);
		put(r, "  set_irqs flags 0x%x start %u count %u data %d: %s\n",
		    calls[i].flags, calls[i].start, calls[i].count,
		    calls[i].data, res(ret));
	}
	/* argsz too small for the data */
	put(r, "  short argsz: %s\n",
	    res(set_irqs(fd, DE | T_, index, 0, 1, NULL, 0)));
	/* leave the index disabled */
	set_irqs(fd, DN | T_, index, 0, 0, NULL, 0);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
}

static void dump_irqs(struct rec *r, int fd, uint32_t num)
{
	for (uint32_t i = 0; i < num + 1; i++) {
		struct vfio_irq_info ii = {.argsz = sizeof(ii), .index = i};
		int ret = ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &ii);

		put(r, "irq %u: %s", i, res(ret));
		if (!ret)
			put(r, " flags 0x%x count %u", ii.flags, ii.count);
		put(r, "\n");
		if (!ret && i < num)
			dump_set_irqs(r, fd, i);
	}
	{
		struct vfio_irq_info ii = {.argsz = 8, .index = 0};

		put(r, "irq info short argsz: %s\n",
		    res(ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &ii)));
	}
}

/*
 * The first device @vendor:@device behind a bridge (not on bus 00): the
 * bench's group 7, a conventional PCI bus.  "" if there is none.
 */
static void find_bridged(uint16_t vendor, uint16_t device, char *bdf)
{
	char cmd[256];
	FILE *p;

	bdf[0] = 0;
	snprintf(cmd, sizeof(cmd),
		 "for d in /sys/bus/pci/devices/*; do "
		 "[ \"$(cat $d/vendor) $(cat $d/device)\" = "
		 "\"0x%04x 0x%04x\" ] && echo ${d##*/}; done",
		 vendor, device);
	p = popen(cmd, "r");
	if (!p)
		FAIL("popen");
	while (fgets(cmd, sizeof(cmd), p)) {
		cmd[strcspn(cmd, "\n")] = 0;
		if (strncmp(cmd + 5, "00:", 3)) {
			snprintf(bdf, VU_BDF_LEN, "%.31s", cmd);
			break;
		}
	}
	pclose(p);
}

static void dump_device(struct rec *r, const char *name, int fd)
{
	struct vfio_device_info di = {.argsz = sizeof(di)};
	int ret;

	r->len = 0;
	ret = ioctl(fd, VFIO_DEVICE_GET_INFO, &di);
	put(r, "device %s: %s flags 0x%x regions %u irqs %u\n", name, res(ret),
	    di.flags, di.num_regions, di.num_irqs);
	dump_regions(r, fd, di.num_regions);
	dump_irqs(r, fd, di.num_irqs);
}

/*
 * The two devices of the bench's bridged group (conventional PCI: no
 * error index, INTx behind a bridge), one open at a time: both must be
 * on vfio-pci for the group to be usable.
 */
TEST(pci_info_dump_bridged)
{
	static const struct pu_devtype devs[] = {
		{"edu-bridged", 0x1234, 0x11e8},
		{"e1000", 0x8086, 0x100e},
	};
	char bdf[2][VU_BDF_LEN];
	static struct rec r;

	for (int i = 0; i < 2; i++) {
		find_bridged(devs[i].vendor, devs[i].device, bdf[i]);
		if (!bdf[i][0])
			SKIP("no %s behind a bridge", devs[i].name);
	}
	for (int i = 0; i < 2; i++)
		pu_claim(bdf[i]);
	for (int i = 0; i < 2; i++) {
		char name[64];
		struct vu_dev d;

		if (vu_dev_open(&d, bdf[i], VU_STAGE_DEVICE))
			FAIL("opening %s: %s", bdf[i], vu_last_error());
		dump_device(&r, devs[i].name, d.device);
		snprintf(name, sizeof(name), "%s.txt", devs[i].name);
		pu_artifact("info", name, r.buf, r.len);
		fputs(r.buf, stdout);
		vu_dev_close(&d);
	}
	for (int i = 0; i < 2; i++)
		pu_release(bdf[i]);
}

TEST(pci_info_dump)
{
	static struct rec r;

	for (unsigned int t = 0; t < pu_nbench; t++) {
		struct vfio_device_info di = {.argsz = sizeof(di)};
		char name[64];
		struct vu_dev d;
		int ret;

		r.len = 0;
		pu_open(&pu_bench[t], &d);
		ret = ioctl(d.device, VFIO_DEVICE_GET_INFO, &di);
		put(&r, "device %s: %s flags 0x%x regions %u irqs %u\n",
		    pu_bench[t].name, res(ret), di.flags, di.num_regions,
		    di.num_irqs);
		dump_regions(&r, d.device, di.num_regions);
		dump_irqs(&r, d.device, di.num_irqs);
		snprintf(name, sizeof(name), "%s.txt", pu_bench[t].name);
		pu_artifact("info", name, r.buf, r.len);
		fputs(r.buf, stdout);
		vu_dev_close(&d);
		pu_release(d.bdf);
	}
}

/*
 * Real INTx from the edu (MSI off: it asserts its pin while its interrupt
 * status is non-zero): automasked on arrival, unmasked by ioctl and by
 * eventfd, masked by ioctl.
 */
TEST(pci_intx_edu)
{
	struct vfio_region_info bar;
	uint32_t one = 1;
	int trig, unmask;
	struct vu_dev d;

	pu_open(&pu_bench[0], &d);
	ASSERT_OK(vu_region_info(d.device, 0, &bar));
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	trig = vu_eventfd_new();
	unmask = vu_eventfd_new();
	ASSERT_OK(vu_irq_set_eventfds(d.device, VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
				      &trig));

	/* raise: one signal, then masked while the line stays asserted */
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_RAISE, &one, 4));
	ASSERT_TRUE(pu_fired(trig, 2000));
	ASSERT_TRUE(!pu_fired(trig, 200));
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_ACK, &one, 4));
	/* still masked: a new assertion is not delivered */
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_RAISE, &one, 4));
	ASSERT_TRUE(!pu_fired(trig, 200));
	/* unmask by ioctl while asserted: signalled again at once */
	ASSERT_OK(set_irqs(d.device, DN | U_, 0, 0, 1, NULL, 0));
	ASSERT_TRUE(pu_fired(trig, 2000));
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_ACK, &one, 4));
	ASSERT_OK(set_irqs(d.device, DN | U_, 0, 0, 1, NULL, 0));
	ASSERT_TRUE(!pu_fired(trig, 100));

	/* unmask by eventfd */
	ASSERT_OK(set_irqs(d.device, DE | U_, 0, 0, 1, &unmask, 4));
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_RAISE, &one, 4));
	ASSERT_TRUE(pu_fired(trig, 2000));
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_ACK, &one, 4));
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_RAISE, &one, 4));
	ASSERT_TRUE(!pu_fired(trig, 200));
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_ACK, &one, 4));
	{
		uint64_t v = 1;

		ASSERT_EQ(8, write(unmask, &v, 8));
	}
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_RAISE, &one, 4));
	ASSERT_TRUE(pu_fired(trig, 2000));
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_ACK, &one, 4));

	/* mask by ioctl: nothing arrives; unmask: the pending one does */
	ASSERT_OK(set_irqs(d.device, DN | U_, 0, 0, 1, NULL, 0));
	ASSERT_OK(set_irqs(d.device, DN | M_, 0, 0, 1, NULL, 0));
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_RAISE, &one, 4));
	ASSERT_TRUE(!pu_fired(trig, 200));
	ASSERT_OK(set_irqs(d.device, DN | U_, 0, 0, 1, NULL, 0));
	ASSERT_TRUE(pu_fired(trig, 2000));
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_ACK, &one, 4));

	ASSERT_OK(vu_irq_disable(d.device, VFIO_PCI_INTX_IRQ_INDEX));
	close(trig);
	close(unmask);
	vu_dev_close(&d);
}

/*
 * A line still asserted when it is unmasked is signalled again, whichever
 * way the unmask comes: the unmask eventfd (what KVM's resampler signals at
 * EOI; without this a level-triggered device goes silent) or clearing
 * DisINTx in config space.  While DisINTx is set nothing is signalled, not
 * even the loopback.  A second unmask eventfd is refused.
 */
TEST(pci_intx_edu_resignal)
{
	struct vfio_region_info bar;
	int trig, unmask, unmask2;
	uint32_t one = 1;
	struct vu_dev d;
	uint64_t v = 1;

	pu_open(&pu_bench[0], &d);
	ASSERT_OK(vu_region_info(d.device, 0, &bar));
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	trig = vu_eventfd_new();
	unmask = vu_eventfd_new();
	unmask2 = vu_eventfd_new();
	ASSERT_OK(vu_irq_set_eventfds(d.device, VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
				      &trig));
	ASSERT_OK(set_irqs(d.device, DE | U_, 0, 0, 1, &unmask, 4));
	ASSERT_ERRNO(EBUSY, set_irqs(d.device, DE | U_, 0, 0, 1, &unmask2, 4));

	/* raised, signalled, masked; not acked: the EOI finds it asserted */
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_RAISE, &one, 4));
	ASSERT_TRUE(pu_fired(trig, 2000));
	ASSERT_TRUE(!pu_fired(trig, 200));
	ASSERT_EQ(8, write(unmask, &v, 8));
	ASSERT_TRUE(pu_fired(trig, 2000));
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_ACK, &one, 4));
	ASSERT_EQ(8, write(unmask, &v, 8));
	ASSERT_TRUE(!pu_fired(trig, 200));

	/* DisINTx set: an assertion is held back, even the loopback */
	pu_command_bits(d.device, PCI_COMMAND_INTX_DISABLE, true);
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_RAISE, &one, 4));
	ASSERT_TRUE(!pu_fired(trig, 200));
	ASSERT_OK(set_irqs(d.device, DN | T_, 0, 0, 1, NULL, 0));
	ASSERT_TRUE(!pu_fired(trig, 200));
	/* DisINTx cleared with the line asserted: signalled */
	pu_command_bits(d.device, PCI_COMMAND_INTX_DISABLE, false);
	ASSERT_TRUE(pu_fired(trig, 2000));
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_ACK, &one, 4));
	ASSERT_EQ(8, write(unmask, &v, 8));
	ASSERT_TRUE(!pu_fired(trig, 200));

	/* the unmask eventfd can be dropped and another one set */
	{
		int32_t none = -1;

		ASSERT_OK(set_irqs(d.device, DE | U_, 0, 0, 1, &none, 4));
	}
	ASSERT_OK(set_irqs(d.device, DE | U_, 0, 0, 1, &unmask2, 4));

	ASSERT_OK(vu_irq_disable(d.device, VFIO_PCI_INTX_IRQ_INDEX));
	close(trig);
	close(unmask);
	close(unmask2);
	vu_dev_close(&d);
}

/*
 * VFIO_DEVICE_GET_INFO's device capabilities.  On x86 the only one is the
 * PCIe AtomicOps completer capability (6.5 on; 6.1 has none): reported
 * when the function (its PF) completes AtomicOps of some size and every
 * port to the root routes and completes them.  The bench's QEMU devices
 * complete none, so the chain must be empty there: no CAPS flag, no
 * cap_offset, argsz untouched.  A function whose DEVCAP2 says it does
 * (real hardware) must show the capability, with only sizes it has.
 */
#define INFO_CAP_PCI_ATOMIC_COMP 5 /* newer than libc's <linux/vfio.h> */

TEST(pci_info_device_caps)
{
	for (unsigned int i = 0; i < pu_nbench; i++) {
		struct {
			struct vfio_device_info info;
			uint8_t chain[256];
		} big;
		struct vfio_device_info small = {.argsz = sizeof(small)};
		unsigned int exp, cap, comp;
		struct vu_dev d;

		if (!pu_present(&pu_bench[i]))
			continue;
		pu_open(&pu_bench[i], &d);
		exp = pu_find_cap(d.device, PCI_CAP_ID_EXP);
		comp = exp ? pu_cfg_read(d.device, exp + PCI_EXP_DEVCAP2, 4) &
				       (PCI_EXP_DEVCAP2_ATOMIC_COMP32 |
					PCI_EXP_DEVCAP2_ATOMIC_COMP64 |
					PCI_EXP_DEVCAP2_ATOMIC_COMP128) :
			     0;

		memset(&big, 0, sizeof(big));
		big.info.argsz = sizeof(big);
		ASSERT_OK(ioctl(d.device, VFIO_DEVICE_GET_INFO, &big));
		ASSERT_OK(ioctl(d.device, VFIO_DEVICE_GET_INFO, &small));
		if (!comp || !fx_kernel_at_least(6, 5)) {
			/* nothing to report: no chain */
			ASSERT_EQ(0, big.info.flags & VFIO_DEVICE_FLAGS_CAPS);
			ASSERT_EQ(0, big.info.cap_offset);
			ASSERT_EQ(sizeof(big), big.info.argsz);
			ASSERT_EQ(0, small.flags & VFIO_DEVICE_FLAGS_CAPS);
			ASSERT_EQ(sizeof(small), small.argsz);
			vu_dev_close(&d);
			continue;
		}
		/*
		 * Real hardware that completes AtomicOps: whether the path
		 * to the root allows them decides; if reported, the
		 * capability lists only sizes the function completes.
		 */
		if (!(big.info.flags & VFIO_DEVICE_FLAGS_CAPS)) {
			vu_dev_close(&d);
			continue;
		}
		ASSERT_EQ(sizeof(big.info), big.info.cap_offset);
		cap = big.info.cap_offset;
		ASSERT_EQ(INFO_CAP_PCI_ATOMIC_COMP,
			  *(uint16_t *)((uint8_t *)&big + cap));
		ASSERT_EQ(1, *(uint16_t *)((uint8_t *)&big + cap + 2));
		{
			uint32_t flags =
				*(uint32_t *)((uint8_t *)&big + cap + 8);

			ASSERT_TRUE(flags && !(flags & ~7u));
			if (flags & 1)
				ASSERT_TRUE(comp &
					    PCI_EXP_DEVCAP2_ATOMIC_COMP32);
			if (flags & 2)
				ASSERT_TRUE(comp &
					    PCI_EXP_DEVCAP2_ATOMIC_COMP64);
			if (flags & 4)
				ASSERT_TRUE(comp &
					    PCI_EXP_DEVCAP2_ATOMIC_COMP128);
		}
		/* a short argsz learns the size needed, and no offset */
		ASSERT_TRUE(small.flags & VFIO_DEVICE_FLAGS_CAPS);
		ASSERT_TRUE(small.argsz > sizeof(small));
		vu_dev_close(&d);
	}
}

/*
 * nointxmask=1 (read when vfio-pci loads): PCI 2.3 INTx masking is not
 * used, INTx is masked at the interrupt controller instead (an exclusive
 * line), so an interrupt leaves DisINTx clear in the function's real
 * command register; with the default the automask sets it.  The test
 * reloads vfio-pci with the parameter and puts it back as it was, also on
 * failure.  (An exclusive line may be refused where the edu's GSI is
 * shared with a device whose driver holds it: then SET_IRQS says EBUSY,
 * on either stack, and the test skips.)
 */
/* INTx fires once; DisINTx in the real command register afterwards. */
static int nim_intx_disintx(const char *bdf)
{
	struct vfio_region_info bar;
	uint32_t one = 1;
	char path[256];
	uint16_t cmd = 0;
	struct vu_dev d;
	int trig, fd;

	pu_open(&pu_bench[0], &d);
	ASSERT_OK(vu_region_info(d.device, 0, &bar));
	ASSERT_OK(vu_pci_command_set(d.device, PCI_COMMAND_MEMORY));
	trig = vu_eventfd_new();
	if (vu_irq_set_eventfds(d.device, VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
				&trig)) {
		if (errno == EBUSY)
			SKIP("the edu's INTx line is shared: no exclusive line");
		FAIL("INTx: %s", vu_last_error());
	}
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_RAISE, &one, 4));
	ASSERT_TRUE(pu_fired(trig, 2000));
	ASSERT_TRUE(!pu_fired(trig, 200));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_EQ(2, pread(fd, &cmd, 2, PCI_COMMAND));
	close(fd);
	/* ack, unmask: the line is quiet again */
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_ACK, &one, 4));
	ASSERT_OK(set_irqs(d.device, DN | U_, 0, 0, 1, NULL, 0));
	ASSERT_TRUE(!pu_fired(trig, 100));
	/* and it works again after the unmask */
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_RAISE, &one, 4));
	ASSERT_TRUE(pu_fired(trig, 2000));
	ASSERT_OK(vu_region_write(d.device, &bar, EDU_REG_IRQ_ACK, &one, 4));
	ASSERT_OK(vu_irq_disable(d.device, VFIO_PCI_INTX_IRQ_INDEX));
	close(trig);
	vu_dev_close(&d);
	return !!(cmd & PCI_COMMAND_INTX_DISABLE);
}

TEST(pci_intx_nointxmask)
{
	const char *bdf = fx_bdf();
	char buf[8];

	/* default: the automask is DisINTx */
	ASSERT_EQ(1, nim_intx_disintx(bdf));

	pu_reload_vfio_pci("nointxmask=1");
	ASSERT_OK(vu_read_file("/sys/module/vfio_pci/parameters/nointxmask",
			       buf, sizeof(buf)));
	ASSERT_TRUE(!strcmp(buf, "Y"));
	/* the edu came back to vfio-pci (its driver_override) */
	ASSERT_EQ(0, nim_intx_disintx(bdf));
	pu_reload_vfio_pci_default();
	ASSERT_EQ(1, nim_intx_disintx(bdf));
}
