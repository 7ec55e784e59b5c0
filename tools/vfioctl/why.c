// SPDX-License-Identifier: GPL-2.0-only
/*
 * why.c - `vfioctl why <bdf>`: every reason the device cannot be given to
 * a VFIO user, each with its fix.  Checks, in order (their ids are part of
 * the JSON schema):
 *
 *   iommu                   an IOMMU is on and the device is in a group;
 *                           else one of no-iommu, iommu-disabled-cmdline,
 *                           iommu-not-enabled (the kernel's default is off)
 *   noiommu-mode            vfio's unsafe no-IOMMU mode is on (warning)
 *   bridge                  vfio-pci does not take bridges
 *   driver                  the device is on vfio-pci (not-bound otherwise)
 *   group-viable            no other device of its group is on a kernel
 *                           driver (group-not-viable otherwise)
 *   interrupt-remapping     on, or type1's allow_unsafe_interrupts is set
 *                           (no-interrupt-remapping otherwise)
 *   group-access            the caller can open /dev/vfio/<group>
 *   in-use                  no process holds the device or its group
 *   memlock                 with --guest-mem: the locked-memory limit of
 *                           the caller (or --pid) covers the guest's RAM
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device.h"
#include "json.h"
#include "pci.h"
#include "platform.h"
#include "sysfs.h"
#include "vfioctl.h"
#include "views.h"

enum sev { SEV_OK, SEV_INFO, SEV_WARN, SEV_ERROR };
static const char *const sev_name[] = {"ok", "info", "warning", "error"};

struct finding {
	const char *id;
	enum sev sev;
	char *msg;
	char *fix; /* NULL when there is nothing to do */
};

struct why {
	struct finding f[16];
	int n;
	struct platform p;
	struct pdev d;
	struct group g;
	bool have_group;
};

static void add(struct why *w, const char *id, enum sev sev, char *msg,
		char *fix)
{
	if (w->n == (int)(sizeof(w->f) / sizeof(w->f[0])))
		return;
	w->f[w->n++] = (struct finding){id, sev, msg, fix};
}

static void check_iommu(struct why *w)
{
	const struct platform *p = &w->p;
	char v[64];
	const char *key =
		!strcmp(p->iommu_kind, "amd") ? "amd_iommu" : "intel_iommu";
	bool dmar = sys_exists("/sys/firmware/acpi/tables/DMAR");
	bool ivrs = sys_exists("/sys/firmware/acpi/tables/IVRS");
	char rel[128], cfg[192], *config = NULL;

	if (w->d.group >= 0) {
		add(w, "iommu", SEV_OK,
		    xasprintf("IOMMU on (%s), device in group %d",
			      p->iommu_kind[0] ? p->iommu_kind : "present",
			      w->d.group),
		    NULL);
		return;
	}
	/* Turned off on the command line? */
	if ((cmdline_param(p, "intel_iommu", v, sizeof(v)) &&
	     !strncmp(v, "off", 3)) ||
	    (cmdline_param(p, "amd_iommu", v, sizeof(v)) &&
	     !strncmp(v, "off", 3)) ||
	    (cmdline_param(p, "iommu", v, sizeof(v)) && !strcmp(v, "off"))) {
		add(w, "iommu-disabled-cmdline", SEV_ERROR,
		    xasprintf("the IOMMU is turned off on the kernel command "
			      "line (%s)",
			      p->cmdline),
		    xstrdup("remove intel_iommu=off / amd_iommu=off / "
			    "iommu=off from GRUB_CMDLINE_LINUX in "
			    "/etc/default/grub, run update-grub, reboot"));
		return;
	}
	/* Intel firmware table, but the kernel leaves the IOMMU off. */
	if (!sys_read("/proc/sys/kernel/osrelease", rel, sizeof(rel))) {
		snprintf(cfg, sizeof(cfg), "/boot/config-%s", rel);
		config = sys_slurp(cfg, NULL);
	}
	if (dmar && !cmdline_param(p, "intel_iommu", v, sizeof(v)) &&
	    !(config && strstr(config, "CONFIG_INTEL_IOMMU_DEFAULT_ON=y"))) {
		add(w, "iommu-not-enabled", SEV_ERROR,
		    xstrdup("the firmware describes an Intel IOMMU (ACPI DMAR) "
			    "but this kernel leaves it off by default "
			    "(CONFIG_INTEL_IOMMU_DEFAULT_ON is not set)"),
		    xstrdup("add intel_iommu=on (and iommu=pt to keep host DMA "
			    "fast) to GRUB_CMDLINE_LINUX in /etc/default/grub, "
			    "run update-grub, reboot"));
	} else if (!dmar && !ivrs) {
		add(w, "no-iommu", SEV_ERROR,
		    xstrdup("no IOMMU: the firmware describes none (no ACPI "
			    "DMAR or IVRS table) and the kernel found none"),
		    xstrdup("enable VT-d (Intel) or AMD-Vi/IOMMU in the "
			    "firmware setup; in a VM, give it a virtual IOMMU "
			    "(QEMU: -device intel-iommu,intremap=on)"));
	} else {
		add(w, "no-iommu", SEV_ERROR,
		    xasprintf("no IOMMU group for this device although the "
			      "firmware describes an IOMMU (%s): the kernel "
			      "did not enable it",
			      dmar ? "DMAR" : "IVRS"),
		    xasprintf("check `dmesg | grep -i -e DMAR -e IOMMU`; try "
			      "%s=on on the kernel command line",
			      key));
	}
	free(config);
}

