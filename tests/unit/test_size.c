// SPDX-License-Identifier: GPL-2.0
/* e4_size_parse: units, relative sizes, max, and every refusal. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "e4/resize.h"

#define GiB (1ULL << 30)

static uint64_t ok(const char *arg, uint32_t bs)
{
	struct e4_err err = { 0 };
	uint64_t b = 0;

	assert_int_equal(e4_size_parse(arg, bs, 1000, 8 * GiB, &b, &err), 0);
	return b;
}

static int bad(const char *arg, const char *needle)
{
	struct e4_err err = { 0 };
	uint64_t b = 12345;
	int rc = e4_size_parse(arg, 4096, 1000, 8 * GiB, &b, &err);

	assert_true(rc < 0);
	assert_int_equal(b, 12345);
	assert_int_equal(err.code, rc);
	assert_non_null(strstr(err.msg, needle));
	return rc;
}

static void test_units(void **state)
{
	(void)state;
	assert_int_equal(ok("1G", 4096), 262144);
	assert_int_equal(ok("1g", 4096), 262144);
	assert_int_equal(ok("1GiB", 4096), 262144);
	assert_int_equal(ok("1gib", 4096), 262144);
	assert_int_equal(ok("64M", 1024), 65536);
	assert_int_equal(ok("64MiB", 4096), 16384);
	assert_int_equal(ok("8K", 4096), 2);
	assert_int_equal(ok("8KiB", 1024), 8);
	assert_int_equal(ok("2T", 4096), 2ULL << 28);
	assert_int_equal(ok("2TiB", 4096), 2ULL << 28);
	assert_int_equal(ok("16s", 4096), 2);
	assert_int_equal(ok("17s", 4096), 2);	/* rounds down */
	assert_int_equal(ok("12345", 4096), 12345);
	assert_int_equal(ok("010", 4096), 10);	/* decimal, not octal */
}

static void test_relative_and_max(void **state)
{
	(void)state;
	assert_int_equal(ok("+1G", 4096), 1000 + 262144);
	assert_int_equal(ok("+5", 4096), 1005);
	assert_int_equal(ok("max", 4096), 2097152);
	assert_int_equal(ok(NULL, 1024), 8388608);
}

static void test_refusals(void **state)
{
	(void)state;
	assert_int_equal(bad("", "expected a number"), -EINVAL);
	assert_int_equal(bad("abc", "expected a number"), -EINVAL);
	assert_int_equal(bad("0x10", "unknown unit"), -EINVAL);
	assert_int_equal(bad("10X", "unknown unit"), -EINVAL);
	assert_int_equal(bad("10 G", "unknown unit"), -EINVAL);
	assert_int_equal(bad("1.5G", "unknown unit"), -EINVAL);
	assert_int_equal(bad("10S", "unknown unit"), -EINVAL);
	assert_int_equal(bad("-1G", "negative"), -EINVAL);
	assert_int_equal(bad("+-1G", "negative"), -EINVAL);
	assert_int_equal(bad("0", "zero size"), -EINVAL);
	assert_int_equal(bad("0G", "zero size"), -EINVAL);
	assert_int_equal(bad("+0", "growing by nothing"), -EINVAL);
	assert_int_equal(bad("1K", "smaller than one filesystem block"), -EINVAL);
	assert_int_equal(bad("99999999999999999999999", "too large"), -ERANGE);
	assert_int_equal(bad("18446744073709551616", "too large"), -ERANGE);
	assert_int_equal(bad("16777216T", "64 bits"), -ERANGE);
	assert_int_equal(bad("18446744073709551615", "64 bits"), -ERANGE);
	assert_int_equal(bad("+4503599627370495", "64 bits"), -ERANGE);
}

static void test_max_unknown(void **state)
{
	struct e4_err err = { 0 };
	uint64_t b;

	(void)state;
	assert_int_equal(e4_size_parse("max", 4096, 10, 100, &b, &err), -EINVAL);
	assert_int_equal(e4_size_parse("1G", 3000, 10, GiB, &b, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_relative_and_max),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_max_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
