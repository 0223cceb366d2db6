// SPDX-License-Identifier: GPL-2.0
/*
 * lib/mounts.c on a fixture sysroot (tests/unit/fixtures/mounts): the
 * table is read from under the sysroot, not from the running system, and
 * the option helpers read what mountinfo says.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <cmocka.h>

#include <libmount/libmount.h>

#include "e4/mounts.h"

/* tests/run runs us from the top of the tree. */
#define ROOT "tests/unit/fixtures/mounts"

static struct libmnt_fs *find(struct libmnt_table *tb, const char *target)
{
	struct libmnt_fs *fs = mnt_table_find_target(tb, target, MNT_ITER_FORWARD);

	if (!fs)
		fail_msg("no %s in the fixture (run from the top of the tree)", target);
	return fs;
}

static void test_read_sysroot(void **state)
{
	struct libmnt_table *tb = NULL;
	struct e4_err err = { 0 };

	(void)state;
	assert_int_equal(e4_mounts_read(ROOT, &tb, &err), 0);
	assert_non_null(tb);
	/* The fixture's nine mounts, not the machine's. */
	assert_int_equal(mnt_table_get_nents(tb), 9);
	assert_non_null(mnt_table_find_devno(tb, makedev(7, 1), MNT_ITER_FORWARD));
	mnt_unref_table(tb);
}

static void test_read_missing(void **state)
{
	struct libmnt_table *tb = (void *)1;
	struct e4_err err = { 0 };

	(void)state;
	assert_int_equal(e4_mounts_read(ROOT "/nonexistent", &tb, &err), -ENOENT);
	assert_null(tb);
	assert_string_equal(err.msg, "while reading " ROOT
			    "/nonexistent/proc/self/mountinfo: No such file or directory");
}

static void test_readonly(void **state)
{
	struct libmnt_table *tb;

	(void)state;
	assert_int_equal(e4_mounts_read(ROOT, &tb, NULL), 0);
	assert_false(e4_mounts_readonly(find(tb, "/srv")));
	/* ro on the mount, or ro on the superblock: either is read-only. */
	assert_true(e4_mounts_readonly(find(tb, "/mnt/bind")));
	assert_true(e4_mounts_readonly(find(tb, "/backup")));
	mnt_unref_table(tb);
}

static void test_fs_option(void **state)
{
	struct libmnt_table *tb;
	char buf[16], tiny[4];

	(void)state;
	assert_int_equal(e4_mounts_read(ROOT, &tb, NULL), 0);
	assert_int_equal(e4_mounts_fs_option(find(tb, "/srv"), "data", buf,
					     sizeof(buf)), 0);
	assert_string_equal(buf, "journal");
	assert_int_equal(e4_mounts_fs_option(find(tb, "/backup"), "sb", buf,
					     sizeof(buf)), 0);
	assert_string_equal(buf, "32768");
	assert_int_equal(e4_mounts_fs_option(find(tb, "/backup"), "data", buf,
					     sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "");
	assert_int_equal(e4_mounts_fs_option(find(tb, "/srv"), "data", tiny,
					     sizeof(tiny)), -ENAMETOOLONG);
	mnt_unref_table(tb);
}

static void test_find_type(void **state)
{
	struct e4_err err = { 0 };
	char buf[64];
	bool partial = true;

	(void)state;
	assert_int_equal(e4_mounts_find_type(ROOT, "cgroup2", buf, sizeof(buf),
					     &partial, &err), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/unified");
	assert_false(partial);
	assert_int_equal(e4_mounts_find_type(ROOT, "debugfs", buf, sizeof(buf),
					     NULL, &err), 0);
	assert_string_equal(buf, "/sys/kernel/debug");
	assert_int_equal(e4_mounts_find_type(ROOT, "tracefs", buf, sizeof(buf),
					     NULL, &err), -ENOENT);
	assert_string_equal(err.msg, "no tracefs mount in " ROOT "/proc/self/mountinfo");
	assert_int_equal(e4_mounts_find_type(ROOT, "cgroup2", buf, 8, NULL, &err),
			 -ENAMETOOLONG);
}

static void test_find_type_partial(void **state)
{
	char buf[64];
	bool partial = false;

	(void)state;
	/* The first ext4 mount is the root fs, whose root is "/". */
	assert_int_equal(e4_mounts_find_type(ROOT, "ext4", buf, sizeof(buf),
					     &partial, NULL), 0);
	assert_string_equal(buf, "/");
	assert_false(partial);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_sysroot),
		cmocka_unit_test(test_read_missing),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_fs_option),
		cmocka_unit_test(test_find_type),
		cmocka_unit_test(test_find_type_partial),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