static void check_driver(struct why *w)
{
	const struct pdev *d = &w->d;

	if (w->p.noiommu)
		add(w, "noiommu-mode", SEV_WARN,
		    xstrdup("vfio's enable_unsafe_noiommu_mode is on: devices "
			    "without an IOMMU are offered with no DMA "
			    "isolation"),
		    NULL);
	if (d->bridge) {
		add(w, "bridge", SEV_ERROR,
		    xstrdup("the device is a PCI bridge: vfio-pci does not "
			    "take bridges"),
		    xstrdup("assign the devices behind it instead"));
		return;
	}
	if (driver_is_vfio(d->driver)) {
		add(w, "driver", SEV_OK, xasprintf("on %s", d->driver), NULL);
		return;
	}
	add(w, "not-bound", SEV_ERROR,
	    xasprintf("the device is %s%s, not on vfio-pci%s",
		      d->driver[0] ? "on " : "not bound to any driver",
		      d->driver,
		      w->p.vfio_pci ? "" : " (vfio-pci is not even loaded)"),
	    xasprintf("vfioctl bind %s%s",
		      w->have_group && w->g.ndev > 1 ? "--group " : "",
		      d->bdf));
}

static void check_group(struct why *w)
{
	const struct pdev *bl[16];
	int nb;
	char *s, *t;

	if (!w->have_group)
		return;
	nb = group_blockers(&w->g, bl, 16);
	/* The device's own driver is reported by check_driver. */
	s = xstrdup("");
	for (int i = 0, k = 0; i < nb && i < 16; i++) {
		if (!strcmp(bl[i]->bdf, w->d.bdf))
			continue;
		t = xasprintf("%s%s%s is on %s", s, k++ ? ", " : "", bl[i]->bdf,
			      bl[i]->driver);
		free(s);
		s = t;
	}
	if (!*s) {
		add(w, "group-viable", SEV_OK,
		    xasprintf("group %d is viable (%d device%s)", w->g.id,
			      w->g.ndev, w->g.ndev > 1 ? "s" : ""),
		    NULL);
		free(s);
		return;
	}
	add(w, "group-not-viable", SEV_ERROR,
	    xasprintf("group %d is not viable: %s (a kernel driver doing DMA "
		      "of its own)",
		      w->g.id, s),
	    xasprintf("vfioctl bind --group %s (all of group %d to vfio-pci)",
		      w->d.bdf, w->g.id));
	free(s);
}

