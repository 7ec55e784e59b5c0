// SPDX-License-Identifier: GPL-2.0-only
/*
 * show.c - `vfioctl show`: the live state of a device, a group, a
 * container or a process: who holds it (pid, comm, which fds), what they
 * have mapped of the device's regions, their locked memory against their
 * limit, the device's interrupts and their counts, and DMA mappings where
 * a view knows them (nvfio's).
 *
 * Targets: a PCI address (has a dot), a group number, PID:FD (a container
 * fd, /dev/vfio/vfio or /dev/iommu), pid:PID (everything a process holds).
 * Mainline says nothing about which groups sit in which container: for a
 * container, the groups and devices shown are those its process holds.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "json.h"
#include "pci.h"
#include "platform.h"
#include "sysfs.h"
#include "table.h"
#include "vfioctl.h"
#include "views.h"

enum kind { T_DEVICE, T_GROUP, T_CONTAINER, T_PROCESS };
static const char *const kind_name[] = {"device", "group", "container",
					"process"};

struct target {
	enum kind kind;
	char bdf[BDF_LEN];
	int group, pid, fd;
	/* The devices and groups covered. */
	int ndev;
	struct pdev devs[64];
	int groups[16], ngroups;
};

static void add_group(struct target *t, int g)
{
	struct group grp;

	for (int i = 0; i < t->ngroups; i++)
		if (t->groups[i] == g)
			return;
	if (g < 0 || t->ngroups == 16)
		return;
	t->groups[t->ngroups++] = g;
	if (group_read(g, &grp))
		return;
	for (int i = 0; i < grp.ndev && t->ndev < 64; i++)
		t->devs[t->ndev++] = grp.devs[i];
	group_free(&grp);
}

static bool covers_dev(const struct target *t, const char *bdf)
{
	for (int i = 0; i < t->ndev; i++)
		if (!strcmp(t->devs[i].bdf, bdf))
			return true;
	return false;
}

/* Is holder @h part of what @t shows? */
static bool covers_holder(const struct target *t, const struct holder *h)
{
	if (t->kind == T_CONTAINER || t->kind == T_PROCESS)
		return h->pid == t->pid;
	if (t->kind == T_DEVICE)
		return holder_has_device(h, t->bdf) ||
		       holder_has_group(h, t->group);
	return holder_has_group(h, t->group);
}

static int parse_target(const char *arg, struct target *t,
			const struct vfio_state *st)
{
	struct pdev d;
	char tail;
	const struct holder *h;

	memset(t, 0, sizeof(*t));
	t->group = t->pid = t->fd = -1;
	if (strchr(arg, '.')) {
		if (bdf_parse(arg, t->bdf) || pdev_read(t->bdf, &d)) {
			warnx("no PCI device %s", arg);
			return EX_NOTFOUND;
		}
		t->kind = T_DEVICE;
		t->group = d.group;
		if (d.group >= 0)
			add_group(t, d.group);
		else
			t->devs[t->ndev++] = d;
		return 0;
	}
	if (group_parse(arg) >= 0) {
		t->kind = T_GROUP;
		t->group = group_parse(arg);
		if (!sys_existsf(IOMMU_GROUPS "/%d", t->group)) {
			warnx("no IOMMU group %d", t->group);
			return EX_NOTFOUND;
		}
		add_group(t, t->group);
		return 0;
	}
	if (sscanf(arg, "pid:%d%c", &t->pid, &tail) == 1)
		t->kind = T_PROCESS;
	else if (sscanf(arg, "%d:%d%c", &t->pid, &t->fd, &tail) == 2)
		t->kind = T_CONTAINER;
	else {
		warnx("'%s' is not a PCI address, a group number, PID:FD or "
		      "pid:PID",
		      arg);
		return EX_USAGE;
	}
	if (!sys_existsf("/proc/%d", t->pid)) {
		warnx("no process %d", t->pid);
		return EX_NOTFOUND;
	}
	h = NULL;
	for (int i = 0; i < st->nholder; i++)
		if (st->holders[i].pid == t->pid)
			h = &st->holders[i];
	if (!h) {
		warnx("process %d holds no VFIO file%s", t->pid,
		      st->holders_complete ?
			      "" :
			      " (or it is not yours: run as root)");
		return EX_NOTFOUND;
	}
	if (t->kind == T_CONTAINER) {
		bool found = false;

		for (int i = 0; i < h->nfd; i++)
			if (h->fds[i].fd == t->fd &&
			    (h->fds[i].kind == VFD_CONTAINER ||
			     h->fds[i].kind == VFD_IOMMUFD))
				found = true;
		if (!found) {
			warnx("fd %d of process %d is not a VFIO container "
			      "(/dev/vfio/vfio) or iommufd",
			      t->fd, t->pid);
			return EX_NOTFOUND;
		}
	}
	for (int i = 0; i < h->nfd; i++) {
		add_group(t, h->fds[i].group);
		if (h->fds[i].kind == VFD_DEVICE && h->fds[i].bdf[0] &&
		    !covers_dev(t, h->fds[i].bdf) && t->ndev < 64 &&
		    pdev_read(h->fds[i].bdf, &t->devs[t->ndev]) == 0)
			t->ndev++;
	}
	return 0;
}

