// SPDX-License-Identifier: GPL-2.0-only
/*
 * view_procfs.c - the view every stack has: /proc.
 *
 *   /proc/<pid>/fd/N     links to /dev/vfio/vfio (container), /dev/vfio/<N>
 *                        (group), anon_inode:[vfio-device] (device fd of a
 *                        group), /dev/vfio/devices/vfioX (device cdev),
 *                        /dev/iommu (iommufd)
 *   /proc/<pid>/fdinfo/N "vfio-device-syspath: /sys/devices/.../<bdf>" on
 *                        kernels that print it (mainline 6.9 and later);
 *                        elsewhere a device fd is told by the only device
 *                        of the only group the process holds, if so
 *   /proc/<pid>/maps     mmaps of device fds (anon_inode:[vfio-device]);
 *                        the offset's bits 40 and up are vfio-pci's region
 *   /proc/<pid>/status   VmLck (type1 charges pinned pages there), VmPin
 *   /proc/<pid>/limits   Max locked memory
 *   /proc/interrupts     vfio-intx(<bdf>), vfio-msi[N](<bdf>),
 *                        vfio-msix[N](<bdf>): the names both stacks give
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfs.h"
#include "views.h"
#include "vfioctl.h"

static bool procfs_present(void)
{
	return sys_exists("/proc/self");
}

static void add_fd(struct holder *h, const struct vfd *v)
{
	h->fds = xrealloc(h->fds, (h->nfd + 1) * sizeof(*h->fds));
	h->fds[h->nfd++] = *v;
}

static int bdf_group(const char *bdf)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group", bdf);
	return sys_link_name(path, buf, sizeof(buf)) ? -1 : atoi(buf);
}

/* The device of a device fd, from fdinfo's vfio-device-syspath. */
static void device_from_fdinfo(int pid, int fd, struct vfd *v)
{
	char path[64], *text, *p;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	text = sys_slurp(path, NULL);
	if (!text)
		return;
	p = strstr(text, "vfio-device-syspath:");
	if (p) {
		char *e = strchr(p, '\n'), *slash;

		if (e)
			*e = '\0';
		slash = strrchr(p, '/');
		if (slash && bdf_parse(slash + 1, v->bdf) == 0)
			v->bdf_from = "fdinfo";
	}
	free(text);
}

/* Classify the target of one fd link; false if it is not VFIO's. */
static bool classify(int pid, int fd, const char *target, struct vfd *v)
{
	int n;
	char path[600];

	memset(v, 0, sizeof(*v));
	v->fd = fd;
	v->group = -1;
	v->bdf_from = "";
	if (!strcmp(target, "/dev/vfio/vfio")) {
		v->kind = VFD_CONTAINER;
	} else if (!strcmp(target, "/dev/iommu")) {
		v->kind = VFD_IOMMUFD;
	} else if (sscanf(target, "/dev/vfio/%d", &n) == 1 &&
		   isdigit((unsigned char)target[10])) {
		v->kind = VFD_GROUP;
		v->group = n;
	} else if (sscanf(target, "/dev/vfio/noiommu-%d", &n) == 1) {
		v->kind = VFD_GROUP;
		v->group = n;
	} else if (!strcmp(target, "anon_inode:[vfio-device]")) {
		v->kind = VFD_DEVICE;
		device_from_fdinfo(pid, fd, v);
	} else if (!strncmp(target, "/dev/vfio/devices/", 18)) {
		v->kind = VFD_DEVICE;
		snprintf(path, sizeof(path), "/sys/class/vfio-dev/%s/device",
			 target + 18);
		if (sys_link_name(path, v->bdf, sizeof(v->bdf)) == 0)
			v->bdf_from = "cdev";
	} else {
		return false;
	}
	if (v->kind == VFD_DEVICE && v->bdf[0])
		v->group = bdf_group(v->bdf);
	return true;
}

static long long status_kb(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	return p ? atoll(p + strlen(key)) : 0;
}

static void read_process(struct holder *h)
{
	char path[64], *text, *p;

	snprintf(path, sizeof(path), "/proc/%d/comm", h->pid);
	sys_read(path, h->comm, sizeof(h->comm));
	snprintf(path, sizeof(path), "/proc/%d/status", h->pid);
	text = sys_slurp(path, NULL);
	if (text) {
		h->locked_kb = status_kb(text, "\nVmLck:");
		h->pinned_kb = status_kb(text, "\nVmPin:");
		free(text);
	}
	snprintf(path, sizeof(path), "/proc/%d/limits", h->pid);
	text = sys_slurp(path, NULL);
	if (text) {
		p = strstr(text, "Max locked memory");
		if (p) {
			p += strlen("Max locked memory");
			while (*p == ' ')
				p++;
			h->memlock_limit =
				strncmp(p, "unlimited", 9) ? atoll(p) : -1;
		}
		free(text);
	}
}

/*
 * Device fds that fdinfo did not name: if the process holds one group and
 * that group has one device, it is that one.
 */
static void guess_devices(struct holder *h)
{
	int group = -1, ngroups = 0;
	struct group g;

	for (int i = 0; i < h->nfd; i++)
		if (h->fds[i].kind == VFD_GROUP && h->fds[i].group != group) {
			group = h->fds[i].group;
			ngroups++;
		}
	if (ngroups != 1 || group_read(group, &g))
		return;
	for (int i = 0; i < h->nfd; i++) {
		struct vfd *v = &h->fds[i];

		if (v->kind != VFD_DEVICE || v->bdf[0])
			continue;
		v->group = group;
		if (g.ndev == 1) {
			strlcpy0(v->bdf, g.devs[0].bdf, sizeof(v->bdf));
			v->bdf_from = "group";
		}
	}
	group_free(&g);
}

