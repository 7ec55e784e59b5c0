// SPDX-License-Identifier: GPL-2.0-only
/*
 * nvfio_bypass_test.c - nvfio_bypass_test.ko: a test irq bypass consumer.
 *
 * Each open of /dev/nvfio_bypass_test can register one consumer on an
 * eventfd and counts the producers the irqbypass manager connects to it
 * and disconnects from it; closing the file unregisters it.  The tests
 * use it to see vfio-pci offer each MSI/MSI-X vector to KVM, with either
 * stack loaded.
 *
 * Locking: the callbacks run under the manager's mutex, from whoever
 * registers or unregisters a producer or consumer; the counters they
 * write are read under the per-file mutex, which the callbacks never
 * take (the ioctls hold it around registering, so it nests outside the
 * manager's), hence the READ_ONCE/WRITE_ONCE.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/irqbypass.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "nvfio_bypass_test.h"

struct bypass_user {
	struct mutex lock;
	struct irq_bypass_consumer cons;
	struct eventfd_ctx *eventfd; /* the token, held while registered */
	u32 adds, dels;
	int irq, last_irq;
};

static int bypass_add_producer(struct irq_bypass_consumer *cons,
			       struct irq_bypass_producer *prod)
{
	struct bypass_user *u = container_of(cons, struct bypass_user, cons);

	WRITE_ONCE(u->irq, prod->irq);
	WRITE_ONCE(u->last_irq, prod->irq);
	WRITE_ONCE(u->adds, u->adds + 1);
	return 0;
}

static void bypass_del_producer(struct irq_bypass_consumer *cons,
				struct irq_bypass_producer *prod)
{
	struct bypass_user *u = container_of(cons, struct bypass_user, cons);

	WRITE_ONCE(u->irq, -1);
	WRITE_ONCE(u->dels, u->dels + 1);
}

static long bypass_add(struct bypass_user *u, int __user *arg)
{
	struct eventfd_ctx *ctx;
	int fd, ret;

	lockdep_assert_held(&u->lock);
	if (get_user(fd, arg))
		return -EFAULT;
	if (u->eventfd)
		return -EBUSY;
	ctx = eventfd_ctx_fdget(fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	WRITE_ONCE(u->adds, 0);
	WRITE_ONCE(u->dels, 0);
	WRITE_ONCE(u->irq, -1);
	WRITE_ONCE(u->last_irq, -1);
	u->cons.token = ctx;
	u->cons.add_producer = bypass_add_producer;
	u->cons.del_producer = bypass_del_producer;
	ret = irq_bypass_register_consumer(&u->cons);
	if (ret) {
		eventfd_ctx_put(ctx);
		return ret;
	}
	u->eventfd = ctx;
	return 0;
}

static long bypass_del(struct bypass_user *u)
{
	lockdep_assert_held(&u->lock);
	if (!u->eventfd)
		return -ENOENT;
	irq_bypass_unregister_consumer(&u->cons);
	eventfd_ctx_put(u->eventfd);
	u->eventfd = NULL;
	return 0;
}

static long bypass_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct bypass_user *u = file->private_data;
	struct nvfio_bypass_state st;
	long ret;

	mutex_lock(&u->lock);
	switch (cmd) {
	case NVFIO_BYPASS_ADD:
		ret = bypass_add(u, (int __user *)arg);
		break;
	case NVFIO_BYPASS_DEL:
		ret = bypass_del(u);
		break;
	case NVFIO_BYPASS_STATE:
		st.adds = READ_ONCE(u->adds);
		st.dels = READ_ONCE(u->dels);
		st.irq = READ_ONCE(u->irq);
		st.last_irq = READ_ONCE(u->last_irq);
		ret = copy_to_user((void __user *)arg, &st, sizeof(st)) ?
			      -EFAULT :
			      0;
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&u->lock);
	return ret;
}

static int bypass_open(struct inode *inode, struct file *file)
{
	struct bypass_user *u = kzalloc(sizeof(*u), GFP_KERNEL);

	if (!u)
		return -ENOMEM;
	mutex_init(&u->lock);
	u->irq = -1;
	u->last_irq = -1;
	file->private_data = u;
	return 0;
}

static int bypass_release(struct inode *inode, struct file *file)
{
	struct bypass_user *u = file->private_data;

	mutex_lock(&u->lock);
	bypass_del(u);
	mutex_unlock(&u->lock);
	mutex_destroy(&u->lock);
	kfree(u);
	return 0;
}

static const struct file_operations bypass_fops = {
	.owner = THIS_MODULE,
	.open = bypass_open,
	.release = bypass_release,
	.unlocked_ioctl = bypass_ioctl,
};

static struct miscdevice bypass_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "nvfio_bypass_test",
	.fops = &bypass_fops,
	.mode = 0600,
};

module_misc_device(bypass_misc);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nvfio: test irq bypass consumer");