static const char *region_name(int r, char *buf, size_t len)
{
	if (r <= 5)
		snprintf(buf, len, "BAR%d", r);
	else if (r == 6)
		snprintf(buf, len, "ROM");
	else if (r == 7)
		snprintf(buf, len, "config");
	else if (r == 8)
		snprintf(buf, len, "VGA");
	else
		snprintf(buf, len, "region %d", r);
	return buf;
}

static bool covers_map(const struct target *t, const struct holder *h,
		       const struct vmap *m)
{
	if (t->kind == T_CONTAINER || t->kind == T_PROCESS)
		return true;
	/* An unattributed mmap of a holder of the group: show it. */
	return m->bdf[0] ? covers_dev(t, m->bdf) : covers_holder(t, h);
}

static long long pinned_kb(const struct target *t, const struct vfio_state *st)
{
	long long sum = 0;

	for (int i = 0; i < st->nholder; i++)
		if (covers_holder(t, &st->holders[i]))
			sum += st->holders[i].locked_kb;
	return sum;
}

static void print_json(const struct target *t, const struct vfio_state *st,
		       const struct platform *p)
{
	struct json j;
	char buf[32];

	json_begin(&j, "show");
	json_obj(&j, "target");
	json_str(&j, "kind", kind_name[t->kind]);
	json_stre(&j, "bdf", t->bdf);
	if (t->group >= 0)
		json_int(&j, "iommu_group", t->group);
	else
		json_null(&j, "iommu_group");
	if (t->pid >= 0)
		json_int(&j, "pid", t->pid);
	else
		json_null(&j, "pid");
	if (t->fd >= 0)
		json_int(&j, "fd", t->fd);
	else
		json_null(&j, "fd");
	json_obj_end(&j);
	platform_json(&j, p);
	json_arr(&j, "groups");
	for (int i = 0; i < t->ngroups; i++) {
		struct group g;

		if (group_read(t->groups[i], &g))
			continue;
		json_obj(&j, NULL);
		json_int(&j, "iommu_group", g.id);
		json_bool(&j, "viable", group_viable(&g));
		json_obj_end(&j);
		group_free(&g);
	}
	json_arr_end(&j);
	json_arr(&j, "devices");
	for (int i = 0; i < t->ndev; i++) {
		json_obj(&j, NULL);
		device_json(&j, &t->devs[i]);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_bool(&j, "holders_complete", st->holders_complete);
	json_arr(&j, "holders");
	for (int i = 0; i < st->nholder; i++) {
		const struct holder *h = &st->holders[i];

		if (!covers_holder(t, h))
			continue;
		json_obj(&j, NULL);
		json_int(&j, "pid", h->pid);
		json_str(&j, "comm", h->comm);
		json_int(&j, "locked_kb", h->locked_kb);
		json_int(&j, "pinned_kb", h->pinned_kb);
		if (h->memlock_limit >= 0)
			json_int(&j, "memlock_limit", h->memlock_limit);
		else
			json_null(&j, "memlock_limit");
		json_arr(&j, "fds");
		for (int k = 0; k < h->nfd; k++) {
			const struct vfd *v = &h->fds[k];

			json_obj(&j, NULL);
			json_int(&j, "fd", v->fd);
			json_str(&j, "kind", vfd_kind_name(v->kind));
			if (v->group >= 0)
				json_int(&j, "iommu_group", v->group);
			else
				json_null(&j, "iommu_group");
			json_stre(&j, "bdf", v->bdf);
			json_stre(&j, "bdf_source", v->bdf_from);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr(&j, "mappings");
	for (int i = 0; i < st->nholder; i++) {
		const struct holder *h = &st->holders[i];

		if (!covers_holder(t, h))
			continue;
		for (int k = 0; k < h->nmap; k++) {
			const struct vmap *m = &h->maps[k];

			if (!covers_map(t, h, m))
				continue;
			json_obj(&j, NULL);
			json_int(&j, "pid", h->pid);
			json_stre(&j, "bdf", m->bdf);
			json_int(&j, "region", m->region);
			json_str(&j, "region_name",
				 region_name(m->region, buf, sizeof(buf)));
			snprintf(buf, sizeof(buf), "0x%llx", m->start);
			json_str(&j, "start", buf);
			snprintf(buf, sizeof(buf), "0x%llx", m->end);
			json_str(&j, "end", buf);
			json_int(&j, "size", (long long)(m->end - m->start));
			snprintf(buf, sizeof(buf), "0x%llx",
				 m->offset & ((1ULL << 40) - 1));
			json_str(&j, "offset", buf);
			json_str(&j, "perms", m->perms);
			json_obj_end(&j);
		}
	}
	json_arr_end(&j);
	json_arr(&j, "interrupts");
	for (int i = 0; i < st->nirq; i++) {
		const struct vfio_irq *q = &st->irqs[i];

		if (!covers_dev(t, q->bdf))
			continue;
		json_obj(&j, NULL);
		json_int(&j, "irq", q->irq);
		json_str(&j, "name", q->name);
		json_str(&j, "bdf", q->bdf);
		json_str(&j, "type", q->type);
		json_int(&j, "vector", q->vector);
		json_int(&j, "count", (long long)q->count);
		json_bool(&j, "remapped", !strncmp(q->chip, "IR-", 3));
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_int(&j, "locked_kb", pinned_kb(t, st));
	if (st->have_dma) {
		json_arr(&j, "dma");
		for (int i = 0; i < st->ndma; i++) {
			json_obj(&j, NULL);
			json_int(&j, "container", st->dma[i].container);
			snprintf(buf, sizeof(buf), "0x%llx", st->dma[i].iova);
			json_str(&j, "iova", buf);
			json_int(&j, "size", (long long)st->dma[i].size);
			json_stre(&j, "flags", st->dma[i].flags);
			json_obj_end(&j);
		}
		json_arr_end(&j);
	} else {
		json_null(&j, "dma");
	}
	json_arr(&j, "sources");
	for (int i = 0; i < st->nsrc; i++)
		json_str(&j, NULL, st->sources[i]);
	json_arr_end(&j);
	json_end(&j);
}

static void fds_text(const struct holder *h, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int k = 0; k < h->nfd && n < len; k++) {
		const struct vfd *v = &h->fds[k];

		n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
			      vfd_kind_name(v->kind));
		if (n < len && v->fd >= 0)
			n += snprintf(buf + n, len - n, " %d", v->fd);
		if (n < len && v->kind == VFD_GROUP)
			n += snprintf(buf + n, len - n, " (/dev/vfio/%d)",
				      v->group);
		if (n < len && v->kind == VFD_DEVICE)
			n += snprintf(buf + n, len - n, " (%s)",
				      v->bdf[0] ? v->bdf : "?");
	}
}

static void print_human(const struct target *t, const struct vfio_state *st)
{
	struct table tb;
	char a[32], b[32], c[32], d[32], fds[512], irq[16], vec[16], cnt[32];
	int n;

	for (int i = 0; i < t->ndev; i++) {
		struct devnames nm;
		const struct pdev *pd = &t->devs[i];

		device_names(pd, &nm);
		printf("%s  %s  %s  ", pd->bdf, nm.id, nm.label);
		if (pd->group >= 0)
			printf("group %d", pd->group);
		else
			printf("no IOMMU group");
		printf("  driver %s\n", pd->driver[0] ? pd->driver : "none");
	}
	for (int i = 0; i < t->ngroups; i++) {
		struct group g;

		if (group_read(t->groups[i], &g))
			continue;
		printf("group %d: %s, /dev/vfio/%d%s\n", g.id,
		       group_viable(&g) ? "viable" : "not viable", g.id,
		       sys_existsf("/dev/vfio/%d", g.id) ? "" : " (absent)");
		group_free(&g);
	}

	table_init(&tb, 5, "PID", "COMM", "LOCKED", "MEMLOCK LIMIT", "FDS");
	for (int i = 0; i < st->nholder; i++) {
		const struct holder *h = &st->holders[i];

		if (!covers_holder(t, h))
			continue;
		snprintf(a, sizeof(a), "%d", h->pid);
		fmt_size(h->locked_kb * 1024ULL, b, sizeof(b));
		if (h->memlock_limit >= 0)
			fmt_size(h->memlock_limit, c, sizeof(c));
		else
			snprintf(c, sizeof(c), "unlimited");
		fds_text(h, fds, sizeof(fds));
		table_row(&tb, a, h->comm, b, c, fds);
	}
	printf("\nholders:%s\n", tb.nrows > 1 ? "" : " none");
	if (tb.nrows > 1)
		table_print(&tb, stdout);
	table_free(&tb);

	table_init(&tb, 6, "PID", "DEVICE", "REGION", "START", "SIZE", "PERMS");
	for (int i = 0; i < st->nholder; i++) {
		const struct holder *h = &st->holders[i];

		if (!covers_holder(t, h))
			continue;
		for (int k = 0; k < h->nmap; k++) {
			const struct vmap *m = &h->maps[k];

			if (!covers_map(t, h, m))
				continue;
			snprintf(a, sizeof(a), "%d", h->pid);
			snprintf(c, sizeof(c), "0x%llx", m->start);
			fmt_size(m->end - m->start, d, sizeof(d));
			table_row(&tb, a, m->bdf[0] ? m->bdf : "?",
				  region_name(m->region, b, sizeof(b)), c, d,
				  m->perms);
		}
	}
	printf("\nmmaps:%s\n", tb.nrows > 1 ? "" : " none");
	if (tb.nrows > 1)
		table_print(&tb, stdout);
	table_free(&tb);

	table_init(&tb, 6, "IRQ", "DEVICE", "TYPE", "VECTOR", "COUNT",
		   "REMAPPED");
	n = 0;
	for (int i = 0; i < st->nirq; i++) {
		const struct vfio_irq *q = &st->irqs[i];

		if (!covers_dev(t, q->bdf))
			continue;
		snprintf(irq, sizeof(irq), "%d", q->irq);
		snprintf(vec, sizeof(vec), "%d", q->vector);
		snprintf(cnt, sizeof(cnt), "%llu", q->count);
		table_row(&tb, irq, q->bdf, q->type, vec, cnt,
			  strncmp(q->chip, "IR-", 3) ? "no" : "yes");
		n++;
	}
	printf("\ninterrupts:%s\n", n ? "" : " none");
	if (n)
		table_print(&tb, stdout);
	table_free(&tb);

	fmt_size(pinned_kb(t, st) * 1024ULL, a, sizeof(a));
	printf("\nlocked memory of the holders: %s (type1 charges pinned "
	       "pages to VmLck)\n",
	       a);
	if (!st->have_dma)
		printf("DMA mappings: not visible on this stack (nvfio's "
		       "debugfs view shows them, when present)\n");
	else {
		printf("DMA mappings: %d\n", st->ndma);
		for (int i = 0; i < st->ndma; i++)
			printf("  container %d  iova 0x%llx  size 0x%llx  %s\n",
			       st->dma[i].container, st->dma[i].iova,
			       st->dma[i].size, st->dma[i].flags);
	}
	if (!st->holders_complete)
		printf("(not root: processes of other users are not shown)\n");
	printf("sources:");
	for (int i = 0; i < st->nsrc; i++)
		printf(" %s", st->sources[i]);
	printf("\n");
}

int cmd_show(int argc, char **argv)
{
	struct vfio_state st;
	struct platform p;
	struct target t;
	int ret;

	if (argc != 2 || argv[1][0] == '-') {
		if (argc == 2 && !strcmp(argv[1], "--help")) {
			printf("usage: vfioctl show <bdf|group|PID:FD|pid:PID>\n");
			return EX_OK;
		}
		warnx("usage: vfioctl show <bdf|group|PID:FD|pid:PID>");
		return EX_USAGE;
	}
	if (state_collect(&st)) {
		warnx("cannot read /proc");
		return EX_FAIL;
	}
	ret = parse_target(argv[1], &t, &st);
	if (!ret) {
		platform_read(&p);
		if (opt.json)
			print_json(&t, &st, &p);
		else
			print_human(&t, &st);
	}
	state_free(&st);
	return ret;
}
