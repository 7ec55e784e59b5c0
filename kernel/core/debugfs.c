// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs.c - what a container holds, read-only, root-only (0400, under
 * debugfs, itself root-only): /sys/kernel/debug/nvfio/containers/<id>/
 *
 *   groups    one line per attached IOMMU group: its number
 *   backend   the IOMMU backend's name, or "none" before VFIO_SET_IOMMU
 *   mappings  one line per DMA mapping: "<iova> <size> <flags>"
 *   stats     "<key> <value>" lines: mappings, busy_mappings, pinned_pages,
 *             locked_pages, dirty_tracking, and "charged <pid> <comm>
 *             <pages>" per process that pays for the pinned memory
 * docs/visibility.md is the reference for the formats (a stable interface).
 *
 * Container ids: small integers from an IDA, taken at open and given back
 * when the container is freed, when its directory goes.  A container lives
 * on after its fd is closed while groups are attached, and so does its
 * directory.
 *
 * Lifetime and locking: the files point at their container, which removes
 * the directory before it is freed; debugfs_remove_recursive() waits for
 * reads in progress and makes later ones fail, so a reader never sees a
 * freed container.  Every read takes container->lock for read, as a
 * backend call does, and the backend's callbacks (show_mappings,
 * get_stats) take the backend's own locks inside it.  Only the container's
 * last reference removes its directory, when no group, fd or backend is
 * left to hold container->lock: the wait cannot deadlock.
 */
#include <linux/debugfs.h>
#include <linux/idr.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/seq_file.h>

#include "core.h"

static DEFINE_IDA(nvfio_container_ids);
static struct dentry *nvfio_debugfs_root;
static struct dentry *nvfio_debugfs_containers;

void nvfio_show_mapping(struct seq_file *m, u64 iova, u64 size,
			unsigned int flags)
{
	seq_printf(m, "0x%llx 0x%llx %s%s%s%s\n", iova, size,
		   flags & NVFIO_MAPPING_READ ? "r" : "",
		   flags & NVFIO_MAPPING_WRITE ? "w" : "",
		   flags & NVFIO_MAPPING_BUSY ? ",busy" : "",
		   flags & NVFIO_MAPPING_NOVADDR ? ",novaddr" : "");
}
EXPORT_SYMBOL_GPL(nvfio_show_mapping);

void nvfio_stats_charge(struct nvfio_iommu_stats *st, struct pid *pid,
			unsigned long pages)
{
	unsigned int i;

	for (i = 0; i < st->ncharged; i++) {
		if (st->charged[i].pid == pid) {
			st->charged[i].pages += pages;
			return;
		}
	}
	if (st->ncharged == NVFIO_STATS_CHARGED) {
		st->charged_other += pages;
		return;
	}
	st->charged[i].pid = get_pid(pid);
	st->charged[i].pages = pages;
	st->ncharged++;
}
EXPORT_SYMBOL_GPL(nvfio_stats_charge);

static int nvfio_groups_show(struct seq_file *m, void *unused)
{
	struct nvfio_container *c = m->private;
	struct nvfio_group *g;

	down_read(&c->lock);
	list_for_each_entry(g, &c->groups, container_entry)
		seq_printf(m, "%d\n", g->id);
	up_read(&c->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nvfio_groups);

static int nvfio_backend_show(struct seq_file *m, void *unused)
{
	struct nvfio_container *c = m->private;

	down_read(&c->lock);
	seq_printf(m, "%s\n", c->iommu ? c->iommu->name : "none");
	up_read(&c->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nvfio_backend);

static int nvfio_mappings_show(struct seq_file *m, void *unused)
{
	struct nvfio_container *c = m->private;

	down_read(&c->lock);
	if (c->iommu && c->iommu->show_mappings)
		c->iommu->show_mappings(c->iommu_data, m);
	up_read(&c->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nvfio_mappings);

/* "charged <pid> <comm> <pages>"; the comm is the process's now, or "-". */
static void nvfio_show_charged(struct seq_file *m, struct pid *pid,
			       unsigned long pages)
{
	struct task_struct *task = get_pid_task(pid, PIDTYPE_TGID);
	char comm[TASK_COMM_LEN] = "-";

	if (task) {
		get_task_comm(comm, task);
		put_task_struct(task);
	}
	seq_printf(m, "charged %d %s %lu\n", pid_vnr(pid), comm, pages);
}

static int nvfio_stats_show(struct seq_file *m, void *unused)
{
	struct nvfio_container *c = m->private;
	struct nvfio_iommu_stats st = {};
	unsigned int i;

	down_read(&c->lock);
	if (c->iommu && c->iommu->get_stats)
		c->iommu->get_stats(c->iommu_data, &st);
	up_read(&c->lock);

	seq_printf(m, "mappings %lu\n", st.mappings);
	seq_printf(m, "busy_mappings %lu\n", st.busy);
	seq_printf(m, "pinned_pages %lu\n", st.pinned_pages);
	seq_printf(m, "locked_pages %lu\n", st.locked_pages);
	seq_printf(m, "dirty_tracking %s\n", st.dirty_tracking ? "on" : "off");
	for (i = 0; i < st.ncharged; i++) {
		nvfio_show_charged(m, st.charged[i].pid, st.charged[i].pages);
		put_pid(st.charged[i].pid);
	}
	if (st.charged_other)
		seq_printf(m, "charged - - %lu\n", st.charged_other);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nvfio_stats);

/*
 * Container open: give @c its id and directory.  Only the id can fail; a
 * directory debugfs cannot make (debugfs disabled) is no error.
 */
int nvfio_debugfs_container_add(struct nvfio_container *c)
{
	char name[16];
	struct dentry *d;

	c->id = ida_alloc(&nvfio_container_ids, GFP_KERNEL);
	if (c->id < 0)
		return c->id;
	snprintf(name, sizeof(name), "%d", c->id);
	d = debugfs_create_dir(name, nvfio_debugfs_containers);
	if (IS_ERR(d))
		return 0;
	debugfs_create_file("groups", 0400, d, c, &nvfio_groups_fops);
	debugfs_create_file("backend", 0400, d, c, &nvfio_backend_fops);
	debugfs_create_file("mappings", 0400, d, c, &nvfio_mappings_fops);
	debugfs_create_file("stats", 0400, d, c, &nvfio_stats_fops);
	c->debugfs = d;
	return 0;
}

/* Container free: remove its directory (waiting for readers), free the id. */
void nvfio_debugfs_container_remove(struct nvfio_container *c)
{
	debugfs_remove_recursive(c->debugfs);
	c->debugfs = NULL;
	ida_free(&nvfio_container_ids, c->id);
}

void nvfio_debugfs_init(void)
{
	nvfio_debugfs_root = debugfs_create_dir("nvfio", NULL);
	nvfio_debugfs_containers =
		debugfs_create_dir("containers", nvfio_debugfs_root);
}

void nvfio_debugfs_exit(void)
{
	debugfs_remove_recursive(nvfio_debugfs_root);
	ida_destroy(&nvfio_container_ids);
}
