// SPDX-License-Identifier: GPL-2.0-only
/*
 * persist.c - the udev rules of `bind --persist`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persist.h"
#include "sysfs.h"
#include "vfioctl.h"

char *persist_path(const char *bdf)
{
	return xasprintf(UDEV_RULES_DIR "/40-vfioctl-%s.rules", bdf);
}

bool persist_has(const char *bdf)
{
	char *p = persist_path(bdf);
	bool ret = sys_exists(p);

	free(p);
	return ret;
}

bool persist_matches(const struct pdev *d)
{
	char *p = persist_path(d->bdf), *text, want[96];
	bool ret;

	text = sys_slurp(p, NULL);
	free(p);
	if (!text)
		return false;
	snprintf(want, sizeof(want),
		 "ATTR{vendor}==\"0x%04x\", ATTR{device}==\"0x%04x\"",
		 d->vendor, d->device);
	ret = strstr(text, want) != NULL;
	free(text);
	return ret;
}

/* This program's path, for the rule's RUN. */
static void self_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n <= 0)
		strlcpy0(buf, "/usr/sbin/vfioctl", len);
	else
		buf[n] = '\0';
}

int persist_write(const struct pdev *d, const char *group_note)
{
	char *path = persist_path(d->bdf), *real = sys_path(path), *tmp;
	char self[PATH_MAX];
	FILE *f;
	int fd, err;

	self_path(self, sizeof(self));
	tmp = xasprintf("%s.tmp", real);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		err = errno;
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	fprintf(f,
		"# Written by `vfioctl bind --persist`: at boot, give %s "
		"(%04x:%04x) to vfio-pci.\n"
		"# %s\n"
		"# Undo with `vfioctl unbind %s` (or delete this file).\n"
		"ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"%s\", "
		"ATTR{vendor}==\"0x%04x\", ATTR{device}==\"0x%04x\", "
		"ATTR{driver_override}=\"" VFIO_PCI "\", "
		"RUN+=\"%s --quiet apply %s\"\n",
		d->bdf, d->vendor, d->device, group_note, d->bdf, d->bdf,
		d->vendor, d->device, self, d->bdf);
	if (fflush(f) || fsync(fd)) {
		err = errno;
		fclose(f);
		unlink(tmp);
		goto fail;
	}
	fclose(f);
	if (rename(tmp, real)) {
		err = errno;
		unlink(tmp);
		goto fail;
	}
	free(tmp);
	free(real);
	free(path);
	return 0;
fail:
	free(tmp);
	free(real);
	free(path);
	errno = err;
	return -1;
}

int persist_remove(const char *bdf)
{
	char *path = persist_path(bdf), *real = sys_path(path);
	int ret = unlink(real) ? (errno == ENOENT ? 0 : -1) : 1;

	free(real);
	free(path);
	return ret;
}