static void check_ir(struct why *w)
{
	const struct platform *p = &w->p;

	if (w->d.group < 0)
		return;
	if (p->ir > 0) {
		add(w, "interrupt-remapping", SEV_OK, xstrdup("on"), NULL);
		return;
	}
	if (p->ir < 0 && p->ir_hw > 0) {
		add(w, "interrupt-remapping", SEV_OK,
		    xstrdup("the IOMMU supports it (no interrupt in use yet "
			    "shows it on)"),
		    NULL);
		return;
	}
	if (p->unsafe_intr > 0) {
		add(w, "no-interrupt-remapping", SEV_WARN,
		    xstrdup("no interrupt remapping; vfio_iommu_type1's "
			    "allow_unsafe_interrupts is set, so VFIO works, "
			    "but the device can inject interrupts (MSI "
			    "spoofing)"),
		    NULL);
		return;
	}
	add(w, "no-interrupt-remapping", SEV_ERROR,
	    xasprintf("no interrupt remapping%s: vfio_iommu_type1 refuses to "
		      "attach the group (EPERM) while allow_unsafe_interrupts "
		      "is off",
		      p->ir_hw == 0 ? " (the IOMMU cannot remap interrupts)" :
				      ""),
	    xstrdup("enable interrupt remapping (firmware setting; no "
		    "intremap=off on the command line), or accept the risk: "
		    "`modprobe vfio_iommu_type1 allow_unsafe_interrupts=1` "
		    "(options vfio_iommu_type1 allow_unsafe_interrupts=1 in "
		    "/etc/modprobe.d/)"));
}

static void check_access(struct why *w)
{
	char path[64];

	if (w->d.group < 0 || !driver_is_vfio(w->d.driver))
		return;
	snprintf(path, sizeof(path), "/dev/vfio/%d", w->d.group);
	if (!sys_exists(path)) {
		add(w, "group-access", SEV_ERROR,
		    xasprintf("%s does not exist although the device is on "
			      "vfio-pci",
			      path),
		    xstrdup("is /dev devtmpfs? `udevadm trigger "
			    "--subsystem-match=vfio`"));
		return;
	}
	if (sys_access(path, R_OK | W_OK)) {
		add(w, "group-access", SEV_ERROR,
		    xasprintf("you (uid %d) cannot open %s", (int)getuid(),
			      path),
		    xasprintf("run as root, or give the user access: chown "
			      "<user> %s (a udev rule makes it last)",
			      path));
		return;
	}
	add(w, "group-access", SEV_OK, xasprintf("%s can be opened", path),
	    NULL);
}

static void check_use(struct why *w, const struct vfio_state *st)
{
	char *s = xstrdup(""), *t;

	if (w->d.group < 0)
		return;
	for (int i = 0; i < st->nholder; i++) {
		const struct holder *h = &st->holders[i];

		if (!holder_has_group(h, w->d.group) &&
		    !holder_has_device(h, w->d.bdf))
			continue;
		t = xasprintf("%s%spid %d (%s)", s, *s ? ", " : "", h->pid,
			      h->comm);
		free(s);
		s = t;
	}
	if (!*s) {
		add(w, "in-use", SEV_OK,
		    xstrdup(st->holders_complete ?
				    "no process holds it" :
				    "no process of yours holds it (not root: "
				    "others' are not visible)"),
		    NULL);
		free(s);
		return;
	}
	add(w, "in-use", SEV_ERROR,
	    xasprintf("held by %s: a group has one user at a time (a second "
		      "open gets EBUSY)",
		      s),
	    xasprintf("stop it, or use it from there (vfioctl show %s)",
		      w->d.bdf));
	free(s);
}

