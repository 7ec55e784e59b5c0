// SPDX-License-Identifier: GPL-2.0-only
/*
 * profile.c - where MAP_DMA's time goes, for the benchmarks only: built
 * with the test hooks (NVFIO_TESTING), never into installed modules.
 *
 * Three costs are summed over every container: pinning (each type1_pin()
 * batch, GUP and the locked_vm charge), writing the IOMMU (each
 * iommu_map() of a run into a domain) and faulting a large mapping in on
 * several CPUs before it is pinned (each type1_prefault() that does it,
 * prefault.c).  What map takes beyond them is our own bookkeeping.  nvfio-bench
 * turns the profile on around the maps it measures, so that it can print the
 * floor under them.
 *
 * /sys/kernel/debug/nvfio/type1_profile (root only):
 *   read   "pin_ns N", "pin_calls N", "map_ns N", "map_calls N",
 *          "prefault_ns N", "prefault_calls N" lines
 *   write  "1": zero the sums and start; "0": stop (the sums stay)
 *
 * Off, each hook is a static branch that is not taken: the modules the
 * other benchmarks measure pay nothing for it.  On, the sums are atomics
 * (threads mapping in parallel add to them).
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "type1.h"

DEFINE_STATIC_KEY_FALSE(type1_profile_on);

static atomic64_t type1_prof_ns[TYPE1_PROF_NR];
static atomic64_t type1_prof_calls[TYPE1_PROF_NR];
static const char *const type1_prof_name[TYPE1_PROF_NR] = {
	[TYPE1_PROF_PIN] = "pin",
	[TYPE1_PROF_MAP] = "map",
	[TYPE1_PROF_PREFAULT] = "prefault",
};
static struct dentry *type1_prof_file;
static DEFINE_MUTEX(type1_prof_lock); /* serializes on/off writes */

void type1_prof_end(enum type1_prof what, u64 t0)
{
	atomic64_add(ktime_get_ns() - t0, &type1_prof_ns[what]);
	atomic64_inc(&type1_prof_calls[what]);
}

static int type1_prof_show(struct seq_file *m, void *unused)
{
	int i;

	for (i = 0; i < TYPE1_PROF_NR; i++) {
		seq_printf(m, "%s_ns %lld\n", type1_prof_name[i],
			   (long long)atomic64_read(&type1_prof_ns[i]));
		seq_printf(m, "%s_calls %lld\n", type1_prof_name[i],
			   (long long)atomic64_read(&type1_prof_calls[i]));
	}
	return 0;
}

static int type1_prof_open(struct inode *inode, struct file *file)
{
	return single_open(file, type1_prof_show, NULL);
}

static ssize_t type1_prof_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	bool on;
	int i, ret;

	ret = kstrtobool_from_user(ubuf, len, &on);
	if (ret)
		return ret;
	mutex_lock(&type1_prof_lock);
	if (on) {
		for (i = 0; i < TYPE1_PROF_NR; i++) {
			atomic64_set(&type1_prof_ns[i], 0);
			atomic64_set(&type1_prof_calls[i], 0);
		}
		if (!static_key_enabled(&type1_profile_on))
			static_branch_enable(&type1_profile_on);
	} else if (static_key_enabled(&type1_profile_on)) {
		static_branch_disable(&type1_profile_on);
	}
	mutex_unlock(&type1_prof_lock);
	return len;
}

static const struct file_operations type1_prof_fops = {
	.owner = THIS_MODULE,
	.open = type1_prof_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = type1_prof_write,
};

/* Under the core's debugfs directory; without it, no profile file. */
void type1_profile_init(void)
{
	struct dentry *dir = debugfs_lookup("nvfio", NULL);

	if (IS_ERR_OR_NULL(dir))
		return;
	type1_prof_file = debugfs_create_file("type1_profile", 0600, dir, NULL,
					      &type1_prof_fops);
	dput(dir);
}

void type1_profile_exit(void)
{
	debugfs_remove(type1_prof_file);
	if (static_key_enabled(&type1_profile_on))
		static_branch_disable(&type1_profile_on);
}
