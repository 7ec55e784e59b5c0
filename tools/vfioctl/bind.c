// SPDX-License-Identifier: GPL-2.0-only
/*
 * bind.c - `vfioctl bind`, `unbind` and `apply`: move the devices of an
 * IOMMU group to vfio-pci and back, as one transaction.
 *
 * Binding one device goes through driver_override, as libvirt and
 * driverctl do: write "vfio-pci" to driver_override, unbind the device
 * from its driver, ask the PCI core to probe it (drivers_probe), check that
 * vfio-pci took it.  Unbinding reverses that: unbind from vfio-pci, put
 * driver_override back, bind to the driver saved at bind time (saved.c),
 * else let the kernel choose.  If any step fails for any device, every
 * device touched so far goes back to where it was, in reverse order.
 *
 * Test only: VFIOCTL_TEST_FAIL_AT=<bdf>[:<step>] makes step <step>
 * (override, unbind, probe or verify; default probe) fail for device <bdf>
 * as if the kernel had refused it, to test the rollback; the rollback
 * itself is never failed this way.  Documented in vfioctl.8, ENVIRONMENT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <getopt.h>
#include <unistd.h>

#include "device.h"
#include "json.h"
#include "pci.h"
#include "persist.h"
#include "saved.h"
#include "sysfs.h"
#include "vfioctl.h"
#include "views.h"

enum step { ST_NONE, ST_OVERRIDE, ST_UNBIND, ST_PROBE, ST_VERIFY };
static const char *const step_name[] = {"", "override", "unbind", "probe",
					"verify"};

struct txdev {
	struct pdev before;
	struct saved saved; /* unbind: where to go back to */
	bool have_saved;
	bool skip; /* nothing to do: already where asked */
	enum step done; /* last step that succeeded */
	const char *action; /* what happened, for the report */
	char error[256];
	char after[DRV_LEN];
};

struct tx {
	bool unbind; /* false: to vfio-pci; true: back */
	int group;
	int n;
	struct txdev *devs;
	bool failed, rollback_failed;
};

/* ---- the sysfs steps ---- */

static bool injected(const char *bdf, enum step st)
{
	const char *e = getenv("VFIOCTL_TEST_FAIL_AT");
	size_t n = strlen(bdf);

	if (!e || strncmp(e, bdf, n) || (e[n] && e[n] != ':'))
		return false;
	return !strcmp(e[n] ? e + n + 1 : "probe", step_name[st]);
}

static void current_driver(const char *bdf, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	sys_link_name(path, buf, len);
}

static int write_override(const char *bdf, const char *drv)
{
	char path[128];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	/* A lone newline clears it. */
	return sys_write(path, *drv ? drv : "\n");
}

static int unbind_current(const char *bdf)
{
	char path[128], drv[DRV_LEN];

	current_driver(bdf, drv, sizeof(drv));
	if (!drv[0])
		return 0;
	snprintf(path, sizeof(path), PCI_DRIVERS "/%s/unbind", drv);
	return sys_write(path, bdf);
}

static int probe(const char *bdf)
{
	return sys_write("/sys/bus/pci/drivers_probe", bdf);
}

static int bind_to(const char *bdf, const char *drv)
{
	char path[128];

	snprintf(path, sizeof(path), PCI_DRIVERS "/%s/bind", drv);
	return sys_write(path, bdf);
}

static int fail_step(struct txdev *t, const char *what)
{
	int err = errno;

	snprintf(t->error, sizeof(t->error), "%s: %s: %s", t->before.bdf, what,
		 err ? strerror(err) : "failed");
	return -1;
}

static int fail_injected(struct txdev *t, enum step st)
{
	snprintf(t->error, sizeof(t->error),
		 "%s: step '%s' failed (injected by VFIOCTL_TEST_FAIL_AT)",
		 t->before.bdf, step_name[st]);
	return -1;
}

