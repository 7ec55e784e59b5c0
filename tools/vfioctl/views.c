// SPDX-License-Identifier: GPL-2.0-only
/*
 * views.c - the list of views and what they share.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "views.h"
#include "vfioctl.h"

/* In order: later views refine what earlier ones found. */
static const struct view_ops *const views[] = {
	&view_procfs,
	&view_nvfio,
};

int state_collect(struct vfio_state *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		const struct view_ops *v = views[i];

		if (!v->present())
			continue;
		if (v->collect(st)) {
			if (v == &view_procfs)
				return -1;
			continue;
		}
		if (st->nsrc < 4)
			st->sources[st->nsrc++] = v->name;
	}
	return 0;
}

void state_free(struct vfio_state *st)
{
	for (int i = 0; i < st->nholder; i++) {
		free(st->holders[i].fds);
		free(st->holders[i].maps);
	}
	free(st->holders);
	free(st->irqs);
	free(st->dma);
	memset(st, 0, sizeof(*st));
}

struct holder *state_holder(struct vfio_state *st, int pid, bool add)
{
	struct holder *h;

	for (int i = 0; i < st->nholder; i++)
		if (st->holders[i].pid == pid)
			return &st->holders[i];
	if (!add)
		return NULL;
	st->holders =
		xrealloc(st->holders, (st->nholder + 1) * sizeof(*st->holders));
	h = &st->holders[st->nholder++];
	memset(h, 0, sizeof(*h));
	h->pid = pid;
	h->memlock_limit = -1;
	return h;
}

bool holder_has_group(const struct holder *h, int group)
{
	for (int i = 0; i < h->nfd; i++)
		if ((h->fds[i].kind == VFD_GROUP ||
		     h->fds[i].kind == VFD_DEVICE) &&
		    h->fds[i].group == group)
			return true;
	return false;
}

bool holder_has_device(const struct holder *h, const char *bdf)
{
	for (int i = 0; i < h->nfd; i++)
		if (h->fds[i].kind == VFD_DEVICE && !strcmp(h->fds[i].bdf, bdf))
			return true;
	return false;
}

const char *vfd_kind_name(enum vfd_kind k)
{
	switch (k) {
	case VFD_CONTAINER:
		return "container";
	case VFD_GROUP:
		return "group";
	case VFD_DEVICE:
		return "device";
	case VFD_IOMMUFD:
		return "iommufd";
	}
	return "?";
}

char *holders_of_group(const struct vfio_state *st, int group)
{
	char *s = xstrdup(""), *t;

	for (int i = 0; i < st->nholder; i++) {
		const struct holder *h = &st->holders[i];

		if (!holder_has_group(h, group))
			continue;
		t = xasprintf("%s%spid %d (%s)", s, *s ? ", " : "", h->pid,
			      h->comm);
		free(s);
		s = t;
	}
	return s;
}
