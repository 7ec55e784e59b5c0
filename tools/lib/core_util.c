// SPDX-License-Identifier: GPL-2.0-only
/* core_util - helpers for the core conformance tests; see core_util.h. */
#define _GNU_SOURCE
#include "core_util.h"
#include "vfio_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAVED 8

static struct saved_dev {
	char bdf[VU_BDF_LEN];
	char driver[64];
	char override[64]; /* "" when none */
} saved[MAX_SAVED];
static int nr_saved;

static char loaded_mods[4][32];
static int nr_loaded_mods;

static pid_t children[8];
static int nr_children;

static pid_t owner_pid;

int cu_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int group_dir_each(int group, int (*fn)(const char *bdf, void *arg),
			  void *arg)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int n = 0, r;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices",
		 group);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		if (fn) {
			r = fn(de->d_name, arg);
			if (r) {
				closedir(dir);
				return r;
			}
		}
	}
	closedir(dir);
	return n;
}

int cu_group_size(int group)
{
	return group_dir_each(group, NULL, NULL);
}

struct match {
	uint16_t vendor, device;
	char *bdf;
	size_t len;
};

static int match_id(const char *bdf, void *arg)
{
	struct match *m = arg;
	unsigned long v, d;

	if (vu_sysfs_read_hex(bdf, "vendor", &v) ||
	    vu_sysfs_read_hex(bdf, "device", &d))
		return 0;
	if (v != m->vendor || d != m->device)
		return 0;
	snprintf(m->bdf, m->len, "%s", bdf);
	return 1;
}

int cu_find_in_group(int group, uint16_t vendor, uint16_t device, char *bdf,
		     size_t len)
{
	struct match m = {vendor, device, bdf, len};

	if (group_dir_each(group, match_id, &m) == 1)
		return 0;
	errno = ENODEV;
	return -1;
}

int cu_find_device(uint16_t vendor, uint16_t device, int shared, char *bdf,
		   size_t len)
{
	DIR *dir = opendir(CU_PCI);
	struct dirent *de;

	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		struct match m = {vendor, device, bdf, len};
		int g;

		if (de->d_name[0] == '.' || !match_id(de->d_name, &m))
			continue;
		g = vu_iommu_group(de->d_name);
		if (g < 0)
			continue;
		if ((cu_group_size(g) > 1) == !!shared) {
			closedir(dir);
			return 0;
		}
	}
	closedir(dir);
	errno = ENODEV;
	return -1;
}

const char *cu_driver(const char *bdf)
{
	static char buf[64];

	if (vu_driver_name(bdf, buf, sizeof(buf)))
		buf[0] = 0;
	return buf;
}

static void cu_atexit(void)
{
	if (getpid() == owner_pid)
		cu_restore_all();
}

static void ensure_atexit(void)
{
	if (!owner_pid) {
		owner_pid = getpid();
		atexit(cu_atexit);
	}
}

void cu_save_device(const char *bdf)
{
	struct saved_dev *s;

	ensure_atexit();
	for (int i = 0; i < nr_saved; i++)
		if (!strcmp(saved[i].bdf, bdf))
			return;
	if (nr_saved == MAX_SAVED)
		return;
	s = &saved[nr_saved++];
	snprintf(s->bdf, sizeof(s->bdf), "%s", bdf);
	snprintf(s->driver, sizeof(s->driver), "%s", cu_driver(bdf));
	vu_driver_override(bdf, s->override, sizeof(s->override));
}

int cu_unbind(const char *bdf)
{
	char path[PATH_MAX];

	if (cu_driver(bdf)[0]) {
		snprintf(path, sizeof(path), CU_PCI "/%s/driver/unbind", bdf);
		if (vu_write_file(path, bdf))
			return -1;
	}
	snprintf(path, sizeof(path), CU_PCI "/%s/driver_override", bdf);
	return vu_write_file(path, "\n");
}

int cu_bind(const char *bdf, const char *driver)
{
	return vu_bind_driver(bdf, driver);
}

int cu_bind_direct(const char *bdf, const char *driver)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", driver);
	return vu_write_file(path, bdf);
}