/* Take one device to vfio-pci; @inject: honour VFIOCTL_TEST_FAIL_AT. */
static int to_vfio(struct txdev *t, bool inject)
{
	const char *bdf = t->before.bdf;
	char drv[DRV_LEN];

	if (inject && injected(bdf, ST_OVERRIDE))
		return fail_injected(t, ST_OVERRIDE);
	errno = 0;
	if (write_override(bdf, VFIO_PCI))
		return fail_step(t, "writing driver_override failed");
	t->done = ST_OVERRIDE;
	if (t->before.driver[0]) {
		if (inject && injected(bdf, ST_UNBIND))
			return fail_injected(t, ST_UNBIND);
		if (unbind_current(bdf))
			return fail_step(t, "unbinding failed");
	}
	t->done = ST_UNBIND;
	if (inject && injected(bdf, ST_PROBE))
		return fail_injected(t, ST_PROBE);
	errno = 0;
	if (probe(bdf))
		return fail_step(t, "drivers_probe failed");
	t->done = ST_PROBE;
	if (inject && injected(bdf, ST_VERIFY))
		return fail_injected(t, ST_VERIFY);
	current_driver(bdf, drv, sizeof(drv));
	if (strcmp(drv, VFIO_PCI)) {
		snprintf(t->error, sizeof(t->error),
			 "%s: vfio-pci did not take it (driver: %s; is it a "
			 "bridge, or without an IOMMU group?)",
			 bdf, drv[0] ? drv : "none");
		return -1;
	}
	t->done = ST_VERIFY;
	return 0;
}

/*
 * Put one device on driver @drv (""= none) with driver_override @ovr;
 * @known: @drv is what it must end on (else the kernel's choice is fine).
 */
static int to_driver(struct txdev *t, const char *drv, const char *ovr,
		     bool known, bool inject)
{
	const char *bdf = t->before.bdf;
	char cur[DRV_LEN];

	if (inject && injected(bdf, ST_UNBIND))
		return fail_injected(t, ST_UNBIND);
	current_driver(bdf, cur, sizeof(cur));
	errno = 0;
	if (cur[0] && strcmp(cur, drv) && unbind_current(bdf))
		return fail_step(t, "unbinding failed");
	t->done = ST_UNBIND;
	if (inject && injected(bdf, ST_OVERRIDE))
		return fail_injected(t, ST_OVERRIDE);
	if (write_override(bdf, ovr))
		return fail_step(t, "restoring driver_override failed");
	t->done = ST_OVERRIDE;
	if (inject && injected(bdf, ST_PROBE))
		return fail_injected(t, ST_PROBE);
	current_driver(bdf, cur, sizeof(cur));
	if (!cur[0] && (!known || drv[0])) {
		/* The driver it had; if it is gone, the kernel's choice. */
		if (!known || !drv[0] || bind_to(bdf, drv))
			probe(bdf);
	}
	t->done = ST_PROBE;
	if (inject && injected(bdf, ST_VERIFY))
		return fail_injected(t, ST_VERIFY);
	current_driver(bdf, cur, sizeof(cur));
	if (known && strcmp(cur, drv)) {
		snprintf(t->error, sizeof(t->error),
			 "%s: did not go back to %s (driver: %s)", bdf,
			 drv[0] ? drv : "no driver", cur[0] ? cur : "none");
		return -1;
	}
	t->done = ST_VERIFY;
	return 0;
}

/* Undo what the transaction did to @t; false if that failed too. */
static bool rollback_one(struct tx *tx, struct txdev *t)
{
	struct txdev r = *t;
	int ret;

	r.error[0] = '\0';
	if (!tx->unbind) {
		ret = to_driver(&r, t->before.driver, t->before.override, true,
				false);
	} else {
		ret = to_vfio(&r, false);
		if (!ret && strcmp(t->before.override, VFIO_PCI))
			write_override(t->before.bdf, t->before.override);
	}
	current_driver(t->before.bdf, t->after, sizeof(t->after));
	if (ret) {
		size_t n = strlen(t->error);

		snprintf(t->error + n, sizeof(t->error) - n,
			 "; rollback failed: %s", r.error);
		t->action = "rollback-failed";
		return false;
	}
	t->action = "rolled-back";
	return true;
}

