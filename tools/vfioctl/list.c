// SPDX-License-Identifier: GPL-2.0-only
/*
 * list.c - `vfioctl list`: every IOMMU group with its devices, whether VFIO
 * can use it and, if not, which device on which driver stops it; who holds
 * it.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "json.h"
#include "pci.h"
#include "persist.h"
#include "platform.h"
#include "table.h"
#include "vfioctl.h"
#include "views.h"

#define MAXBLOCK 64

/* The status word of a group for the table. */
static const char *status(const struct group *g, const struct vfio_state *st)
{
	for (int i = 0; i < st->nholder; i++)
		if (holder_has_group(&st->holders[i], g->id))
			return "in use";
	if (!group_viable(g))
		return "not viable";
	return group_has_vfio(g) ? "ready" : "viable";
}

/* Is group @g (or one of its devices) named by the filter? */
static bool wanted(const struct group *g, int argc, char **argv)
{
	char bdf[BDF_LEN];

	if (argc == 0)
		return true;
	for (int i = 0; i < argc; i++) {
		if (group_parse(argv[i]) == g->id)
			return true;
		if (!bdf_parse(argv[i], bdf) && group_find(g, bdf))
			return true;
	}
	return false;
}

static void group_json(struct json *j, const struct group *g,
		       const struct vfio_state *st)
{
	const struct pdev *bl[MAXBLOCK];
	int nb = group_blockers(g, bl, MAXBLOCK);

	json_obj(j, NULL);
	json_int(j, "iommu_group", g->id);
	json_stre(j, "type", g->type);
	json_bool(j, "viable", nb == 0);
	json_arr(j, "blockers");
	for (int i = 0; i < nb && i < MAXBLOCK; i++) {
		json_obj(j, NULL);
		json_str(j, "bdf", bl[i]->bdf);
		json_str(j, "driver", bl[i]->driver);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_arr(j, "holders");
	for (int i = 0; i < st->nholder; i++) {
		const struct holder *h = &st->holders[i];

		if (!holder_has_group(h, g->id))
			continue;
		json_obj(j, NULL);
		json_int(j, "pid", h->pid);
		json_str(j, "comm", h->comm);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_bool(j, "in_use", !strcmp(status(g, st), "in use"));
	json_arr(j, "devices");
	for (int i = 0; i < g->ndev; i++) {
		json_obj(j, NULL);
		device_json(j, &g->devs[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void device_row(struct table *t, const char *group, const char *st,
		       const struct pdev *d)
{
	struct devnames n;
	char drv[DRV_LEN + 16];

	device_names(d, &n);
	snprintf(drv, sizeof(drv), "%s%s", d->driver,
		 d->driver[0] && persist_has(d->bdf) ? " (persist)" : "");
	table_row(t, group, st, d->bdf, n.id, drv, n.class_name, n.label);
}

/* The notes under the table: why a group is not viable, who holds it. */
static void notes(const struct group *g, const struct vfio_state *st,
		  bool named)
{
	const struct pdev *bl[MAXBLOCK];
	int nb = group_blockers(g, bl, MAXBLOCK);
	char *who = holders_of_group(st, g->id);

	if (nb && (group_has_vfio(g) || named || opt.verbose)) {
		printf("group %d is not viable: ", g->id);
		for (int i = 0; i < nb && i < MAXBLOCK; i++)
			printf("%s%s is on %s", i ? ", " : "", bl[i]->bdf,
			       bl[i]->driver);
		printf("; `vfioctl bind --group %d` gives the whole group to "
		       "vfio-pci\n",
		       g->id);
	}
	if (*who)
		printf("group %d is in use by %s\n", g->id, who);
	free(who);
}

int cmd_list(int argc, char **argv)
{
	struct platform p;
	struct group *groups;
	struct vfio_state st;
	struct pdev *devs = NULL;
	int ng, ndev = 0, shown = 0;
	char line[512], gid[16];
	struct table t;

	argc--;
	argv++;
	for (int i = 0; i < argc; i++) {
		char bdf[BDF_LEN];

		if (argv[i][0] == '-' ||
		    (group_parse(argv[i]) < 0 && bdf_parse(argv[i], bdf))) {
			warnx("usage: vfioctl list [<bdf|group>...]");
			return EX_USAGE;
		}
	}
	platform_read(&p);
	ng = group_list(&groups);
	if (state_collect(&st))
		warnx("cannot read /proc: holders unknown");
	if (ng == 0)
		ndev = pdev_list(&devs);
	if (opt.json) {
		struct json j;

		json_begin(&j, "list");
		platform_json(&j, &p);
		json_bool(&j, "holders_complete", st.holders_complete);
		json_arr(&j, "groups");
		for (int i = 0; i < ng; i++)
			if (wanted(&groups[i], argc, argv)) {
				group_json(&j, &groups[i], &st);
				shown++;
			}
		json_arr_end(&j);
		json_arr(&j, "ungrouped_devices");
		for (int i = 0; i < ndev; i++) {
			json_obj(&j, NULL);
			device_json(&j, &devs[i]);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_end(&j);
	} else {
		puts(platform_line(&p, line, sizeof(line)));
		table_init(&t, 7, "GROUP", "STATUS", "DEVICE", "ID", "DRIVER",
			   "CLASS", "NAME");
		for (int i = 0; i < ng; i++) {
			struct group *g = &groups[i];

			if (!wanted(g, argc, argv))
				continue;
			shown++;
			snprintf(gid, sizeof(gid), "%d", g->id);
			for (int k = 0; k < g->ndev; k++)
				device_row(&t, k ? NULL : gid,
					   k ? NULL : status(g, &st),
					   &g->devs[k]);
		}
		for (int i = 0; i < ndev; i++)
			device_row(&t, "", "no group", &devs[i]);
		if (t.nrows > 1)
			table_print(&t, stdout);
		table_free(&t);
		if (ng == 0)
			printf("no IOMMU groups: the IOMMU is off or absent, "
			       "VFIO cannot use any device (vfioctl why "
			       "<bdf> says how to turn it on)\n");
		for (int i = 0; i < ng; i++)
			if (wanted(&groups[i], argc, argv))
				notes(&groups[i], &st, argc > 0);
		if (!st.holders_complete)
			printf("(not root: processes of other users are not "
			       "shown as holders)\n");
	}
	state_free(&st);
	groups_free(groups, ng);
	free(devs);
	if (argc && !shown && ng) {
		warnx("no IOMMU group matches");
		return EX_NOTFOUND;
	}
	return EX_OK;
}
