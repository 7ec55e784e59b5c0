/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Touching BAR mappings that may have been revoked: a read or write that
 * reports SIGBUS instead of dying (tests/test_pci_mmap.c, test_pci_reset.c).
 */
#ifndef NVFIO_TEST_PCI_SIGBUS_H
#define NVFIO_TEST_PCI_SIGBUS_H

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>

static sigjmp_buf ps_jmp;
static volatile sig_atomic_t ps_armed;

static void ps_handler(int sig)
{
	(void)sig;
	if (ps_armed)
		siglongjmp(ps_jmp, 1);
	signal(SIGBUS, SIG_DFL);
	raise(SIGBUS);
}

static inline void ps_install(void)
{
	struct sigaction sa = {.sa_handler = ps_handler};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

/* 32-bit read at p: 0 and *val, or -1 if it raised SIGBUS. */
static inline int ps_read32(volatile uint32_t *p, uint32_t *val)
{
	ps_install();
	if (sigsetjmp(ps_jmp, 1)) {
		ps_armed = 0;
		return -1;
	}
	ps_armed = 1;
	*val = *p;
	ps_armed = 0;
	return 0;
}

/* 32-bit write at p: 0, or -1 if it raised SIGBUS. */
static inline int ps_write32(volatile uint32_t *p, uint32_t val)
{
	ps_install();
	if (sigsetjmp(ps_jmp, 1)) {
		ps_armed = 0;
		return -1;
	}
	ps_armed = 1;
	*p = val;
	ps_armed = 0;
	return 0;
}

#endif