static void run(struct tx *tx)
{
	int i;

	for (i = 0; i < tx->n; i++) {
		struct txdev *t = &tx->devs[i];
		int ret;

		if (t->skip) {
			t->action = "unchanged";
			continue;
		}
		if (!tx->unbind)
			ret = to_vfio(t, true);
		else
			ret = to_driver(t, t->saved.driver, t->saved.override,
					t->have_saved, true);
		current_driver(t->before.bdf, t->after, sizeof(t->after));
		if (ret) {
			tx->failed = true;
			t->action = "failed";
			warnx("%s", t->error);
			break;
		}
		t->action = tx->unbind ? "restored" : "bound";
	}
	if (!tx->failed)
		return;
	/* Every device touched, the failed one too, in reverse. */
	for (; i >= 0; i--) {
		struct txdev *t = &tx->devs[i];

		if (t->skip || !t->action)
			continue;
		if (!rollback_one(tx, t)) {
			tx->rollback_failed = true;
			warnx("%s", t->error);
		}
	}
}

/* ---- the commands ---- */

/* A device or a group number: fills @bdf or @group; exit code on error. */
static int resolve(const char *arg, char *bdf, int *group)
{
	struct pdev d;

	*group = group_parse(arg);
	if (*group >= 0) {
		bdf[0] = '\0';
		if (!sys_existsf(IOMMU_GROUPS "/%d", *group)) {
			warnx("no IOMMU group %d", *group);
			return EX_NOTFOUND;
		}
		return 0;
	}
	if (bdf_parse(arg, bdf)) {
		warnx("'%s' is neither a PCI address (0000:01:00.0) nor a "
		      "group number",
		      arg);
		return EX_USAGE;
	}
	if (pdev_read(bdf, &d)) {
		warnx("no PCI device %s", bdf);
		return EX_NOTFOUND;
	}
	*group = d.group;
	if (*group < 0) {
		warnx("%s has no IOMMU group: the IOMMU is off or absent "
		      "(vfioctl why %s)",
		      bdf, bdf);
		return EX_FAIL;
	}
	return 0;
}

static int modprobe_vfio_pci(void)
{
	pid_t pid;
	int st;

	if (sys_exists(PCI_DRIVERS "/" VFIO_PCI) || *sys_root())
		return 0;
	info("loading vfio-pci (modprobe vfio-pci)");
	pid = fork();
	if (pid == 0) {
		execlp("modprobe", "modprobe", VFIO_PCI, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) || !sys_exists(PCI_DRIVERS "/" VFIO_PCI)) {
		warnx("the vfio-pci driver is not loaded and `modprobe "
		      "vfio-pci` failed");
		return -1;
	}
	return 0;
}

