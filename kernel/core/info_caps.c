// SPDX-License-Identifier: GPL-2.0-only
/*
 * info_caps.c - capability chains appended to *_GET_INFO replies.
 *
 * A chain is built in a kernel buffer with next offsets relative to the
 * buffer's start, then rebased to the offset where it lands in the user's
 * buffer (right after the fixed info structure).  The user learns the size
 * it must pass from argsz when its buffer is too small.  No locking: a
 * chain belongs to the ioctl that builds it.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "core.h"

struct vfio_info_cap_header *nvfio_info_cap_add(struct nvfio_info_cap *caps,
						size_t size, u16 id,
						u16 version)
{
	struct vfio_info_cap_header *hdr, *last;
	void *buf;

	/*
	 * Each capability starts 8-byte aligned in the user's buffer (but
	 * not on 6.1, as 6.1's vfio: nvfio_compat.h).
	 */
	size = ALIGN(size, NVFIO_INFO_CAP_ALIGN);
	buf = krealloc(caps->buf, caps->size + size, GFP_KERNEL);
	if (!buf) {
		kfree(caps->buf);
		caps->buf = NULL;
		caps->size = 0;
		return ERR_PTR(-ENOMEM);
	}

	hdr = buf + caps->size;
	memset(hdr, 0, size);
	hdr->id = id;
	hdr->version = version;

	/* Link the previous tail (if any) to the new capability. */
	if (caps->size) {
		last = buf;
		while (last->next)
			last = buf + last->next;
		last->next = caps->size;
	}

	caps->buf = buf;
	caps->size += size;
	return hdr;
}
EXPORT_SYMBOL_GPL(nvfio_info_cap_add);

void nvfio_info_cap_shift(struct nvfio_info_cap *caps, size_t offset)
{
	struct vfio_info_cap_header *hdr;
	u32 next;

	if (!caps->size)
		return;
	for (hdr = caps->buf; hdr->next; hdr = caps->buf + next) {
		next = hdr->next;
		hdr->next += offset;
	}
}
EXPORT_SYMBOL_GPL(nvfio_info_cap_shift);

int nvfio_info_cap_copy(struct nvfio_info_cap *caps, void *info,
			size_t info_size, size_t cap_offset_off, u32 flag_caps,
			void __user *arg)
{
	u32 *argsz = info, *flags = info + sizeof(u32);
	u32 *cap_offset = info + cap_offset_off;
	/* Never write back more than the caller said its buffer holds. */
	size_t copy = min_t(size_t, info_size, *argsz);
	int ret = 0;

	if (caps->size) {
		*flags |= flag_caps;
		if (*argsz < info_size + caps->size) {
			*argsz = info_size + caps->size;
			*cap_offset = 0;
		} else {
			nvfio_info_cap_shift(caps, info_size);
			if (copy_to_user(arg + info_size, caps->buf,
					 caps->size))
				ret = -EFAULT;
			*cap_offset = info_size;
		}
	}
	kfree(caps->buf);
	caps->buf = NULL;
	caps->size = 0;

	if (!ret && copy_to_user(arg, info, copy))
		ret = -EFAULT;
	return ret;
}
EXPORT_SYMBOL_GPL(nvfio_info_cap_copy);
