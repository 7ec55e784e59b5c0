// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - vfioctl's command line: global options, the subcommands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfioctl.h"

struct options opt;

static const char usage[] =
	"usage: vfioctl [--json] [--quiet] [--verbose] <command> [<args>]\n"
	"\n"
	"  list [<bdf|group>...]   IOMMU groups: devices, drivers, viability, "
	"users\n"
	"  bind [--group] [--persist] [--dry-run] [--yes] <bdf|group>\n"
	"                          give the device (--group: its whole group) "
	"to vfio-pci,\n"
	"                          all or nothing\n"
	"  unbind [--group] [--dry-run] <bdf|group>\n"
	"                          give devices back to the drivers they had\n"
	"  why <bdf> [--guest-mem SIZE] [--pid PID]\n"
	"                          why the device cannot be used, and the fix\n"
	"  show <bdf|group|PID[:FD]>\n"
	"                          live state: holders, mmaps, locked memory, "
	"interrupts\n"
	"  apply <bdf>             bind a device persisted with bind --persist "
	"(udev runs it)\n"
	"\n"
	"  --json      machine-readable output (list, why, show, bind, unbind;\n"
	"              schema: docs/vfioctl.md, stable)\n"
	"  --quiet     errors only\n"
	"  --verbose   list: explain every group that is not viable\n"
	"\n"
	"Exit status: 0 done; 1 failed (bind/unbind rolled back); 2 usage; 3 no "
	"such\n"
	"device, group or process; 4 why: not usable; 5 the rollback failed "
	"too;\n"
	"6 bind: the group has other devices (use --group); 7 busy (held by a\n"
	"process); 8 needs root.  See vfioctl(8).\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{"list", cmd_list},	{"ls", cmd_list}, {"bind", cmd_bind},
	{"unbind", cmd_unbind}, {"why", cmd_why}, {"show", cmd_show},
	{"apply", cmd_apply},
};

int main(int argc, char **argv)
{
	int n = 1;

	/* Global options go anywhere before "--"; take them out. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--json"))
			opt.json = true;
		else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
			opt.quiet = true;
		else if (!strcmp(argv[i], "--verbose") ||
			 !strcmp(argv[i], "-v"))
			opt.verbose = true;
		else
			argv[n++] = argv[i];
	}
	argc = n;
	argv[argc] = NULL;
	if (argc < 2) {
		fputs(usage, stderr);
		return EX_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return EX_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("vfioctl %s (JSON schema_version %d)\n", VFIOCTL_VERSION,
		       VFIOCTL_SCHEMA_VERSION);
		return EX_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	warnx("unknown command '%s' (vfioctl --help)", argv[1]);
	return EX_USAGE;
}