/* Effective CAP_IPC_LOCK of /proc/<who>: 1, 0, or -1 unknown. */
static int cap_ipc_lock(const char *who)
{
	char path[64], *text, *p;
	int ret = -1;

	snprintf(path, sizeof(path), "/proc/%s/status", who);
	text = sys_slurp(path, NULL);
	if (!text)
		return -1;
	p = strstr(text, "\nCapEff:");
	if (p)
		ret = (strtoull(p + 8, NULL, 16) >> 14) & 1;
	free(text);
	return ret;
}

static void check_memlock(struct why *w, long long guest, const char *pid)
{
	char path[64], comm[32] = "", *text, *p, a[32], b[32], c[32];
	long long limit = -1, locked = 0;
	const char *who = pid ? pid : "self";

	if (guest < 0)
		return;
	snprintf(path, sizeof(path), "/proc/%s/comm", who);
	sys_read(path, comm, sizeof(comm));
	snprintf(path, sizeof(path), "/proc/%s/limits", who);
	text = sys_slurp(path, NULL);
	if (text && (p = strstr(text, "Max locked memory"))) {
		p += strlen("Max locked memory");
		while (*p == ' ')
			p++;
		if (strncmp(p, "unlimited", 9))
			limit = atoll(p);
	}
	free(text);
	snprintf(path, sizeof(path), "/proc/%s/status", who);
	text = sys_slurp(path, NULL);
	if (text && (p = strstr(text, "\nVmLck:")))
		locked = atoll(p + 7) * 1024;
	free(text);
	fmt_size(guest, a, sizeof(a));
	if (cap_ipc_lock(who) == 1) {
		add(w, "memlock", SEV_OK,
		    xasprintf("%s%s (%s) has CAP_IPC_LOCK: type1 pins a %s "
			      "guest without counting it against "
			      "RLIMIT_MEMLOCK",
			      pid ? "pid " : "this process", pid ? pid : "",
			      comm, a),
		    NULL);
		return;
	}
	if (limit < 0) {
		add(w, "memlock", SEV_OK,
		    xasprintf("RLIMIT_MEMLOCK of %s%s (%s) is unlimited",
			      pid ? "pid " : "this process", pid ? pid : "",
			      comm),
		    NULL);
		return;
	}
	fmt_size(limit, b, sizeof(b));
	fmt_size(locked, c, sizeof(c));
	if (limit - locked >= guest) {
		add(w, "memlock", SEV_OK,
		    xasprintf("RLIMIT_MEMLOCK %s (%s locked already) covers a "
			      "%s guest",
			      b, c, a),
		    NULL);
		return;
	}
	add(w, "memlock-too-low", SEV_ERROR,
	    xasprintf("RLIMIT_MEMLOCK of %s%s (%s) is %s with %s locked "
		      "already: a %s guest needs all its RAM pinned, and type1 "
		      "fails the DMA map with ENOMEM",
		      pid ? "pid " : "this process", pid ? pid : "", comm, b, c,
		      a),
	    xasprintf("raise it to at least %s (more for device BARs and "
		      "firmware): `ulimit -l unlimited` in the shell that "
		      "starts it, LimitMEMLOCK=infinity in its systemd unit, "
		      "or a memlock line in /etc/security/limits.conf; or "
		      "`prlimit --memlock=unlimited --pid <pid>`",
		      a));
}