/* The device mmaps; attributed when the process has one device. */
static void read_maps(struct holder *h)
{
	char path[64], *text, *line, *save = NULL;
	const char *only = NULL;

	for (int i = 0; i < h->nfd; i++) {
		if (h->fds[i].kind != VFD_DEVICE)
			continue;
		if (!h->fds[i].bdf[0] ||
		    (only && strcmp(only, h->fds[i].bdf))) {
			only = "";
			break;
		}
		only = h->fds[i].bdf;
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", h->pid);
	text = sys_slurp(path, NULL);
	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct vmap m = {0};

		if (!strstr(line, "anon_inode:[vfio-device]"))
			continue;
		if (sscanf(line, "%llx-%llx %7s %llx", &m.start, &m.end,
			   m.perms, &m.offset) != 4)
			continue;
		m.region = (int)(m.offset >> 40);
		strlcpy0(m.bdf, only ? only : "", sizeof(m.bdf));
		h->maps = xrealloc(h->maps, (h->nmap + 1) * sizeof(*h->maps));
		h->maps[h->nmap++] = m;
	}
	free(text);
}

static void scan_pid(struct vfio_state *st, int pid)
{
	char path[64], target[512];
	struct holder *h = NULL;
	struct dirent *e;
	struct vfd v;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = sys_opendir(path);
	if (!dir) {
		if (errno == EACCES || errno == EPERM)
			st->holders_complete = false;
		return;
	}
	while ((e = readdir(dir))) {
		int fd;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		fd = atoi(e->d_name);
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
		if (sys_readlink(path, target, sizeof(target)))
			continue;
		if (!classify(pid, fd, target, &v))
			continue;
		if (!h)
			h = state_holder(st, pid, true);
		add_fd(h, &v);
	}
	closedir(dir);
	if (!h)
		return;
	read_process(h);
	guess_devices(h);
	read_maps(h);
}

static void parse_irq_name(struct vfio_irq *q)
{
	const char *p = q->name + 5, *open = strchr(q->name, '('), *close;

	if (!strncmp(p, "intx", 4))
		strlcpy0(q->type, "intx", sizeof(q->type));
	else if (!strncmp(p, "msix", 4))
		strlcpy0(q->type, "msix", sizeof(q->type));
	else if (!strncmp(p, "msi", 3))
		strlcpy0(q->type, "msi", sizeof(q->type));
	q->vector = 0;
	p = strchr(q->name, '[');
	if (p && (!open || p < open))
		q->vector = atoi(p + 1);
	if (open) {
		char bdf[BDF_LEN] = "";

		close = strchr(open, ')');
		if (close && close - open - 1 < BDF_LEN) {
			memcpy(bdf, open + 1, close - open - 1);
			bdf[close - open - 1] = '\0';
			if (bdf_parse(bdf, q->bdf))
				q->bdf[0] = '\0';
		}
	}
}

static void read_interrupts(struct vfio_state *st)
{
	char *text = sys_slurp("/proc/interrupts", NULL), *line, *save = NULL;
	int ncpu = 0;

	if (!text)
		return;
	line = strtok_r(text, "\n", &save);
	for (char *p = line; p && (p = strstr(p, "CPU")); p += 3)
		ncpu++;
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *p = line, *name, *tok, *tsave = NULL;
		unsigned long long count = 0;
		struct vfio_irq q = {0};
		int irq;

		name = strstr(line, "vfio-");
		if (!name)
			continue;
		while (*p == ' ')
			p++;
		if (!isdigit((unsigned char)*p))
			continue;
		irq = atoi(p);
		p = strchr(p, ':');
		if (!p)
			continue;
		p++;
		for (int c = 0; c < ncpu; c++) {
			char *end;

			count += strtoull(p, &end, 10);
			p = end;
		}
		while (*p == ' ')
			p++;
		/* The chip name: the first word after the counts. */
		sscanf(p, "%47s", q.chip);
		/* The action names: comma-separated after the trigger. */
		for (tok = strtok_r(name, ", ", &tsave); tok;
		     tok = strtok_r(NULL, ", ", &tsave)) {
			if (strncmp(tok, "vfio-", 5))
				continue;
			q.irq = irq;
			q.count = count;
			strlcpy0(q.name, tok, sizeof(q.name));
			parse_irq_name(&q);
			st->irqs = xrealloc(st->irqs,
					    (st->nirq + 1) * sizeof(*st->irqs));
			st->irqs[st->nirq++] = q;
		}
	}
	free(text);
}

static int procfs_collect(struct vfio_state *st)
{
	DIR *dir = sys_opendir("/proc");
	struct dirent *e;

	if (!dir)
		return -1;
	st->holders_complete = true;
	while ((e = readdir(dir)))
		if (isdigit((unsigned char)e->d_name[0]))
			scan_pid(st, atoi(e->d_name));
	closedir(dir);
	read_interrupts(st);
	return 0;
}

const struct view_ops view_procfs = {
	.name = "procfs",
	.present = procfs_present,
	.collect = procfs_collect,
};
