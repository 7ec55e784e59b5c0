// SPDX-License-Identifier: GPL-2.0-only
/* Helpers of the type1 tests: see type1_util.h. */
#include "type1_util.h"

#include <linux/capability.h>
#include <poll.h>
#include <sys/syscall.h>

void t1_drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct cap[2];

	if (syscall(SYS_capget, &hdr, cap))
		FAIL("capget: %s", strerror(errno));
	cap[0].effective &= ~(1u << CAP_IPC_LOCK);
	if (syscall(SYS_capset, &hdr, cap))
		FAIL("capset: %s", strerror(errno));
}

const char *t1_param_path(const char *param)
{
	static char path[256];

	snprintf(path, sizeof(path),
		 "/sys/module/vfio_iommu_type1/parameters/%s", param);
	return path;
}

long long t1_profile(const char *key)
{
	return vu_file_key(T1_PROFILE, key);
}

static char second_bdf[VU_BDF_LEN];
static char second_drv[64];

static void second_restore(void)
{
	char path[256], cur[64] = "";

	if (!second_bdf[0])
		return;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 second_bdf);
	vu_write_file(path, "\n");
	vu_driver_name(second_bdf, cur, sizeof(cur));
	if (!strcmp(cur, second_drv))
		return;
	if (cur[0]) {
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/driver/unbind", second_bdf);
		vu_write_file(path, second_bdf);
	}
	if (second_drv[0])
		vu_write_file("/sys/bus/pci/drivers_probe", second_bdf);
}

const char *t1_second_device(void)
{
	/* e1000e, then virtio-net: each alone in its group on the bench. */
	static const uint16_t ids[][2] = {{0x8086, 0x10d3}, {0x1af4, 0x1041}};
	char bdf[VU_BDF_LEN], path[300];
	unsigned int i;

	if (second_bdf[0])
		return second_bdf;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		int g;

		if (vu_find_pci_device(ids[i][0], ids[i][1], bdf, sizeof(bdf)))
			continue;
		g = vu_iommu_group(bdf);
		if (g < 0 || g == fx_group_id())
			continue;
		snprintf(path, sizeof(path),
			 "/sys/kernel/iommu_groups/%d/devices", g);
		/* Alone in its group: only "." "..", and itself. */
		{
			char cmd[400];
			FILE *p;
			int n = 0;

			snprintf(cmd, sizeof(cmd), "ls %s | wc -l", path);
			p = popen(cmd, "r");
			if (!p || fscanf(p, "%d", &n) != 1)
				n = 0;
			if (p)
				pclose(p);
			if (n != 1)
				continue;
		}
		if (vu_driver_name(bdf, second_drv, sizeof(second_drv)))
			continue;
		snprintf(second_bdf, sizeof(second_bdf), "%s", bdf);
		atexit(second_restore);
		if (vu_bind_driver(bdf, "vfio-pci"))
			FAIL("binding %s to vfio-pci: %s", bdf,
			     vu_last_error());
		return second_bdf;
	}
	SKIP("no second device alone in its IOMMU group");
}

int t1_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd < 0)
		FAIL("open /dev/kmsg: %s", strerror(errno));
	lseek(fd, 0, SEEK_END);
	return fd;
}

bool t1_kmsg_find(int fd, const char *a, const char *b, int ms)
{
	uint64_t end = vu_now_ms() + ms;
	char rec[2048];

	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);

		if (n > 0) {
			rec[n] = 0;
			if (strstr(rec, a) && strstr(rec, b))
				return true;
			continue;
		}
		if (n < 0 && errno == EPIPE)
			continue; /* overrun: keep reading */
		if (vu_now_ms() >= end)
			return false;
		poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 50);
	}
}

void t1_edu_roundtrip(struct edu *e, uint64_t src_iova, uint8_t *src,
		      uint64_t dst_iova, uint8_t *dst, uint32_t len,
		      unsigned int seed)
{
	t1_fill(src, len, seed);
	memset(dst, 0, len);
	ASSERT_OK(edu_dma(e, src_iova, EDU_BUF_ADDR, len, false, false));
	ASSERT_OK(edu_dma(e, EDU_BUF_ADDR, dst_iova, len, true, false));
	ASSERT_MEMEQ(src, dst, len);
}
