// SPDX-License-Identifier: GPL-2.0-only
/*
 * platform.c - the VFIO stack, the IOMMU, interrupt remapping.
 *
 * Interrupt remapping is read without dmesg: /proc/interrupts names the
 * MSI and IO-APIC chips "IR-..." when it is on; Intel's
 * /sys/class/iommu/dmar*\/intel-iommu/ecap has the IR capability (bit 3).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci.h"
#include "platform.h"
#include "sysfs.h"
#include "vfioctl.h"

static int count_dir(const char *path, bool digits_only)
{
	DIR *d = sys_opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' &&
		    (!digits_only || group_parse(e->d_name) >= 0))
			n++;
	closedir(d);
	return n;
}

static void read_iommus(struct platform *p)
{
	DIR *d = sys_opendir("/sys/class/iommu");
	struct dirent *e;
	char path[300], buf[32];
	unsigned long long ecap;

	p->ir_hw = -1;
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		p->niommu++;
		snprintf(path, sizeof(path),
			 "/sys/class/iommu/%s/intel-iommu/ecap", e->d_name);
		if (sys_read(path, buf, sizeof(buf)) == 0) {
			/* Hex without 0x. */
			ecap = strtoull(buf, NULL, 16);
			strlcpy0(p->iommu_kind, "intel", sizeof(p->iommu_kind));
			/* Every unit must remap for the kernel to enable it. */
			if (!(ecap & (1ULL << 3)))
				p->ir_hw = 0;
			else if (p->ir_hw)
				p->ir_hw = 1;
			continue;
		}
		snprintf(path, sizeof(path), "/sys/class/iommu/%s/amd-iommu",
			 e->d_name);
		strlcpy0(p->iommu_kind, sys_exists(path) ? "amd" : "other",
			 sizeof(p->iommu_kind));
	}
	closedir(d);
}

/* 1 if /proc/interrupts shows a remapped chip, 0 if it shows MSI or an
 * IO-APIC without, -1 if it says nothing either way. */
static int read_ir(void)
{
	char *text = sys_slurp("/proc/interrupts", NULL);
	int ret = -1;

	if (!text)
		return -1;
	if (strstr(text, " IR-"))
		ret = 1;
	else if (strstr(text, "PCI-MSI") || strstr(text, "IO-APIC"))
		ret = 0;
	free(text);
	return ret;
}

void platform_read(struct platform *p)
{
	char buf[16];

	memset(p, 0, sizeof(*p));
	if (sys_read("/sys/module/vfio/version", p->version,
		     sizeof(p->version)) == 0 ||
	    sys_exists("/sys/module/vfio"))
		strlcpy0(p->stack,
			 strncmp(p->version, "nvfio-", 6) ? "mainline" :
							    "nvfio",
			 sizeof(p->stack));
	else
		strlcpy0(p->stack, "none", sizeof(p->stack));
	p->vfio_pci = sys_exists(PCI_DRIVERS "/" VFIO_PCI);
	p->type1 = sys_exists("/sys/module/vfio_iommu_type1");
	p->ngroups = count_dir(IOMMU_GROUPS, true);
	read_iommus(p);
	p->ir = read_ir();
	p->unsafe_intr = -1;
	if (sys_read("/sys/module/vfio_iommu_type1/parameters/"
		     "allow_unsafe_interrupts",
		     buf, sizeof(buf)) == 0)
		p->unsafe_intr = buf[0] == 'Y' || buf[0] == '1';
	if (sys_read("/sys/module/vfio/parameters/enable_unsafe_noiommu_mode",
		     buf, sizeof(buf)) == 0)
		p->noiommu = buf[0] == 'Y' || buf[0] == '1';
	sys_read("/proc/cmdline", p->cmdline, sizeof(p->cmdline));
}

const char *cmdline_param(const struct platform *p, const char *key, char *buf,
			  int len)
{
	size_t klen = strlen(key);
	const char *s = p->cmdline, *found = NULL;

	/* The last occurrence wins, as for the kernel. */
	while (*s) {
		while (*s == ' ')
			s++;
		if (!strncmp(s, key, klen) &&
		    (s[klen] == '=' || s[klen] == ' ' || !s[klen]))
			found = s + klen;
		while (*s && *s != ' ')
			s++;
	}
	if (!found)
		return NULL;
	if (*found == '=')
		found++;
	snprintf(buf, len, "%.*s", (int)strcspn(found, " "), found);
	return buf;
}

static void tristate(struct json *j, const char *key, int v)
{
	if (v < 0)
		json_null(j, key);
	else
		json_bool(j, key, v);
}

void platform_json(struct json *j, const struct platform *p)
{
	json_obj(j, "platform");
	json_str(j, "stack", p->stack);
	json_stre(j, "vfio_version", p->version);
	json_bool(j, "vfio_pci_loaded", p->vfio_pci);
	json_bool(j, "type1_loaded", p->type1);
	json_bool(j, "iommu", p->niommu > 0 || p->ngroups > 0);
	json_stre(j, "iommu_kind", p->iommu_kind);
	json_int(j, "iommu_groups", p->ngroups);
	tristate(j, "interrupt_remapping", p->ir);
	tristate(j, "allow_unsafe_interrupts", p->unsafe_intr);
	json_bool(j, "noiommu_mode", p->noiommu);
	json_obj_end(j);
}

const char *platform_line(const struct platform *p, char *buf, size_t len)
{
	char iommu[64];

	if (p->niommu || p->ngroups)
		snprintf(iommu, sizeof(iommu), "%s, %d group%s",
			 p->iommu_kind[0] ? p->iommu_kind : "on", p->ngroups,
			 p->ngroups == 1 ? "" : "s");
	else
		snprintf(iommu, sizeof(iommu), "none");
	snprintf(buf, len,
		 "VFIO: %s%s%s%s, vfio-pci %s; IOMMU: %s; interrupt "
		 "remapping: %s",
		 p->stack, p->version[0] ? " (" : "", p->version,
		 p->version[0] ? ")" : "",
		 p->vfio_pci ? "loaded" : "not loaded", iommu,
		 p->ir > 0  ? "on" :
		 p->ir == 0 ? "off" :
			      "unknown");
	return buf;
}
