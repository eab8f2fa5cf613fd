// SPDX-License-Identifier: MIT
/*
 * The core of the small IGT-compatible framework: subtest bookkeeping,
 * command line, output and exit codes as IGT GPU Tools has them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "igt.h"

sigjmp_buf igt_subtest_jmpbuf;

enum { CONT = 0, SKIP, FAIL };

static const char *command_str = "igt";
static bool list_subtests, describe, debug_log;
static char *run_single;
static bool run_single_found;
static const char *in_subtest;
static char subtest_name_buf[256];
static bool in_fixture;
static int skip_subtests_henceforth;
static int n_success, n_skip, n_fail;
static struct timespec subtest_start;
static const char *pending_desc;
static pid_t main_pid;

static void kmsg(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int fd, n;

	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "<6>[IGT] %s: ", command_str);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (write(fd, buf, strlen(buf)) < 0) {
		/* the kernel log is best effort, as in IGT */
	}
	close(fd);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s [OPTIONS]\n"
		"  --list-subtests\n"
		"  --run-subtest <pattern>\n"
		"  --describe[=<pattern>]\n"
		"  --debug\n"
		"  --help\n", command_str);
}

void igt_subtest_init_parse_opts(int *argc, char **argv)
{
	static const struct option opts[] = {
		{ "list-subtests", no_argument, NULL, 'l' },
		{ "run-subtest", required_argument, NULL, 'r' },
		{ "describe", optional_argument, NULL, 'd' },
		{ "debug", optional_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct utsname u;
	int c;

	command_str = basename(strdup(argv[0]));
	main_pid = getpid();
	while ((c = getopt_long(*argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			list_subtests = true;
			break;
		case 'r':
			run_single = strdup(optarg);
			break;
		case 'd':
			describe = true;
			list_subtests = true;
			if (optarg)
				run_single = strdup(optarg);
			break;
		case 'D':
			debug_log = true;
			break;
		case 'h':
			usage(stdout);
			exit(IGT_EXIT_SUCCESS);
		default:
			usage(stderr);
			exit(IGT_EXIT_INVALID);
		}
	}
	if (list_subtests)
		return;
	uname(&u);
	printf("IGT-Version: 1.28-p2pbuf (%s) (%s: %s %s)\n", u.machine,
	       u.sysname, u.release, u.machine);
	fflush(stdout);
	kmsg("executing\n");
}

bool igt_only_list_subtests(void)
{
	return list_subtests;
}

const char *igt_subtest_name(void)
{
	return in_subtest;
}

void __igt_describe(const char *desc)
{
	pending_desc = desc;
}

const char *__igt_name_f(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(subtest_name_buf, sizeof(subtest_name_buf), fmt, ap);
	va_end(ap);
	return subtest_name_buf;
}

static bool valid_name(const char *name)
{
	for (const char *p = name; *p; p++)
		if (!(*p == '-' || *p == '_' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return false;
	return *name;
}

static double elapsed(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - subtest_start.tv_sec) +
	       (now.tv_nsec - subtest_start.tv_nsec) / 1e9;
}

bool __igt_run_subtest(const char *name, const char *file, int line)
{
	const char *desc = pending_desc;

	pending_desc = NULL;
	if (!valid_name(name)) {
		fprintf(stderr, "Invalid subtest name \"%s\".\n", name);
		exit(IGT_EXIT_INVALID);
	}
	if (run_single && fnmatch(run_single, name, 0) != 0)
		return false;
	if (list_subtests) {
		if (describe)
			printf("SUB %s %s:%d:\n  %s\n\n", name, file, line,
			       desc ? desc : "NO DOCUMENTATION!");
		else
			printf("%s\n", name);
		return false;
	}
	run_single_found = true;
	if (skip_subtests_henceforth) {
		bool skip = skip_subtests_henceforth == SKIP;

		printf("Subtest %s: %s (0.000s)\n", name, skip ? "SKIP" : "FAIL");
		fflush(stdout);
		if (skip)
			n_skip++;
		else
			n_fail++;
		return false;
	}
	snprintf(subtest_name_buf, sizeof(subtest_name_buf), "%s", name);
	in_subtest = subtest_name_buf;
	printf("Starting subtest: %s\n", in_subtest);
	fflush(stdout);
	kmsg("starting subtest %s\n", in_subtest);
	clock_gettime(CLOCK_MONOTONIC, &subtest_start);
	return true;
}

static void __attribute__((noreturn)) exit_subtest(const char *result)
{
	printf("Subtest %s: %s (%.3fs)\n", in_subtest, result, elapsed());
	fflush(stdout);
	fflush(stderr);
	kmsg("finished subtest %s, %s\n", in_subtest, result);
	in_subtest = NULL;
	siglongjmp(igt_subtest_jmpbuf, 1);
}

void igt_success(void)
{
	if (in_subtest) {
		n_success++;
		exit_subtest("SUCCESS");
	}
}

bool __igt_fixture(void)
{
	if (list_subtests || skip_subtests_henceforth)
		return false;
	in_fixture = true;
	return true;
}

void __igt_fixture_end(void)
{
	in_fixture = false;
	siglongjmp(igt_subtest_jmpbuf, 1);
}

void igt_fail(int exitcode)
{
	if (getpid() != main_pid)
		exit(exitcode);	/* a forked helper: the parent reports */
	if (in_subtest) {
		n_fail++;
		exit_subtest("FAIL");
	}
	if (in_fixture) {
		skip_subtests_henceforth = FAIL;
		__igt_fixture_end();
	}
	exit(exitcode);
}

static void __attribute__((noreturn)) skip_now(void)
{
	if (getpid() != main_pid)
		exit(IGT_EXIT_SKIP);
	if (in_subtest) {
		n_skip++;
		exit_subtest("SKIP");
	}
	if (in_fixture) {
		skip_subtests_henceforth = SKIP;
		__igt_fixture_end();
	}
	exit(IGT_EXIT_SKIP);
}

void igt_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	skip_now();
}

void __igt_skip_check(const char *file, int line, const char *func,
		      const char *check, const char *fmt, ...)
{
	va_list ap;

	printf("Test requirement not met in function %s, file %s:%i:\n"
	       "Test requirement: %s\n", func, file, line, check);
	if (fmt) {
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	fflush(stdout);
	skip_now();
}

void __igt_fail_assert(const char *file, int line, const char *func,
		       const char *assertion, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "(%s:%d) CRITICAL: Test assertion failure function %s, file %s:%i:\n",
		command_str, getpid(), func, file, line);
	fprintf(stderr, "(%s:%d) CRITICAL: Failed assertion: %s\n",
		command_str, getpid(), assertion);
	if (err)
		fprintf(stderr, "(%s:%d) CRITICAL: Last errno: %i, %s\n",
			command_str, getpid(), err, strerror(err));
	if (fmt) {
		fprintf(stderr, "(%s:%d) CRITICAL: ", command_str, getpid());
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fflush(stderr);
	igt_fail(IGT_EXIT_FAILURE);
}

void igt_log(enum igt_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level == IGT_LOG_DEBUG && !debug_log)
		return;
	va_start(ap, fmt);
	if (level == IGT_LOG_WARN) {
		fflush(stdout);
		fprintf(stderr, "(%s:%d) WARNING: ", command_str, getpid());
		vfprintf(stderr, fmt, ap);
		fflush(stderr);
	} else {
		vprintf(fmt, ap);
		fflush(stdout);
	}
	va_end(ap);
}

void igt_exit(void)
{
	int ret;

	if (list_subtests)
		exit(IGT_EXIT_SUCCESS);
	if (run_single && !run_single_found) {
		fprintf(stderr, "Unknown subtest: %s\n", run_single);
		kmsg("exiting, ret=%d\n", IGT_EXIT_INVALID);
		exit(IGT_EXIT_INVALID);
	}
	if (n_fail)
		ret = IGT_EXIT_FAILURE;
	else if (n_success)
		ret = IGT_EXIT_SUCCESS;
	else if (n_skip || skip_subtests_henceforth == SKIP)
		ret = IGT_EXIT_SKIP;
	else
		ret = IGT_EXIT_SUCCESS;
	kmsg("exiting, ret=%d\n", ret);
	fflush(stdout);
	exit(ret);
}
