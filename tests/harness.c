// SPDX-License-Identifier: GPL-2.0-only
/* Test runner: --list, --run NAME, or (no arguments) run all in children. */
#define _GNU_SOURCE
#include "harness.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* A test's own deadline, inside the runner's (bench/guest/run-tests.sh). */
#define TEST_TIMEOUT_S 60

static struct test *tests;
static const struct test *current;

void harness_register(struct test *t)
{
	/* Constructor order is unspecified: keep the list sorted by source. */
	struct test **pp = &tests;

	while (*pp &&
	       (strcmp((*pp)->file, t->file) < 0 ||
		(!strcmp((*pp)->file, t->file) && (*pp)->line < t->line)))
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
}

void harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "FAIL %s: %s:%d: ", current ? current->name : "?", file,
		line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void harness_fail_eq(const char *file, int line, const char *expr_e,
		     const char *expr_a, long long e, long long a, int err)
{
	harness_fail(file, line,
		     "expected %s == %s: expected %lld (0x%llx), actual %lld "
		     "(0x%llx) (errno %s)",
		     expr_a, expr_e, e, (unsigned long long)e, a,
		     (unsigned long long)a, vu_errno_name(err));
}

void harness_skip(const char *fmt, ...)
{
	va_list ap;

	fflush(stderr);
	printf("SKIP %s: ", current ? current->name : "?");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(EXIT_SKIP);
}

bool harness_memdiff(const void *a, const void *b, size_t len, size_t *off)
{
	const uint8_t *x = a, *y = b;

	for (size_t i = 0; i < len; i++) {
		if (x[i] != y[i]) {
			*off = i;
			return true;
		}
	}
	return false;
}

bool harness_mainline(void)
{
	const char *m = getenv("NVFIO_MODE");

	return m && !strcmp(m, "mainline");
}

/*
 * exit(), not _exit(): the atexit handlers put back what the test changed
 * (drivers and driver_override of the devices it claimed, modules it
 * loaded), which the next tests rely on. Should one of them deadlock on a
 * lock the interrupted test held, the runner's own timeout ends it.
 */
static void on_alarm(int sig)
{
	static const char msg[] = "FAIL: test timed out\n";

	ssize_t n = write(2, msg, sizeof(msg) - 1);

	(void)sig;
	(void)n;
	exit(2);
}

/*
 * The alarm: TEST_TIMEOUT_S, or, where the runner was given a longer
 * NVFIO_TEST_TIMEOUT (make check-debug: its kernel runs some tests several
 * times slower), nine tenths of it, so that this one fires first and says
 * why.
 */
static unsigned int test_timeout(void)
{
	const char *env = getenv("NVFIO_TEST_TIMEOUT");
	long s = env ? strtol(env, NULL, 10) : 0;

	return s * 9 / 10 > TEST_TIMEOUT_S ? (unsigned int)(s * 9 / 10) :
					     TEST_TIMEOUT_S;
}

static const struct test *find(const char *name)
{
	for (const struct test *t = tests; t; t = t->next)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

static int run_one(const struct test *t)
{
	current = t;
	if (t->ours_only && harness_mainline())
		SKIP("nvfio-only feature (NVFIO_MODE=mainline)");
	signal(SIGALRM, on_alarm);
	alarm(test_timeout());
	t->fn();
	alarm(0);
	printf("PASS %s\n", t->name);
	fflush(stdout);
	return 0;
}

/* Convenience for manual runs: every test in its own child process. */
static int run_all(const char *filter)
{
	int pass = 0, fail = 0, skip = 0;

	for (const struct test *t = tests; t; t = t->next) {
		pid_t pid;
		int st;

		if (filter && !strstr(t->name, filter))
			continue;
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			exit(run_one(t));
		if (waitpid(pid, &st, 0) < 0) {
			perror("waitpid");
			return 1;
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			pass++;
		} else if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_SKIP) {
			skip++;
		} else {
			fail++;
			printf("FAIL %s (status 0x%x)\n", t->name, st);
		}
	}
	printf("%d passed, %d failed, %d skipped\n", pass, fail, skip);
	return fail ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvfio-tests --list | --run NAME | --all [SUBSTRING]\n"
		"env: NVFIO_MODE=ours|mainline, NVFIO_EDU=<BDF>\n");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (const struct test *t = tests; t; t = t->next)
			printf("%s\n", t->name);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--run")) {
		const struct test *t = find(argv[2]);

		if (!t) {
			fprintf(stderr, "no such test: %s\n", argv[2]);
			return 2;
		}
		return run_one(t);
	}
	if (argc >= 2 && !strcmp(argv[1], "--all"))
		return run_all(argc >= 3 ? argv[2] : NULL);
	if (argc == 2 &&
	    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
