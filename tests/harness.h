/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Minimal test harness. Each TEST() registers itself at startup; the runner
 * executes one test per process (`nvfio-tests --run NAME`): exit 0 = pass,
 * 77 = skip, anything else = fail.
 */
#ifndef NVFIO_HARNESS_H
#define NVFIO_HARNESS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vfio_util.h"

#define EXIT_SKIP 77

#ifndef offsetofend
#define offsetofend(TYPE, MEMBER)                                              \
	(offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))
#endif

struct test {
	const char *name;
	void (*fn)(void);
	const char *file;
	int line;
	bool ours_only;
	struct test *next;
};

void harness_register(struct test *t);

#define TEST_DEFINE(tname, ours)                                               \
	static void test_fn_##tname(void);                                     \
	static struct test test_desc_##tname = {                               \
		.name = #tname,                                                \
		.fn = test_fn_##tname,                                         \
		.file = __FILE__,                                              \
		.line = __LINE__,                                              \
		.ours_only = ours,                                             \
	};                                                                     \
	__attribute__((constructor)) static void test_reg_##tname(void)        \
	{                                                                      \
		harness_register(&test_desc_##tname);                          \
	}                                                                      \
	static void test_fn_##tname(void)

/* A conformance test: must pass on mainline VFIO and on nvfio. */
#define TEST(tname) TEST_DEFINE(tname, false)
/* A test of an nvfio-only feature: skipped when NVFIO_MODE=mainline. */
#define TEST_OURS_ONLY(tname) TEST_DEFINE(tname, true)

/* ---- failure reporting (never return) ---- */
__attribute__((noreturn, format(printf, 3, 4))) void
harness_fail(const char *file, int line, const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void
harness_skip(const char *fmt, ...);
__attribute__((noreturn)) void harness_fail_eq(const char *file, int line,
					       const char *expr_e,
					       const char *expr_a, long long e,
					       long long a, int err);

#define FAIL(...) harness_fail(__FILE__, __LINE__, __VA_ARGS__)
#define SKIP(...) harness_skip(__VA_ARGS__)

/* `expected` and `actual` are compared as 64-bit signed integers. */
#define ASSERT_EQ(expected, actual)                                            \
	do {                                                                   \
		long long _e = (long long)(expected);                          \
		long long _a = (long long)(actual);                            \
		int _err = errno;                                              \
		if (_e != _a)                                                  \
			harness_fail_eq(__FILE__, __LINE__, #expected,         \
					#actual, _e, _a, _err);                \
	} while (0)

#define ASSERT_TRUE(cond)                                                      \
	do {                                                                   \
		int _err = errno;                                              \
		if (!(cond))                                                   \
			FAIL("expected true: %s (errno %s)", #cond,            \
			     vu_errno_name(_err));                             \
	} while (0)

/* `expr` must succeed (return >= 0); yields nothing. */
#define ASSERT_OK(expr)                                                        \
	do {                                                                   \
		long long _r = (long long)(expr);                              \
		int _err = errno;                                              \
		if (_r < 0)                                                    \
			FAIL("%s failed: returned %lld, errno %s (%s)%s%s",    \
			     #expr, _r, vu_errno_name(_err), strerror(_err),   \
			     vu_last_error()[0] ? "; " : "", vu_last_error()); \
	} while (0)

/* `expr` must fail: return -1 with errno == err. */
#define ASSERT_ERRNO(err, expr)                                                \
	do {                                                                   \
		errno = 0;                                                     \
		long long _r = (long long)(expr);                              \
		int _err = errno;                                              \
		if (_r != -1 || _err != (err))                                 \
			FAIL("%s: expected -1 with errno %s, got %lld with "   \
			     "errno %s",                                       \
			     #expr, vu_errno_name(err), _r,                    \
			     _r == -1 ? vu_errno_name(_err) : "(not set)");    \
	} while (0)

#define ASSERT_MEMEQ(expected, actual, len)                                    \
	do {                                                                   \
		size_t _off;                                                   \
		if (harness_memdiff((expected), (actual), (len), &_off))       \
			FAIL("%s != %s over %zu bytes: first difference at "   \
			     "offset %zu: expected 0x%02x, actual 0x%02x",     \
			     #expected, #actual, (size_t)(len), _off,          \
			     ((const uint8_t *)(expected))[_off],              \
			     ((const uint8_t *)(actual))[_off]);               \
	} while (0)

bool harness_memdiff(const void *a, const void *b, size_t len, size_t *off);

/* ---- environment ---- */
/* NVFIO_MODE=mainline? (default: ours) */
bool harness_mainline(void);
/* Skip the current test in mainline mode. */
#define REQUIRE_OURS()                                                         \
	do {                                                                   \
		if (harness_mainline())                                        \
			SKIP("nvfio-only feature (NVFIO_MODE=mainline)");      \
	} while (0)

#endif
