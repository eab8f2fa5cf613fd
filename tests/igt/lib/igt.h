/* SPDX-License-Identifier: MIT */
/*
 * A small, API-compatible subset of IGT GPU Tools' test framework
 * (lib/igt_core.h), for systems without the IGT package. Tests written
 * against it build unchanged against real IGT: igt_main, igt_fixture,
 * igt_subtest, igt_subtest_f, igt_describe, igt_require*, igt_skip*,
 * igt_assert*, igt_fail_on*, igt_info, igt_debug, igt_warn.
 *
 * Output, command line (--list-subtests, --run-subtest NAME, --describe,
 * --debug) and exit codes (0 success, 77 skip, 98 failure, 79 invalid) are
 * those of IGT, and like IGT each subtest is marked in the kernel log:
 *   [IGT] <binary>: starting subtest <name>
 *   [IGT] <binary>: finished subtest <name>, <RESULT>
 */
#ifndef P2PBUF_IGT_H
#define P2PBUF_IGT_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define IGT_EXIT_SUCCESS	0
#define IGT_EXIT_INVALID	79
#define IGT_EXIT_SKIP		77
#define IGT_EXIT_FAILURE	98

extern sigjmp_buf igt_subtest_jmpbuf;

void igt_subtest_init_parse_opts(int *argc, char **argv);
bool __igt_run_subtest(const char *name, const char *file, int line);
bool __igt_fixture(void);
void __igt_fixture_end(void) __attribute__((noreturn));
void __igt_describe(const char *desc);
__attribute__((format(printf, 1, 2)))
const char *__igt_name_f(const char *fmt, ...);
bool igt_only_list_subtests(void);
const char *igt_subtest_name(void);
void igt_success(void);
void igt_fail(int exitcode) __attribute__((noreturn));
void igt_exit(void) __attribute__((noreturn));

__attribute__((format(printf, 5, 6), noreturn))
void __igt_skip_check(const char *file, int line, const char *func,
		      const char *check, const char *fmt, ...);
__attribute__((format(printf, 1, 2), noreturn))
void igt_skip(const char *fmt, ...);
__attribute__((format(printf, 5, 6), noreturn))
void __igt_fail_assert(const char *file, int line, const char *func,
		       const char *assertion, const char *fmt, ...);

enum igt_log_level { IGT_LOG_DEBUG, IGT_LOG_INFO, IGT_LOG_WARN };
__attribute__((format(printf, 2, 3)))
void igt_log(enum igt_log_level level, const char *fmt, ...);
#define igt_debug(f...)	igt_log(IGT_LOG_DEBUG, f)
#define igt_info(f...)	igt_log(IGT_LOG_INFO, f)
#define igt_warn(f...)	igt_log(IGT_LOG_WARN, f)

#define igt_tokencat2(x, y) x ## y
#define igt_tokencat(x, y) igt_tokencat2(x, y)
#define igt_unique(prefix) igt_tokencat(prefix, __LINE__)

#define igt_main \
	static void igt_tokencat(__real_main, __LINE__)(void); \
	int main(int argc, char **argv) \
	{ \
		igt_subtest_init_parse_opts(&argc, argv); \
		igt_tokencat(__real_main, __LINE__)(); \
		igt_exit(); \
	} \
	static void igt_tokencat(__real_main, __LINE__)(void)

/* A fixture's body runs once; it is skipped with --list-subtests. */
#define igt_fixture \
	for (int igt_unique(__tmpint) = 0; \
	     igt_unique(__tmpint) < 1 && __igt_fixture() && \
	     (sigsetjmp(igt_subtest_jmpbuf, 1) == 0); \
	     igt_unique(__tmpint)++, __igt_fixture_end())

#define igt_subtest(name) \
	for (; __igt_run_subtest((name), __FILE__, __LINE__) && \
	       (sigsetjmp(igt_subtest_jmpbuf, 1) == 0); \
	       igt_success())

#define igt_subtest_f(f...) igt_subtest(__igt_name_f(f))

#define igt_describe(desc) __igt_describe(desc)

#define igt_require(expr) do { \
	if (!(expr)) \
		__igt_skip_check(__FILE__, __LINE__, __func__, #expr, NULL); \
} while (0)

#define igt_require_f(expr, f...) do { \
	if (!(expr)) \
		__igt_skip_check(__FILE__, __LINE__, __func__, #expr, f); \
} while (0)

#define igt_skip_on(expr) do { \
	if ((expr)) \
		__igt_skip_check(__FILE__, __LINE__, __func__, "!(" #expr ")", NULL); \
} while (0)

#define igt_skip_on_f(expr, f...) do { \
	if ((expr)) \
		__igt_skip_check(__FILE__, __LINE__, __func__, "!(" #expr ")", f); \
} while (0)

#define igt_assert(expr) do { \
	if (!(expr)) \
		__igt_fail_assert(__FILE__, __LINE__, __func__, #expr, NULL); \
} while (0)

#define igt_assert_f(expr, f...) do { \
	if (!(expr)) \
		__igt_fail_assert(__FILE__, __LINE__, __func__, #expr, f); \
} while (0)

#define igt_fail_on(expr) igt_assert(!(expr))
#define igt_fail_on_f(expr, f...) igt_assert_f(!(expr), f)

#define igt_assert_cmpint(n1, cmp, ncmp, n2) do { \
	int __n1 = (n1), __n2 = (n2); \
	if (__n1 cmp __n2) \
		break; \
	__igt_fail_assert(__FILE__, __LINE__, __func__, #n1 " " #cmp " " #n2, \
			  "error: %d " #ncmp " %d\n", __n1, __n2); \
} while (0)

#define igt_assert_cmpu64(n1, cmp, ncmp, n2) do { \
	uint64_t __n1 = (n1), __n2 = (n2); \
	if (__n1 cmp __n2) \
		break; \
	__igt_fail_assert(__FILE__, __LINE__, __func__, #n1 " " #cmp " " #n2, \
			  "error: %#" PRIx64 " " #ncmp " %#" PRIx64 "\n", \
			  __n1, __n2); \
} while (0)

#define igt_assert_eq(n1, n2)		igt_assert_cmpint(n1, ==, !=, n2)
#define igt_assert_neq(n1, n2)		igt_assert_cmpint(n1, !=, ==, n2)
#define igt_assert_lte(n1, n2)		igt_assert_cmpint(n1, <=, >, n2)
#define igt_assert_lt(n1, n2)		igt_assert_cmpint(n1, <, >=, n2)
#define igt_assert_eq_u64(n1, n2)	igt_assert_cmpu64(n1, ==, !=, n2)
#define igt_assert_neq_u64(n1, n2)	igt_assert_cmpu64(n1, !=, ==, n2)
#define igt_assert_lte_u64(n1, n2)	igt_assert_cmpu64(n1, <=, >, n2)

#define igt_assert_eq_str(s1, s2) do { \
	const char *__s1 = (s1), *__s2 = (s2); \
	if (strcmp(__s1, __s2) == 0) \
		break; \
	__igt_fail_assert(__FILE__, __LINE__, __func__, #s1 " == " #s2, \
			  "error: \"%s\" != \"%s\"\n", __s1, __s2); \
} while (0)

/* errno-style helper used by the p2pbuf tests: -errno on failure */
#define igt_assert_errno(call, err) do { \
	int __r = (call); \
	igt_assert_f(__r == -(err), "%s returned %d (%s), expected %d (%s)\n", \
		     #call, __r, strerror(__r < 0 ? -__r : 0), -(err), \
		     strerror(err)); \
} while (0)

#endif /* P2PBUF_IGT_H */
