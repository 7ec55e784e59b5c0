// SPDX-License-Identifier: GPL-2.0-only
/*
 * An unmodified VFIO client: QEMU (the host's qemu-system-x86_64, seen
 * by the guest) assigns the bench's edu to a nested guest under TCG.  It
 * opens the container and group, sets the type1 IOMMU and maps the
 * nested guest's RAM, reads the config space, regions and interrupt info,
 * mmaps the BAR and sets up INTx; then the monitor's "info pci" must list
 * the edu and QEMU must say nothing on stderr but what it says with
 * mainline (that the edu has no reset method).  The nested guest never
 * runs (-S).  Its stderr is recorded to $NVFIO_OUT/artifacts/qemu/<mode>/
 * (compared ours against mainline by bench/check.sh).  pci_qemu_firmware
 * lets the nested firmware run; pci_qemu_vga assigns the bench's VGA with
 * x-vga=on (the VGA region, test_pci_vga.c).
 */
#define _GNU_SOURCE
#include "test_pci_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define QEMU "/usr/bin/qemu-system-x86_64"

static size_t slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = 0;
	if (!f)
		return 0;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return n;
}

/*
 * QEMU's stderr @err (@len bytes, cut into lines here) is kept as the
 * artifact @name and may hold nothing but the one message mainline gives
 * too: the device (the edu on the root bus, no FLR or PM reset) has no
 * reset mechanism.  Anything else is a complaint about us.
 */
static void only_reset_message(char *err, size_t len, const char *name)
{
	pu_artifact("qemu", name, err, len);
	for (char *l = strtok(err, "\n"); l; l = strtok(NULL, "\n"))
		if (!strstr(l, "no available reset mechanism"))
			FAIL("QEMU complained: %s", l);
}

/*
 * Run QEMU, its machine not started (-S), with the options @opts (the
 * device under test among them) and its monitor on stdin fed @commands
 * (ending with quit), for 100 s at most.  Its stdout goes to @out, its
 * stderr to @err (*@elen bytes).  Return: system()'s status.
 */
static int qemu_monitor(const char *commands, const char *opts, char *out,
			size_t olen, char *err, size_t esize, size_t *elen)
{
	char cmd[2048], dir[] = "/tmp/nvfio-qemu.XXXXXX";
	int rc;

	if (!mkdtemp(dir))
		FAIL("mkdtemp");
	snprintf(cmd, sizeof(cmd),
		 "printf '%s' | timeout 100 " QEMU
		 " -nodefaults -no-user-config -display none -S"
		 " -machine q35 -accel tcg -m 64 -monitor stdio %s"
		 " >%s/out 2>%s/err",
		 commands, opts, dir, dir);
	rc = system(cmd);
	slurp(strcat(strcpy(cmd, dir), "/out"), out, olen);
	*elen = slurp(strcat(strcpy(cmd, dir), "/err"), err, esize);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd)) {
	}
	printf("---- QEMU stdout ----\n%s\n---- QEMU stderr ----\n%s\n", out,
	       err);
	return rc;
}

TEST(pci_qemu_edu)
{
	static char out[65536], err[65536];
	char bdf[VU_BDF_LEN], opts[128];
	size_t elen;
	int rc;

	if (access(QEMU, X_OK))
		SKIP("no %s", QEMU);
	pu_find(&pu_bench[0], bdf);
	pu_claim(bdf);
	snprintf(opts, sizeof(opts), "-device vfio-pci,host=%s,id=hostdev0",
		 bdf);
	rc = qemu_monitor("info pci\\nquit\\n", opts, out, sizeof(out), err,
			  sizeof(err), &elen);
	only_reset_message(err, elen, "edu-stderr.txt");
	ASSERT_EQ(0, WEXITSTATUS(rc));
	if (!strstr(out, "PCI device 1234:11e8"))
		FAIL("info pci does not list the edu");
}

/* ---- a nested guest that runs: its firmware programs the devices ---- */

/* Read from the monitor until its prompt; the text goes to @buf. */
static void mon_wait_prompt(int s, char *buf, size_t len)
{
	size_t n = 0;
	uint64_t t0 = vu_now_ms();

	buf[0] = 0;
	while (!strstr(buf, "(qemu) ")) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		ssize_t r;

		if (vu_now_ms() - t0 > 30000)
			FAIL("no monitor prompt after 30 s: %s", buf);
		if (poll(&p, 1, 1000) <= 0)
			continue;
		r = read(s, buf + n, len - 1 - n);
		if (r <= 0)
			FAIL("monitor closed: %s", buf);
		n += r;
		buf[n] = 0;
		if (n >= len - 1)
			FAIL("monitor output too long");
	}
}