static void print_human(const struct why *w, int errors)
{
	struct devnames n;
	char grp[16] = "none";

	device_names(&w->d, &n);
	if (w->d.group >= 0)
		snprintf(grp, sizeof(grp), "%d", w->d.group);
	printf("%s  %s  %s  (group %s, driver %s)\n", w->d.bdf, n.id, n.label,
	       grp, w->d.driver[0] ? w->d.driver : "none");
	for (int i = 0; i < w->n; i++) {
		const struct finding *f = &w->f[i];

		printf("  %-7s %s: %s\n",
		       f->sev == SEV_ERROR ? "ERROR" :
		       f->sev == SEV_WARN  ? "warning" :
		       f->sev == SEV_INFO  ? "info" :
					     "ok",
		       f->id, f->msg);
		if (f->fix && f->sev >= SEV_WARN)
			printf("  %-7s fix: %s\n", "", f->fix);
	}
	if (errors)
		printf("%s cannot be used: %d problem%s\n", w->d.bdf, errors,
		       errors > 1 ? "s" : "");
	else
		printf("%s can be used\n", w->d.bdf);
}

static void print_json(const struct why *w, int errors,
		       const struct vfio_state *st)
{
	struct json j;

	json_begin(&j, "why");
	json_str(&j, "bdf", w->d.bdf);
	json_bool(&j, "usable", errors == 0);
	json_obj(&j, "device");
	device_json(&j, &w->d);
	json_obj_end(&j);
	platform_json(&j, &w->p);
	json_bool(&j, "holders_complete", st->holders_complete);
	json_arr(&j, "findings");
	for (int i = 0; i < w->n; i++) {
		json_obj(&j, NULL);
		json_str(&j, "id", w->f[i].id);
		json_str(&j, "severity", sev_name[w->f[i].sev]);
		json_str(&j, "message", w->f[i].msg);
		json_str(&j, "fix",
			 w->f[i].sev >= SEV_WARN ? w->f[i].fix : NULL);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_end(&j);
}

static const struct option why_opts[] = {
	{"guest-mem", required_argument, NULL, 'm'},
	{"pid", required_argument, NULL, 'p'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

int cmd_why(int argc, char **argv)
{
	static const char use[] =
		"vfioctl why <bdf> [--guest-mem SIZE] [--pid PID]";
	long long guest = -1;
	const char *pid = NULL;
	char bdf[BDF_LEN];
	struct vfio_state st;
	struct why w = {0};
	int c, errors = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:p:h", why_opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			guest = parse_size(optarg);
			if (guest < 0) {
				warnx("--guest-mem: '%s' is not a size (4G, "
				      "512M, ...)",
				      optarg);
				return EX_USAGE;
			}
			break;
		case 'p':
			if (strspn(optarg, "0123456789") != strlen(optarg) ||
			    !*optarg || strlen(optarg) > 10) {
				warnx("--pid: '%s' is not a pid", optarg);
				return EX_USAGE;
			}
			pid = optarg;
			break;
		case 'h':
			printf("usage: %s\n", use);
			return EX_OK;
		default:
			return EX_USAGE;
		}
	}
	if (optind != argc - 1 || bdf_parse(argv[optind], bdf)) {
		warnx("usage: %s", use);
		return EX_USAGE;
	}
	if (pdev_read(bdf, &w.d)) {
		warnx("no PCI device %s", bdf);
		return EX_NOTFOUND;
	}
	if (pid && !sys_existsf("/proc/%s", pid)) {
		warnx("no process %s", pid);
		return EX_NOTFOUND;
	}
	platform_read(&w.p);
	w.have_group = w.d.group >= 0 && group_read(w.d.group, &w.g) == 0;
	state_collect(&st);
	check_iommu(&w);
	check_driver(&w);
	check_group(&w);
	check_ir(&w);
	check_access(&w);
	check_use(&w, &st);
	check_memlock(&w, guest, pid);
	for (int i = 0; i < w.n; i++)
		errors += w.f[i].sev == SEV_ERROR;
	if (opt.json)
		print_json(&w, errors, &st);
	else
		print_human(&w, errors);
	for (int i = 0; i < w.n; i++) {
		free(w.f[i].msg);
		free(w.f[i].fix);
	}
	state_free(&st);
	if (w.have_group)
		group_free(&w.g);
	return errors ? EX_UNUSABLE : EX_OK;
}
