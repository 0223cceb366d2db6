// SPDX-License-Identifier: GPL-2.0
/*
 * lib/freeze.c against its contract (include/e4/freeze.h) on a real
 * loop-mounted filesystem: thaw on request, on expiry, on the death of
 * the caller, a thaw that finds the filesystem already thawed, a second
 * freeze refused, and no watchdog left behind.  Needs root and loop
 * devices; skipped otherwise.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "e4/freeze.h"

struct fixture {
	char dir[64];
	char mnt[96];
	char img[96];
};

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Without blocking: FIFREEZE of a frozen filesystem fails with EBUSY. */
static bool is_frozen(const char *mnt)
{
	if (run("fsfreeze -f %s 2>/dev/null", mnt) == 0) {
		run("fsfreeze -u %s", mnt);
		return false;
	}
	return true;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* No child of ours left: the watchdog was reaped. */
static bool no_children(void)
{
	return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || geteuid() != 0)
		goto skip;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_freeze.XXXXXX");
	if (!mkdtemp(f->dir))
		goto skip;
	snprintf(f->img, sizeof(f->img), "%s/img", f->dir);
	snprintf(f->mnt, sizeof(f->mnt), "%s/mnt", f->dir);
	if (run("truncate -s 64M %s && mke2fs -q -F -t ext4 %s >/dev/null 2>&1 && "
		"mkdir %s && mount -o loop %s %s", f->img, f->img, f->mnt, f->img,
		f->mnt) != 0) {
		run("rm -rf %s", f->dir);
		goto skip;
	}
	*state = f;
	return 0;
skip:
	free(f);
	*state = NULL;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	run("fsfreeze -u %s 2>/dev/null; umount %s; rm -rf %s", f->mnt, f->mnt,
	    f->dir);
	free(f);
	return 0;
}

#define FIXTURE(state) ({                                                    \
	struct fixture *f_ = *(state);                                       \
	if (!f_) {                                                           \
		print_message("needs root and a loop mount\n");              \
		skip();                                                      \
	}                                                                    \
	f_;                                                                  \
})

static void test_thaw(void **state)
{
	struct fixture *f = FIXTURE(state);
	struct e4_freeze *fz;
	struct e4_err err = { 0 };

	assert_int_equal(e4_freeze(f->mnt, 60000, &fz, &err), 0);
	assert_true(is_frozen(f->mnt));
	assert_false(e4_freeze_expired(fz));
	assert_int_equal(e4_thaw(fz, &err), 0);
	assert_false(is_frozen(f->mnt));
	assert_true(no_children());
	assert_int_equal(e4_thaw(NULL, &err), 0);
}

static void test_thawed_by_someone_else(void **state)
{
	struct fixture *f = FIXTURE(state);
	struct e4_freeze *fz;
	struct e4_err err = { 0 };

	assert_int_equal(e4_freeze(f->mnt, 60000, &fz, &err), 0);
	assert_int_equal(run("fsfreeze -u %s", f->mnt), 0);
	/* FITHAW now fails with EINVAL: still a successful thaw. */
	assert_int_equal(e4_thaw(fz, &err), 0);
	assert_false(is_frozen(f->mnt));
	assert_true(no_children());
}

static void test_expiry(void **state)
{
	struct fixture *f = FIXTURE(state);
	struct e4_freeze *fz;
	struct e4_err err = { 0 };
	int i;

	assert_int_equal(e4_freeze(f->mnt, 200, &fz, &err), 0);
	assert_true(is_frozen(f->mnt));
	for (i = 0; i < 100 && !e4_freeze_expired(fz); i++)
		sleep_ms(50);
	assert_true(e4_freeze_expired(fz));
	assert_false(is_frozen(f->mnt));
	assert_int_equal(e4_thaw(fz, &err), -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "timed out"));
	assert_false(is_frozen(f->mnt));
	assert_true(no_children());
}

static void test_second_freeze_refused(void **state)
{
	struct fixture *f = FIXTURE(state);
	struct e4_freeze *fz, *fz2 = NULL;
	struct e4_err err = { 0 };

	assert_int_equal(e4_freeze(f->mnt, 60000, &fz, &err), 0);
	assert_int_equal(e4_freeze(f->mnt, 60000, &fz2, &err), -EBUSY);
	assert_null(fz2);
	assert_non_null(strstr(err.msg, "already frozen"));
	/* The refused one's watchdog is gone and did not thaw ours. */
	assert_true(is_frozen(f->mnt));
	assert_int_equal(e4_thaw(fz, &err), 0);
	assert_false(is_frozen(f->mnt));
	assert_true(no_children());
}

static void test_caller_dies(void **state)
{
	struct fixture *f = FIXTURE(state);
	struct e4_err err = { 0 };
	pid_t pid;
	int i, status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct e4_freeze *fz;

		/* Freeze and die without thawing, as a crash would. */
		_exit(e4_freeze(f->mnt, 60000, &fz, &err) ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The orphaned watchdog thaws at once, not after 60 s. */
	for (i = 0; i < 50 && is_frozen(f->mnt); i++)
		sleep_ms(100);
	assert_false(is_frozen(f->mnt));
}

static void test_not_a_mount_point(void **state)
{
	struct fixture *f = FIXTURE(state);
	struct e4_freeze *fz = (struct e4_freeze *)1;
	struct e4_err err = { 0 };
	char path[160];

	snprintf(path, sizeof(path), "%s/missing", f->mnt);
	assert_int_equal(e4_freeze(path, 1000, &fz, &err), -ENOENT);
	assert_null(fz);
	assert_non_null(strstr(err.msg, "cannot open the mount point"));
	assert_true(no_children());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thaw),
		cmocka_unit_test(test_thawed_by_someone_else),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_second_freeze_refused),
		cmocka_unit_test(test_caller_dies),
		cmocka_unit_test(test_not_a_mount_point),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