static void report(struct tx *tx, bool persist)
{
	struct group g;
	bool viable = false;

	if (group_read(tx->group, &g) == 0) {
		viable = group_viable(&g);
		group_free(&g);
	}
	if (opt.json) {
		struct json j;

		json_begin(&j, tx->unbind ? "unbind" : "bind");
		json_int(&j, "iommu_group", tx->group);
		json_bool(&j, "ok", !tx->failed);
		json_bool(&j, "rolled_back",
			  tx->failed && !tx->rollback_failed);
		json_arr(&j, "devices");
		for (int i = 0; i < tx->n; i++) {
			struct txdev *t = &tx->devs[i];

			json_obj(&j, NULL);
			json_str(&j, "bdf", t->before.bdf);
			json_stre(&j, "driver_before", t->before.driver);
			json_stre(&j, "driver_after", t->after);
			json_str(&j, "action", t->action ? t->action : "none");
			json_stre(&j, "error", t->error);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_bool(&j, "group_viable", viable);
		json_bool(&j, "persistent", persist && !tx->failed);
		json_end(&j);
		return;
	}
	for (int i = 0; i < tx->n; i++) {
		struct txdev *t = &tx->devs[i];

		info("%s  %s -> %s  (%s)", t->before.bdf,
		     t->before.driver[0] ? t->before.driver : "none",
		     t->after[0] ? t->after : "none",
		     t->action ? t->action : "not reached");
	}
	if (tx->rollback_failed)
		warnx("the rollback failed too: the devices are where the "
		      "lines above say");
	else if (tx->failed)
		warnx("nothing changed: every device is back on its driver");
	else if (!tx->unbind && viable)
		info("group %d is viable: /dev/vfio/%d is ready for VFIO",
		     tx->group, tx->group);
	else if (!tx->unbind)
		info("group %d is still not viable (vfioctl why)", tx->group);
}

static int check_writable(const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	if (sys_access(path, W_OK) &&
	    (errno == EACCES || errno == EPERM || errno == EROFS)) {
		warnx("cannot write %s: %s (run as root)", path,
		      strerror(errno));
		return EX_PERM;
	}
	return 0;
}

/* The holders of @t's device or group, as "pid 1 (x)"; "" if none. */
static char *busy(const struct vfio_state *st, const struct pdev *d)
{
	char *s = xstrdup(""), *n;

	for (int i = 0; i < st->nholder; i++) {
		const struct holder *h = &st->holders[i];

		if (!holder_has_device(h, d->bdf) &&
		    !holder_has_group(h, d->group))
			continue;
		n = xasprintf("%s%spid %d (%s)", s, *s ? ", " : "", h->pid,
			      h->comm);
		free(s);
		s = n;
	}
	return s;
}

static int ask(const char *q)
{
	char line[16];

	printf("%s [y/N] ", q);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

struct bind_args {
	bool group, persist, dry, yes, apply;
	const char *target;
};

static int do_bind(const struct bind_args *a)
{
	char bdf[BDF_LEN], *note;
	struct tx tx = {0};
	struct group g;
	int ret, others = 0;
	bool whole;

	ret = resolve(a->target, bdf, &tx.group);
	if (ret)
		return ret;
	if (group_read(tx.group, &g)) {
		warnx("cannot read IOMMU group %d", tx.group);
		return EX_FAIL;
	}
	for (int i = 0; i < g.ndev; i++) {
		struct pdev *d = &g.devs[i];

		if (bdf[0] && strcmp(d->bdf, bdf) && !d->bridge &&
		    !driver_is_vfio(d->driver))
			others++;
	}
	if (bdf[0] && group_find(&g, bdf)->bridge) {
		warnx("%s is a PCI bridge: vfio-pci does not take bridges",
		      bdf);
		group_free(&g);
		return EX_FAIL;
	}
	whole = !bdf[0] || a->group;
	if (others && !whole && !a->apply) {
		warnx("%s shares IOMMU group %d with %d other device%s; VFIO "
		      "can use the group only when every device in it is on "
		      "vfio-pci (or has no driver):",
		      bdf, tx.group, others, others > 1 ? "s" : "");
		for (int i = 0; i < g.ndev; i++) {
			struct pdev *d = &g.devs[i];
			struct devnames n;

			if (!strcmp(d->bdf, bdf) || d->bridge)
				continue;
			device_names(d, &n);
			fprintf(stderr, "  %s  %s  driver %s\n", d->bdf,
				n.label, d->driver[0] ? d->driver : "none");
		}
		if (!a->yes && !(interactive() && !opt.json &&
				 ask("Bind the whole group to vfio-pci?"))) {
			fprintf(stderr,
				"Bind the whole group with: vfioctl bind "
				"--group %s\n",
				bdf);
			group_free(&g);
			return EX_NEEDGROUP;
		}
		whole = true;
	}
	tx.devs = xcalloc(g.ndev, sizeof(*tx.devs));
	for (int i = 0; i < g.ndev; i++) {
		struct pdev *d = &g.devs[i];

		if (d->bridge || (!whole && strcmp(d->bdf, bdf)))
			continue;
		tx.devs[tx.n].before = *d;
		tx.devs[tx.n].skip = driver_is_vfio(d->driver);
		tx.n++;
	}
	group_free(&g);
	if (!tx.n) {
		warnx("group %d has no device vfio-pci could take", tx.group);
		free(tx.devs);
		return EX_FAIL;
	}
	if (a->dry) {
		for (int i = 0; i < tx.n; i++)
			info("%s  %s -> vfio-pci%s", tx.devs[i].before.bdf,
			     tx.devs[i].before.driver[0] ?
				     tx.devs[i].before.driver :
				     "none",
			     tx.devs[i].skip ? "  (already)" : "");
		free(tx.devs);
		return EX_OK;
	}
	ret = check_writable(tx.devs[0].before.bdf);
	if (ret || modprobe_vfio_pci()) {
		free(tx.devs);
		return ret ? ret : EX_FAIL;
	}
	run(&tx);
	if (!tx.failed) {
		/* Keep what each device had, for unbind; never overwrite
		 * the record of a device bound earlier. */
		for (int i = 0; i < tx.n; i++) {
			struct txdev *t = &tx.devs[i];
			struct saved s;

			if (t->skip)
				continue;
			strlcpy0(s.driver, t->before.driver, sizeof(s.driver));
			strlcpy0(s.override, t->before.override,
				 sizeof(s.override));
			if (saved_write(t->before.bdf, &s))
				warnx("cannot save %s's driver in " SAVED_DIR
				      ": %s (unbind will let the kernel choose)",
				      t->before.bdf, strerror(errno));
		}
	}
	if (!tx.failed && a->persist) {
		char *list = xstrdup("");

		for (int i = 0; i < tx.n; i++) {
			char *n =
				xasprintf("%s %s", list, tx.devs[i].before.bdf);
			free(list);
			list = n;
		}
		note = xasprintf("Persisted together (IOMMU group %d at the "
				 "time):%s",
				 tx.group, list);
		free(list);
		for (int i = 0; i < tx.n; i++) {
			struct pdev d;

			if (pdev_read(tx.devs[i].before.bdf, &d) ||
			    persist_write(&d, note)) {
				warnx("cannot write the udev rule %s: %s",
				      persist_path(tx.devs[i].before.bdf),
				      strerror(errno));
				ret = EX_FAIL;
			}
		}
		free(note);
	}
	report(&tx, a->persist);
	if (!tx.failed && a->persist && !ret)
		info("persistent: udev rules in " UDEV_RULES_DIR
		     "/40-vfioctl-<bdf>.rules bind %s at boot",
		     tx.n > 1 ? "them" : "it");
	if (tx.rollback_failed)
		ret = EX_PARTIAL;
	else if (tx.failed)
		ret = EX_FAIL;
	free(tx.devs);
	return ret;
}

static const struct option bind_opts[] = {
	{"group", no_argument, NULL, 'g'},
	{"persist", no_argument, NULL, 'p'},
	{"dry-run", no_argument, NULL, 'n'},
	{"yes", no_argument, NULL, 'y'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int parse(int argc, char **argv, struct bind_args *a, const char *use)
{
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "+gpnyh", bind_opts, NULL)) != -1) {
		switch (c) {
		case 'g':
			a->group = true;
			break;
		case 'p':
			a->persist = true;
			break;
		case 'n':
			a->dry = true;
			break;
		case 'y':
			a->yes = true;
			break;
		case 'h':
			printf("usage: %s\n", use);
			exit(EX_OK);
		default:
			return EX_USAGE;
		}
	}
	if (optind != argc - 1) {
		warnx("usage: %s", use);
		return EX_USAGE;
	}
	a->target = argv[optind];
	return 0;
}

int cmd_bind(int argc, char **argv)
{
	struct bind_args a;
	int ret = parse(argc, argv, &a,
			"vfioctl bind [--group] [--persist] [--dry-run] "
			"[--yes] <bdf|group>");

	return ret ? ret : do_bind(&a);
}

/* `apply <bdf>`: what a persisted device's udev rule runs at boot. */
int cmd_apply(int argc, char **argv)
{
	struct bind_args a;
	char bdf[BDF_LEN];
	struct pdev d;
	int ret = parse(argc, argv, &a, "vfioctl apply <bdf>");

	if (ret)
		return ret;
	if (bdf_parse(a.target, bdf) || pdev_read(bdf, &d)) {
		warnx("no PCI device %s", a.target);
		return EX_NOTFOUND;
	}
	if (!persist_matches(&d)) {
		warnx("%s (%04x:%04x) has no vfioctl rule for this device in " UDEV_RULES_DIR
		      ": not touched",
		      bdf, d.vendor, d.device);
		return EX_FAIL;
	}
	a.apply = true;
	a.target = bdf;
	return do_bind(&a);
}

int cmd_unbind(int argc, char **argv)
{
	struct bind_args a;
	char bdf[BDF_LEN], *who;
	struct vfio_state st;
	struct tx tx = {.unbind = true};
	struct group g;
	int ret = parse(argc, argv, &a,
			"vfioctl unbind [--group] [--dry-run] <bdf|group>");

	if (ret)
		return ret;
	ret = resolve(a.target, bdf, &tx.group);
	if (ret)
		return ret;
	if (group_read(tx.group, &g)) {
		warnx("cannot read IOMMU group %d", tx.group);
		return EX_FAIL;
	}
	tx.devs = xcalloc(g.ndev, sizeof(*tx.devs));
	for (int i = 0; i < g.ndev; i++) {
		struct pdev *d = &g.devs[i];
		struct txdev *t = &tx.devs[tx.n];

		if (bdf[0] && !a.group && strcmp(d->bdf, bdf))
			continue;
		if (!driver_is_vfio(d->driver)) {
			if (bdf[0] && !strcmp(d->bdf, bdf) && !a.group) {
				warnx("%s is not on vfio-pci (driver: %s)", bdf,
				      d->driver[0] ? d->driver : "none");
				persist_remove(bdf);
				saved_remove(bdf);
				group_free(&g);
				free(tx.devs);
				return EX_OK;
			}
			continue;
		}
		t->before = *d;
		t->have_saved = saved_read(d->bdf, &t->saved) == 0;
		tx.n++;
	}
	group_free(&g);
	if (!tx.n) {
		info("no device of group %d is on vfio-pci", tx.group);
		free(tx.devs);
		return EX_OK;
	}
	if (state_collect(&st) == 0) {
		for (int i = 0; i < tx.n; i++) {
			who = busy(&st, &tx.devs[i].before);
			if (*who) {
				warnx("%s is in use by %s: stop %s first "
				      "(unbinding would wait for it)",
				      tx.devs[i].before.bdf, who,
				      strchr(who, ',') ? "them" : "it");
				ret = EX_BUSY;
			}
			free(who);
		}
		state_free(&st);
	}
	if (ret) {
		free(tx.devs);
		return ret;
	}
	if (a.dry) {
		for (int i = 0; i < tx.n; i++) {
			struct txdev *t = &tx.devs[i];

			info("%s  vfio-pci -> %s", t->before.bdf,
			     !t->have_saved	? "(the kernel's choice)" :
			     t->saved.driver[0] ? t->saved.driver :
						  "none");
		}
		free(tx.devs);
		return EX_OK;
	}
	ret = check_writable(tx.devs[0].before.bdf);
	if (ret) {
		free(tx.devs);
		return ret;
	}
	run(&tx);
	if (!tx.failed)
		for (int i = 0; i < tx.n; i++) {
			saved_remove(tx.devs[i].before.bdf);
			if (persist_remove(tx.devs[i].before.bdf) > 0)
				info("%s: removed its udev rule (no longer "
				     "persistent)",
				     tx.devs[i].before.bdf);
		}
	report(&tx, false);
	ret = tx.rollback_failed ? EX_PARTIAL : tx.failed ? EX_FAIL : EX_OK;
	free(tx.devs);
	return ret;
}