int cu_module_loaded(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return cu_exists(path);
}

int cu_modprobe(const char *name)
{
	char cmd[128];

	ensure_atexit();
	if (cu_module_loaded(name))
		return 0;
	snprintf(cmd, sizeof(cmd), "modprobe -q %s", name);
	if (system(cmd) != 0 || !cu_module_loaded(name)) {
		errno = ENOENT;
		return -1;
	}
	if (nr_loaded_mods < 4)
		snprintf(loaded_mods[nr_loaded_mods++], sizeof(loaded_mods[0]),
			 "%s", name);
	return 0;
}

int cu_delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -1 : 0;
}

pid_t cu_write_async(const char *path, const char *s)
{
	pid_t pid;

	ensure_atexit();
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* Hold none of the parent's VFIO fds: the write may wait
		 * for exactly those to be closed. */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		_exit(vu_write_file(path, s) ? (errno & 0xff) : 0);
	}
	if (nr_children < 8)
		children[nr_children++] = pid;
	return pid;
}

static void forget_child(pid_t pid)
{
	for (int i = 0; i < nr_children; i++)
		if (children[i] == pid)
			children[i] = children[--nr_children];
}

int cu_wait_child(pid_t pid, int timeout_ms, int *err)
{
	uint64_t end = vu_now_ms() + timeout_ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r < 0)
			return -1;
		if (r == pid) {
			forget_child(pid);
			*err = WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
			return 1;
		}
		if (vu_now_ms() >= end)
			return 0;
		usleep(10000);
	}
}

int cu_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

int cu_kmsg_find(int fd, const char *const *needles, char *line, size_t len)
{
	char rec[2048];

	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		const char *msg;
		int all = 1;

		if (n < 0 && errno == EPIPE)
			continue; /* overwritten records: go on */
		if (n <= 0)
			return 0;
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		for (const char *const *s = needles; *s; s++)
			if (!strstr(msg, *s))
				all = 0;
		if (all) {
			snprintf(line, len, "%s", msg);
			return 1;
		}
	}
}

void cu_restore_all(void)
{
	char cmd[128];
	int err, rescan = 0;

	/* No unbind may wait for one of our fds. */
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	while (nr_children) {
		pid_t pid = children[0];

		if (cu_wait_child(pid, 30000, &err) != 1) {
			fprintf(stderr, "core_util: child %d still blocked\n",
				pid);
			forget_child(pid);
		}
	}
	while (nr_loaded_mods) {
		snprintf(cmd, sizeof(cmd), "modprobe -r -q %s",
			 loaded_mods[--nr_loaded_mods]);
		if (system(cmd))
			fprintf(stderr, "core_util: '%s' failed\n", cmd);
	}
	for (int i = 0; i < nr_saved; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), CU_PCI "/%s", saved[i].bdf);
		if (!cu_exists(path))
			rescan = 1;
	}
	if (rescan && vu_write_file("/sys/bus/pci/rescan", "1"))
		fprintf(stderr, "core_util: rescan failed: %s\n",
			strerror(errno));
	for (int i = 0; i < nr_saved; i++) {
		struct saved_dev *s = &saved[i];
		char path[PATH_MAX], ov[64];

		if (!strcmp(cu_driver(s->bdf), s->driver)) {
			vu_driver_override(s->bdf, ov, sizeof(ov));
			if (!strcmp(ov, s->override))
				continue;
		}
		if (cu_unbind(s->bdf))
			fprintf(stderr, "core_util: unbind %s: %s\n", s->bdf,
				strerror(errno));
		if (s->override[0]) {
			snprintf(path, sizeof(path),
				 CU_PCI "/%s/driver_override", s->bdf);
			vu_write_file(path, s->override);
		}
		if (s->driver[0] &&
		    (vu_write_file("/sys/bus/pci/drivers_probe", s->bdf) ||
		     strcmp(cu_driver(s->bdf), s->driver)))
			fprintf(stderr, "core_util: %s not back on %s\n",
				s->bdf, s->driver);
	}
	nr_saved = 0;
}