static void mon_cmd(int s, const char *cmd, char *buf, size_t len)
{
	if (write(s, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		FAIL("monitor write");
	mon_wait_prompt(s, buf, len);
}

/* @id's "info pci" entry has its BAR0 at an address (not unassigned). */
static bool bar0_assigned(const char *info, const char *id)
{
	const char *e, *start = NULL, *bar, *eol;
	char key[64], line[256];

	snprintf(key, sizeof(key), "id \"%s\"", id);
	e = strstr(info, key);
	if (!e)
		return false;
	/* the entry starts at the last "Bus" line before its id */
	for (const char *p = info; (p = strstr(p, "Bus ")) && p < e; p++)
		start = p;
	if (!start)
		return false;
	bar = strstr(start, "BAR0: ");
	if (!bar || bar > e)
		return false;
	eol = strchr(bar, '\n');
	snprintf(line, sizeof(line), "%.*s", eol ? (int)(eol - bar) : 200, bar);
	return !strstr(line, "0xffffffffffffffff");
}

/*
 * QEMU with the edu and the e1000e assigned boots its firmware, which
 * sizes and places every BAR and turns decode on through our config
 * space emulation; "info pci" then shows both BAR0s at an address.
 */
TEST(pci_qemu_firmware)
{
	static char info[65536], err[65536];
	static const struct pu_devtype e1000e = {"e1000e", 0x8086, 0x10d3};
	char edu[VU_BDF_LEN], nic[VU_BDF_LEN], dir[] = "/tmp/nvfio-qemu.XXXXXX";
	char sock[128], errpath[128], dev0[96], dev1[96];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	bool ok = false;
	size_t elen;
	pid_t pid;
	int s = -1, st;

	if (access(QEMU, X_OK))
		SKIP("no %s", QEMU);
	pu_find(&pu_bench[0], edu);
	pu_find(&e1000e, nic);
	pu_claim(edu);
	pu_claim(nic);
	if (!mkdtemp(dir))
		FAIL("mkdtemp");
	snprintf(sock, sizeof(sock), "unix:%s/mon,server=on,wait=off", dir);
	snprintf(errpath, sizeof(errpath), "%s/err", dir);
	snprintf(dev0, sizeof(dev0), "vfio-pci,host=%s,id=hostdev0", edu);
	snprintf(dev1, sizeof(dev1), "vfio-pci,host=%s,id=hostdev1", nic);

	pid = fork();
	if (pid < 0)
		FAIL("fork");
	if (!pid) {
		int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int nul = open("/dev/null", O_RDWR);

		dup2(nul, 0);
		dup2(nul, 1);
		dup2(fd, 2);
		execl(QEMU, QEMU, "-nodefaults", "-no-user-config", "-display",
		      "none", "-machine", "q35", "-accel", "tcg", "-m", "64",
		      "-monitor", sock, "-device", dev0, "-device", dev1,
		      (char *)NULL);
		_exit(127);
	}

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/mon", dir);
	for (int i = 0; i < 300 && s < 0; i++) {
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
			close(s);
			s = -1;
			if (waitpid(pid, &st, WNOHANG) == pid)
				break;
			usleep(100000);
		}
	}
	if (s >= 0) {
		mon_wait_prompt(s, info, sizeof(info));
		/* the firmware's PCI setup, nested under TCG: allow 90 s */
		for (int i = 0; i < 90 && !ok; i++) {
			mon_cmd(s, "info pci\n", info, sizeof(info));
			ok = bar0_assigned(info, "hostdev0") &&
			     bar0_assigned(info, "hostdev1");
			if (!ok)
				sleep(1);
		}
		if (write(s, "quit\n", 5) != 5) {
		}
		close(s);
	}
	for (int i = 0; i < 100 && waitpid(pid, &st, WNOHANG) != pid; i++)
		usleep(100000);
	if (kill(pid, 0) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	elen = slurp(errpath, err, sizeof(err));
	snprintf(sock, sizeof(sock), "rm -rf %s", dir);
	if (system(sock)) {
	}
	printf("---- info pci ----\n%s\n---- QEMU stderr ----\n%s\n", info,
	       err);
	if (!ok)
		FAIL("the nested firmware did not place both BAR0s");
	/*
	 * QEMU also maps each mmapped BAR for peer-to-peer DMA (MAP_DMA of a
	 * VM_PFNMAP range, see pci_region_mmap_dma_map), which must succeed
	 * too.  The stderr is recorded and must be only the reset message
	 * mainline gives too.
	 */
	only_reset_message(err, elen, "firmware-stderr.txt");
}

/*
 * The VGA region through QEMU: the bench's VGA assigned with x-vga=on,
 * which QEMU refuses ("does not support requested feature x-vga") unless
 * the device has a VGA region of the full size, read and write.  The
 * nested machine does not run (-S); the monitor turns its I/O decode on
 * (config mechanism #1 at 0xcf8/0xcfc, the device at 00:05.0) and then
 * writes and reads VGA sequencer registers at the nested machine's ports
 * 0x3c4/0x3c5, which QEMU forwards to the VGA region: the values come
 * back from the device.  QEMU must say nothing on stderr but mainline's
 * reset message.
 */
TEST(pci_qemu_vga)
{
	static char out[262144], err[65536];
	static const char *const want[] = {
		"VGA controller: PCI device 1234:1111",
		"vfio-vga-io@0x3c0",
		"portb[0x03c4] = 0x02",
		"portb[0x03c5] = 0x05",
		"portb[0x03c5] = 0x0a",
	};
	char bdf[VU_BDF_LEN], opts[128];
	size_t elen;
	int rc;

	if (access(QEMU, X_OK))
		SKIP("no %s", QEMU);
	pu_need_vga_support();
	pu_find(&pu_vga, bdf);
	pu_claim(bdf);
	snprintf(opts, sizeof(opts),
		 "-vga none -device vfio-pci,host=%s,id=hostdev0,x-vga=on,"
		 "addr=05.0",
		 bdf);
	rc = qemu_monitor("o /w 0xcf8 0x80002804\\no /h 0xcfc 3\\ni /h 0xcfc\\n"
			  "o /b 0x3c4 2\\ni /b 0x3c4\\n"
			  "o /b 0x3c5 5\\ni /b 0x3c5\\no /b 0x3c5 0xa\\n"
			  "i /b 0x3c5\\no /b 0x3c5 0xf\\n"
			  "info pci\\ninfo mtree\\nquit\\n",
			  opts, out, sizeof(out), err, sizeof(err), &elen);
	only_reset_message(err, elen, "vga-stderr.txt");
	ASSERT_EQ(0, WEXITSTATUS(rc));
	for (unsigned int i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(out, want[i]))
			FAIL("no \"%s\" in QEMU's output", want[i]);
}
